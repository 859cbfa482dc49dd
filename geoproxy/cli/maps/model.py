"""The routing map's model: which style each route gets, and where everything goes on a panel.

Pure. A panel is one application: a dot per source region, a line to the PoP its traffic
reaches, a marker per PoP. The style of a line says why it goes there: the policy's reason
(nearest, forced, inside a compliance fence) for `routes` and for live records in sync, or
what live Route 53 says (a failover moved it, it drifted, the record is missing or not
geoproxy's) for `status`. The SVG text itself is the render layer's business.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from geoproxy.cli.maps.geometry import (
    XY,
    Frame,
    LabelRequest,
    LonLat,
    PlacedLabel,
    dot_box,
    fan_out,
    place_labels,
    route_line,
)
from geoproxy.core.routing import Route
from geoproxy.core.status import RegionStatus, State

Style = Literal["nearest", "forced", "fenced", "failover", "drift", "missing", "foreign"]
PopState = Literal["pop", "failed_away", "not_in_policy"]

# The order of the legend, and which style wins when a region's records disagree.
STYLES: tuple[Style, ...] = (
    "nearest",
    "forced",
    "fenced",
    "failover",
    "drift",
    "missing",
    "foreign",
)
POP_STATES: tuple[PopState, ...] = ("pop", "failed_away", "not_in_policy")
_WORST_FIRST: tuple[State, ...] = ("missing", "foreign", "drift", "failover", "ok")

SOURCE_RADIUS = 3.0
POP_RADIUS = 6.5
SOURCE_LABEL_PX = 9.5
POP_LABEL_PX = 11.5


@dataclass(frozen=True)
class MapRoute:
    source: str
    pop: str | None  # where its line goes; None: no line (no record of geoproxy's there)
    style: Style
    fence: str = ""  # the compliance rule whose fence the source is inside, if any
    note: str = ""  # why, for the tooltip


@dataclass(frozen=True)
class MapPop:
    region: str
    state: PopState = "pop"
    note: str = ""


@dataclass(frozen=True)
class MapPanel:
    title: str
    subtitle: str
    routes: tuple[MapRoute, ...]
    pops: tuple[MapPop, ...]


@dataclass(frozen=True)
class MapDocument:
    """What one file shows: a heading, a note under it, and a panel per application."""

    title: str
    note: str
    panels: tuple[MapPanel, ...]
    locations: Mapping[str, LonLat]  # region -> (lon, lat), from the region catalog


def policy_style(route: Route) -> tuple[Style, str]:
    """The line style for a route of the policy, and its fence. `force` is the decision a
    reviewer most wants to see, so it wins over the fence colour; the fence still shows on
    the source's dot."""
    fence = route.compliance[0] if route.compliance else ""
    if route.reason == "forced":
        return "forced", fence
    if route.reason == "failover":
        return "failover", fence
    return ("fenced" if fence else "nearest"), fence


def status_style(
    records: Sequence[RegionStatus], route: Route | None
) -> tuple[Style, str, str | None]:
    """Style, fence and line end for one source region from its live records (one per
    record type): the worst state wins, so an AAAA record that drifted is not hidden by
    its A record being in sync. Records in sync keep the policy's style."""
    worst = min(records, key=lambda record: _WORST_FIRST.index(record.state))
    fence = route.compliance[0] if route and route.compliance else ""
    if worst.state in ("missing", "foreign"):
        return worst.state, fence, None
    if worst.state in ("failover", "drift"):
        return worst.state, fence, worst.live_pop
    style = policy_style(route)[0] if route else "nearest"
    return style, fence, worst.live_pop


# --- layout ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteShape:
    route: MapRoute
    dot: XY
    lines: tuple[tuple[XY, ...], ...]  # none, one, or two pieces cut at the antimeridian


@dataclass(frozen=True)
class PopShape:
    pop: MapPop
    at: XY


@dataclass(frozen=True)
class PanelLayout:
    panel: MapPanel
    frame: Frame
    routes: tuple[RouteShape, ...]
    pops: tuple[PopShape, ...]
    labels: tuple[PlacedLabel, ...]
    unlocated: tuple[str, ...]  # regions the catalog cannot place: listed, not drawn
    styles: tuple[Style, ...]  # the line styles in use, in legend order
    fences: tuple[str, ...]  # the fences in use, in order met
    pop_states: tuple[PopState, ...]


def layout(panel: MapPanel, locations: Mapping[str, LonLat], frame: Frame) -> PanelLayout:
    """Project a panel: dots, lines, PoP markers and non-colliding labels."""
    located_pops = [pop for pop in panel.pops if pop.region in locations]
    pop_at = {pop.region: frame.xy(*locations[pop.region]) for pop in located_pops}
    sources = [route for route in panel.routes if route.source in locations]
    # A source that is itself a PoP sits under the PoP's marker; the others spread out
    # where they share a pixel.
    loose = [route for route in sources if route.source not in pop_at]
    spread = dict(
        zip(
            (route.source for route in loose),
            fan_out([frame.xy(*locations[route.source]) for route in loose]),
            strict=True,
        )
    )
    shapes = []
    for route in sources:
        dot = pop_at.get(route.source) or spread[route.source]
        lines: list[list[XY]] = []
        if route.pop is not None and route.pop in locations:
            lines = route_line(frame, locations[route.source], locations[route.pop])
            if lines:
                lines[0][0] = dot
        shapes.append(RouteShape(route, dot, tuple(tuple(line) for line in lines)))
    pops = tuple(PopShape(pop, pop_at[pop.region]) for pop in located_pops)
    labels = _labels(
        tuple((pop.region, pop_at[pop.region]) for pop in located_pops),
        tuple(
            (shape.route.source, shape.dot) for shape in shapes if shape.route.source not in pop_at
        ),
        frame,
    )
    unlocated = tuple(
        dict.fromkeys(
            [route.source for route in panel.routes if route.source not in locations]
            + [pop.region for pop in panel.pops if pop.region not in locations]
        )
    )
    used = {route.style for route in sources}
    fences = tuple(dict.fromkeys(route.fence for route in sources if route.fence))
    states = {pop.state for pop in located_pops}
    return PanelLayout(
        panel,
        frame,
        tuple(shapes),
        pops,
        labels,
        unlocated,
        tuple(style for style in STYLES if style in used),
        fences,
        tuple(state for state in POP_STATES if state in states),
    )


def _labels(
    pops: tuple[tuple[str, XY], ...], sources: tuple[tuple[str, XY], ...], frame: Frame
) -> tuple[PlacedLabel, ...]:
    """PoPs are labelled first, then sources from the most crowded spot outwards, so the
    dense places (Europe, the US east) choose before their free neighbours take the room."""
    obstacles = [dot_box(at, POP_RADIUS) for _, at in pops] + [
        dot_box(at, SOURCE_RADIUS) for _, at in sources
    ]

    def crowding(item: tuple[str, XY]) -> int:
        x, y = item[1]
        return sum(1 for _, (ox, oy) in sources if abs(ox - x) < 60 and abs(oy - y) < 30)

    requests = [LabelRequest(name, name, at, POP_LABEL_PX, POP_RADIUS) for name, at in pops]
    requests += [
        LabelRequest(name, name, at, SOURCE_LABEL_PX, SOURCE_RADIUS)
        for name, at in sorted(sources, key=lambda item: (-crowding(item), item[0]))
    ]
    bounds = (2.0, 2.0, frame.width - 2.0, frame.height - 2.0)
    return tuple(place_labels(requests, obstacles, bounds))
