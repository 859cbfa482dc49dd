"""Unit tests of geoproxy.routing: forced and nearest routes, compliance, warnings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
from geoproxy.policy.models import Application
from tests import builders
from tests.builders import GDPR, application, loaded_policy

REPO = Path(__file__).resolve().parents[3]

EU_SOURCES = {
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
}


@pytest.fixture(scope="module")
def extended() -> Catalog:
    """A catalog whose botocore knows a region geoproxy cannot place on the map."""
    return Catalog.load((*botocore_latency_regions(), "xx-new-1"))


def route(app: Application, regions: Catalog) -> tuple[LoadedPolicy, RoutingResult]:
    """`app` alone in a policy, routed without a latency table (so by distance)."""
    loaded = loaded_policy(app, regions=regions)
    return loaded, route_policy(loaded, regions)


def routing_error(app: Application, regions: Catalog) -> PolicyError:
    loaded = loaded_policy(app, regions=regions)
    with pytest.raises(PolicyError) as info:
        route_policy(loaded, regions)
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

TWO_POPS = builders.pops("us-east-1", "eu-west-1")
# A PoP in a region the catalog cannot place on the map.
NEW_POP = {"target": "c.example.net", "hosted_zone_id": "ZNEW1"}


def test_nearest_breaking_compliance_suggests_allowed_but_unlocated_pop(extended: Catalog) -> None:
    app = application(
        source_regions=["eu-west-2"],
        pops={"us-east-1": builders.pop("us-east-1"), "xx-new-1": NEW_POP},
        compliance=[{"name": "fenced", "sources": ["eu-west-2"], "allowed_pops": ["xx-*"]}],
    )
    error = routing_error(app, extended)
    assert [i.message for i in error.issues] == [
        "compliance rule 'fenced': source eu-west-2 would reach PoP us-east-1 (nearest), which "
        "the rule does not allow; allowed PoPs: xx-new-1"
    ]


def test_compliance_respected_by_choice_of_nearest(catalog: Catalog) -> None:
    app = application(source_regions=["eu-west-2", "us-east-2"], pops=TWO_POPS, compliance=[GDPR])
    _, result = route(app, catalog)
    app = result.applications[0]
    assert app.routes == (
        Route("eu-west-2", "eu-west-1", "nearest", app.routes[0].distance_km, ("gdpr",)),
        Route("us-east-2", "us-east-1", "nearest", app.routes[1].distance_km, ()),
    )
    assert result.warnings == []


def test_compliance_rule_matching_no_source_warns(catalog: Catalog) -> None:
    app = application(source_regions=["us-east-2"], pops=TWO_POPS, compliance=[GDPR])
    _, result = route(app, catalog)
    assert result.warnings == ["shop: compliance rule 'gdpr' matches none of the source regions"]


def test_evaluate_target_health_with_compliance_warns(catalog: Catalog) -> None:
    app = application(
        source_regions=["eu-west-2"], evaluate_target_health=True, pops=TWO_POPS, compliance=[GDPR]
    )
    _, result = route(app, catalog)
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    assert warning.startswith("shop: evaluate_target_health is true")
    assert "compliance" in warning


def test_evaluate_target_health_without_compliance_is_quiet(catalog: Catalog) -> None:
    app = application(source_regions=["eu-west-2"], evaluate_target_health=True, pops=TWO_POPS)
    _, result = route(app, catalog)
    assert result.warnings == []


# --- China, unlocated regions ---------------------------------------------------------------------


def test_china_named_explicitly_warns(catalog: Catalog) -> None:
    app = application(source_regions=["cn-north-1", "eu-west-1"], pops=TWO_POPS)
    _, result = route(app, catalog)
    assert result.warnings == [
        "shop: cn-north-1 is named explicitly; Route 53 answers every query from China with "
        "the cn-north-1 record"
    ]
    china = result.applications[0].route_for("cn-north-1")
    # Beijing is closer to Dublin (~8,300 km) than to Northern Virginia (~11,100 km).
    assert china is not None and (china.pop, china.reason) == ("eu-west-1", "nearest")


def test_china_forced_warns(catalog: Catalog) -> None:
    _, result = route(application(pops=TWO_POPS, force={"cn-northwest-1": "us-east-1"}), catalog)
    assert any("cn-northwest-1 is named explicitly" in w and "China" in w for w in result.warnings)
    china = result.applications[0].route_for("cn-northwest-1")
    assert china is not None and (china.pop, china.reason) == ("us-east-1", "forced")


def test_unlocated_region_under_all_is_skipped_with_warning(extended: Catalog) -> None:
    _, result = route(application(pops=TWO_POPS), extended)
    assert result.applications[0].route_for("xx-new-1") is None
    assert result.warnings == [
        "the region catalog has no location for xx-new-1 (newer than this geoproxy); they are "
        "usable only through `force`",
        "shop: source region xx-new-1 has no known location and is skipped; add a `force` "
        "entry to route it",
    ]
    routed = {r.source_region for r in result.applications[0].routes}
    assert routed == set(extended.default_sources()) - {"xx-new-1"}


def test_unlocated_region_with_force_is_routed(extended: Catalog) -> None:
    _, result = route(application(pops=TWO_POPS, force={"xx-new-1": "eu-west-1"}), extended)
    assert result.applications[0].route_for("xx-new-1") == Route(
        "xx-new-1", "eu-west-1", "forced", None, ()
    )
    assert not any("skipped" in w for w in result.warnings)
    assert len(result.warnings) == 1 and "no location for xx-new-1" in result.warnings[0]


def test_unlocated_pop_only_through_force(extended: Catalog) -> None:
    keys: dict[str, Any] = {
        "source_regions": ["eu-west-2"],
        "pops": {"xx-new-1": NEW_POP, "us-east-1": builders.pop("us-east-1")},
    }
    _, result = route(application(**keys), extended)
    assert (
        "shop: PoP xx-new-1 has no known location, so it is reachable only through `force`"
        in result.warnings
    )
    london = result.applications[0].route_for("eu-west-2")
    assert london is not None and london.pop == "us-east-1"

    _, result = route(application(**keys, force={"eu-west-1": "xx-new-1"}), extended)
    assert not any("PoP xx-new-1" in w for w in result.warnings)
    assert result.applications[0].route_for("eu-west-1") == Route(
        "eu-west-1", "xx-new-1", "forced", None, ()
    )


def test_no_located_pop_is_an_error(extended: Catalog) -> None:
    error = routing_error(
        application(source_regions=["eu-west-2"], pops={"xx-new-1": NEW_POP}), extended
    )
    assert [(i.dotted_path(), i.message) for i in error.issues] == [
        (
            "applications[0].source_regions",
            "cannot route source region eu-west-2: no PoP has a known location",
        )
    ]


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
        "eu-west-1",
        extended.distance_km("eu-west-2", "eu-west-1"),
        "distance",
    )


def test_matches_and_rules_for() -> None:
    assert matches("eu-west-1", ["eu-*"])
    assert not matches("eusc-de-east-1", ["eu-*"])
    assert not matches("us-east-1", ["eu-*", "ap-*"])
    assert matches("us-east-1", ["eu-*", "us-east-?"])
    assert not matches("EU-WEST-1", ["eu-*"])  # case-sensitive, as region names are
    policy = builders.policy(application(pops=TWO_POPS, compliance=[GDPR]))
    rules = policy.applications[0].compliance
    assert [r.name for r in rules_for("eu-north-1", rules)] == ["gdpr"]
    assert rules_for("me-south-1", rules) == []


def test_route_application_returns_issues_instead_of_raising(catalog: Catalog) -> None:
    app = builders.policy(
        application(pops=TWO_POPS, force={"eu-west-3": "us-east-1"}, compliance=[GDPR])
    ).applications[0]
    routing, issues, warnings = route_application(app, 4, catalog)
    assert [i.path for i in issues] == [("applications", 4, "force", "eu-west-3")]
    assert issues[0].line is None  # lines are filled in by route_policy
    assert warnings == []
    forced = routing.route_for("eu-west-3")
    assert forced is not None and (forced.pop, forced.reason) == ("us-east-1", "forced")


def test_second_application_issue_paths(catalog: Catalog) -> None:
    one = application(name="one", record="one.example.com", pops=builders.pops("us-east-1"))
    two = application(
        name="two",
        record="two.example.com",
        pops=builders.pops("us-east-1"),
        force={"eu-west-1": "us-east-1"},
        compliance=[{"name": "gdpr", "sources": ["eu-*"], "allowed_pops": ["us-east-1"]}],
    )
    loaded = loaded_policy(one, two)
    result = route_policy(loaded, catalog)
    assert [a.app.name for a in result.applications] == ["one", "two"]
    two = result.applications[1].route_for("eu-west-1")
    assert two is not None and (two.pop, two.reason, two.compliance) == (
        "us-east-1",
        "forced",
        ("gdpr",),
    )
