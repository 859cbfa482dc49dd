"""Nearest by measured round trip: the choice, near ties, gaps, and loading a table."""

from __future__ import annotations

import json
from typing import Any

import pytest

from geoproxy.errors import PolicyError
from geoproxy.policy.catalog import Catalog
from geoproxy.policy.latency import LatencyTable, LatencyTableFile, parse_table
from geoproxy.policy.models import Application
from tests import builders
from tests.builders import application, pops
from tests.conftest import REPO


def shop(**overrides: Any) -> Application:
    return application(
        source_regions=["af-south-1", "me-south-1", "eu-west-2"],
        pops=pops("us-east-1", "eu-west-1", "ap-southeast-1"),
        **overrides,
    )


ROWS = {
    "af-south-1": {"eu-west-1": 158.0, "ap-southeast-1": 316.0, "us-east-1": 229.0},
    "me-south-1": {"eu-west-1": 98.0, "ap-southeast-1": 98.7, "us-east-1": 160.0},
    "eu-west-2": {"eu-west-1": 12.0, "ap-southeast-1": 170.0, "us-east-1": 75.0},
}


def table(rows: dict[str, dict[str, float]] = ROWS) -> LatencyTable:
    return LatencyTable("test numbers", "p50", "2025-05-29", rows)


def routes(
    app: Application | None = None, latency: LatencyTable | None = None
) -> tuple[dict[str, Any], list[str]]:
    result = builders.compiled(app or shop(), table=latency or table()).routing
    return {r.source_region: r for r in result.applications[0].routes}, result.latency_gaps


def test_the_shortest_round_trip_wins_over_the_shortest_distance(catalog: Catalog) -> None:
    chosen, gaps = routes()
    cape_town = chosen["af-south-1"]
    assert (cape_town.pop, cape_town.latency_ms, cape_town.basis) == ("eu-west-1", 158.0, "latency")
    assert cape_town.distance_km == pytest.approx(catalog.distance_km("af-south-1", "eu-west-1"))
    assert gaps == []


def test_nearest_distance_keeps_the_great_circle_choice() -> None:
    chosen, _ = routes(shop(nearest="distance"))
    assert (chosen["af-south-1"].pop, chosen["af-south-1"].basis) == ("ap-southeast-1", "distance")
    assert chosen["af-south-1"].latency_ms is None


def test_a_near_tie_is_marked_with_its_runner_up() -> None:
    chosen, _ = routes()
    bahrain = chosen["me-south-1"]
    assert (bahrain.pop, bahrain.near_tie, bahrain.near_tie_ms) == (
        "eu-west-1",
        "ap-southeast-1",
        98.7,
    )
    assert chosen["af-south-1"].near_tie is None  # 316 is not within 5% of 158


def test_a_source_or_pop_without_numbers_falls_back_to_distance_and_says_which() -> None:
    rows = {source: dict(row) for source, row in ROWS.items() if source != "af-south-1"}
    del rows["eu-west-2"]["ap-southeast-1"]
    chosen, gaps = routes(latency=table(rows))
    assert (chosen["af-south-1"].pop, chosen["af-south-1"].basis) == ("ap-southeast-1", "distance")
    assert chosen["eu-west-2"].basis == "distance"
    assert chosen["me-south-1"].basis == "latency"
    assert gaps == [
        "the latency table has no round trip for source regions af-south-1; "
        "PoPs ap-southeast-1 from eu-west-2: those routes go to the nearest PoP "
        "by great-circle distance instead"
    ]


def test_a_custom_table_changes_the_choice() -> None:
    rows = {**ROWS, "af-south-1": {"eu-west-1": 300.0, "ap-southeast-1": 250.0, "us-east-1": 260.0}}
    chosen, _ = routes(latency=table(rows))
    assert chosen["af-south-1"].pop == "ap-southeast-1"


# --- loading a table -----------------------------------------------------------------------

KNOWN = {"af-south-1", "eu-west-1", "us-east-1"}
GOOD = {
    "format": "geoproxy-latency-table",
    "version": 1,
    "unit": "ms",
    "percentile": "p50",
    "source": "my RUM data",
    "rtt_ms": {"af-south-1": {"eu-west-1": 150.5}},
}


def problems(data: Any) -> list[str]:
    text = data if isinstance(data, str) else json.dumps(data)
    with pytest.raises(PolicyError) as failure:
        parse_table(text, "mine.json", KNOWN)
    return [f"{i.dotted_path()}: {i.message}" for i in failure.value.issues]


def test_a_good_table_loads() -> None:
    loaded = parse_table(json.dumps(GOOD), "mine.json", KNOWN)
    assert loaded.rtt("af-south-1", "eu-west-1") == 150.5
    assert loaded.rtt("af-south-1", "us-east-1") is None
    assert loaded.label == "my RUM data (p50)"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("{not json", "not valid JSON"),
        ({**GOOD, "rtt_ms": {"xx-nowhere-1": {"eu-west-1": 1}}}, "unknown region 'xx-nowhere-1'"),
        ({**GOOD, "rtt_ms": {"af-south-1": {"eu-west-9": 1}}}, "unknown region 'eu-west-9'"),
        ({**GOOD, "rtt_ms": {"af-south-1": {"eu-west-1": -3}}}, "at least 0; got -3"),
        ({**GOOD, "rtt_ms": {"af-south-1": {"eu-west-1": None}}}, "rtt_ms.af-south-1.eu-west-1"),
        ({**GOOD, "unit": "s"}, "unit"),
        ({**GOOD, "extra": 1}, "extra"),
        ({key: value for key, value in GOOD.items() if key != "source"}, "source"),
    ],
)
def test_a_bad_table_is_one_clear_error_naming_the_path(data: Any, expected: str) -> None:
    found = problems(data)
    assert any(expected in problem for problem in found), found


def test_the_documented_json_schema_is_the_models() -> None:
    documented = json.loads((REPO / "docs" / "latency-table.schema.json").read_text())
    assert documented == LatencyTableFile.model_json_schema()
