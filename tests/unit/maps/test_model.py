"""The routing map's model: which style a route gets, and what a panel lays out."""

from __future__ import annotations

from geoproxy.cli.maps.geometry import Frame
from geoproxy.cli.maps.model import MapPanel, MapPop, MapRoute, layout, policy_style, status_style
from geoproxy.core.failover import Failover
from geoproxy.core.routing import Route
from geoproxy.core.status import RegionStatus
from tests.unit.conftest import AT

WHERE = {
    "us-east-1": (-77.49, 39.04),
    "us-east-2": (-83.0, 39.96),
    "us-gov-east-1": (-83.0, 39.96),
    "eu-west-1": (-6.26, 53.35),
    "eu-west-2": (-0.13, 51.51),
    "ap-northeast-1": (139.69, 35.68),
    "us-west-2": (-119.70, 45.84),
}


def region(
    state: str,
    live: str | None,
    *,
    source: str = "eu-west-2",
    record_type: str = "A",
    policy: str = "eu-west-1",
) -> RegionStatus:
    failovers = (Failover("eu-west-1", "eu-central-1", AT, ""),) if state == "failover" else ()
    return RegionStatus(
        source,
        record_type,
        state,
        live,
        None,
        policy,  # type: ignore[arg-type]
        live or policy,
        failovers,
    )


def test_policy_style_forced_wins_over_the_fence_which_wins_over_nearest() -> None:
    assert policy_style(Route("eu-west-2", "eu-west-1", "nearest", 1.0)) == ("nearest", "")
    assert policy_style(Route("eu-west-2", "eu-west-1", "nearest", 1.0, ("gdpr",))) == (
        "fenced",
        "gdpr",
    )
    assert policy_style(Route("me-south-1", "us-east-1", "forced", 1.0)) == ("forced", "")
    # forced inside a fence: the line says forced, the fence stays on the dot
    assert policy_style(Route("eu-west-3", "eu-west-1", "forced", 1.0, ("gdpr", "eea"))) == (
        "forced",
        "gdpr",
    )


def test_status_style_in_sync_keeps_the_policy_style() -> None:
    forced = Route("me-south-1", "us-east-1", "forced", 1.0)
    assert status_style([region("ok", "us-east-1", source="me-south-1")], forced) == (
        "forced",
        "",
        "us-east-1",
    )
    assert status_style([region("ok", "eu-west-1")], None) == ("nearest", "", "eu-west-1")


def test_status_style_failover_and_drift_draw_to_the_live_pop() -> None:
    fenced = Route("eu-west-2", "eu-west-1", "nearest", 1.0, ("gdpr",))
    assert status_style([region("failover", "eu-central-1")], fenced) == (
        "failover",
        "gdpr",
        "eu-central-1",
    )
    assert status_style([region("drift", "us-east-1")], fenced) == ("drift", "gdpr", "us-east-1")


def test_status_style_the_worst_record_of_a_region_wins() -> None:
    route = Route("eu-west-2", "eu-west-1", "nearest", 1.0)
    records = [region("ok", "eu-west-1"), region("drift", "us-east-1", record_type="AAAA")]
    assert status_style(records, route) == ("drift", "", "us-east-1")
    records = [region("failover", "eu-central-1"), region("missing", None, record_type="AAAA")]
    assert status_style(records, route) == ("missing", "", None)  # no line: nothing answers
    assert status_style([region("foreign", None)], route)[::2] == ("foreign", None)


def panel(routes: list[MapRoute], pops: list[MapPop]) -> MapPanel:
    return MapPanel("shop", "", tuple(routes), tuple(pops))


def test_layout_one_shape_per_located_source_and_unlocated_listed() -> None:
    routes = [
        MapRoute("us-east-1", "us-east-1", "nearest"),
        MapRoute("us-east-2", "us-east-1", "nearest"),
        MapRoute("us-gov-east-1", "us-east-1", "forced"),
        MapRoute("eu-west-2", "eu-west-1", "fenced", "gdpr"),
        MapRoute("ap-northeast-1", "us-west-2", "forced"),
        MapRoute("xx-nowhere-1", "us-east-1", "forced"),
        MapRoute("eu-west-1", None, "missing"),
    ]
    pops = [MapPop("us-east-1"), MapPop("eu-west-1", "failed_away"), MapPop("us-west-2")]
    shaped = layout(panel(routes, pops), WHERE, Frame())

    assert [shape.route.source for shape in shaped.routes] == [
        "us-east-1",
        "us-east-2",
        "us-gov-east-1",
        "eu-west-2",
        "ap-northeast-1",
        "eu-west-1",
    ]
    assert shaped.unlocated == ("xx-nowhere-1",)
    lines = {shape.route.source: len(shape.lines) for shape in shaped.routes}
    assert lines == {
        "us-east-1": 0,
        "us-east-2": 1,
        "us-gov-east-1": 1,
        "eu-west-2": 1,
        "ap-northeast-1": 2,
        "eu-west-1": 0,
    }  # Tokyo to Oregon: over 180°
    dots = {shape.route.source: shape.dot for shape in shaped.routes}
    pop_at = {shape.pop.region: shape.at for shape in shaped.pops}
    assert dots["us-east-1"] == pop_at["us-east-1"]  # a source that is a PoP: under it
    assert dots["us-east-2"] != dots["us-gov-east-1"]  # one metro: fanned out
    for shape in shaped.routes:
        if shape.lines:
            assert shape.lines[0][0] == shape.dot  # the line starts at the dot drawn
    assert shaped.styles == ("nearest", "forced", "fenced", "missing")  # legend order
    assert shaped.fences == ("gdpr",)
    assert shaped.pop_states == ("pop", "failed_away")
    # one label per place: PoPs, then the sources that are not PoPs
    keys = [label.key for label in shaped.labels]
    assert keys[:3] == ["us-east-1", "eu-west-1", "us-west-2"]
    assert sorted(keys[3:]) == ["ap-northeast-1", "eu-west-2", "us-east-2", "us-gov-east-1"]
