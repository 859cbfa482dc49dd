"""Route 53 semantics that moto 5.2 gets wrong, restored by replacing three response handlers.

moto's ChangeResourceRecordSets applies changes one by one (a bad second change keeps the first),
deletes without comparing values (and by SetIdentifier across all names), allows duplicates and
mixed routing policies, and ListResourceRecordSets ignores StartRecordIdentifier, so a latency
group spanning a page boundary never ends. Here a batch is planned on a copy of the zone and only
swapped in when the whole batch is valid, exactly like Route 53's all-or-nothing batches.
"""

from __future__ import annotations

import copy
import re
import threading
import uuid
from typing import Any
from unittest import mock

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.route53.exceptions import InvalidActionValue, InvalidInput
from moto.route53.exceptions import InvalidChangeBatch as TooManyRecords
from moto.route53.models import FakeZone, RecordSet, Route53Backend
from moto.route53.responses import Route53
from moto.route53.utils import validate_domain_name

Record = dict[str, Any]  # one record in ResourceRecordSet wire shape, names normalised
Key = tuple[str, str, str | None]  # (name, type, SetIdentifier): what makes a record unique

# Field that selects a routing policy; a record with none of them is a "simple" record.
POLICIES = {
    "Weight": "weighted",
    "Region": "latency",
    "Failover": "failover",
    "GeoLocation": "geolocation",
    "MultiValueAnswer": "multivalue",
    "GeoProximityLocation": "geoproximity",
    "CidrRoutingConfig": "cidr",
}
# Within one name/type these policies allow only one record per value of the field.
UNIQUE_PER_GROUP = {"latency": "Region", "failover": "Failover", "geolocation": "GeoLocation"}
MOTO_FIELDS = {
    "SetIdentifier": "set_identifier",
    "Weight": "weight",
    "Region": "region",
    "Failover": "failover",
    "GeoLocation": "geo_location",
    "MultiValueAnswer": "multi_value_answer",
    "HealthCheckId": "health_check_id",
}
MAX_ITEMS = 300
# moto hard-codes these ids in CreateHostedZone/DeleteHostedZone/...; they are INSYNC at once.
MOTO_CHANGE_IDS = {"C1PA6795UKMFR9", "C2682N5HXP0BZ4", "a1b2c3d4"}


class InvalidChangeBatch(ServiceException):
    code = "InvalidChangeBatch"

    def __init__(self, problems: list[str]) -> None:
        # Route 53 lists every problem in one message: "[problem one, problem two]".
        super().__init__("[" + ", ".join(dict.fromkeys(problems)) + "]")


class NoSuchChange(ServiceException):
    code = "NoSuchChange"
    message = "A change with the specified change ID does not exist."


class HealthCheckAlreadyExists(ServiceException):
    code = "HealthCheckAlreadyExists"
    message = (
        "A health check with the specified CallerReference already exists and has "
        "different settings."
    )


def _idempotent_create_health_check(original: Any) -> Any:
    """Route 53 answers a repeated CreateHealthCheck (same CallerReference and settings) with
    the existing check; moto makes a second one, which would hide duplicate-check bugs. And
    it remembers the CallerReference of a deleted check for days: "If you send a
    CreateHealthCheck request with the same CallerReference as a deleted health check,
    regardless of the settings, Route 53 returns a HealthCheckAlreadyExists error"
    (CreateHealthCheck, Route 53 API Reference). moto forgets it."""

    def create_health_check(
        self: Any, caller_reference: str, health_check_args: dict[str, Any]
    ) -> Any:
        if caller_reference in getattr(self, "_strictaws_deleted_references", set()):
            raise HealthCheckAlreadyExists()
        for existing in self.health_checks.values():
            if existing.caller_reference == caller_reference:
                if getattr(existing, "_strictaws_args", None) != health_check_args:
                    raise HealthCheckAlreadyExists()
                return existing
        created = original(self, caller_reference, health_check_args)
        created._strictaws_args = copy.deepcopy(health_check_args)
        return created

    return create_health_check


def _remembering_delete_health_check(original: Any) -> Any:
    def delete_health_check(self: Any, health_check_id: str) -> None:
        check = self.health_checks.get(health_check_id)
        if check is not None:
            if not hasattr(self, "_strictaws_deleted_references"):
                self._strictaws_deleted_references = set()
            self._strictaws_deleted_references.add(check.caller_reference)
        original(self, health_check_id)

    return delete_health_check


class ChangeTracker:
    """Change ids we issued and how many more GetChange calls must still say PENDING."""

    def __init__(self, pending_polls: int) -> None:
        self.pending_polls = pending_polls
        # Tests set this to make ListResourceRecordSets pages shorter than 300, so a client's
        # paging (NextRecordName/Type/Identifier) is exercised without thousands of records.
        self.page_size_cap: int | None = None
        self.lock = threading.RLock()  # also serialises batches, so plan+apply is atomic
        self._changes: dict[str, dict[str, Any]] = {}
        # TestDNSAnswer (route53_dns.py): how many more answers per name come back empty, as
        # from a name server the latest change has not reached; set by `dns_lag`.
        self._dns_lag = 0
        self._dns_asked: dict[str, int] = {}

    def dns_lag(self, answers: int) -> None:
        """The next `answers` TestDNSAnswer calls for each name answer with no data."""
        with self.lock:
            self._dns_lag, self._dns_asked = answers, {}

    def lagging(self, name: str) -> bool:
        with self.lock:
            asked = self._dns_asked.get(name, 0)
            self._dns_asked[name] = asked + 1
            return asked < self._dns_lag

    def clear(self) -> None:
        with self.lock:
            self._changes.clear()

    def submit(self, comment: str | None) -> dict[str, Any]:
        change_id = "C" + uuid.uuid4().hex[:20].upper()
        info = {"Id": f"/change/{change_id}", "Status": "PENDING", "SubmittedAt": utcnow()}
        if comment:
            info["Comment"] = comment
        with self.lock:
            self._changes[change_id] = {"info": info, "polls_left": self.pending_polls}
        return dict(info)

    def poll(self, change_id: str) -> dict[str, Any] | None:
        with self.lock:
            change = self._changes.get(change_id)
            if change is None:
                if change_id in MOTO_CHANGE_IDS:
                    return {
                        "Id": f"/change/{change_id}",
                        "Status": "INSYNC",
                        "SubmittedAt": utcnow(),
                    }
                return None
            pending = change["polls_left"] > 0
            change["polls_left"] -= pending
            return {**change["info"], "Status": "PENDING" if pending else "INSYNC"}


MAX_VALUE_CHARS = 4000
MAX_RECORDS_PER_REQUEST = 1000
MAX_VALUE_CHARS_PER_REQUEST = 32000
MAX_TXT_STRING = 255


def norm_name(name: str) -> str:
    # Route 53 stores names lower-case and fully qualified, whatever case the caller used.
    name = name.lower()
    return name if name.endswith(".") else name + "."


def key(rec: Record) -> Key:
    return rec["Name"], rec["Type"], rec.get("SetIdentifier")


def describe(k: Key) -> str:
    ident = f", set-identifier='{k[2]}'" if k[2] is not None else ""
    return f"[name='{k[0]}', type='{k[1]}'{ident}]"


def policy(rec: Record) -> str:
    return next((POLICIES[f] for f in POLICIES if f in rec), "simple")


def from_request(rrset: dict[str, Any]) -> Record:
    rec = copy.deepcopy({k: v for k, v in rrset.items() if v is not None})
    rec["Name"] = norm_name(rec["Name"])
    if "AliasTarget" in rec:  # AWS compares alias targets case- and trailing-dot-insensitively
        rec["AliasTarget"]["DNSName"] = norm_name(rec["AliasTarget"]["DNSName"])
    return rec


def from_moto(rs: RecordSet) -> Record:
    stored: Record | None = getattr(rs, "strict_record", None)
    if stored is not None:
        return stored
    rec: Record = {"Name": norm_name(rs.name), "Type": rs.type}
    rec.update({f: getattr(rs, a) for f, a in MOTO_FIELDS.items() if getattr(rs, a) is not None})
    if rs.alias_target:
        rec["AliasTarget"] = from_request({"Name": "", "AliasTarget": rs.alias_target})[
            "AliasTarget"
        ]
    else:  # moto keeps NS TTL as a string and the SOA value as a dict: normalise both
        values = [v["Value"] if isinstance(v, dict) else v for v in rs.records or []]
        assert rs.ttl is not None, "moto keeps a TTL on every record that is not an alias"
        rec.update(TTL=int(rs.ttl), ResourceRecords=[{"Value": v} for v in values])
    return rec


def to_moto(rec: Record) -> RecordSet:
    # moto marks RecordSet abstract (CloudFormationModel's abstractmethods) yet builds it.
    values = [r["Value"] for r in rec.get("ResourceRecords", [])]
    rs = RecordSet({**rec, "ResourceRecords": values})  # type: ignore[abstract]
    rs.ttl = rec.get("TTL")  # moto would report TTL 0 on alias records, AWS reports none
    rs.strict_record = rec  # type: ignore[attr-defined]  # the exact record, for listing
    return rs


def comparable(rec: Record) -> Record:
    # The values of a record set are a set: DELETE may list them in any order.
    values = sorted(r["Value"] for r in rec.get("ResourceRecords", []))
    return {**rec, "ResourceRecords": values}


def check_shape(action: str, rec: Record) -> None:
    """Input errors AWS reports as InvalidInput before looking at the zone at all."""
    where = (
        f"Change with [Action={action}, Name={rec['Name']}, Type={rec['Type']}, "
        f"SetIdentifier={rec.get('SetIdentifier', 'null')}]"
    )
    has_alias, has_values = "AliasTarget" in rec, "TTL" in rec or "ResourceRecords" in rec
    if has_alias == has_values or (has_values and not ("TTL" in rec and rec["ResourceRecords"])):
        found = "more than one" if has_alias else "none"
        raise InvalidInput(
            "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and "
            f"ResourceRecords], or TrafficPolicyInstanceId], but found {found} in {where}"
        )
    policies = [f for f in POLICIES if f in rec]
    if "SetIdentifier" in rec and len(policies) != 1:
        raise InvalidInput(
            f"Invalid request: Expected exactly one of [{', '.join(POLICIES)}], but found "
            f"{'none' if not policies else 'more than one'} in {where}"
        )
    if "SetIdentifier" not in rec and policies:
        raise InvalidInput(f"Invalid request: Missing field 'SetIdentifier' in {where}")
    # A Value is at most 4,000 characters (API_ResourceRecord.html, "Length Constraints:
    # Maximum length of 4000"); moto stores any length.
    for entry in rec.get("ResourceRecords", []):
        if len(entry["Value"]) > MAX_VALUE_CHARS:
            raise InvalidInput(
                "1 validation error detected: Value at 'changeBatch.changes.1.member."
                "resourceRecordSet.resourceRecords.1.member.value' failed to satisfy "
                f"constraint: Member must have length less than or equal to {MAX_VALUE_CHARS}"
            )


def txt_problems(rec: Record) -> list[str]:
    """Each character-string of a TXT value is at most 255 characters (Route 53 Developer
    Guide, ResourceRecordTypes.html#TXTFormat: "Each string can be up to 255 characters"),
    and must be quoted; moto accepts anything."""
    if rec["Type"] != "TXT":
        return []
    problems = []
    for entry in rec.get("ResourceRecords", []):
        for string in re.findall(r'"((?:[^"\\]|\\.)*)"', entry["Value"]):
            if len(string.encode()) > MAX_TXT_STRING:
                problems.append(
                    f"CharacterStringTooLong (Value is too long) encountered with "
                    f"'{entry['Value'][:40]}...'"
                )
    return problems


def final_state_problems(state: dict[Key, Record], touched: list[Key], zone: str) -> list[str]:
    """Rules Route 53 checks on the zone as it would be after the whole batch."""
    problems = []
    apex_types = [r["Type"] for r in state.values() if r["Name"] == zone]
    if apex_types.count("SOA") != 1:
        problems.append("A HostedZone must contain exactly one SOA record.")
    if "NS" not in apex_types:
        problems.append("A HostedZone must contain at least one NS record for the zone itself.")
    for k in (k for k in dict.fromkeys(touched) if k in state):
        (name, rtype, ident), rec = k, state[k]
        at_name = [r for r in state.values() if r["Name"] == name]
        other_types = sorted({r["Type"] for r in at_name} - {rtype})
        if rtype == "CNAME" and name == zone:
            problems.append(
                f"RRSet of type CNAME with DNS name {name} is not permitted at apex in zone {zone}"
            )
        elif other_types and (rtype == "CNAME" or "CNAME" in other_types):
            other = "CNAME" if rtype != "CNAME" else other_types[0]
            problems.append(
                f"RRSet of type {rtype} with DNS name {name} is not permitted because a "
                f"conflicting RRSet of type {other} with the same DNS name already exists in "
                f"zone {zone}"
            )
        group = [r for r in at_name if r["Type"] == rtype and r is not rec]
        mine = policy(rec)
        if any(policy(r) != mine for r in group):
            problems.append(
                f"RRSet with DNS name {name}, type {rtype} cannot be created as other RRSets "
                "exist with the same name and type"
                if mine == "simple"
                else f"RRSet with DNS name {name}, type {rtype}, SetIdentifier {ident} cannot be "
                f"created as a non-{mine} set exists with the same name and type"
            )
        field = UNIQUE_PER_GROUP.get(mine)
        if field and any(policy(r) == mine and r[field] == rec[field] for r in group):
            problems.append(
                f"RRSet with DNS name {name}, type {rtype}, SetIdentifier {ident} cannot be "
                f"created because another {mine} record with {field} {rec[field]} exists at the "
                "same name and type"
            )
    return problems


def _missing_alias_target(state: dict[Key, Record], rec: Record, zone_id: str) -> str | None:
    alias = rec.get("AliasTarget")
    if not alias or alias["HostedZoneId"].rpartition("/")[2] != zone_id.rpartition("/")[2]:
        return None
    target = norm_name(alias["DNSName"])
    exists = any(r["Name"] == target and r["Type"] == rec["Type"] for r in state.values())
    return None if exists else target


def _cname_clash(state: dict[Key, Record], rec: Record, zone_name: str) -> str | None:
    """The type that already stands at rec's name and cannot share it with rec, if any."""
    if rec["Name"] == zone_name:
        return None  # a CNAME at the apex has its own message, from the final-state check
    others: set[str] = {r["Type"] for r in state.values() if r["Name"] == rec["Name"]} - {
        rec["Type"]
    }
    if rec["Type"] == "CNAME" and others:
        return sorted(others)[0]
    return "CNAME" if "CNAME" in others else None


def plan(zone: FakeZone, changes: list[dict[str, Any]]) -> list[Record]:
    """The zone's records after the batch, or InvalidChangeBatch listing every problem."""
    state = {key(r): r for r in map(from_moto, zone.rrsets)}
    zone_name = norm_name(zone.name)
    problems: list[str] = []
    touched: list[Key] = []
    for change in changes:
        action = change["Action"]
        if action not in ("CREATE", "UPSERT", "DELETE"):
            raise InvalidActionValue(action)
        validate_domain_name(change["ResourceRecordSet"]["Name"], code="InvalidChangeBatch")
        rec = from_request(change["ResourceRecordSet"])
        check_shape(action, rec)
        k, current = key(rec), state.get(key(rec))
        if action != "DELETE" and (too_long := txt_problems(rec)):
            problems.extend(too_long)
        elif rec["Name"] != zone_name and not rec["Name"].endswith("." + zone_name):
            problems.append(
                f"RRSet with DNS name {rec['Name']} is not permitted in zone {zone_name}"
            )
        # CREATE of a record set that exists, and a DELETE whose values differ from the
        # live ones, reject the whole batch: "To delete a resource record set, you must
        # specify all the same values that you specified when you created it", and a batch
        # is made whole or not at all (Route 53 API Reference, ChangeResourceRecordSets:
        # https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html).
        # geoproxy's state record assertion (core/state.py) relies on both.
        elif action == "CREATE" and current is not None:
            problems.append(
                f"Tried to create resource record set {describe(k)} but it already exists"
            )
        elif action == "DELETE" and current is None:
            problems.append(
                f"Tried to delete resource record set {describe(k)} but it was not found"
            )
        elif action == "DELETE" and comparable(current) != comparable(rec):  # type: ignore[arg-type]
            problems.append(
                f"Tried to delete resource record set {describe(k)} but the values provided do "
                "not match the current values"
            )
        elif action == "DELETE":
            del state[k]
        elif missing := _missing_alias_target(state, rec, zone.id):
            # An alias into its own zone must name a record that exists at that point of the
            # batch: Route 53 resolves it when the change is made.
            problems.append(
                f"Tried to create an alias that targets {missing}, type {rec['Type']} in zone "
                f"{zone.id}, but that target was not found"
            )
        elif cname_clash := _cname_clash(state, rec, zone_name):
            # Route 53 checks CNAME exclusivity change by change, not only on the final
            # state: a CNAME must be deleted before the records that replace it are created.
            problems.append(
                f"RRSet of type {rec['Type']} with DNS name {rec['Name']} is not permitted "
                f"because a conflicting RRSet of type {cname_clash} with the same DNS name "
                f"already exists in zone {zone_name}"
            )
        else:
            state[k] = rec
            touched.append(k)
    # Per-change problems make the final state meaningless, so only then check it.
    problems = problems or final_state_problems(state, touched, zone_name)
    if problems:
        raise InvalidChangeBatch(problems)
    return list(state.values())


def sort_key(rec: Record) -> tuple[tuple[str, ...], str, str]:
    # Route 53 order: name with labels reversed (com, example, www), then type, then identifier.
    labels = tuple(reversed(rec["Name"].rstrip(".").split(".")))
    return labels, rec["Type"], rec.get("SetIdentifier") or ""


# What else judges a valid batch before it is applied (protections, guardrails): given the
# account, the zone as it is, the changes and the records after them; raises to refuse.
BatchGuard = Any


def route53_patches(tracker: ChangeTracker, guard: BatchGuard | None = None) -> list[Any]:
    """Patchers (not yet started) replacing moto's handlers; the server starts and stops them.

    Long on purpose: each handler is a closure over `tracker`, and moto's handlers are
    patched as one set, so they stay side by side, one short function each."""

    def change_resource_record_sets(self: Route53) -> ActionResult:
        zone = self.backend.get_hosted_zone(self._get_param("HostedZoneId"))
        changes = self._get_param("ChangeBatch.Changes") or []
        # Route 53's quotas per request ("Quotas on ChangeResourceRecordSets requests",
        # Route 53 Developer Guide, DNSLimitations.html): 1,000 ResourceRecord elements and
        # 32,000 characters in Value elements, an UPSERT counting twice. An alias record
        # has neither, so it counts toward neither.
        weight = {"UPSERT": 2}
        values = [
            (entry["Value"], weight.get(c["Action"], 1))
            for c in changes
            for entry in c["ResourceRecordSet"].get("ResourceRecords") or []
        ]
        if sum(factor for _, factor in values) > MAX_RECORDS_PER_REQUEST:
            raise TooManyRecords()
        characters = sum(len(value) * factor for value, factor in values)
        if characters > MAX_VALUE_CHARS_PER_REQUEST:
            raise InvalidChangeBatch(
                [
                    f"Number of characters in Value elements {characters} "
                    f"exceeds the maximum of {MAX_VALUE_CHARS_PER_REQUEST}"
                ]
            )
        with tracker.lock:
            after = plan(zone, changes)
            if guard is not None:
                guard(self.current_account, zone, changes, after)
            zone.rrsets = [to_moto(r) for r in after]
            info = tracker.submit(self._get_param("ChangeBatch.Comment"))
        return ActionResult({"ChangeInfo": info})

    def list_resource_record_sets(self: Route53) -> ActionResult:
        zone = self.backend.get_hosted_zone(self._get_param("HostedZoneId"))
        name = self._get_param("StartRecordName")
        rtype = self._get_param("StartRecordType")
        ident = self._get_param("StartRecordIdentifier")
        if (rtype and not name) or (ident and not rtype):
            raise InvalidInput("The input is not valid")
        max_items = max(1, min(int(self._get_param("MaxItems") or MAX_ITEMS), MAX_ITEMS))
        page_size = min(max_items, tracker.page_size_cap or max_items)
        records = sorted(map(from_moto, zone.rrsets), key=sort_key)
        if name:
            start = sort_key({"Name": norm_name(name), "Type": rtype or "", "SetIdentifier": ident})
            records = [r for r in records if sort_key(r) >= start]
        page, rest = records[:page_size], records[page_size:]
        result: dict[str, Any] = {
            "ResourceRecordSets": page,
            "IsTruncated": bool(rest),
            "MaxItems": str(max_items),
        }
        if rest:
            result.update(NextRecordName=rest[0]["Name"], NextRecordType=rest[0]["Type"])
            if "SetIdentifier" in rest[0]:
                result["NextRecordIdentifier"] = rest[0]["SetIdentifier"]
        return ActionResult(result)

    def list_hosted_zones_by_name(self: Route53) -> ActionResult:
        """Route 53 lists zones from DNSName (and HostedZoneId) on, sorted by name with the
        labels reversed and then by id, at most MaxItems (default and maximum 100) a page,
        with IsTruncated, NextDNSName and NextHostedZoneId (ListHostedZonesByName, API
        Reference). moto returns every zone of exactly that name in one page."""
        query = {key: values[0] for key, values in self.querystring.items()}
        start_name = norm_name(query.get("dnsname", ""))
        start_id = query.get("hostedzoneid", "").rpartition("/")[2]
        max_items = min(int(query.get("maxitems") or 100), 100, tracker.page_size_cap or 100)

        def order(zone: FakeZone) -> tuple[tuple[str, ...], str]:
            return tuple(reversed(norm_name(zone.name).split("."))), zone.id.rpartition("/")[2]

        zones = sorted(self.backend.zones.values(), key=order)
        if start_name:
            first = (tuple(reversed(start_name.split("."))), start_id)
            zones = [zone for zone in zones if order(zone) >= first]
        page, rest = zones[:max_items], zones[max_items:]
        result: dict[str, Any] = {
            "HostedZones": page,
            "MaxItems": str(max_items),
            "IsTruncated": bool(rest),
        }
        if start_name:
            result["DNSName"] = start_name + "."
        if rest:
            result["NextDNSName"] = rest[0].name
            result["NextHostedZoneId"] = rest[0].id
        return ActionResult(result)

    def get_change(self: Route53) -> ActionResult:
        info = tracker.poll(self._get_param("Id").rpartition("/")[2])
        if info is None:
            raise NoSuchChange()
        return ActionResult({"ChangeInfo": info})

    return [
        mock.patch.object(
            Route53Backend,
            "create_health_check",
            _idempotent_create_health_check(Route53Backend.create_health_check),
        ),
        mock.patch.object(
            Route53Backend,
            "delete_health_check",
            _remembering_delete_health_check(Route53Backend.delete_health_check),
        ),
        mock.patch.object(Route53, "change_resource_record_sets", change_resource_record_sets),
        mock.patch.object(Route53, "list_resource_record_sets", list_resource_record_sets),
        mock.patch.object(Route53, "get_change", get_change),
        mock.patch.object(Route53, "list_hosted_zones_by_name", list_hosted_zones_by_name),
    ]
