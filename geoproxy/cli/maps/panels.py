"""What the routing map shows, in words: a panel per application from the policy's routes
(`routes`) or from live Route 53 (`status`), with the tooltip and heading texts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from geoproxy import __version__
from geoproxy.cli.maps.geometry import LonLat
from geoproxy.cli.maps.model import (
    MapDocument,
    MapPanel,
    MapPop,
    MapRoute,
    PopState,
    policy_style,
    status_style,
)
from geoproxy.cli.render import _why
from geoproxy.core.routing import AppRouting, Route
from geoproxy.core.status import AppStatus, RegionStatus
from geoproxy.pipeline import Compiled
from geoproxy.policy.catalog import Catalog

OFFLINE = "this file fetches nothing: no script, no font, no image from anywhere"


def locations(catalog: Catalog) -> dict[str, LonLat]:
    return {name: (info.longitude, info.latitude) for name, info in catalog.regions.items()}


def _place(region: str, catalog: Catalog) -> str:
    info = catalog.regions.get(region)
    return f"{region} ({info.metro})" if info else region


def _fences(route: Route | None) -> str:
    if route is None or not route.compliance:
        return ""
    return "; inside compliance fence " + ", ".join(route.compliance)


def _pops(
    routing: AppRouting, catalog: Catalog, states: dict[str, PopState] | None = None
) -> tuple[MapPop, ...]:
    states = states or {}
    pops = [
        MapPop(region, states.get(region, "pop"), f"PoP {_place(region, catalog)}: {pop.target}")
        for region, pop in routing.app.pops.items()
    ]
    pops += [
        MapPop(region, state, f"{_place(region, catalog)}: a live target, not a PoP of the policy")
        for region, state in states.items()
        if region not in routing.app.pops
    ]
    return tuple(pops)


def routes_document(compiled: Compiled, policy_file: Path) -> MapDocument:
    catalog = compiled.catalog
    panels = []
    for routing in compiled.routing.applications:
        routes = []
        for route in routing.routes:
            style, fence = policy_style(route)
            note = (
                f"{_place(route.source_region, catalog)} → {_place(route.pop, catalog)}: "
                f"{_why(route)}{_fences(route)}"
            )
            routes.append(MapRoute(route.source_region, route.pop, style, fence, note))
        forced = sum(1 for route in routing.routes if route.reason == "forced")
        fences = {
            rule.name: sum(1 for route in routing.routes if rule.name in route.compliance)
            for rule in routing.app.compliance
        }
        subtitle = " · ".join(
            [
                routing.app.record,
                f"{len(routing.routes)} source regions → {len(routing.app.pops)} PoPs",
                f"{forced} forced",
                *(f"{count} inside fence {name}" for name, count in fences.items()),
            ]
        )
        panels.append(MapPanel(routing.app.name, subtitle, tuple(routes), _pops(routing, catalog)))
    return MapDocument(
        f"geoproxy routes: {policy_file}",
        f"Where each source region's traffic goes under the policy, offline (geoproxy "
        f"{__version__}); {OFFLINE}. Hover a dot or a line for why.",
        tuple(panels),
        locations(catalog),
    )


def _status_note(records: Sequence[RegionStatus], catalog: Catalog) -> str:
    lines = []
    for record in records:
        live = _place(record.live_pop, catalog) if record.live_pop else "-"
        if record.state == "ok":
            text = f"→ {live}: in sync"
        elif record.state == "failover":
            chain = " → ".join((*(f.from_pop for f in record.failovers), record.effective_pop))
            since = record.failovers[0].at if record.failovers else ""
            text = (
                f"→ {live}: failover {chain}"
                + (f" since {since}" if since else "")
                + f" (the policy says {record.policy_pop})"
            )
        elif record.state == "drift":
            text = f"→ {live}: drift: {record.detail}"
        else:
            text = f"{record.state}: {record.detail}"
        lines.append(f"{record.record_type} {text}")
    return f"{_place(records[0].source_region, catalog)}\n" + "\n".join(lines)


def status_document(
    compiled: Compiled, statuses: Sequence[AppStatus], policy_file: Path, read_at: str
) -> MapDocument:
    catalog = compiled.catalog
    where = locations(catalog)
    panels = []
    for status in statuses:
        routing = compiled.app_routing(status.name)
        by_source: dict[str, list[RegionStatus]] = {}
        for region in status.regions:
            by_source.setdefault(region.source_region, []).append(region)
        states: dict[str, PopState] = {f.from_pop: "failed_away" for f in status.failovers}
        routes = []
        for source, records in by_source.items():
            route = routing.route_for(source)
            style, fence, pop = status_style(records, route)
            if pop is not None and pop in where and pop not in routing.app.pops:
                states.setdefault(pop, "not_in_policy")
            routes.append(
                MapRoute(source, pop, style, fence, _status_note(records, catalog) + _fences(route))
            )
        counts = status.counts()
        moved = [f"failover {f.from_pop} → {f.to_pop} since {f.at}" for f in status.failovers]
        subtitle = " · ".join(
            [
                status.record,
                f"zone {status.zone_name or status.zone_id}",
                ", ".join(
                    f"{count} {'in sync' if state == 'ok' else state}"
                    for state, count in counts.items()
                    if count
                )
                or "no records",
                *moved,
            ]
        )
        panels.append(
            MapPanel(status.name, subtitle, tuple(routes), _pops(routing, catalog, states))
        )
    return MapDocument(
        f"geoproxy status: {policy_file}",
        f"Where each source region's traffic goes now, read from Route 53 at {read_at} and "
        f"compared with the policy (geoproxy {__version__}); {OFFLINE}. "
        "Hover a dot or a line for why.",
        tuple(panels),
        where,
    )
