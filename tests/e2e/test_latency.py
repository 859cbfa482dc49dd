"""Nearest by round trip, end to end: routes explains it, plan moves it, a table of one's own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_POLICY, write_policy
from tests.e2e.conftest import RunCli, targets

pytestmark = pytest.mark.e2e

DISTANCE = EXAMPLE_POLICY.replace("    force:\n", "    nearest: distance\n    force:\n", 1)


def route_of(run_cli: RunCli, source: str, *args: str) -> dict[str, Any]:
    result = run_cli("routes", "--output", "json", *args)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    return next(
        r for r in document["applications"][0]["routes"] if r["source_region"] == source
    ) | {"_doc": document}


def test_routes_sends_cape_town_to_ireland_and_says_why_in_milliseconds(
    run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    text = run_cli("routes")
    row = next(line for line in text.stdout.splitlines() if " af-south-1 " in line)
    assert row.split()[3:7] == ["eu-west-1", "nearest,", "158", "ms"]
    assert "km)" in row
    assert "nearest by round trip: cloudping.co" in text.stderr
    route = route_of(run_cli, "af-south-1")
    assert (route["pop"], route["reason"], route["nearest_by"]) == (
        "eu-west-1",
        "nearest",
        "latency",
    )
    assert route["latency_ms"] == pytest.approx(158.1)
    assert route["distance_km"] > 9000
    assert route["_doc"]["latency_source"].startswith("cloudping.co")
    # The newest regions are not in the snapshot: said once, by name.
    warnings = [w for w in text.stderr.splitlines() if "no round trip" in w]
    assert len(warnings) == 1 and "ap-east-2" in warnings[0]


def test_nearest_distance_restores_the_old_route_and_plan_moves_it(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, DISTANCE)
    assert route_of(run_cli, "af-south-1")["pop"] == "ap-southeast-1"
    assert run_cli("apply", "--yes").returncode == 0
    assert targets(aws, zone)["af-south-1"].startswith("shop-apse1-789.")
    write_policy(tmp_path)  # the default: nearest by latency
    planned = run_cli("plan", "--output", "json")
    changes = [
        (c["source_region"], c["before"]["pop"], c["after"]["pop"])
        for c in json.loads(planned.stdout)["applications"][0]["changes"]
    ]
    assert ("af-south-1", "ap-southeast-1", "eu-west-1") in changes
    assert "no round trip" not in planned.stderr  # only validate and routes say so


def test_a_latency_table_of_ones_own_is_loaded_and_checked(run_cli: RunCli, tmp_path: Path) -> None:
    write_policy(tmp_path)
    mine = {
        "format": "geoproxy-latency-table",
        "version": 1,
        "unit": "ms",
        "percentile": "p50",
        "source": "our RUM data",
        "rtt_ms": {"af-south-1": {"us-east-1": 120.0, "eu-west-1": 200.0, "ap-southeast-1": 300.0}},
    }
    (tmp_path / "mine.json").write_text(json.dumps(mine))
    route = route_of(run_cli, "af-south-1", "--latency-table", "mine.json")
    assert (route["pop"], route["latency_ms"]) == ("us-east-1", 120.0)
    assert route["_doc"]["latency_source"] == "our RUM data (p50)"
    # In the policy, relative to it, as well.
    write_policy(
        tmp_path, EXAMPLE_POLICY.replace("version: 1\n", "version: 1\nlatency_table: mine.json\n")
    )
    assert route_of(run_cli, "af-south-1")["pop"] == "us-east-1"

    mine["rtt_ms"]["af-south-1"]["eu-west-9"] = -1
    (tmp_path / "mine.json").write_text(json.dumps(mine))
    bad = run_cli("validate")
    assert bad.returncode == 1
    assert "mine.json: rtt_ms.af-south-1.eu-west-9: unknown region 'eu-west-9'" in bad.stderr
    assert "at least 0; got -1" in bad.stderr
    assert "Traceback" not in bad.stderr
