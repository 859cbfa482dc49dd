"""Route 53 Change Guardrails (moto has none): the zone's tier, which guardrails it has on,
and the checks ChangeResourceRecordSets runs before it applies a batch.

Sources: "Change Guardrails for hosted zones" (Route 53 Developer Guide,
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zones-change-guardrails.html):
six guardrails, NS_FORMAT_CHECK and NS_DELEGATION_AUTHORITY_CHECK always on (not modelled
here: geoproxy writes no NS record), NS_OCCLUSION_CHECK optional on both tiers, and
ALIAS_TARGET_CHECK, ACTIVE_RECORD_CHECK, ACTIVE_DELEGATION_CHECK optional on ADVANCED only;
a failed check rejects the whole request with InvalidChangeBatch, "tells you which record and
which guardrail caused the rejection and how to fix it". ChangeGuardrail and
UpdateHostedZoneFeatures (API Reference,
https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeGuardrail.html): turning on
a guardrail the tier does not offer, or off one the tier includes, is InvalidInput.

The wording of a rejection is not documented, only what it names; the messages below name
the guardrail by its API name, the record set, and the fix. Whether ALIAS_TARGET_CHECK judges
each change in order or the batch's end state is not documented either: `alias_reading`
selects "per_change" (the default, the stricter) or "end_of_batch". A DELETE immediately
followed by a CREATE of the same record set is the documented way to replace one inside a
batch (API_ChangeResourceRecordSets.html) and is judged as a replacement, not a deletion.
ACTIVE_RECORD_CHECK's "still receives DNS queries" is modelled as: an alias record of the zone
(as it was before the batch) or a CloudFront distribution origin in the emulator names it.
Zones whose guardrails nobody set answer without ChangeGuardrails (the live checklist says
what AWS answers).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from moto.cloudfront.models import cloudfront_backends
from moto.route53.models import FakeZone, route53_backends

from .route53 import (
    InvalidChangeBatch,
    Key,
    Record,
    describe,
    from_moto,
    from_request,
    key,
    norm_name,
)

ALIAS_TARGET_CHECK = "ALIAS_TARGET_CHECK"
ACTIVE_RECORD_CHECK = "ACTIVE_RECORD_CHECK"
NS_OCCLUSION_CHECK = "NS_OCCLUSION_CHECK"
ACTIVE_DELEGATION_CHECK = "ACTIVE_DELEGATION_CHECK"
ALWAYS_ON = ("NS_FORMAT_CHECK", "NS_DELEGATION_AUTHORITY_CHECK")
# optional guardrail -> the tiers that offer it
OPTIONAL = {
    NS_OCCLUSION_CHECK: ("STANDARD", "ADVANCED"),
    ALIAS_TARGET_CHECK: ("ADVANCED",),
    ACTIVE_RECORD_CHECK: ("ADVANCED",),
    ACTIVE_DELEGATION_CHECK: ("ADVANCED",),
}
TIERS = ("STANDARD", "ADVANCED")
READINGS = ("per_change", "end_of_batch")


class Guardrails:
    """`server.guardrails`: the knobs; each zone's tier and guardrails live on moto's backend
    (reset drops them). geoproxy never changes a tier: `set_tier` is the tests' knob."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.alias_reading = "per_change"

    @staticmethod
    def state(account: str) -> dict[str, dict[str, Any]]:
        backend = route53_backends[account]["global"]
        return backend.__dict__.setdefault("_strict_guardrails", {})  # type: ignore[no-any-return]

    def _entry(self, account: str, zone_id: str) -> dict[str, Any]:
        return self.state(account).setdefault(
            zone_id.rpartition("/")[2], {"tier": "STANDARD", "enabled": set()}
        )

    def set_tier(self, zone_id: str, tier: str, account: str = "123456789012") -> None:
        entry = self._entry(account, zone_id)
        entry["tier"] = tier
        entry["enabled"] = {g for g in entry["enabled"] if tier in OPTIONAL[g]}
        self.refresh(account, zone_id)

    def enable_all(self, zone_id: str, account: str = "123456789012") -> None:
        """ADVANCED, with every optional guardrail on (what a test of "every guardrail" needs)."""
        self.set_tier(zone_id, "ADVANCED", account)
        self._entry(account, zone_id)["enabled"] = set(OPTIONAL)
        self.refresh(account, zone_id)

    def refresh(self, account: str, zone_id: str) -> None:
        """The zone's Features as its lookups (GetHostedZone, ListHostedZonesByName) carry
        them from now on: moto serialises the zone object's `features`."""
        zone = route53_backends[account]["global"].zones.get(zone_id.rpartition("/")[2])
        if zone is not None:
            reported = {
                **(getattr(zone, "features", None) or {}),
                **self.features(account, zone_id),
            }
            zone.features = reported  # type: ignore[attr-defined]

    def enabled(self, account: str, zone_id: str) -> set[str]:
        entry = self.state(account).get(zone_id.rpartition("/")[2])
        return set(entry["enabled"]) if entry else set()

    def features(self, account: str, zone_id: str) -> dict[str, Any]:
        """The ChangeGuardrails part of the zone's Features, if anyone set its guardrails."""
        entry = self.state(account).get(zone_id.rpartition("/")[2])
        if entry is None:
            return {}
        offered = [g for g, tiers in OPTIONAL.items() if entry["tier"] in tiers]
        return {
            "ChangeGuardrails": [{"Name": g, "Status": "ENABLED"} for g in ALWAYS_ON]
            + [
                {"Name": g, "Status": "ENABLED" if g in entry["enabled"] else "DISABLED"}
                for g in offered
            ]
        }

    def update(self, account: str, zone_id: str, root: ET.Element) -> tuple[str, str, int] | None:
        """UpdateHostedZoneFeatures' ChangeGuardrails; (code, message, status) if refused."""
        asked: list[tuple[str, str]] = []
        for element in root.iter():
            if element.tag.rpartition("}")[2] != "ChangeGuardrail":
                continue
            fields = {child.tag.rpartition("}")[2]: (child.text or "").strip() for child in element}
            asked.append((fields.get("Name", ""), fields.get("Status", "")))
        if not asked:
            return None
        entry = self._entry(account, zone_id)
        enabled = set(entry["enabled"])
        for name, status in asked:
            if name in ALWAYS_ON:
                if status != "ENABLED":
                    return ("InvalidInput", f"The guardrail {name} can't be turned off.", 400)
                continue
            if name not in OPTIONAL or status not in ("ENABLED", "DISABLED"):
                return ("InvalidInput", f"Invalid guardrail {name} or status {status}.", 400)
            if status == "ENABLED" and entry["tier"] not in OPTIONAL[name]:
                return (
                    "InvalidInput",
                    f"The guardrail {name} isn't available for the {entry['tier']} tier.",
                    400,
                )
            (enabled.add if status == "ENABLED" else enabled.discard)(name)
        entry["enabled"] = enabled  # all or nothing, like the request
        self.refresh(account, zone_id)
        return None

    # -- the checks ChangeResourceRecordSets runs --------------------------------------------
    def check(
        self, account: str, zone: FakeZone, changes: list[dict[str, Any]], after: list[Record]
    ) -> None:
        """InvalidChangeBatch naming each guardrail that refuses the (otherwise valid) batch."""
        enabled = self.enabled(account, zone.id)
        if not enabled:
            return
        before = [from_moto(r) for r in zone.rrsets]
        zone_id = zone.id.rpartition("/")[2]
        problems: list[str] = []
        if ALIAS_TARGET_CHECK in enabled:
            problems += alias_target_problems(zone_id, changes, before, after, self.alias_reading)
        if ACTIVE_RECORD_CHECK in enabled:
            queried = set(cloudfront_origins(account))
            problems += active_record_problems(zone_id, changes, before, after, queried)
        if NS_OCCLUSION_CHECK in enabled:
            problems += occlusion_problems(norm_name(zone.name), changes, after)
        if problems:
            raise InvalidChangeBatch(problems)


def cloudfront_origins(account: str) -> Iterator[str]:
    """The domain names the emulator's distributions send origin requests to."""
    for distribution in cloudfront_backends[account]["global"].distributions.values():
        origins = getattr(distribution.distribution_config, "Origins", None) or {}
        for origin in origins.get("Items") or []:
            yield norm_name(origin.domain_name)


def _deletions(changes: list[dict[str, Any]]) -> Iterator[tuple[int, Key]]:
    """(position, record set) of each DELETE that is not the first half of a replacement."""
    for i, change in enumerate(changes):
        if change["Action"] != "DELETE":
            continue
        k = key(_rec(change))
        following = changes[i + 1] if i + 1 < len(changes) else None
        if following and following["Action"] == "CREATE" and key(_rec(following)) == k:
            continue
        yield i, k


def _rec(change: dict[str, Any]) -> Record:
    return from_request(change["ResourceRecordSet"])


def _aliases_to(records: list[Record], zone_id: str, name: str, rtype: str) -> list[Record]:
    return [
        r
        for r in records
        if r.get("AliasTarget")
        and r["AliasTarget"]["HostedZoneId"].rpartition("/")[2] == zone_id
        and norm_name(r["AliasTarget"]["DNSName"]) == name
        and r["Type"] == rtype
    ]


def _remains(records: list[Record], name: str, rtype: str) -> bool:
    return any(r["Name"] == name and r["Type"] == rtype for r in records)


def alias_target_problems(
    zone_id: str,
    changes: list[dict[str, Any]],
    before: list[Record],
    after: list[Record],
    reading: str,
) -> list[str]:
    problems = []
    for i, k in _deletions(changes):
        name, rtype, _ = k
        if reading == "end_of_batch":
            state = after
        else:  # the zone as it stands right after this change
            current = {key(r): r for r in before}
            for change in changes[: i + 1]:
                rec = _rec(change)
                if change["Action"] == "DELETE":
                    current.pop(key(rec), None)
                else:
                    current[key(rec)] = rec
            state = list(current.values())
        if _remains(state, name, rtype):
            continue
        for alias in _aliases_to(state, zone_id, name, rtype)[:1]:
            problems.append(
                f"ALIAS_TARGET_CHECK: Tried to delete resource record set {describe(k)}, but "
                f"the alias record {describe(key(alias))} in this hosted zone points to it. "
                "To delete the record, first delete or change the alias record."
            )
    return problems


def active_record_problems(
    zone_id: str,
    changes: list[dict[str, Any]],
    before: list[Record],
    after: list[Record],
    cloudfront: set[str],
) -> list[str]:
    problems = []
    for _, k in _deletions(changes):
        name, rtype, _ = k
        if _remains(after, name, rtype):
            continue  # another record with the same name and type answers the queries
        aliases = _aliases_to(before, zone_id, name, rtype)
        source = (
            f"the alias record {describe(key(aliases[0]))}"
            if aliases
            else ("a CloudFront distribution's origin" if name in cloudfront else None)
        )
        if source is not None:
            problems.append(
                f"ACTIVE_RECORD_CHECK: Tried to delete resource record set {describe(k)}, but "
                f"it still receives DNS queries ({source} points to it) and no other record "
                "with the same name and type remains. Point the queries elsewhere first, then "
                "delete the record."
            )
    return problems


def occlusion_problems(
    zone_name: str, changes: list[dict[str, Any]], after: list[Record]
) -> list[str]:
    """A change that leaves records under a delegated subdomain (an NS record below the apex)."""
    cuts = {r["Name"] for r in after if r["Type"] == "NS" and r["Name"] != zone_name}
    problems = []
    for change in changes:
        if change["Action"] == "DELETE":
            continue
        rec = _rec(change)
        for cut in cuts:
            below = rec["Name"].endswith("." + cut) or (
                rec["Name"] == cut and rec["Type"] not in ("NS", "DS")
            )
            hidden = (
                rec["Type"] == "NS"
                and rec["Name"] == cut
                and any(r["Name"].endswith("." + cut) for r in after)
            )
            if below or hidden:
                problems.append(
                    f"NS_OCCLUSION_CHECK: The change to {describe(key(rec))} leaves records under "
                    f"the delegated subdomain {cut}, where resolvers never use them. Move the "
                    "records to the hosted zone of the subdomain, or remove the delegation."
                )
    return problems
