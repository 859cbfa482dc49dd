"""Desired state: the records that should exist, derived purely from the resolved routes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from geoproxy.catalog import Catalog
from geoproxy.failover import Failover
from geoproxy.records import AliasTarget, LatencyRecord
from geoproxy.routing import AppRouting, Route
from geoproxy.state import StateRecord


@dataclass(frozen=True)
class DesiredRecord:
    record: LatencyRecord | StateRecord
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

    def by_key(self) -> dict[tuple[str, str], DesiredRecord]:
        """Latency records keyed by (type, source region)."""
        return {(d.record.record_type, d.route.source_region): d
                for d in self.records if d.route is not None}


def desired_app(
    routing: AppRouting, catalog: Catalog, failovers: Iterable[Failover] = ()
) -> DesiredApp:
    """`routing` must already have the failovers applied (see failover.apply_overlay)."""
    app = routing.app
    records = []
    for record_type in app.record_types:
        for route in routing.routes:
            pop = app.pops[route.pop]
            target = AliasTarget(
                pop.target, app.hosted_zone_id_of(route.pop, catalog), app.evaluate_target_health
            )
            records.append(
                DesiredRecord(LatencyRecord(app.record, record_type, route.source_region, target),
                              route)
            )
    active = tuple(failovers)
    state = DesiredRecord(StateRecord.of(app.record, active)) if active else None
    return DesiredApp(app.name, app.zone, app.zone_id, app.record, tuple(app.record_types),
                      tuple(records), state)
