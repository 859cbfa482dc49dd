"""World-map geometry for the routing map: projection, route arcs, labels that do not collide.

Pure: numbers in, numbers out. The Robinson projection (Snyder's table, linear between its
5° rows) in plain Python, because a GIS library would be a heavy dependency for one picture;
routes drawn as gentle arcs the short way round, cut where they cross the antimeridian, so
that a route over the Pacific leaves one edge of the map and comes back at the other instead
of streaking across the world; and greedy label placement that keeps labels off each other
and off the dots, drawing a leader line when a label had to move away from its dot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

LonLat = tuple[float, float]
XY = tuple[float, float]

# Robinson (Snyder, "Map Projections: A Working Manual", table 12): per 5° of latitude, the
# parallel's length (X) and its distance from the equator (Y), both relative.
_ROBINSON = (
    (1.0000, 0.0000),
    (0.9986, 0.0620),
    (0.9954, 0.1240),
    (0.9900, 0.1860),
    (0.9822, 0.2480),
    (0.9730, 0.3100),
    (0.9600, 0.3720),
    (0.9427, 0.4340),
    (0.9216, 0.4958),
    (0.8962, 0.5571),
    (0.8679, 0.6176),
    (0.8350, 0.6769),
    (0.7986, 0.7346),
    (0.7597, 0.7903),
    (0.7186, 0.8435),
    (0.6732, 0.8936),
    (0.6213, 0.9394),
    (0.5722, 0.9761),
    (0.5322, 1.0000),
)
_X_SCALE, _Y_SCALE = 0.8487, 1.3523


def robinson(lon: float, lat: float) -> XY:
    """Robinson on a unit sphere: x in [-2.666, 2.666], y in [-1.352, 1.352], north up."""
    lat = max(-90.0, min(90.0, lat))
    row = min(abs(lat) / 5.0, len(_ROBINSON) - 1.0)
    low = min(int(row), len(_ROBINSON) - 2)
    share = row - low
    (x0, y0), (x1, y1) = _ROBINSON[low], _ROBINSON[low + 1]
    length = x0 + (x1 - x0) * share
    height = y0 + (y1 - y0) * share
    return (_X_SCALE * length * math.radians(lon), math.copysign(_Y_SCALE * height, lat))


@dataclass(frozen=True)
class Frame:
    """Where the map sits in a panel: `width` pixels wide, cropped to north..south."""

    width: float = 1200.0
    north: float = 85.0
    south: float = -60.0
    margin: float = 8.0

    @property
    def scale(self) -> float:
        return (self.width - 2 * self.margin) / (2 * robinson(180.0, 0.0)[0])

    @property
    def height(self) -> float:
        top, bottom = robinson(0.0, self.north)[1], robinson(0.0, self.south)[1]
        return (top - bottom) * self.scale + 2 * self.margin

    def xy(self, lon: float, lat: float) -> XY:
        """Pixel coordinates, y growing downwards as in SVG."""
        x, y = robinson(lon, max(self.south, min(self.north, lat)))
        top = robinson(0.0, self.north)[1]
        return (self.width / 2 + x * self.scale, self.margin + (top - y) * self.scale)

    def outline(self, step: float = 5.0) -> list[XY]:
        """The map's edge (the meridians ±180 and the crop parallels), for the ocean fill."""
        lats = _steps(self.south, self.north, step)
        east = [self.xy(180.0, lat) for lat in lats]
        west = [self.xy(-180.0, lat) for lat in reversed(lats)]
        return east + west


def _steps(start: float, end: float, step: float) -> list[float]:
    count = max(1, math.ceil(abs(end - start) / step))
    return [start + (end - start) * i / count for i in range(count + 1)]


def route_arc(start: LonLat, end: LonLat, bow: float = 0.12, step_deg: float = 2.0) -> list[LonLat]:
    """Points along a gentle arc from start to end, the short way round in longitude, about
    `step_deg` apart, both ends included; longitudes in [-180, 180).

    Not a great circle: on a map cropped at 85° N, a great circle between the US and South
    East Asia runs over the pole and would sweep along the map's top edge. A flight-map arc
    instead: the straight lon/lat line, bowed by `bow` of its length to the side of the
    nearer pole, which reads as "curved because the earth is round" and keeps the rule that
    decides where a route crosses 180° simple: the shorter way round in longitude.
    """
    (lon0, lat0), (lon1, lat1) = start, end
    dlon = (lon1 - lon0 + 180.0) % 360.0 - 180.0
    dlat = lat1 - lat0
    length = math.hypot(dlon, dlat)
    if length == 0:
        return [start, end]
    # The chord's normal (lon, lat) = (-dlat, dlon) / length, turned to face the pole the
    # route is nearer; a route straight along a meridian bows east.
    pole = 1.0 if lat0 + lat1 >= 0 else -1.0
    nx, ny = -dlat / length, dlon / length
    if ny * pole < 0 or (ny == 0 and nx < 0):
        nx, ny = -nx, -ny
    count = max(2, math.ceil(length / step_deg))
    points: list[LonLat] = [start]
    for i in range(1, count):
        t = i / count
        lift = bow * length * math.sin(math.pi * t)
        lon = (lon0 + dlon * t + nx * lift + 180.0) % 360.0 - 180.0
        lat = max(-89.0, min(89.0, lat0 + dlat * t + ny * lift))
        points.append((lon, lat))
    points.append(end)
    return points


def split_at_antimeridian(points: Sequence[LonLat]) -> list[list[LonLat]]:
    """Cut a lon/lat polyline where it crosses ±180°: each piece ends on the edge it leaves
    by and the next starts on the opposite edge at the same latitude. A step of more than
    180° of longitude is taken as crossing, since the path is drawn the short way."""
    pieces: list[list[LonLat]] = [[points[0]]] if points else []
    for (lon0, lat0), (lon1, lat1) in pairwise(points):
        if abs(lon1 - lon0) > 180.0:
            edge = 180.0 if lon0 > 0 else -180.0
            unwrapped = lon1 + (360.0 if lon0 > 0 else -360.0)
            span = unwrapped - lon0  # 0 only when both ends are on the edge already
            share = (edge - lon0) / span if span else 0.0
            lat = lat0 + (lat1 - lat0) * share
            pieces[-1].append((edge, lat))
            pieces.append([(-edge, lat)])
        if pieces[-1][-1] != (lon1, lat1):
            pieces[-1].append((lon1, lat1))
    return [piece for piece in pieces if len(set(piece)) > 1]


def route_line(frame: Frame, start: LonLat, end: LonLat) -> list[list[XY]]:
    """A route as projected polylines: one, or two where it crosses the antimeridian; none
    when both ends are one place."""
    if start == end:
        return []
    return [
        [frame.xy(lon, lat) for lon, lat in piece]
        for piece in split_at_antimeridian(route_arc(start, end))
    ]


# --- labels ------------------------------------------------------------------------------

Box = tuple[float, float, float, float]  # left, top, right, bottom
Anchor = Literal["start", "middle", "end"]

# A sans-serif glyph is about 0.58 em wide on average for region names (digits, hyphens,
# lower case); guessing wide costs only some room, guessing narrow makes labels overlap.
GLYPH_EM = 0.6


def text_width(text: str, size: float) -> float:
    return len(text) * size * GLYPH_EM


@dataclass(frozen=True)
class LabelRequest:
    key: str  # what the label names (a region); unique
    text: str
    at: XY  # the dot it labels
    size: float  # font size, px
    clearance: float = 4.0  # the dot's radius: the label starts outside it


@dataclass(frozen=True)
class PlacedLabel:
    key: str
    text: str
    x: float  # the text's anchor point (SVG x, and y of its baseline)
    y: float
    anchor: Anchor
    size: float
    box: Box
    leader: tuple[XY, XY] | None  # dot -> label, when the label is away from its dot


# Tried in order: right, left, above, below, then the diagonals; then further out.
_ANGLES = (0, 180, -90, 90, -30, 30, -150, 150, -60, 60, -120, 120)
_RINGS = (2.0, 8.0, 16.0, 26.0, 38.0, 52.0, 68.0, 86.0)
_LEADER_FROM = 8.0  # past this distance from its dot a label gets a leader line


def _candidate(request: LabelRequest, ring: float, angle: int) -> PlacedLabel:
    x0, y0 = request.at
    distance = request.clearance + ring
    dx, dy = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    ax, ay = x0 + dx * distance, y0 + dy * distance
    width, height = text_width(request.text, request.size), request.size
    anchor: Anchor = "start" if dx > 0.3 else "end" if dx < -0.3 else "middle"
    left = ax if anchor == "start" else ax - width if anchor == "end" else ax - width / 2
    if dy < -0.3:  # above: the box sits on the point
        top = ay - height
    elif dy > 0.3:
        top = ay
    else:
        top = ay - height / 2
    box = (left, top, left + width, top + height)
    baseline = top + height * 0.8
    leader = None
    if ring >= _LEADER_FROM:
        nearest = (max(box[0], min(x0, box[2])), max(box[1], min(y0, box[3])))
        leader = ((x0 + dx * request.clearance, y0 + dy * request.clearance), nearest)
    return PlacedLabel(request.key, request.text, ax, baseline, anchor, request.size, box, leader)


def overlaps(a: Box, b: Box, pad: float = 1.0) -> bool:
    return a[0] < b[2] + pad and b[0] < a[2] + pad and a[1] < b[3] + pad and b[1] < a[3] + pad


def _overlap_area(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def place_labels(
    requests: Sequence[LabelRequest], obstacles: Sequence[Box], bounds: Box
) -> list[PlacedLabel]:
    """Place each label, in the order given (put the important ones first), at the first
    candidate spot that stays inside `bounds` and touches neither a placed label nor an
    obstacle (the dots; a label's own dot is not in its way). When none is free, the spot
    that overlaps least is taken, so every request gets a label."""
    placed: list[PlacedLabel] = []
    for request in requests:
        own = dot_box(request.at, request.clearance)
        blockers = [box for box in obstacles if box != own]
        best: tuple[float, PlacedLabel] | None = None
        for ring in _RINGS:
            for angle in _ANGLES:
                candidate = _candidate(request, ring, angle)
                box = candidate.box
                if not (
                    bounds[0] <= box[0]
                    and box[2] <= bounds[2]
                    and bounds[1] <= box[1]
                    and box[3] <= bounds[3]
                ):
                    continue
                taken = [label.box for label in placed]
                clashes = [other for other in (*taken, *blockers) if overlaps(box, other)]
                if candidate.leader is None and _ambiguous(box, request.at, blockers):
                    clashes.append(box)  # nearer another dot than its own: misread
                if not clashes:
                    best = (0.0, candidate)
                    break
                cost = sum(_overlap_area(box, other) for other in clashes) + ring
                if best is None or cost < best[0]:
                    best = (cost, candidate)
            if best is not None and best[0] == 0.0:
                break
        if best is None:  # nothing fits inside the bounds: label where it stands
            best = (0.0, _candidate(request, _RINGS[0], 0))
        placed.append(best[1])
    return placed


def _distance(point: XY, box: Box) -> float:
    x, y = point
    return math.hypot(max(box[0] - x, 0.0, x - box[2]), max(box[1] - y, 0.0, y - box[3]))


def _ambiguous(box: Box, own: XY, others: Sequence[Box], margin: float = 3.0) -> bool:
    """A label without a leader belongs to the dot it is nearest; another dot about as near
    makes it a guess which one it names."""
    mine = _distance(own, box)
    return any(
        _distance(((o[0] + o[2]) / 2, (o[1] + o[3]) / 2), box) < mine + margin for o in others
    )


def dot_box(at: XY, radius: float) -> Box:
    """The square a dot of `radius` covers: an obstacle for labels."""
    return (at[0] - radius, at[1] - radius, at[0] + radius, at[1] + radius)


def fan_out(points: Sequence[XY], radius: float = 5.0) -> list[XY]:
    """Points that land on the same pixel (regions in one metro, e.g. us-east-2 and
    us-gov-east-1 in Ohio) spread on a small circle, so each dot stays visible."""
    groups: dict[tuple[int, int], list[int]] = {}
    for index, (x, y) in enumerate(points):
        groups.setdefault((round(x), round(y)), []).append(index)
    spread = list(points)
    for members in groups.values():
        if len(members) < 2:
            continue
        for rank, index in enumerate(members):
            angle = 2 * math.pi * rank / len(members) - math.pi / 2
            x, y = points[index]
            spread[index] = (x + radius * math.cos(angle), y + radius * math.sin(angle))
    return spread
