"""The routing map's geometry: projection, great circles cut at the antimeridian, labels."""

from __future__ import annotations

import itertools
import math

import pytest

from geoproxy.cli.maps.geometry import (
    Frame,
    LabelRequest,
    dot_box,
    fan_out,
    overlaps,
    place_labels,
    robinson,
    route_arc,
    route_line,
    split_at_antimeridian,
)
from geoproxy.policy.catalog import Catalog

TOKYO = (139.69, 35.68)
OREGON = (-119.70, 45.84)
SAO_PAULO = (-46.63, -23.55)
SYDNEY = (151.21, -33.87)
NEW_YORK = (-74.0, 40.7)
LONDON = (-0.13, 51.51)


def test_robinson_matches_snyders_table_at_its_rows() -> None:
    assert robinson(0, 0) == (0.0, 0.0)
    assert robinson(180, 0)[0] == pytest.approx(0.8487 * math.pi)
    assert robinson(-180, 0)[0] == pytest.approx(-0.8487 * math.pi)
    assert robinson(0, 90)[1] == pytest.approx(1.3523)
    assert robinson(0, -90)[1] == pytest.approx(-1.3523)
    # 45°: X = 0.8962, Y = 0.5571 in the table
    x, y = robinson(90, 45)
    assert x == pytest.approx(0.8487 * 0.8962 * math.pi / 2)
    assert y == pytest.approx(1.3523 * 0.5571)
    # between rows it interpolates: 47.5° lies halfway between the 45° and 50° rows
    assert robinson(0, 47.5)[1] == pytest.approx(1.3523 * (0.5571 + 0.6176) / 2)


def test_frame_puts_the_map_edges_at_the_margins_and_north_up() -> None:
    frame = Frame(width=1000, north=85, south=-60, margin=10)
    assert frame.xy(-180, 0)[0] == pytest.approx(10)
    assert frame.xy(180, 0)[0] == pytest.approx(990)
    assert frame.xy(0, 0)[0] == pytest.approx(500)
    assert frame.xy(0, 85)[1] == pytest.approx(10)
    assert frame.xy(0, -60)[1] == pytest.approx(frame.height - 10)
    assert frame.xy(0, 50)[1] < frame.xy(0, 0)[1] < frame.xy(0, -30)[1]
    # south of the crop, a point sits on the bottom edge instead of off the map
    assert frame.xy(0, -80)[1] == pytest.approx(frame.height - 10)


def test_a_route_arc_includes_both_ends_bows_poleward_and_goes_the_short_way() -> None:
    points = route_arc((0, 0), (90, 0))
    assert points[0] == (0, 0) and points[-1] == (90, 0)
    middle = points[len(points) // 2]
    assert middle[0] == pytest.approx(45, abs=1) and middle[1] > 5  # bowed, northwards
    assert min(lat for _, lat in route_arc((0, -30), (60, -30))) < -35  # southern: south
    # New York to London bows north of both ends, as flight paths do
    assert max(lat for _, lat in route_arc(NEW_YORK, LONDON)) > 51.6
    # the short way round in longitude: Tokyo to Oregon over the Pacific, never Europe
    assert all(abs(lon) > 100 for lon, _ in route_arc(TOKYO, OREGON))
    assert all(abs(lon) >= 169 for lon, _ in route_arc((170, 0), (-170, 0)))
    # never past the pole, which Robinson draws as a line along the map's top
    assert all(abs(lat) < 85 for lon, lat in route_arc((-77.49, 39.04), (103.82, 1.35)))


def test_a_pacific_route_is_cut_at_the_antimeridian_into_two_pieces() -> None:
    pieces = split_at_antimeridian(route_arc(TOKYO, OREGON))
    assert len(pieces) == 2
    first, second = pieces
    assert first[0] == TOKYO and second[-1] == OREGON
    assert first[-1][0] == 180.0 and second[0][0] == -180.0
    assert first[-1][1] == pytest.approx(second[0][1])  # the same latitude on both edges
    for piece in pieces:
        assert all(abs(b[0] - a[0]) < 180 for a, b in itertools.pairwise(piece))
    # the other way round it leaves by the west edge
    back = split_at_antimeridian(route_arc(OREGON, TOKYO))
    assert back[0][-1][0] == -180.0 and back[1][0][0] == 180.0


def test_a_route_that_does_not_cross_stays_whole() -> None:
    assert len(split_at_antimeridian(route_arc(NEW_YORK, LONDON))) == 1
    assert split_at_antimeridian([]) == []
    # a step between points already on the two edges cuts without dividing by zero
    assert split_at_antimeridian([(-180.0, 10.0), (180.0, 10.0), (170.0, 12.0)]) == [
        [(180.0, 10.0), (170.0, 12.0)]
    ]


def test_no_route_between_any_two_regions_streaks_across_the_map() -> None:
    """Every pair of located regions: no projected step wider than a few dozen pixels, so
    a Pacific route always wraps round the edge instead of crossing the world."""
    catalog = Catalog.load()
    frame = Frame()
    places = [(info.longitude, info.latitude) for info in catalog.regions.values()]
    crossing = 0
    for start, end in itertools.permutations(places, 2):
        pieces = route_line(frame, start, end)
        crossing += len(pieces) == 2
        for piece in pieces:
            for (x0, y0), (x1, y1) in itertools.pairwise(piece):
                assert math.hypot(x1 - x0, y1 - y0) < 60, (start, end)
    assert crossing > 0  # the test did meet routes over the Pacific
    assert len(route_line(frame, SAO_PAULO, SYDNEY)) == 2
    assert route_line(frame, TOKYO, TOKYO) == []


def test_labels_of_one_spot_do_not_overlap_each_other_or_other_dots() -> None:
    at = (300.0, 200.0)
    requests = [
        LabelRequest(name, name, at, 10, 3) for name in ("us-east-1", "us-east-2", "us-gov-east-1")
    ]
    neighbour = (330.0, 200.0)
    obstacles = [dot_box(at, 3), dot_box(neighbour, 3)]
    placed = place_labels(requests, obstacles, (0, 0, 600, 400))
    assert [label.key for label in placed] == ["us-east-1", "us-east-2", "us-gov-east-1"]
    for a, b in itertools.combinations(placed, 2):
        assert not overlaps(a.box, b.box, pad=0)
    for label in placed:
        assert not overlaps(label.box, dot_box(neighbour, 3), pad=0)
    # the first takes the spot by its dot; the others had to move, and say where from
    assert placed[0].leader is None
    assert any(label.leader is not None for label in placed[1:])


def test_a_label_without_a_leader_is_nearest_its_own_dot() -> None:
    """Two dots 10 px apart, one above the other: a label beside the gap would be read as
    either's."""
    upper, lower = (200.0, 100.0), (200.0, 110.0)
    obstacles = [dot_box(upper, 3), dot_box(lower, 3)]
    placed = place_labels(
        [
            LabelRequest("a", "eu-central-1", upper, 10, 3),
            LabelRequest("b", "eu-central-2", lower, 10, 3),
        ],
        obstacles,
        (0, 0, 400, 300),
    )

    def gap(point: tuple[float, float], box: tuple[float, float, float, float]) -> float:
        return math.hypot(
            max(box[0] - point[0], 0, point[0] - box[2]),
            max(box[1] - point[1], 0, point[1] - box[3]),
        )

    for label, own, other in ((placed[0], upper, lower), (placed[1], lower, upper)):
        if label.leader is None:
            assert gap(own, label.box) + 3 <= gap(other, label.box)
    assert not overlaps(placed[0].box, placed[1].box, pad=0)


def test_labels_stay_inside_the_bounds() -> None:
    corner = (598.0, 5.0)
    placed = place_labels(
        [LabelRequest("x", "ap-southeast-6", corner, 10, 3)], [], (0, 0, 600, 400)
    )
    left, top, right, bottom = placed[0].box
    assert left >= 0 and right <= 600 and top >= 0 and bottom <= 400
    assert placed[0].anchor == "end"  # no room on the right


def test_fan_out_spreads_only_the_points_that_share_a_pixel() -> None:
    spread = fan_out([(10.0, 10.0), (10.2, 10.1), (50.0, 50.0)], radius=5)
    assert spread[2] == (50.0, 50.0)
    assert math.dist(spread[0], spread[1]) > 8
    assert all(math.dist(point, (10.0, 10.0)) < 6 for point in spread[:2])
