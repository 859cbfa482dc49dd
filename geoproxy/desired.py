"""Desired state: the latency records that should exist, derived purely from the routes."""

from __future__ import annotations

from dataclasses import dataclass

from geoproxy.catalog import Catalog
from geoproxy.records import AliasTarget, LatencyRecord
from geoproxy.routing import AppRouting, Route


@dataclass(frozen=True)
class DesiredRecord:
    record: LatencyRecord
    route: Route  # why the record points where it does, for plans and status


@dataclass(frozen=True)
class DesiredApp:
    name: str
    zone: str
    zone_id: str | None
    record_name: str
    record_types: tuple[str, ...]
    records: tuple[DesiredRecord, ...]


def desired_app(routing: AppRouting, catalog: Catalog) -> DesiredApp:
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
    return DesiredApp(
        app.name, app.zone, app.zone_id, app.record, tuple(app.record_types), tuple(records)
    )
