"""The plan: a pure diff between desired records and the live records at each managed name.

Like external-dns's plan, calculation is separate from policy about what may be done: the diff
lists creates, updates (old and new) and deletes of owned records, plus conflicts with records
geoproxy does not own; safety rules then inspect the finished plan and may refuse it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from geoproxy.core.cloudfront import DistributionPlan
from geoproxy.core.desired import DesiredApp, DesiredRecord
from geoproxy.core.edgeplan import FunctionPlan
from geoproxy.core.failover import Failover
from geoproxy.core.healthchecks import HealthCheckPlan, HealthCheckSpec, LiveHealthCheck
from geoproxy.core.orphans import Orphan, belongs_to
from geoproxy.core.records import (
    LiveRecord,
    OwnedAliasRecord,
    RecordKey,
    base_key,
    canonical,
    routing_policy_of,
    slot_of,
)
from geoproxy.core.state import StateRecord, is_state_record, overlay_of, state_name

Action = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class LiveApp:
    """What `live` read for one application: its zone and every record at its name."""

    zone_id: str
    zone_name: str
    records: tuple[LiveRecord, ...]

    def state_record(self, record_name: str) -> LiveRecord | None:
        """geoproxy's failover state record for the application at `record_name`, if any."""
        return next((record for record in self.records
                     if is_state_record(record, record_name)), None)

    def overlay(self, record_name: str) -> dict[str, Failover]:
        return overlay_of(self.state_record(record_name))

    def split(self, wanted: Mapping[str, tuple[str, Iterable[str]]]) -> dict[str, LiveApp]:
        """What each application keeps in a zone read whole: its record, the names below
        it, and its viewer alias names; `wanted` maps each application to (record name,
        alias names). One pass, walking each name's suffixes: a zone of 10,000 records
        and 300 applications costs 10,000 short walks, not 3,000,000 comparisons."""
        by_record = {record: app for app, (record, _) in wanted.items()}
        by_alias: dict[str, list[str]] = {}
        for app, (_, aliases) in wanted.items():
            for alias in set(aliases):
                by_alias.setdefault(alias, []).append(app)
        found: dict[str, list[LiveRecord]] = {app: [] for app in wanted}
        for record in self.records:
            apps = [*by_alias.get(record.name, ())]
            owner = next((by_record[suffix] for suffix in suffixes(record.name)
                          if suffix in by_record), None)
            if owner is not None and owner not in apps:
                apps.append(owner)
            for app in apps:
                found[app].append(record)
        return {app: LiveApp(self.zone_id, self.zone_name, tuple(records))
                for app, records in found.items()}


def suffixes(name: str) -> Iterator[str]:
    """The name and every name above it: a.b.c, b.c, c."""
    while True:
        yield name
        if "." not in name:
            return
        name = name.split(".", 1)[1]


@dataclass(frozen=True)
class RecordChange:
    action: Action
    name: str
    record_type: str
    source_region: str | None
    old: LiveRecord | None = None
    new: DesiredRecord | None = None
    note: str = ""
    # An adopted record at a viewer alias keeps answering until the viewer record replaces
    # it, in the same batch, after the distribution carries the alias.
    with_viewers: bool = False

    @property
    def after_distribution(self) -> bool:
        """A viewer alias record may point at the distribution only once it carries the
        alias, and a direct PoP name may go only once no origin uses it: these wait until
        the distribution is updated."""
        if self.with_viewers:
            return True
        if self.new is not None:
            record = self.new.record
            return isinstance(record, OwnedAliasRecord) and record.role == "viewer"
        # The origin group's fallback keeps resolving until the distribution stops using it.
        return self.old is not None and self.old.base_identifier == "geoproxy:direct"

    @property
    def slot(self) -> str:
        """PRIMARY or SECONDARY for the records of an auto-failover pair, else empty."""
        record_set = self.new.record.to_route53() if self.new else (self.old.raw if self.old
                                                                    else {})
        return str(record_set.get("Failover", ""))

    def route53_changes(self) -> list[dict[str, Any]]:
        """The ChangeResourceRecordSets entries, in order; DELETE+CREATE makes every
        update compare-and-swap: it fails atomically if the record changed since it was read."""
        entries = []
        if self.old is not None:
            entries.append({"Action": "DELETE", "ResourceRecordSet": self.old.raw})
        if self.new is not None:
            entries.append({"Action": "CREATE", "ResourceRecordSet": self.new.record.to_route53()})
        return entries


@dataclass(frozen=True)
class Conflict:
    record: LiveRecord
    reason: str


@dataclass
class AppPlan:
    name: str
    zone_id: str
    zone_name: str
    record_name: str
    changes: list[RecordChange] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unchanged: list[DesiredRecord] = field(default_factory=list)
    untouched: list[LiveRecord] = field(default_factory=list)
    # Route 53 health checks to create before the records and delete after them.
    health_checks: HealthCheckPlan = field(default_factory=HealthCheckPlan)
    distribution: DistributionPlan | None = None  # the CloudFront side, when configured
    function: FunctionPlan | None = None  # the edge fence's function, for viewer_countries


@dataclass
class Plan:
    apps: list[AppPlan]
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # found while resolving failovers
    # Records of the policy's owner that no application manages (listed on unscoped runs);
    # with `pruning`, the plan also deletes them (one AppPlan per orphan, see prune_plan).
    orphans: list[Orphan] = field(default_factory=list)
    pruning: bool = False

    @property
    def changes(self) -> list[RecordChange]:
        return [change for app in self.apps for change in app.changes]

    @property
    def conflicts(self) -> list[Conflict]:
        return [conflict for app in self.apps for conflict in app.conflicts]

    @property
    def health_checks_to_create(self) -> list[HealthCheckSpec]:
        return [spec for app in self.apps for spec in app.health_checks.create]

    @property
    def health_checks_to_delete(self) -> list[LiveHealthCheck]:
        return [check for app in self.apps for check in app.health_checks.delete]

    @property
    def health_checks_to_tag(self) -> list[tuple[HealthCheckSpec, str]]:
        return [entry for app in self.apps for entry in app.health_checks.tag]

    @property
    def distributions(self) -> list[DistributionPlan]:
        """Distributions whose config apply must update."""
        return [app.distribution for app in self.apps
                if app.distribution is not None and app.distribution.changes]

    @property
    def functions(self) -> list[FunctionPlan]:
        """Edge fence functions apply must write or publish."""
        return [app.function for app in self.apps
                if app.function is not None and app.function.has_changes]

    @property
    def has_changes(self) -> bool:
        return bool(self.changes or self.health_checks_to_create
                    or self.health_checks_to_delete or self.health_checks_to_tag
                    or self.distributions or self.functions)

    def summary(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "delete": 0}
        for change in self.changes:
            counts[change.action] += 1
        counts["unchanged"] = sum(len(app.unchanged) for app in self.apps)
        counts["conflicts"] = len(self.conflicts)
        counts["health_checks_to_create"] = len(self.health_checks_to_create)
        counts["health_checks_to_delete"] = len(self.health_checks_to_delete)
        counts["distribution_fields"] = sum(len(d.changes) for d in self.distributions)
        counts["functions"] = len(self.functions)
        counts["orphans"] = 0 if self.pruning else sum(len(o.records) for o in self.orphans)
        return counts


def _policy_and_slot(desired: DesiredRecord) -> tuple[str, str]:
    record_set = desired.record.to_route53()
    return routing_policy_of(record_set), slot_of(record_set)


def _conflict(record: LiveRecord, wanted_here: list[DesiredRecord], state: str,
              wanted_names: set[str]) -> tuple[str | None, DesiredRecord | None]:
    """Why a record geoproxy does not own is in the way (None: it may stay), and the desired
    record it holds the place of, when it is the same kind of record in the same slot."""
    if record.record_type == "CNAME" and record.name in wanted_names:
        return "a CNAME cannot share its name with geoproxy's records", None
    if not wanted_here:
        return None, None
    policy, _ = _policy_and_slot(wanted_here[0])
    if record.name == state:
        return "geoproxy keeps its failover state here", None
    whose = (f"of geoproxy owner {record.owner!r}" if record.owner
             else "that geoproxy does not own")
    if policy == "weighted" and record.routing_policy == "weighted":
        # geoproxy's one-member weighted record must be the only one, or Route 53 would share
        # the answers with this record.
        return f"a weighted record {whose} would share the answers", None
    if record.routing_policy != policy:
        return (f"a {record.routing_policy} record; Route 53 cannot mix it with {policy} "
                "records at the same name and type"), None
    for desired in wanted_here:
        if _policy_and_slot(desired)[1] == record.slot:
            where = f" for {record.slot}" if record.slot else ""
            return f"a {policy} record{where} {whose}", desired
    return None, None


def _same(live: LiveRecord, desired: DesiredRecord) -> bool:
    if isinstance(desired.record, StateRecord):
        # The state is what it says, however its text was split or its TTL set.
        return overlay_of(live) == {f.from_pop: f for f in desired.record.failovers}
    return canonical(live.raw) == canonical(desired.record.to_route53())


def _only_caller(live: LiveRecord, state: StateRecord) -> bool:
    """The live state differs from the desired one only by the caller older geoproxies
    published in it."""
    anonymous = {pop: dataclasses.replace(f, by="") for pop, f in overlay_of(live).items()}
    return anonymous == {f.from_pop: f for f in state.failovers}


def _delete_note(record: LiveRecord, desired: DesiredApp) -> str:
    if record.name == state_name(desired.record_name):
        return "no failover is active any more"
    if record.base_identifier == "geoproxy:viewer":
        if record.name in desired.viewer_names and record.record_type == "AAAA" and any(
                viewer.record.name == record.name for viewer in desired.viewers):
            return "the distribution no longer has IPv6 enabled"
        return "no longer an alias of the distribution"
    if record.base_identifier == "geoproxy:direct":
        return "origin failover no longer uses this PoP"
    if record.name != desired.record_name:
        return "PoP pair no longer needed"
    if record.record_type not in desired.record_types:
        return "record type no longer managed"
    return "source region left the policy"


def calculate_app(desired: DesiredApp, live: LiveApp, *, adopt: bool = False) -> AppPlan:
    """Creates, updates and deletes that make geoproxy's records at the application's names
    match `desired`; records geoproxy does not own are conflicts or left untouched."""
    plan = AppPlan(desired.name, live.zone_id, live.zone_name, desired.record_name)
    # Matched without the owner marker, so a record written before owners is claimed (an
    # update that rewrites its SetIdentifier) rather than created beside.
    wanted = {base_key(d.record.to_route53()): d for d in desired.all_records()}
    wanted_at: dict[tuple[str, str], list[DesiredRecord]] = {}
    for (name, record_type, _), desired_record in wanted.items():
        wanted_at.setdefault((name, record_type), []).append(desired_record)
    wanted_names = {name for name, _ in wanted_at}
    state = state_name(desired.record_name)
    owned: dict[RecordKey, LiveRecord] = {}
    replacing: dict[RecordKey, LiveRecord] = {}

    for record in live.records:
        if not desired.manages(record.name):
            continue
        if is_state_record(record, desired.record_name):
            owned[record.base_key] = record
            continue
        if record.ours(desired.owner):
            # Only the application's own records: below an apex record lies the whole zone,
            # and another application's orphans there are deleted by --prune or not at all.
            if record.name in desired.viewer_names or belongs_to(record, desired.record_name):
                owned[record.base_key] = record
            continue
        reason, displaced = _conflict(record, wanted_at.get((record.name, record.record_type), []),
                                      state, wanted_names)
        if reason is None:
            plan.untouched.append(record)
        elif not adopt:
            plan.conflicts.append(Conflict(record, reason))
        elif displaced is not None:
            replacing[base_key(displaced.record.to_route53())] = record
        else:
            plan.changes.append(RecordChange("delete", record.name, record.record_type,
                                             record.region, old=record,
                                             note=f"adopted: {reason}",
                                             with_viewers=record.name in desired.viewer_names))

    for key, desired_record in wanted.items():
        current = owned.get(key) or replacing.get(key)
        region = desired_record.route.source_region if desired_record.route else None
        if current is None:
            plan.changes.append(RecordChange("create", key[0], key[1], region,
                                             new=desired_record))
        elif owned.get(key) is current and _same(current, desired_record):
            plan.unchanged.append(desired_record)
        else:
            note = ("" if owned.get(key) is current
                    else "adopted: replaces a record it did not own")
            if not note and current.owned and current.owner is None:
                note = f"claimed for owner {desired.owner!r} (written before owners)"
            if not note and isinstance(desired_record.record, StateRecord) and _only_caller(
                    current, desired_record.record):
                note = "stops publishing who declared the failover (the audit log keeps it)"
            plan.changes.append(RecordChange("update", key[0], key[1], region,
                                             old=current, new=desired_record, note=note))
    for key, record in owned.items():
        if key not in wanted and not desired.manages_cloudfront and (
                record.base_identifier == "geoproxy:direct"):
            # A distribution geoproxy no longer manages may still use it as a fallback origin.
            plan.untouched.append(record)
        elif key not in wanted:
            plan.changes.append(RecordChange("delete", record.name, record.record_type,
                                             record.region, old=record,
                                             note=_delete_note(record, desired)))

    plan.changes.sort(key=lambda change: batch_order(change, desired.record_name))
    return plan


def batch_order(change: RecordChange, record_name: str) -> tuple[Any, ...]:
    """Route 53 checks each change against the state the earlier ones left, and an alias to
    a name in the same zone needs its target to exist. So: records being replaced or
    adopted, and latency records being removed, go first (an adopted CNAME must be gone
    before its replacements exist); then the names below the record (PoP pairs, direct
    names, state); then the latency records that alias to them; then geoproxy's own records
    below the record that nothing aliases to any more."""
    at_record = change.name == record_name
    owned_leftover = (change.action == "delete" and not at_record
                      and change.old is not None and change.old.owned)
    if change.action == "delete" and not owned_leftover:
        rank = 0
    elif owned_leftover:
        rank = 3
    else:
        rank = 2 if at_record else 1
    return (rank, change.action != "update", change.name, change.record_type,
            change.source_region or "", change.slot)


def prune_plan(orphan: Orphan) -> AppPlan:
    """The plan that deletes an orphan: its records (those aliasing to others first) and
    then its health checks."""
    plan = AppPlan(orphan.name, orphan.zone_id, orphan.zone_name, orphan.root)
    plan.changes = sorted(
        (RecordChange("delete", record.name, record.record_type, record.region, old=record,
                      note=f"orphan: no application of the policy has {orphan.root}")
         for record in orphan.records),
        key=lambda change: batch_order(change, orphan.root))
    plan.health_checks = HealthCheckPlan(delete=list(orphan.health_checks))
    return plan


# --- safety rules: each looks at a finished plan and returns reasons to refuse it -----------

SafetyRule = Callable[[Plan], list[str]]


def refuse_conflicts(plan: Plan) -> list[str]:
    return [
        f"{app.name}: {conflict.record.describe()} is in the way: {conflict.reason}"
        for app in plan.apps
        for conflict in app.conflicts
    ]


def refuse_problems(plan: Plan) -> list[str]:
    """Problems found on the way (e.g. a failover that breaks a compliance rule)."""
    return list(plan.problems)


DEFAULT_RULES: tuple[SafetyRule, ...] = (refuse_problems, refuse_conflicts)


def check(plan: Plan, rules: Iterable[SafetyRule] = DEFAULT_RULES) -> list[str]:
    return [problem for rule in rules for problem in rule(plan)]


# --- the mass-deletion guard: refused unless --force ------------------------------------------

# As octoDNS's safety net: only from 10 existing records, and past 30% of them (or all).
GUARD_MIN_RECORDS = 10
GUARD_MAX_SHARE = 0.30


@dataclass(frozen=True)
class MassDeletion:
    app: str
    deleting: int  # owned routing records removed and not replaced
    of: int  # owned routing records live now

    def describe(self) -> str:
        share = round(100 * self.deleting / self.of)
        return (f"{self.app}: the plan deletes {self.deleting} of its {self.of} routing "
                f"records ({share}%, over the {round(100 * GUARD_MAX_SHARE)}% guard)")


def mass_deletions(plan: Plan) -> list[MassDeletion]:
    """Applications whose plan deletes more than 30% (or all) of at least 10 routing records
    geoproxy owns. An update is not a deletion, and the failover state record is not a
    routing record; failover and failback never run this guard (their moves are
    deliberate)."""
    found = []
    for app in plan.apps:
        def routing(record: LiveRecord | None) -> bool:
            return record is not None and record.owned

        deleting = sum(1 for c in app.changes if c.action == "delete" and routing(c.old))
        updating = sum(1 for c in app.changes if c.action == "update" and routing(c.old))
        unchanged = sum(1 for d in app.unchanged if not isinstance(d.record, StateRecord))
        existing = deleting + updating + unchanged
        if existing >= GUARD_MIN_RECORDS and deleting and (
                deleting > GUARD_MAX_SHARE * existing or deleting == existing):
            found.append(MassDeletion(app.name, deleting, existing))
    return found
