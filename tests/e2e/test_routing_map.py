"""The routing map through the real CLI: `routes --svg/--html` offline, `status --svg` live."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_policy
from tests.e2e.conftest import EU_WEST_1_SOURCES, TWO_APPS, RunCli

pytestmark = pytest.mark.e2e

SVG = "{http://www.w3.org/2000/svg}"


def groups(root: ET.Element, name: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == name]


def test_routes_draws_svg_and_html_and_still_prints_the_table(
    aws: Any, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    aws.reset_log()
    result = run_cli("routes", "--svg", "routes.svg", "--html", "routes.html")

    assert result.returncode == 0, result.stderr
    assert "me-south-1" in result.stdout and "forced" in result.stdout  # the table, as ever
    assert "Wrote routes.svg: 1 map(s), 34 route(s)." in result.stderr
    assert "Wrote routes.html" in result.stderr
    assert aws.count() == 0  # offline
    root = ET.parse(tmp_path / "routes.svg").getroot()
    (panel,) = groups(root, "panel")
    assert len(groups(panel, "route")) == 34
    html = (tmp_path / "routes.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "://" not in html
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "routes.html",
        "routes.svg",
        "routing.yaml",
    ]


def test_routes_json_stays_one_document_and_app_picks_the_panel(
    run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, TWO_APPS)
    both = run_cli("routes", "--svg", "both.svg")
    assert both.returncode == 0, both.stderr
    assert [
        p.get("data-app") for p in groups(ET.parse(tmp_path / "both.svg").getroot(), "panel")
    ] == ["shop", "api"]

    result = run_cli("routes", "--app", "api", "--output", "json", "--svg", "api.svg")
    assert result.returncode == 0, result.stderr
    assert [app["name"] for app in json.loads(result.stdout)["applications"]] == ["api"]
    panels = groups(ET.parse(tmp_path / "api.svg").getroot(), "panel")
    assert [p.get("data-app") for p in panels] == ["api"]


def test_a_map_in_a_missing_directory_is_one_message_and_exit_1(
    aws: Any, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    result = run_cli("routes", "--html", "no/such/dir/routes.html")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "Error: cannot write no/such/dir/routes.html: directory no/such/dir does not exist"
    )
    assert "Traceback" not in result.stderr and result.stdout == ""

    aws.reset_log()
    status = run_cli("status", "--svg", "gone/status.svg")
    assert status.returncode == 1 and "directory gone does not exist" in status.stderr
    assert aws.count() == 0  # refused before reading Route 53


def test_status_svg_after_a_failover_styles_the_moved_routes(
    aws: Any, run_cli: RunCli, tmp_path: Path, applied: dict[str, str]
) -> None:
    failover = run_cli(
        "failover",
        "--from",
        "eu-west-1",
        "--to",
        "eu-central-1",
        "--yes",
        "--reason",
        "Dublin outage",
    )
    assert failover.returncode == 0, failover.stderr

    result = run_cli("status", "--svg", "status.svg", "--output", "json")

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)  # stdout is still the one JSON document
    rows = {row["source_region"]: row["state"] for row in document["applications"][0]["regions"]}
    root = ET.parse(tmp_path / "status.svg").getroot()
    routes = {g.get("data-source"): g for g in groups(root, "route")}
    assert set(routes) == set(rows)
    moved = {source for source, g in routes.items() if g.get("data-style") == "failover"}
    assert moved == EU_WEST_1_SOURCES == {s for s, state in rows.items() if state == "failover"}
    assert {routes[s].get("data-pop") for s in moved} == {"eu-central-1"}
    assert {g.get("data-style") for s, g in routes.items() if s not in moved} == {
        "nearest",
        "forced",
        "fenced",
    }
    title = routes["eu-west-2"].find(f"{SVG}title")
    assert title is not None and "failover eu-west-1 → eu-central-1" in (title.text or "")
    pops = {g.get("data-pop"): g.get("data-state") for g in groups(root, "pop")}
    assert pops["eu-west-1"] == "failed_away"
    legend = {g.get("data-style") for g in groups(root, "legend-entry")}
    assert {"failover", "pop-failed_away"} <= legend
