"""The routing map's SVG and HTML, read back structurally (xml.etree, html.parser)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from geoproxy.cli.maps.panels import routes_document, status_document
from geoproxy.cli.maps.render import (
    html_document,
    land_rings,
    svg_document,
    write_file,
)
from geoproxy.cli.outputs import check_outputs, is_geoproxy_map
from geoproxy.core.failover import Failover
from geoproxy.core.status import AppStatus, RegionStatus
from geoproxy.errors import GeoproxyError
from geoproxy.pipeline import Compiled, compile_policy
from tests.conftest import EXAMPLE_POLICY, write_policy

SVG = "{http://www.w3.org/2000/svg}"
API_APP = (
    EXAMPLE_POLICY.split("applications:\n", 1)[1]
    .replace("name: shop", "name: api")
    .replace("origin.shop.", "origin.api.")
)


def compiled_from(tmp_path: Path, text: str = EXAMPLE_POLICY) -> Compiled:
    return compile_policy(write_policy(tmp_path, text))


def panels(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "panel"]


def of_class(element: ET.Element, name: str, tag: str = "g") -> list[ET.Element]:
    return [e for e in element.iter(f"{SVG}{tag}") if e.get("class") == name]


@pytest.fixture
def example(tmp_path: Path) -> tuple[Compiled, ET.Element]:
    compiled = compiled_from(tmp_path)
    text = svg_document(routes_document(compiled, Path("routing.yaml")))
    return compiled, ET.fromstring(text)


def test_one_route_per_source_region_each_with_one_line(
    example: tuple[Compiled, ET.Element],
) -> None:
    compiled, root = example
    (panel,) = panels(root)
    assert panel.get("data-app") == "shop"
    routing = compiled.app_routing("shop")
    routes = of_class(panel, "route")
    assert sorted(r.get("data-source") for r in routes) == sorted(
        route.source_region for route in routing.routes
    )
    assert len(routes) == 34
    for group in routes:
        lines = group.findall(f"{SVG}path")
        if group.get("data-source") == group.get("data-pop"):
            assert lines == []  # eu-west-1 -> eu-west-1: its dot is the marker's centre
        else:
            assert len(lines) == 1, group.get("data-source")
        assert group.find(f"{SVG}title").text  # the tooltip says why
    assert len(of_class(panel, "source")) == 34
    assert sorted(p.get("data-pop") for p in of_class(panel, "pop")) == [
        "ap-southeast-1",
        "eu-west-1",
        "us-east-1",
    ]


def test_forced_and_fenced_routes_get_their_styles_and_say_why(
    example: tuple[Compiled, ET.Element],
) -> None:
    _, root = example
    routes = {g.get("data-source"): g for g in of_class(root, "route")}
    assert routes["me-south-1"].get("data-style") == "forced"
    assert "dasharray" in ET.tostring(routes["me-south-1"]).decode()
    assert "forced" in routes["me-south-1"].find(f"{SVG}title").text
    fenced = {s for s, g in routes.items() if g.get("data-style") == "fenced"}
    assert fenced == {s for s in routes if s.startswith("eu-")}
    assert {routes[s].get("data-fence") for s in fenced} == {"gdpr"}
    assert "inside compliance fence gdpr" in routes["eu-north-1"].find(f"{SVG}title").text
    assert routes["us-west-2"].get("data-style") == "nearest"
    assert "nearest, 64 ms" in routes["us-west-2"].find(f"{SVG}title").text


def test_land_is_drawn_once_and_used_by_every_panel(example: tuple[Compiled, ET.Element]) -> None:
    _, root = example
    land = root.find(f"{SVG}defs/{SVG}path[@id='geoproxy-land']")
    assert land is not None
    d = land.get("d", "")
    assert d.count("M") == len(land_rings()) > 100 and len(d) > 20_000
    uses = [u for u in root.iter(f"{SVG}use") if u.get("href") == "#geoproxy-land"]
    assert len(uses) == len(panels(root))


def test_the_legend_has_an_entry_for_each_style_in_use(
    example: tuple[Compiled, ET.Element],
) -> None:
    _, root = example
    (panel,) = panels(root)
    used = {g.get("data-style") for g in of_class(panel, "route")}
    entries = {g.get("data-style"): "".join(g.itertext()) for g in of_class(panel, "legend-entry")}
    assert used == {"nearest", "forced", "fenced"}
    assert set(entries) == used | {"pop-pop"}
    assert entries["fenced"] == "inside compliance fence gdpr"
    assert "failover" not in entries and "drift" not in entries  # only what is drawn


def test_one_panel_per_application_and_the_app_name_in_each(tmp_path: Path) -> None:
    compiled = compiled_from(tmp_path, EXAMPLE_POLICY + API_APP)
    root = ET.fromstring(svg_document(routes_document(compiled, Path("routing.yaml"))))
    found = panels(root)
    assert [p.get("data-app") for p in found] == ["shop", "api"]
    for panel in found:
        assert len(of_class(panel, "route")) == 34
        assert panel.get("data-app") in "".join(panel.itertext())
    # stacked, not drawn over each other
    offsets = [float(re.findall(r"[\d.]+", p.get("transform", ""))[1]) for p in found]
    assert offsets[1] > offsets[0] + 500


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.references: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.references += [
            value or ""
            for name, value in attrs
            if name in ("src", "href", "xlink:href", "action", "data")
        ]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_html_page_is_self_contained(tmp_path: Path) -> None:
    compiled = compiled_from(tmp_path, EXAMPLE_POLICY + API_APP)
    page = html_document(routes_document(compiled, Path("routing.yaml")))
    parser = _Page()
    parser.feed(page)
    assert parser.tags[0] == "html" and "title" in parser.tags and "style" in parser.tags
    for forbidden in ("script", "link", "img", "iframe", "object", "embed", "image"):
        assert forbidden not in parser.tags
    assert parser.references and all(ref.startswith("#") for ref in parser.references)
    assert "://" not in page  # no URL of any kind, not even the SVG namespace
    assert "url(" not in page and "@import" not in page and "@font-face" not in page
    assert "system-ui" in page and "sans-serif" in page
    assert parser.tags.count("section") == 2 and page.count("<h2>") == 2
    text = "".join(parser.text)
    assert "shop" in text and "api" in text
    assert parser.tags.count("svg") == 3  # the shared land outline, then one map per app


def test_the_status_map_styles_failover_drift_and_missing(tmp_path: Path) -> None:
    text = EXAMPLE_POLICY.replace(
        "      eu-west-1: {target: shop-euw1-456.eu-west-1.elb.amazonaws.com}\n",
        "      eu-west-1: {target: shop-euw1-456.eu-west-1.elb.amazonaws.com, "
        "failover_to: eu-central-1}\n"
        "      eu-central-1: {target: shop-euc1-1.eu-central-1.elb.amazonaws.com}\n",
    )
    compiled = compiled_from(tmp_path, text)
    moved = Failover("eu-west-1", "eu-central-1", "2026-01-02T03:04:05Z", "", "Dublin outage")
    regions = []
    for route in compiled.app_routing("shop").routes:
        source = route.source_region
        if route.pop == "eu-west-1":
            regions.append(
                RegionStatus(
                    source,
                    "A",
                    "failover",
                    "eu-central-1",
                    None,
                    "eu-west-1",
                    "eu-central-1",
                    (moved,),
                )
            )
        elif source == "us-west-2":
            regions.append(
                RegionStatus(
                    source,
                    "A",
                    "drift",
                    "ap-southeast-1",
                    None,
                    route.pop,
                    route.pop,
                    (),
                    "live points elsewhere",
                )
            )
        elif source == "ca-central-1":
            regions.append(
                RegionStatus(
                    source, "A", "missing", None, None, route.pop, route.pop, (), "no record"
                )
            )
        else:
            regions.append(RegionStatus(source, "A", "ok", route.pop, None, route.pop, route.pop))
    status = AppStatus("shop", "origin.shop.example.com", "Z1", [moved], "example.com", regions)
    document = status_document(compiled, [status], Path("routing.yaml"), "2026-01-02T04:00Z")
    root = ET.fromstring(svg_document(document))
    routes = {g.get("data-source"): g for g in of_class(root, "route")}
    failed = {s for s, g in routes.items() if g.get("data-style") == "failover"}
    assert failed == {r.source_region for r in regions if r.state == "failover"} and failed
    assert all(routes[s].get("data-pop") == "eu-central-1" for s in failed)
    assert "failover eu-west-1 → eu-central-1" in routes["eu-west-2"].find(f"{SVG}title").text
    assert routes["us-west-2"].get("data-style") == "drift"
    assert routes["us-west-2"].get("data-pop") == "ap-southeast-1"
    assert routes["ca-central-1"].get("data-style") == "missing"
    assert routes["ca-central-1"].findall(f"{SVG}path") == []
    assert routes["me-south-1"].get("data-style") == "forced"  # in sync: the policy's style
    pops = {g.get("data-pop"): g.get("data-state") for g in of_class(root, "pop")}
    assert pops["eu-west-1"] == "failed_away" and pops["eu-central-1"] == "pop"
    legend = {g.get("data-style") for g in of_class(root, "legend-entry")}
    assert {"failover", "drift", "missing", "pop-failed_away"} <= legend
    # the moved EU sources are still inside gdpr: their dots say so, and the legend why
    assert "fence-ring" in legend and routes["eu-west-2"].get("data-fence") == "gdpr"
    assert "29 in sync" in "".join(root.itertext())


def _check_maps(html: Path | None, svg: Path | None) -> None:
    check_outputs(
        [("--html", html, is_geoproxy_map), ("--svg", svg, is_geoproxy_map)], [], overwrite=False
    )


def test_a_map_file_in_a_missing_directory_is_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(GeoproxyError, match=r"directory .*nowhere does not exist"):
        _check_maps(tmp_path / "map.html", tmp_path / "nowhere" / "map.svg")
    with pytest.raises(GeoproxyError, match="both name"):
        _check_maps(tmp_path / "map.svg", tmp_path / "." / "map.svg")
    _check_maps(tmp_path / "map.html", None)


def test_a_map_file_is_written_whole_with_nothing_left_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "map.svg"
    target.write_text("old", encoding="utf-8")
    write_file(target, "<svg/>")
    assert target.read_text(encoding="utf-8") == "<svg/>"
    assert [p.name for p in tmp_path.iterdir()] == ["map.svg"]
    (tmp_path / "dir.svg").mkdir()
    with pytest.raises(GeoproxyError, match="cannot write"):
        write_file(tmp_path / "dir.svg", "<svg/>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.svg", "map.svg"]
