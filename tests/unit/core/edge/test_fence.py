"""Unit tests of geoproxy.core.edge.fence: the edge fence's country -> PoP table (nearest
allowed PoP, the intersection of a country's rules, ties), the fail-closed PoP, and active
failovers applied and compliance-checked (refused, or allowed by that failover's override)."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

import pytest

from geoproxy.core.edge.fence import (
    EdgeFence,
    EdgeViolation,
    describe_edge_violation,
    edge_fence,
    fence_json,
    has_viewer_fence,
    nearest_allowed,
)
from geoproxy.core.failover import Failover, FailoverCycle
from geoproxy.policy.catalog import Catalog, RegionInfo
from geoproxy.policy.countries import EU_MEMBERS, CountryLocation
from geoproxy.policy.models import Application
from tests import builders
from tests.builders import NAME, application
from tests.unit.conftest import AT

RECORD = NAME
POPS = ("us-east-1", "eu-west-1", "eu-central-1", "eu-central-2")


def rule(
    name: str,
    sources: list[str],
    allowed_pops: list[str],
    viewer_countries: list[str] | None = None,
) -> dict[str, Any]:
    fenced = {"viewer_countries": viewer_countries} if viewer_countries is not None else {}
    return {"name": name, "sources": sources, "allowed_pops": allowed_pops, **fenced}


# Dublin, Frankfurt, Zurich, Virginia. `gdpr` fences the EU, GB, CH and LI to any eu-* PoP;
# `swiss` fences CH and LI to the two central ones, so for them the intersection counts.
GDPR_FENCE = rule("gdpr", ["eu-west-1", "eu-central-1"], ["eu-*"], ["EU", "GB", "CH", "LI"])
SWISS_FENCE = rule("swiss", ["eu-central-2"], ["eu-central-*"], ["CH", "LI"])
# The swiss rule fences US viewers onto us-* PoPs: no PoP satisfies both fences.
NO_COMMON_POP = rule("swiss", ["us-east-1"], ["us-*"], ["US"])


def shop(*rules: dict[str, Any], pops: tuple[str, ...] = POPS, **cloudfront: Any) -> Application:
    """The fenced application (default rules: gdpr and swiss), compiled as a policy;
    `cloudfront` adds settings to its cloudfront section."""
    app = application(
        pops=builders.pops(*pops),
        cloudfront={"distribution_id": "E2EXAMPLE123", **cloudfront},
        compliance=list(rules or (GDPR_FENCE, SWISS_FENCE)),
    )
    return builders.compiled(app).loaded.policy.applications[0]


def fence_of(
    overlay: dict[str, Failover] | None = None, app: Application | None = None
) -> EdgeFence:
    fence = edge_fence(app or shop(), builders.catalog(), "default", overlay)
    assert fence is not None
    return fence


def failover(from_pop: str, to_pop: str, override: str = "") -> Failover:
    return Failover(
        from_pop, to_pop, AT, "arn:aws:iam::123456789012:user/oncall", "drill", override
    )


# --- the table --------------------------------------------------------------------------------


def refused(fence: Any) -> list[Any]:
    """The breaches no --override-compliance allows."""
    return [violation for violation in fence.violations if not violation.overridden]


def test_each_fenced_country_goes_to_the_nearest_pop_its_rules_allow() -> None:
    fence = fence_of()
    assert set(fence.table) == EU_MEMBERS | {"GB", "CH", "LI"}
    assert list(fence.table) == sorted(fence.table)
    assert {code: fence.table[code] for code in ("IE", "GB", "PT", "DE", "NL", "IT", "FR")} == {
        "IE": "eu-west-1",
        "GB": "eu-west-1",
        "PT": "eu-west-1",
        "DE": "eu-central-1",
        "NL": "eu-central-1",
        "IT": "eu-central-2",
        "FR": "eu-central-2",
    }
    app = shop()
    for entry in fence.countries:
        # Nearest of what every one of its rules allows, by the same distance it reports.
        assert entry.base_pop == entry.pop and not entry.failovers
        assert entry.target == f"{entry.pop}.{RECORD}"
        for rule in app.compliance:
            if entry.country in rule.viewer_countries or (
                "EU" in rule.viewer_countries and entry.country in EU_MEMBERS
            ):
                assert entry.rules.count(rule.name) == 1
                assert any(fnmatchcase(entry.pop, glob) for glob in rule.allowed_pops)
        assert entry.distance_km is not None
        assert entry.reason == (
            f"nearest PoP allowed by "
            f"{' and '.join(repr(rule) for rule in entry.rules)}, "
            f"{entry.distance_km:,.0f} km"
        )


def test_a_country_of_two_rules_gets_the_intersection() -> None:
    fence = fence_of()
    by_code = {entry.country: entry for entry in fence.countries}
    assert by_code["CH"].rules == ("gdpr", "swiss")
    assert by_code["CH"].allowed == ("eu-central-1", "eu-central-2")
    assert by_code["DE"].allowed == ("eu-central-1", "eu-central-2", "eu-west-1")
    assert by_code["CH"].pop == by_code["LI"].pop == "eu-central-2"  # Zurich, ~70 km


def test_the_intersection_decides_when_the_nearest_pop_is_not_in_it() -> None:
    # `isles` fences IE to the central PoPs only: Dublin, nearest, is not in the intersection.
    isles = rule("swiss", ["eu-central-2"], ["eu-central-*"], ["CH", "LI", "IE"])
    by_code = {entry.country: entry for entry in fence_of(app=shop(GDPR_FENCE, isles)).countries}
    assert by_code["IE"].pop == "eu-central-1" and by_code["IE"].rules == ("gdpr", "swiss")


def test_ties_go_to_the_region_name_first_and_unlocated_pops_last() -> None:
    place = CountryLocation("XY", "Somewhere", 40.0, -83.0)
    twins = Catalog(
        ("us-east-2", "us-gov-east-1", "zz-new-1"),
        {
            name: RegionInfo(name, "Ohio", 39.96, -83.0, None, None)
            for name in ("us-east-2", "us-gov-east-1")
        },
    )
    assert nearest_allowed(place, ["us-gov-east-1", "us-east-2"], twins)[0] == "us-east-2"
    assert nearest_allowed(place, ["zz-new-1", "us-gov-east-1"], twins)[0] == "us-gov-east-1"
    assert nearest_allowed(place, ["zz-new-1"], twins) == ("zz-new-1", None)


def test_an_application_without_viewer_countries_has_no_fence() -> None:
    app = shop(
        rule("gdpr", ["eu-west-1", "eu-central-1"], ["eu-*"]),
        rule("swiss", ["eu-central-2"], ["eu-central-*"]),
    )
    assert not has_viewer_fence(app)
    assert edge_fence(app, builders.catalog(), "default") is None


def test_the_fence_is_the_same_whatever_the_order_of_the_pops() -> None:
    reordered = shop(pops=POPS[::-1])
    assert list(reordered.pops) == list(POPS[::-1]) != list(shop().pops)
    first = fence_of()
    second = fence_of(app=reordered)
    assert first == second


# --- the fail-closed PoP ----------------------------------------------------------------------


def test_the_fail_closed_pop_satisfies_every_fence_and_takes_the_most_countries() -> None:
    fence = fence_of()
    assert fence.fail_closed is not None
    # Allowed by both rules: eu-central-1 and eu-central-2; more fenced countries go to Zurich.
    counts = {
        pop: list(fence.table.values()).count(pop) for pop in ("eu-central-1", "eu-central-2")
    }
    assert counts["eu-central-2"] > counts["eu-central-1"]
    assert fence.fail_closed.pop == fence.fail_closed.base_pop == "eu-central-2"
    assert fence.fail_closed.target == f"eu-central-2.{RECORD}"
    assert fence.fail_closed.countries == counts["eu-central-2"]


@pytest.mark.parametrize(
    ("gdpr", "other", "expected"),
    [
        (["IE"], ["US"], "eu-central-1"),  # no fenced country goes to either central PoP: a tie
        (["IE", "DE"], ["US", "IT"], "eu-central-1"),  # one each (Frankfurt, Zurich): a tie
        (["IE", "DE"], ["US", "IT", "FR"], "eu-central-2"),  # two to Zurich: more countries win
    ],
)
def test_fail_closed_takes_the_most_countries_then_the_region_name_first(
    gdpr: list[str], other: list[str], expected: str
) -> None:
    fence = fence_of(
        app=shop(
            rule("gdpr", ["eu-west-1", "eu-central-1"], ["eu-*"], gdpr),
            rule("swiss", ["us-east-1"], ["us-*", "eu-central-*"], other),
        )
    )
    assert fence.table["IE"] == "eu-west-1" and fence.table["US"] == "us-east-1"
    assert fence.fail_closed is not None and fence.fail_closed.pop == expected


def test_no_fail_closed_pop_when_no_pop_satisfies_every_fence() -> None:
    fence = fence_of(app=shop(GDPR_FENCE, NO_COMMON_POP))
    assert fence.fail_closed is None
    assert fence.table["US"] == "us-east-1"
    assert fence_json(fence)["fail_closed"] is None


# --- failovers --------------------------------------------------------------------------------


def test_a_failover_moves_its_countries_as_it_moves_routes() -> None:
    before = fence_of()
    after = fence_of({"eu-central-1": failover("eu-central-1", "eu-west-1")})
    moved = {code for code, pop in before.table.items() if pop == "eu-central-1"}
    assert moved and "DE" in moved
    for entry in after.countries:
        if entry.country in moved:
            assert (entry.pop, entry.base_pop, entry.failovers) == (
                "eu-west-1",
                "eu-central-1",
                ("eu-central-1",),
            )
            assert entry.target == f"eu-west-1.{RECORD}"
            assert entry.reason.startswith(
                "failover eu-central-1 -> eu-west-1 (policy: "
                "eu-central-1, nearest PoP allowed by 'gdpr'"
            )
        else:
            assert entry.pop == before.table[entry.country] and not entry.failovers
    assert after.violations == () and refused(after) == []
    assert [f.from_pop for f in after.failovers] == ["eu-central-1"]
    assert after.fail_closed == before.fail_closed  # Zurich did not fail over


def test_a_failover_chain_is_followed() -> None:
    fence = fence_of(
        {
            "eu-central-2": failover("eu-central-2", "eu-central-1"),
            "eu-central-1": failover("eu-central-1", "eu-west-1"),
        }
    )
    by_code = {entry.country: entry for entry in fence.countries}
    assert by_code["IT"].pop == "eu-west-1"
    assert by_code["IT"].failovers == ("eu-central-2", "eu-central-1")
    assert fence.fail_closed is not None and fence.fail_closed.pop == "eu-west-1"


def test_a_failover_to_a_pop_the_rules_forbid_is_refused() -> None:
    fence = fence_of({"eu-central-2": failover("eu-central-2", "eu-west-1")})
    by_code = {entry.country: entry for entry in fence.countries}
    assert by_code["IT"].pop == "eu-west-1"  # gdpr allows Dublin: fine
    assert by_code["CH"].pop == "eu-west-1"  # swiss does not
    assert fence.violations == (
        EdgeViolation(("swiss",), ("CH", "LI"), "eu-west-1", "eu-central-2", "eu-central-1", ""),
        EdgeViolation(
            ("swiss",), (), "eu-west-1", "eu-central-2", "eu-central-1", "", no_header=True
        ),
    )
    assert refused(fence) == list(fence.violations)
    assert [describe_edge_violation("shop", v) for v in fence.violations] == [
        "shop: compliance rule 'swiss' forbids PoP eu-west-1 for viewers in CH, LI, where the "
        "failover away from eu-central-2 would send them at the edge; a compliant alternative "
        "is eu-central-1",
        "shop: compliance rule 'swiss' forbids PoP eu-west-1 for requests without a country "
        "header (the edge fence's fail-closed PoP), where the failover away from eu-central-2 "
        "would send them at the edge; a compliant alternative is eu-central-1",
    ]


def test_a_failover_out_of_the_eu_breaks_both_rules() -> None:
    fence = fence_of({"eu-central-2": failover("eu-central-2", "us-east-1")})
    broken = {
        violation.rules: violation for violation in fence.violations if not violation.no_header
    }
    assert set(broken) == {("gdpr",), ("gdpr", "swiss")}
    assert broken[("gdpr", "swiss")].countries == ("CH", "LI")
    assert broken[("gdpr", "swiss")].alternative == "eu-central-1"
    assert "IT" in broken[("gdpr",)].countries
    assert describe_edge_violation("shop", broken[("gdpr", "swiss")]).startswith(
        "shop: compliance rules 'gdpr' and 'swiss' forbid PoP us-east-1 for viewers in CH, LI"
    )


def test_an_override_allows_the_breach_with_its_reason() -> None:
    fence = fence_of(
        {"eu-central-2": failover("eu-central-2", "eu-west-1", "regulator approved, ticket 42")}
    )
    assert fence.violations and refused(fence) == []
    assert {v.overridden for v in fence.violations} == {"regulator approved, ticket 42"}
    assert fence.table["CH"] == "eu-west-1"


def test_only_the_failover_that_lands_the_breach_can_override_it() -> None:
    # Zurich -> Frankfurt is approved (and compliant); Frankfurt -> Virginia, which lands CH
    # outside both rules, is not: the first override does not cover the second.
    fence = fence_of(
        {
            "eu-central-2": failover("eu-central-2", "eu-central-1", "approved"),
            "eu-central-1": failover("eu-central-1", "us-east-1"),
        }
    )
    assert refused(fence) and all(v.failover_from == "eu-central-1" for v in refused(fence))
    ch = next(v for v in refused(fence) if "CH" in v.countries)
    # eu-central-1 and eu-central-2 are failed away from: swiss has no PoP left.
    assert ch.rules == ("gdpr", "swiss") and ch.alternative is None


def test_a_failover_cycle_raises() -> None:
    with pytest.raises(FailoverCycle):
        fence_of(
            {
                "eu-central-2": failover("eu-central-2", "eu-central-1"),
                "eu-central-1": failover("eu-central-1", "eu-central-2"),
            }
        )


def test_a_failover_to_a_pop_the_application_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="targets a PoP the application does not have"):
        fence_of({"eu-central-2": failover("eu-central-2", "ap-south-1")})


def test_the_json_table() -> None:
    fence = fence_of({"eu-central-1": failover("eu-central-1", "eu-west-1")})
    document = fence_json(fence)
    de = document["table"]["DE"]  # type: ignore[index]
    assert de["pop"] == "eu-west-1" and de["policy_pop"] == "eu-central-1"
    assert de["target"] == f"eu-west-1.{RECORD}" and de["failovers"] == ["eu-central-1"]
    assert de["rules"] == ["gdpr"] and de["name"] == "Germany"
    assert isinstance(de["distance_km"], int) and de["reason"].startswith("failover")
    assert document["fail_closed"]["pop"] == "eu-central-2"  # type: ignore[index]
