"""Status: per application and source region, where traffic goes and why it may differ.

Pure: compares what live Route 53 says with the records the policy and the active failovers
want, and names the difference: an active failover (state), drift (a change made outside
geoproxy, or a policy change not yet applied), or records missing or foreign.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from geoproxy.core.desired import DesiredApp, DesiredRecord
from geoproxy.core.edge.function import FenceTable
from geoproxy.core.edge.plan import FunctionPlan
from geoproxy.core.failover import Failover
from geoproxy.core.history import HistoryEntry
from geoproxy.core.live import LiveApp
from geoproxy.core.names import Slot
from geoproxy.core.plan import AppPlan
from geoproxy.core.records import (
    LiveRecord,
    OwnedAliasRecord,
    canonical,
    without_owner,
)
from geoproxy.core.routing import Route
from geoproxy.errors import EXIT_CHANGES, EXIT_FAILOVER_ACTIVE, EXIT_OK, Finding
from geoproxy.policy.catalog import parse_elb_target

State = Literal["ok", "failover", "drift", "missing", "foreign"]


@dataclass(frozen=True)
class RegionStatus:
    source_region: str
    record_type: str
    state: State
    live_pop: str | None  # None: no record of geoproxy's
    live_target: str | None
    policy_pop: str
    effective_pop: str  # the policy's PoP with active failovers applied
    failovers: tuple[Failover, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class EdgeStatus:
    """The edge fence's function as viewers run it (LIVE), against what the policy and the
    failover state want."""

    function: str
    published: bool
    in_sync: bool
    live: FenceTable | None  # None: not published, or code geoproxy did not write
    expected: FenceTable

    @staticmethod
    def of(plan: FunctionPlan) -> EdgeStatus:
        return EdgeStatus(
            plan.name,
            plan.live.live_code is not None,
            plan.live.live_code == plan.function.code,
            plan.table_before,
            plan.table_after,
        )

    def moves(self) -> list[tuple[str, str | None, str | None]]:
        return (self.live or FenceTable({}, None)).moves(self.expected)


@dataclass
class AppStatus:
    name: str
    record: str
    zone_id: str
    failovers: list[Failover]
    zone_name: str = ""
    regions: list[RegionStatus] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # owned records the policy does not want
    edge: EdgeStatus | None = None  # with viewer_countries
    # Why the state record cannot be believed (malformed, self-referential, or failovers no
    # live record follows): reported, never obeyed.
    state_problems: list[str] = field(default_factory=list)
    gated: bool = False  # the state record says its failovers are made by switches
    # What `plan` would refuse for this application as live stands (a breach no override
    # of this run allows, a failover to a PoP the policy no longer has, a cycle).
    refusals: list[Finding] = field(default_factory=list)
    pops: tuple[str, ...] = ()  # the policy's PoPs: which failovers could reach this app
    # With a `cloudfront` section: the distribution's fields `plan` would change, and its
    # viewer alias records that are missing or differ.
    distribution_drift: list[str] = field(default_factory=list)
    viewer: list[str] = field(default_factory=list)
    # Who last wrote it and when: its newest geoproxy batch in Route 53's change history
    # (core/history.py), when its zone has one; and where "who" came from:
    # "route53_history", "audit_log" (the local --audit-log) or "" (nowhere).
    last_write: HistoryEntry | None = None
    who_source: str = ""

    def counts(self) -> dict[str, int]:
        """Rows per state, every state named (zeros too), for the summary line and JSON."""
        found = {state: 0 for state in ("ok", "failover", "drift", "missing", "foreign")}
        for region in self.regions:
            found[region.state] += 1
        return found

    @property
    def healthy(self) -> bool:
        return all(region.state in ("ok", "failover") for region in self.regions)

    @property
    def differs(self) -> bool:
        """Drift, missing or foreign records, owned records the policy does not want, or
        an edge function that does not route as the policy and failovers say."""
        return (
            not self.healthy
            or bool(self.extra)
            or bool(self.state_problems)
            or bool(self.refusals)
            or bool(self.distribution_drift)
            or bool(self.viewer)
            or (self.edge is not None and not self.edge.in_sync)
        )

    @property
    def failed_over(self) -> bool:
        return bool(self.failovers) or any(r.state == "failover" for r in self.regions)


@dataclass(frozen=True)
class PartialFailover:
    """A failover some applications made and others that could have did not: what a
    multi-application failover refused or interrupted after its first batch leaves."""

    from_pop: str
    to_pop: str
    moved: tuple[str, ...]
    not_moved: tuple[str, ...]

    def command(self) -> str:
        """The command that completes it: the same failover, for the ones left."""
        apps = " ".join(f"--app {name}" for name in self.not_moved)
        return f"geoproxy failover --from {self.from_pop} --to {self.to_pop} {apps}"


def partial_failovers(statuses: Sequence[AppStatus]) -> list[PartialFailover]:
    """Failovers `from -> to` active in some applications while others that have both PoPs
    have no failover away from `from` at all. (A failover scoped with --app on purpose looks
    the same from live state: status names both lists, and the person decides.)"""
    found = []
    pairs = sorted({(f.from_pop, f.to_pop) for status in statuses for f in status.failovers})
    for from_pop, to_pop in pairs:
        moved = tuple(
            s.name
            for s in statuses
            if any((f.from_pop, f.to_pop) == (from_pop, to_pop) for f in s.failovers)
        )
        not_moved = tuple(
            s.name
            for s in statuses
            if from_pop in s.pops
            and to_pop in s.pops
            and not any(f.from_pop == from_pop for f in s.failovers)
        )
        if not_moved:
            found.append(PartialFailover(from_pop, to_pop, moved, not_moved))
    return found


def status_exit_code(statuses: list[AppStatus], orphans: Sequence[object] = ()) -> int:
    """`status --detailed-exitcode`: 0 as the policy says; 2 anything differs (orphans too,
    a live breach or anything else `plan` would refuse, a partial failover); 4 only when
    every difference is explained by complete, consistent failovers (state, not drift, but
    cron and alerting want to know)."""
    if orphans or any(status.differs for status in statuses) or partial_failovers(statuses):
        return EXIT_CHANGES
    if any(status.failed_over for status in statuses):
        return EXIT_FAILOVER_ACTIVE
    return EXIT_OK


class _PopNames:
    """Names a live alias target by PoP: a policy PoP's target, an ELB's region, or, for an
    auto-failover pair, the PoP its PRIMARY record answers with."""

    def __init__(self, live: LiveApp, pops_by_target: dict[str, str]) -> None:
        self._pops_by_target = pops_by_target
        self._primaries = {
            record.name: record
            for record in live.records
            if record.owned and record.raw.get("Failover") == "PRIMARY"
        }

    def of(self, record: LiveRecord, depth: int = 0) -> str:
        target = record.alias_target()
        if target is None:
            return record.value_text()
        if target.dns_name in self._pops_by_target:
            return self._pops_by_target[target.dns_name]
        if target.dns_name in self._primaries and depth == 0:
            return self.of(self._primaries[target.dns_name], depth + 1)
        elb = parse_elb_target(target.dns_name)
        return elb.region if elb else target.dns_name


def differing_fields(live: dict[str, Any], wanted: dict[str, Any]) -> str:
    """Which alias fields of a record at the right PoP differ from the policy's, named."""
    have, want = live.get("AliasTarget") or {}, wanted.get("AliasTarget") or {}
    found = []
    if str(have.get("DNSName", "")).lower().rstrip(".") != str(
        want.get("DNSName", "")
    ).lower().rstrip("."):
        found.append(f"DNSName is {have.get('DNSName')}, the policy says {want.get('DNSName')}")
    for key in ("HostedZoneId", "EvaluateTargetHealth"):
        if have.get(key) != want.get(key):
            found.append(f"{key} is {have.get(key)}, the policy says {want.get(key)}")
    if live.get("HealthCheckId") != wanted.get("HealthCheckId"):
        found.append(
            f"HealthCheckId is {live.get('HealthCheckId')}, the policy says "
            f"{wanted.get('HealthCheckId')}"
        )
    return "; ".join(found) or "the record differs from the policy"


def _answers_alike(live: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Route 53 answers the same for both; a record not yet claimed for the owner is in
    sync (the next apply only rewrites its marker)."""
    return canonical(without_owner(live)) == canonical(without_owner(wanted))


def _broken_pairs(desired: DesiredApp, live: LiveApp) -> dict[str, str]:
    """Auto-failover pair name -> what is wrong with it, for pairs that differ from the
    policy: traffic through them may not go where the policy and failovers say."""
    owned = {record.base_key: record for record in live.records if record.ours(desired.owner)}
    problems: dict[str, str] = {}
    for pair in desired.pairs:
        wanted = pair.record_set.wire
        current = owned.get(pair.record_set.base_key)
        role = wanted.get("Failover", "")
        if current is None:
            problems.setdefault(
                pair.record.name, f"the {role} record of its PoP pair {pair.record.name} is missing"
            )
        elif not _answers_alike(current.raw, wanted):
            problems.setdefault(
                pair.record.name,
                f"the {role} record of its PoP pair {pair.record.name} differs from the policy",
            )
    return problems


def app_status(
    desired: DesiredApp, overlay: dict[str, Failover], live: LiveApp, pops_by_target: dict[str, str]
) -> AppStatus:
    """`desired` must come from the routes with `overlay` applied (pipeline.resolve_app);
    `pops_by_target` names the policy's PoPs by their targets."""
    status = AppStatus(
        desired.name, desired.record_name, live.zone_id, list(overlay.values()), live.zone_name
    )
    names = _PopNames(live, pops_by_target)
    broken_pairs = _broken_pairs(desired, live)
    at_name = [record for record in live.records if record.name == desired.record_name]
    owned = {(r.record_type, r.region): r for r in at_name if r.ours(desired.owner)}
    foreign = {
        (r.record_type, r.region): r for r in at_name if r.is_latency and not r.ours(desired.owner)
    }
    for wanted in desired.records:
        route = wanted.route
        assert route is not None
        key = (wanted.record.record_type, route.source_region)
        record = owned.get(key)
        status.regions.append(
            _missing_region(route, key[0], foreign.get(key), overlay)
            if record is None
            else _live_region(wanted, record, overlay, names, broken_pairs)
        )
    wanted_keys = {
        (d.record.record_type, d.route.source_region) for d in desired.records if d.route
    }
    status.extra = [record.describe() for key, record in owned.items() if key not in wanted_keys]
    return status


def _missing_region(
    route: Route, record_type: str, other: LiveRecord | None, overlay: dict[str, Failover]
) -> RegionStatus:
    """No record of ours for this source region: missing, or held by a record not ours."""
    chain = tuple(overlay[pop] for pop in route.failovers)
    whose = (
        f"of geoproxy owner {other.owner!r}" if other and other.owner else "geoproxy does not own"
    )
    detail = (
        f"a latency record {whose}: {other.describe()}"
        if other
        else "no record; run `geoproxy apply`"
    )
    return RegionStatus(
        route.source_region,
        record_type,
        "foreign" if other else "missing",
        None,
        None,
        route.base_pop or route.pop,
        route.pop,
        chain,
        detail,
    )


def _live_region(
    wanted: DesiredRecord,
    record: LiveRecord,
    overlay: dict[str, Failover],
    names: _PopNames,
    broken_pairs: dict[str, str],
) -> RegionStatus:
    """Our record for this source region, compared with what the policy and failovers want."""
    route = wanted.route
    assert route is not None
    chain = tuple(overlay[pop] for pop in route.failovers)
    live_pop = names.of(record)
    target = record.alias_target()
    pair_problem = broken_pairs.get(target.dns_name) if target else None
    state: State
    if pair_problem:
        state, detail = "drift", pair_problem
    elif _answers_alike(record.raw, wanted.record_set.wire):
        state, detail = ("failover" if chain else "ok"), ""
    else:
        state = "drift"
        detail = (
            f"live points at {live_pop}, expected {route.pop}"
            if live_pop != route.pop
            else differing_fields(record.raw, wanted.record_set.wire)
        )
        detail += ": changed outside geoproxy, or a policy change not yet applied"
    return RegionStatus(
        route.source_region,
        wanted.record.record_type,
        state,
        live_pop,
        target.dns_name if target else None,
        route.base_pop or route.pop,
        route.pop,
        chain,
        detail,
    )


def viewer_differences(plan: AppPlan) -> list[str]:
    """The viewer alias records a plan would create or change: missing, or not pointing
    at the distribution as the policy says."""
    found = []
    for change in plan.changes:
        record = change.new.record if change.new is not None else None
        if not isinstance(record, OwnedAliasRecord) or record.role != Slot.VIEWER.value:
            continue
        what = f"viewer record {change.name} {change.record_type}"
        found.append(f"{what} is missing" if change.action == "create" else f"{what} differs")
    return found
