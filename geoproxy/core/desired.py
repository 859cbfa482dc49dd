"""Desired state: the records that should exist, derived purely from the resolved routes."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from geoproxy.core.cloudfront import DistributionPlan
from geoproxy.core.edge.fence import has_viewer_fence
from geoproxy.core.failover import Failover, resolve
from geoproxy.core.names import direct_name, pop_name
from geoproxy.core.records import (
    AliasTarget,
    FailoverRecord,
    LatencyRecord,
    OwnedAliasRecord,
    RecordSet,
)
from geoproxy.core.routing import AppRouting, Route
from geoproxy.core.state import StateRecord
from geoproxy.policy.catalog import CLOUDFRONT_HOSTED_ZONE_ID, Catalog, ipv6_alias_name
from geoproxy.policy.models import DEFAULT_OWNER, Application


@dataclass(frozen=True)
class DesiredRecord:
    record: LatencyRecord | FailoverRecord | StateRecord | OwnedAliasRecord
    route: Route | None = None  # why a latency record points where it does

    @functools.cached_property
    def record_set(self) -> RecordSet:
        """The record as Route 53 would hold it, in the form live records are compared by."""
        return RecordSet(self.record.to_route53())


@dataclass(frozen=True)
class DesiredApp:
    name: str
    zone: str
    zone_id: str | None
    record_name: str
    record_types: tuple[str, ...]
    records: tuple[DesiredRecord, ...]
    state: DesiredRecord | None = None  # the failover state record, while failovers are active
    pairs: tuple[DesiredRecord, ...] = ()  # auto-failover PoP pairs, when enabled
    directs: tuple[DesiredRecord, ...] = ()  # direct PoP names for CloudFront origin failover
    viewers: tuple[DesiredRecord, ...] = ()  # viewer aliases to the distribution
    viewer_names: tuple[str, ...] = ()  # alias names to read: wanted, and ones being removed
    manages_cloudfront: bool = False  # the policy has a `cloudfront` section for this app
    owner: str = DEFAULT_OWNER  # marked on every record (see records.owned_identifier)

    def all_records(self) -> tuple[DesiredRecord, ...]:
        return (
            *self.pairs,
            *self.records,
            *((self.state,) if self.state else ()),
            *self.directs,
            *self.viewers,
        )

    def manages(self, name: str) -> bool:
        """Names where geoproxy keeps records for this application: the record and every
        name below it (PoP pairs, state, direct names), and its viewer aliases. Only records
        it owns are ever deleted there; others are conflicts or left alone."""
        return (
            name == self.record_name
            or name.endswith("." + self.record_name)
            or name in self.viewer_names
        )


def _alias_to_pop(
    app: Application, pop: str, catalog: Catalog, evaluate_target_health: bool, record_type: str
) -> AliasTarget:
    target = app.pops[pop].target
    if record_type == "AAAA":
        target = ipv6_alias_name(target)
    return AliasTarget(target, app.hosted_zone_id_of(pop, catalog), evaluate_target_health)


def desired_app(
    routing: AppRouting,
    catalog: Catalog,
    failovers: Iterable[Failover] = (),
    zone_id: str | None = None,
    health_check_ids: Mapping[str, str] | None = None,
    distribution: DistributionPlan | None = None,
    owner: str = DEFAULT_OWNER,
    gates: Mapping[str, str] | None = None,
) -> DesiredApp:
    """`routing` must already have the failovers applied (see failover.apply_overlay).

    With `auto_failover`, each source's latency record aliases to its policy PoP's pair
    (`<pop>._failover.<record>`, in the same zone, so `zone_id` is needed), and failovers
    rewrite only the pairs: PRIMARY answers while its target is healthy, else SECONDARY.
    A PRIMARY whose PoP has a health check carries its id (`health_check_ids`, by PoP).

    With data-plane switches, `gates` maps each switch-gated PoP to its RECOVERY_CONTROL
    health check: that PoP gets a pair too (without `auto_failover`, only the switch decides:
    no EvaluateTargetHealth), and its direct name aliases to the pair, so the edge fence's
    viewers follow a switch as the latency records do (core/switches.py).
    """
    health_check_ids = health_check_ids or {}
    gates = gates or {}
    app = routing.app
    active = tuple(failovers)
    overlay = {failover.from_pop: failover for failover in active}

    def paired(pop: str) -> bool:
        return app.auto_failover or pop in gates

    records, pairs = [], []
    for record_type in app.record_types:
        for route in routing.routes:
            if paired(route.base_pop or route.pop):
                assert zone_id, "a failover pair lives in the application's own zone"
                pair = pop_name(route.base_pop or route.pop, app.record)
                target = AliasTarget(pair, zone_id, False)
            else:
                target = _alias_to_pop(
                    app, route.pop, catalog, app.evaluate_target_health, record_type
                )
            records.append(
                DesiredRecord(
                    LatencyRecord(app.record, record_type, route.source_region, target, owner),
                    route,
                )
            )
        pairs.extend(
            _failover_pairs(app, record_type, catalog, overlay, health_check_ids, owner, gates)
        )
    state = DesiredRecord(StateRecord.of(app.record, active)) if active else None
    directs, viewers, viewer_names = _cloudfront_records(
        app, catalog, distribution, owner, (zone_id, gates)
    )
    return DesiredApp(
        app.name,
        app.zone,
        app.zone_id,
        app.record,
        tuple(app.record_types),
        tuple(records),
        state,
        tuple(pairs),
        directs,
        viewers,
        viewer_names,
        app.cloudfront is not None,
        owner,
    )


def _failover_pairs(
    app: Application,
    record_type: str,
    catalog: Catalog,
    overlay: Mapping[str, Failover],
    health_check_ids: Mapping[str, str],
    owner: str,
    gates: Mapping[str, str],
) -> list[DesiredRecord]:
    """Each paired PoP's PRIMARY/SECONDARY pair (`<pop>._failover.<record>`), failovers
    applied: every PoP with `auto_failover`, the switch-gated ones (`gates`) otherwise."""
    pairs = []
    for pop in app.pops:
        if not (app.auto_failover or pop in gates):
            continue
        chain = resolve(pop, overlay)
        effective = chain[-1].to_pop if chain else pop
        # A manual failover is the operator's decision: both halves point where it says.
        # A partner the operator has failed away from is not used either: the pair then
        # answers with its PoP, rather than send traffic to a PoP declared down.
        partner = app.pops[pop].failover_to or pop
        if chain or partner in overlay:
            partner = effective
        for role, target_pop, health in (
            ("PRIMARY", effective, app.auto_failover),
            ("SECONDARY", partner, False),
        ):
            # The switch's RECOVERY_CONTROL check gates the PRIMARY (core/switches.py).
            check = (
                gates.get(target_pop) or health_check_ids.get(target_pop)
                if role == "PRIMARY"
                else None
            )
            pairs.append(
                DesiredRecord(
                    FailoverRecord(
                        pop_name(pop, app.record),
                        record_type,
                        role,
                        _alias_to_pop(app, target_pop, catalog, health, record_type),
                        target_pop,
                        check,
                        owner,
                    )
                )
            )
    return pairs


def in_zone(name: str, zone: str) -> bool:
    return name == zone or name.endswith("." + zone)


def _cloudfront_records(
    app: Application,
    catalog: Catalog,
    distribution: DistributionPlan | None,
    owner: str,
    gated: tuple[str | None, Mapping[str, str]] = (None, {}),
) -> tuple[tuple[DesiredRecord, ...], tuple[DesiredRecord, ...], tuple[str, ...]]:
    """Direct PoP names (origin failover) and viewer aliases to the distribution; viewer
    records exist only for aliases inside the application's zone, and AAAA ones only when
    the distribution has IPv6 enabled."""
    if app.cloudfront is None or distribution is None:
        return (), (), ()
    directs = []
    failover = app.cloudfront.origin_failover
    # The edge fence's function may send a fenced viewer to any PoP (a failover moves them),
    # so every PoP keeps its direct name while viewer countries are fenced.
    pops = sorted(app.pops) if has_viewer_fence(app) else []
    if failover and failover.secondary_pop not in pops:
        pops.append(failover.secondary_pop)
    zone_id, gates = gated
    for pop in pops:
        for record_type in app.record_types:
            # A switch-gated PoP's direct name goes through its pair, so a switch moves the
            # fenced viewers the function sends there, with no republishing.
            target = (
                AliasTarget(pop_name(pop, app.record), zone_id, False)
                if pop in gates and zone_id
                else _alias_to_pop(app, pop, catalog, False, record_type)
            )
            directs.append(
                DesiredRecord(
                    OwnedAliasRecord(
                        direct_name(pop, app.record), record_type, "direct", target, owner
                    )
                )
            )
    target = AliasTarget(distribution.domain_name, CLOUDFRONT_HOSTED_ZONE_ID, False)
    types = ("A", "AAAA") if distribution.ipv6 else ("A",)
    viewers = [
        DesiredRecord(OwnedAliasRecord(alias, record_type, "viewer", target, owner))
        for alias in app.cloudfront.aliases
        if in_zone(alias, app.zone)
        for record_type in types
    ]
    names = {
        alias
        for alias in (*app.cloudfront.aliases, *distribution.live_aliases)
        if in_zone(alias, app.zone)
    }
    return tuple(directs), tuple(viewers), tuple(sorted(names))
