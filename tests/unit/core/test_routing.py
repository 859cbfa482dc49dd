"""Unit tests of geoproxy.routing: forced and nearest routes, compliance, warnings."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from geoproxy.core.routing import (
    Route,
    RoutingResult,
    matches,
    nearest_pop,
    route_application,
    route_policy,
    rules_for,
)
from geoproxy.errors import PolicyError
from geoproxy.policy.catalog import Catalog, botocore_latency_regions
from geoproxy.policy.loader import LoadedPolicy, load_policy

REPO = Path(__file__).resolve().parents[3]

EU_SOURCES = {"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2",
              "eu-north-1", "eu-south-1", "eu-south-2"}


@pytest.fixture(scope="module")
def extended() -> Catalog:
    """A catalog whose botocore knows a region geoproxy cannot place on the map."""
    return Catalog.load((*botocore_latency_regions(), "xx-new-1"))


def policy_file(tmp_path: Path, body: str) -> Path:
    """A one-application policy; `body` holds the application's keys after `record`.

    Line 1 is `version: 1`; `body` starts on line 6.
    """
    text = textwrap.dedent("""\
        version: 1
        applications:
          - name: shop
            zone: example.com
            record: origin.example.com
        """) + textwrap.indent(textwrap.dedent(body), "    ")
    path = tmp_path / "routing.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def route(tmp_path: Path, body: str, catalog: Catalog) -> tuple[LoadedPolicy, RoutingResult]:
    loaded = load_policy(policy_file(tmp_path, body), catalog)
    return loaded, route_policy(loaded, catalog)


def routing_error(tmp_path: Path, body: str, catalog: Catalog) -> PolicyError:
    loaded = load_policy(policy_file(tmp_path, body), catalog)
    with pytest.raises(PolicyError) as info:
        route_policy(loaded, catalog)
    error = info.value
    assert error.file == loaded.file
    assert loaded.file in str(error)
    return error


# --- the shipped policy -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def repo_routing(catalog: Catalog) -> RoutingResult:
    return route_policy(load_policy(REPO / "routing.yaml", catalog), catalog)


def test_repo_policy_has_no_warnings(repo_routing: RoutingResult) -> None:
    assert repo_routing.warnings == []
    assert [app.app.name for app in repo_routing.applications] == ["shop"]


def test_me_south_1_is_forced_to_us_east_1(repo_routing: RoutingResult) -> None:
    route = repo_routing.applications[0].route_for("me-south-1")
    assert route is not None
    assert (route.pop, route.reason, route.compliance) == ("us-east-1", "forced", ())
    # Bahrain to Northern Virginia: about 11,000 km.
    assert route.distance_km == pytest.approx(11000, rel=0.05)


def test_eu_sources_go_to_eu_west_1_under_gdpr(
    repo_routing: RoutingResult, catalog: Catalog
) -> None:
    eu = [r for r in catalog.default_sources() if r.startswith("eu-")]
    assert set(eu) >= EU_SOURCES
    for source in eu:
        route = repo_routing.applications[0].route_for(source)
        assert route is not None, source
        assert (route.pop, route.reason, route.compliance) == ("eu-west-1", "nearest", ("gdpr",))
    london = repo_routing.applications[0].route_for("eu-west-2")
    assert london is not None and london.distance_km == pytest.approx(460, rel=0.05)
    dublin = repo_routing.applications[0].route_for("eu-west-1")
    assert dublin is not None and dublin.distance_km == 0.0


@pytest.mark.parametrize(
    ("source", "pop"),
    [
        ("us-west-2", "us-east-1"),
        ("us-east-1", "us-east-1"),
        ("ca-central-1", "us-east-1"),
        ("sa-east-1", "us-east-1"),
        ("ap-northeast-1", "ap-southeast-1"),
        ("ap-southeast-2", "ap-southeast-1"),
        ("ap-south-1", "ap-southeast-1"),
        ("il-central-1", "eu-west-1"),
    ],
)
def test_nearest_routes(repo_routing: RoutingResult, source: str, pop: str) -> None:
    route = repo_routing.applications[0].route_for(source)
    assert route is not None
    assert (route.pop, route.reason, route.compliance) == (pop, "nearest", ())


def test_every_default_source_routed_exactly_once(
    repo_routing: RoutingResult, catalog: Catalog
) -> None:
    sources = [r.source_region for r in repo_routing.applications[0].routes]
    assert len(sources) == len(set(sources))
    assert sorted(sources) == sorted(catalog.default_sources())
    assert sources == sorted(sources)  # routes come in source-region order


@pytest.mark.parametrize(
    "region", ["cn-north-1", "cn-northwest-1", "us-gov-east-1", "us-gov-west-1", "eusc-de-east-1"]
)
def test_other_partitions_absent_under_all(repo_routing: RoutingResult, region: str) -> None:
    assert repo_routing.applications[0].route_for(region) is None


# --- compliance -------------------------------------------------------------------------------

GDPR = """\
compliance:
  - name: gdpr
    sources: ["eu-*"]
    allowed_pops: ["eu-*"]
"""

TWO_POPS = """\
pops:
  us-east-1: {target: a-1.us-east-1.elb.amazonaws.com}
  eu-west-1: {target: b-2.eu-west-1.elb.amazonaws.com}
"""


def test_force_breaking_compliance(tmp_path: Path, catalog: Catalog) -> None:
    body = TWO_POPS + "force:\n  me-south-1: us-east-1\n  eu-west-3: us-east-1\n" + GDPR
    # Lines: 6 pops, 7-8 PoPs, 9 force, 10 me-south-1, 11 eu-west-3, 12 compliance.
    error = routing_error(tmp_path, body, catalog)
    assert len(error.issues) == 1
    issue = error.issues[0]
    assert issue.dotted_path() == "applications[0].force.eu-west-3"
    assert issue.line == 11
    assert issue.message == (
        "compliance rule 'gdpr': source eu-west-3 would reach PoP us-east-1 (forced), which "
        "the rule does not allow; a compliant PoP is eu-west-1"
    )
    assert f"{error.file}:11: applications[0].force.eu-west-3:" in str(error)


def test_nearest_breaking_compliance(tmp_path: Path, catalog: Catalog) -> None:
    body = (
        "source_regions: [eu-west-1, us-east-1]\n"
        "pops:\n  us-east-1: {target: a-1.us-east-1.elb.amazonaws.com}\n" + GDPR
    )
    # Lines: 6 source_regions, 7 pops, 8 us-east-1, 9 compliance, 10 "- name", 12 allowed_pops.
    error = routing_error(tmp_path, body, catalog)
    assert [(i.dotted_path(), i.line, i.message) for i in error.issues] == [
        (
            "applications[0].compliance[0]", 10,
            "compliance rule 'gdpr': source eu-west-1 would reach PoP us-east-1 (nearest), "
            "which the rule does not allow; no PoP of this application is allowed",
        ),
        (
            "applications[0].compliance[0].allowed_pops", 12,
            "compliance rule 'gdpr' allows none of the application's PoPs",
        ),
    ]
    assert "'gdpr'" in str(error)


def test_nearest_breaking_compliance_suggests_allowed_but_unlocated_pop(
    tmp_path: Path, extended: Catalog
) -> None:
    body = (
        "source_regions: [eu-west-2]\n"
        "pops:\n"
        "  us-east-1: {target: a-1.us-east-1.elb.amazonaws.com}\n"
        "  xx-new-1: {target: c.example.net, hosted_zone_id: ZNEW1}\n"
        "compliance:\n"
        "  - name: fenced\n"
        "    sources: [eu-west-2]\n"
        "    allowed_pops: [xx-*]\n"
    )
    error = routing_error(tmp_path, body, extended)
    assert [i.message for i in error.issues] == [
        "compliance rule 'fenced': source eu-west-2 would reach PoP us-east-1 (nearest), which "
        "the rule does not allow; allowed PoPs: xx-new-1"
    ]


def test_compliance_respected_by_choice_of_nearest(tmp_path: Path, catalog: Catalog) -> None:
    body = "source_regions: [eu-west-2, us-east-2]\n" + TWO_POPS + GDPR
    _, result = route(tmp_path, body, catalog)
    app = result.applications[0]
    assert app.routes == (
        Route("eu-west-2", "eu-west-1", "nearest", app.routes[0].distance_km, ("gdpr",)),
        Route("us-east-2", "us-east-1", "nearest", app.routes[1].distance_km, ()),
    )
    assert result.warnings == []


def test_compliance_rule_matching_no_source_warns(tmp_path: Path, catalog: Catalog) -> None:
    body = "source_regions: [us-east-2]\n" + TWO_POPS + GDPR
    _, result = route(tmp_path, body, catalog)
    assert result.warnings == ["shop: compliance rule 'gdpr' matches none of the source regions"]


def test_several_problems_reported_together(tmp_path: Path, catalog: Catalog) -> None:
    body = TWO_POPS + "force:\n  eu-west-3: us-east-1\n  eu-north-1: us-east-1\n" + GDPR
    error = routing_error(tmp_path, body, catalog)
    assert [(i.dotted_path(), i.line) for i in error.issues] == [
        ("applications[0].force.eu-north-1", 11),
        ("applications[0].force.eu-west-3", 10),
    ]
    assert f"{error.file}: invalid policy (2 problems)" in str(error)


def test_evaluate_target_health_with_compliance_warns(tmp_path: Path, catalog: Catalog) -> None:
    body = "source_regions: [eu-west-2]\nevaluate_target_health: true\n" + TWO_POPS + GDPR
    _, result = route(tmp_path, body, catalog)
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    assert warning.startswith("shop: evaluate_target_health is true")
    assert "compliance" in warning


def test_evaluate_target_health_without_compliance_is_quiet(
    tmp_path: Path, catalog: Catalog
) -> None:
    _, result = route(tmp_path, "source_regions: [eu-west-2]\nevaluate_target_health: true\n"
                      + TWO_POPS, catalog)
    assert result.warnings == []


# --- China, unlocated regions ---------------------------------------------------------------------


def test_china_named_explicitly_warns(tmp_path: Path, catalog: Catalog) -> None:
    _, result = route(tmp_path, "source_regions: [cn-north-1, eu-west-1]\n" + TWO_POPS, catalog)
    assert result.warnings == [
        "shop: cn-north-1 is named explicitly; Route 53 answers every query from China with "
        "the cn-north-1 record"
    ]
    china = result.applications[0].route_for("cn-north-1")
    # Beijing is closer to Dublin (~8,300 km) than to Northern Virginia (~11,100 km).
    assert china is not None and (china.pop, china.reason) == ("eu-west-1", "nearest")


def test_china_forced_warns(tmp_path: Path, catalog: Catalog) -> None:
    _, result = route(tmp_path, TWO_POPS + "force: {cn-northwest-1: us-east-1}\n", catalog)
    assert any("cn-northwest-1 is named explicitly" in w and "China" in w
               for w in result.warnings)
    china = result.applications[0].route_for("cn-northwest-1")
    assert china is not None and (china.pop, china.reason) == ("us-east-1", "forced")


def test_unlocated_region_under_all_is_skipped_with_warning(
    tmp_path: Path, extended: Catalog
) -> None:
    _, result = route(tmp_path, TWO_POPS, extended)
    assert result.applications[0].route_for("xx-new-1") is None
    assert result.warnings == [
        "the region catalog has no location for xx-new-1 (newer than this geoproxy); they are "
        "usable only through `force`",
        "shop: source region xx-new-1 has no known location and is skipped; add a `force` "
        "entry to route it",
    ]
    routed = {r.source_region for r in result.applications[0].routes}
    assert routed == set(extended.default_sources()) - {"xx-new-1"}


def test_unlocated_region_with_force_is_routed(tmp_path: Path, extended: Catalog) -> None:
    _, result = route(tmp_path, TWO_POPS + "force: {xx-new-1: eu-west-1}\n", extended)
    assert result.applications[0].route_for("xx-new-1") == Route(
        "xx-new-1", "eu-west-1", "forced", None, ()
    )
    assert not any("skipped" in w for w in result.warnings)
    assert len(result.warnings) == 1 and "no location for xx-new-1" in result.warnings[0]


def test_unlocated_region_named_explicitly_is_an_error(
    tmp_path: Path, extended: Catalog
) -> None:
    error = routing_error(tmp_path, "source_regions: [xx-new-1]\n" + TWO_POPS, extended)
    assert [(i.dotted_path(), i.line, i.message) for i in error.issues] == [(
        "applications[0].source_regions", 6,
        "cannot route source region xx-new-1: it has no known location; add a `force` entry "
        "for it",
    )]


def test_unlocated_pop_only_through_force(tmp_path: Path, extended: Catalog) -> None:
    body = (
        "source_regions: [eu-west-2]\n"
        "pops:\n"
        "  xx-new-1: {target: c.example.net, hosted_zone_id: ZNEW1}\n"
        "  us-east-1: {target: a-1.us-east-1.elb.amazonaws.com}\n"
    )
    _, result = route(tmp_path, body, extended)
    assert "shop: PoP xx-new-1 has no known location, so it is reachable only through `force`" \
        in result.warnings
    london = result.applications[0].route_for("eu-west-2")
    assert london is not None and london.pop == "us-east-1"

    _, result = route(tmp_path, body + "force: {eu-west-1: xx-new-1}\n", extended)
    assert not any("PoP xx-new-1" in w for w in result.warnings)
    assert result.applications[0].route_for("eu-west-1") == Route(
        "eu-west-1", "xx-new-1", "forced", None, ()
    )


def test_no_located_pop_is_an_error(tmp_path: Path, extended: Catalog) -> None:
    body = (
        "source_regions: [eu-west-2]\n"
        "pops:\n  xx-new-1: {target: c.example.net, hosted_zone_id: ZNEW1}\n"
    )
    error = routing_error(tmp_path, body, extended)
    assert [(i.dotted_path(), i.message) for i in error.issues] == [(
        "applications[0].source_regions",
        "cannot route source region eu-west-2: no PoP has a known location",
    )]


# --- helpers --------------------------------------------------------------------------------------


def test_nearest_pop_ties_go_alphabetically(catalog: Catalog) -> None:
    # us-east-2 and us-gov-east-1 share a location (both Ohio), so they tie from anywhere.
    assert catalog.distance_km("us-east-1", "us-east-2") == catalog.distance_km(
        "us-east-1", "us-gov-east-1"
    )
    for pops in (["us-gov-east-1", "us-east-2"], ["us-east-2", "us-gov-east-1"]):
        nearest = nearest_pop("us-east-1", pops, catalog)
        assert nearest is not None and nearest.pop == "us-east-2"


def test_nearest_pop_edge_cases(extended: Catalog) -> None:
    assert nearest_pop("xx-new-1", ["eu-west-1"], extended) is None
    assert nearest_pop("eu-west-1", ["xx-new-1"], extended) is None
    assert nearest_pop("eu-west-1", [], extended) is None
    nearest = nearest_pop("eu-west-2", ["us-east-1", "eu-west-1", "xx-new-1"], extended)
    assert nearest is not None
    assert (nearest.pop, nearest.distance_km, nearest.basis) == (
        "eu-west-1", extended.distance_km("eu-west-2", "eu-west-1"), "distance")


def test_matches_and_rules_for(tmp_path: Path, catalog: Catalog) -> None:
    assert matches("eu-west-1", ["eu-*"])
    assert not matches("eusc-de-east-1", ["eu-*"])
    assert not matches("us-east-1", ["eu-*", "ap-*"])
    assert matches("us-east-1", ["eu-*", "us-east-?"])
    assert not matches("EU-WEST-1", ["eu-*"])  # case-sensitive, as region names are
    loaded = load_policy(policy_file(tmp_path, TWO_POPS + GDPR), catalog)
    rules = loaded.policy.applications[0].compliance
    assert [r.name for r in rules_for("eu-north-1", rules)] == ["gdpr"]
    assert rules_for("me-south-1", rules) == []


def test_route_application_returns_issues_instead_of_raising(
    tmp_path: Path, catalog: Catalog
) -> None:
    body = TWO_POPS + "force:\n  eu-west-3: us-east-1\n" + GDPR
    app = load_policy(policy_file(tmp_path, body), catalog).policy.applications[0]
    routing, issues, warnings = route_application(app, 4, catalog)
    assert [i.path for i in issues] == [("applications", 4, "force", "eu-west-3")]
    assert issues[0].line is None  # lines are filled in by route_policy
    assert warnings == []
    forced = routing.route_for("eu-west-3")
    assert forced is not None and (forced.pop, forced.reason) == ("us-east-1", "forced")


def test_second_application_issue_paths(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(textwrap.dedent("""\
        version: 1
        applications:
          - name: one
            zone: example.com
            record: one.example.com
            pops: {us-east-1: {target: a-1.us-east-1.elb.amazonaws.com}}
          - name: two
            zone: example.com
            record: two.example.com
            pops: {us-east-1: {target: a-1.us-east-1.elb.amazonaws.com}}
            force: {eu-west-1: us-east-1}
            compliance: [{name: gdpr, sources: ["eu-*"], allowed_pops: [us-east-1]}]
        """), encoding="utf-8")
    loaded = load_policy(path, catalog)
    result = route_policy(loaded, catalog)
    assert [a.app.name for a in result.applications] == ["one", "two"]
    two = result.applications[1].route_for("eu-west-1")
    assert two is not None and (two.pop, two.reason, two.compliance) == (
        "us-east-1", "forced", ("gdpr",)
    )
