"""Desired state: the records that should exist, derived purely from the resolved routes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from geoproxy.catalog import Catalog
from geoproxy.failover import Failover, resolve
from geoproxy.policy import Application
from geoproxy.records import AliasTarget, FailoverRecord, LatencyRecord, pop_name
from geoproxy.routing import AppRouting, Route
from geoproxy.state import StateRecord, state_name


@dataclass(frozen=True)
class DesiredRecord:
    record: LatencyRecord | FailoverRecord | StateRecord
    route: Route | None = None  # why a latency record points where it does


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

    def by_key(self) -> dict[tuple[str, str], DesiredRecord]:
        """Latency records keyed by (type, source region)."""
        return {(d.record.record_type, d.route.source_region): d
                for d in self.records if d.route is not None}

    def all_records(self) -> tuple[DesiredRecord, ...]:
        return (*self.pairs, *self.records, *((self.state,) if self.state else ()))

    def manages(self, name: str) -> bool:
        """Names where geoproxy keeps records for this application: the record itself, its
        PoP pairs (owned ones are deleted when no longer wanted) and its state record."""
        return (name in (self.record_name, state_name(self.record_name))
                or name.endswith("._failover." + self.record_name))


def _alias_to_pop(app: Application, pop: str, catalog: Catalog,
                  evaluate_target_health: bool) -> AliasTarget:
    return AliasTarget(app.pops[pop].target, app.hosted_zone_id_of(pop, catalog),
                       evaluate_target_health)


def desired_app(
    routing: AppRouting, catalog: Catalog, failovers: Iterable[Failover] = (),
    zone_id: str | None = None, health_check_ids: Mapping[str, str] | None = None,
) -> DesiredApp:
    """`routing` must already have the failovers applied (see failover.apply_overlay).

    With `auto_failover`, each source's latency record aliases to its policy PoP's pair
    (`<pop>._failover.<record>`, in the same zone, so `zone_id` is needed), and failovers
    rewrite only the pairs: PRIMARY answers while its target is healthy, else SECONDARY.
    A PRIMARY whose PoP has a health check carries its id (`health_check_ids`, by PoP).
    """
    health_check_ids = health_check_ids or {}
    app = routing.app
    active = tuple(failovers)
    overlay = {failover.from_pop: failover for failover in active}
    records, pairs = [], []
    for record_type in app.record_types:
        for route in routing.routes:
            if app.auto_failover:
                assert zone_id, "auto_failover aliases into the application's own zone"
                pair = pop_name(route.base_pop or route.pop, app.record)
                target = AliasTarget(pair, zone_id, False)
            else:
                target = _alias_to_pop(app, route.pop, catalog, app.evaluate_target_health)
            records.append(DesiredRecord(
                LatencyRecord(app.record, record_type, route.source_region, target), route))
        if not app.auto_failover:
            continue
        for pop in app.pops:
            chain = resolve(pop, overlay)
            effective = chain[-1].to_pop if chain else pop
            # A manual failover is the operator's decision: both halves point where it says.
            partner = effective if chain else app.pops[pop].failover_to or pop
            for role, target_pop, health in (("PRIMARY", effective, True),
                                             ("SECONDARY", partner, False)):
                check = health_check_ids.get(target_pop) if role == "PRIMARY" else None
                pairs.append(DesiredRecord(FailoverRecord(
                    pop_name(pop, app.record), record_type, role,
                    _alias_to_pop(app, target_pop, catalog, health), target_pop, check)))
    state = DesiredRecord(StateRecord.of(app.record, active)) if active else None
    return DesiredApp(app.name, app.zone, app.zone_id, app.record, tuple(app.record_types),
                      tuple(records), state, tuple(pairs))
