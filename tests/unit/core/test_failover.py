"""Unit tests of geoproxy.failover (the overlay and how it resolves) and pipeline.resolve_app."""

from __future__ import annotations

from dataclasses import replace

import pytest

from geoproxy.core.failover import (
    Failover,
    FailoverCycle,
    Violation,
    apply_overlay,
    compliance_violations,
    describe_violation,
    resolve,
    with_failover,
    without_failover,
)
from geoproxy.core.routing import AppRouting, Route
from geoproxy.core.state import StateRecord
from geoproxy.pipeline import Compiled, resolve_app
from geoproxy.pipeline.compiled import Authority
from tests import builders
from tests.builders import GDPR, application, failover
from tests.builders import overlay as overlay_of
from tests.unit.conftest import AT, EUC1_ELB, USE1_ELB

# The failover tests fix the base map by distance; choosing by round trip is tested in
# test_latency.py.
SHOP = application(
    source_regions=[
        "us-east-1",
        "us-west-2",
        "sa-east-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "il-central-1",
    ],
    nearest="distance",
    pops={
        "us-east-1": builders.pop("us-east-1"),
        "eu-west-1": builders.pop("eu-west-1", failover_to="eu-central-1"),
        "eu-central-1": builders.pop("eu-central-1"),
    },
    compliance=[GDPR],
)

# Where the policy's routing sends each source (checked against real routing below).
BASE = {
    "eu-central-1": "eu-central-1",
    "eu-north-1": "eu-central-1",
    "eu-south-1": "eu-central-1",
    "eu-south-2": "eu-central-1",
    "eu-west-1": "eu-west-1",
    "eu-west-2": "eu-west-1",
    "eu-west-3": "eu-central-1",
    "il-central-1": "eu-central-1",  # not an EU source: gdpr does not apply
    "sa-east-1": "us-east-1",
    "us-east-1": "us-east-1",
    "us-west-2": "us-east-1",
}
EU_SOURCES = (
    "eu-central-1",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
)


@pytest.fixture
def compiled() -> Compiled:
    return builders.compiled(SHOP)


@pytest.fixture
def routing(compiled: Compiled) -> AppRouting:
    return compiled.app_routing("shop")


def pops_of(routing: AppRouting) -> dict[str, str]:
    return {route.source_region: route.pop for route in routing.routes}


def test_policy_routes_as_expected(compiled: Compiled, routing: AppRouting) -> None:
    assert compiled.warnings == []
    assert pops_of(routing) == BASE
    assert [r.source_region for r in routing.routes] == sorted(BASE)
    assert all(
        r.reason == "nearest" and r.base_pop is None and r.failovers == () for r in routing.routes
    )


# --- resolve --------------------------------------------------------------------------------


def test_resolve_without_failover_is_empty() -> None:
    a_b = failover("a", "b")
    assert resolve("x", {}) == []
    assert resolve("b", overlay_of(a_b)) == []


def test_resolve_single() -> None:
    a_b = failover("a", "b")
    assert resolve("a", overlay_of(a_b)) == [a_b]


def test_resolve_follows_chain() -> None:
    a_b, b_c = failover("a", "b"), failover("b", "c")
    overlay = overlay_of(b_c, a_b)
    assert resolve("a", overlay) == [a_b, b_c]
    assert resolve("b", overlay) == [b_c]
    assert resolve("c", overlay) == []


def test_resolve_cycle_raises_with_chain() -> None:
    overlay = overlay_of(failover("a", "b"), failover("b", "c"), failover("c", "a"))
    with pytest.raises(FailoverCycle) as info:
        resolve("a", overlay)
    assert info.value.chain == ["a", "b", "c", "a"]
    assert str(info.value) == "a -> b -> c -> a"


def test_resolve_cycle_entered_from_outside() -> None:
    overlay = overlay_of(failover("x", "a"), failover("a", "b"), failover("b", "a"))
    with pytest.raises(FailoverCycle) as info:
        resolve("x", overlay)
    assert info.value.chain == ["x", "a", "b", "a"]


def test_resolve_self_failover_is_a_cycle() -> None:
    with pytest.raises(FailoverCycle) as info:
        resolve("a", overlay_of(failover("a", "a")))
    assert info.value.chain == ["a", "a"]


# --- apply_overlay --------------------------------------------------------------------------


def test_apply_overlay_empty_is_identity(routing: AppRouting) -> None:
    assert apply_overlay(routing, {}) == routing


def test_apply_overlay_single(routing: AppRouting) -> None:
    resolved = apply_overlay(routing, overlay_of(failover("eu-west-1", "us-east-1")))
    assert resolved.app is routing.app
    assert len(resolved.routes) == len(routing.routes)
    moved = {"eu-west-1", "eu-west-2"}
    for before, after in zip(routing.routes, resolved.routes, strict=True):
        if before.source_region in moved:
            assert after == Route(
                before.source_region,
                "us-east-1",
                "failover",
                None,
                ("gdpr",),
                base_pop="eu-west-1",
                failovers=("eu-west-1",),
            )
        else:
            assert after == before
    assert pops_of(resolved) == {**BASE, "eu-west-1": "us-east-1", "eu-west-2": "us-east-1"}


def test_apply_overlay_chain(routing: AppRouting) -> None:
    overlay = overlay_of(
        failover("eu-west-1", "eu-central-1"), failover("eu-central-1", "us-east-1")
    )
    resolved = apply_overlay(routing, overlay)
    expected = {source: (BASE[source], None, ()) for source in BASE}
    for source, pop in BASE.items():
        if pop == "eu-west-1":
            expected[source] = ("us-east-1", "eu-west-1", ("eu-west-1", "eu-central-1"))
        elif pop == "eu-central-1":
            expected[source] = ("us-east-1", "eu-central-1", ("eu-central-1",))
    got = {r.source_region: (r.pop, r.base_pop, r.failovers) for r in resolved.routes}
    assert got == expected
    assert {r.source_region for r in resolved.routes if r.reason == "failover"} == (
        set(EU_SOURCES) | {"il-central-1"}
    )
    assert resolved.route_for("us-west-2") == routing.route_for("us-west-2")


def test_apply_overlay_from_unused_pop_changes_nothing(routing: AppRouting) -> None:
    assert apply_overlay(routing, overlay_of(failover("ap-south-1", "us-east-1"))) == routing


def test_apply_overlay_raises_on_cycle(routing: AppRouting) -> None:
    overlay = overlay_of(
        failover("eu-west-1", "eu-central-1"), failover("eu-central-1", "eu-west-1")
    )
    with pytest.raises(FailoverCycle):
        apply_overlay(routing, overlay)


# --- compliance_violations ------------------------------------------------------------------


def violations(compiled: Compiled, routing: AppRouting, *failovers: Failover) -> list[Violation]:
    overlay = overlay_of(*failovers)
    return compliance_violations(
        routing.app, apply_overlay(routing, overlay), overlay, compiled.catalog
    )


def test_no_failover_no_violation(compiled: Compiled, routing: AppRouting) -> None:
    assert violations(compiled, routing) == []


def test_failover_out_of_eu_violates(compiled: Compiled, routing: AppRouting) -> None:
    assert violations(compiled, routing, failover("eu-west-1", "us-east-1")) == [
        Violation("gdpr", ("eu-west-1", "eu-west-2"), "us-east-1", "eu-central-1", "")
    ]


def test_failover_of_central_out_of_eu_names_its_eu_sources_only(
    compiled: Compiled, routing: AppRouting
) -> None:
    # il-central-1 also moves to us-east-1, but gdpr does not cover it.
    assert violations(compiled, routing, failover("eu-central-1", "us-east-1")) == [
        Violation(
            "gdpr",
            ("eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-3"),
            "us-east-1",
            "eu-west-1",
            "",
        )
    ]


def test_override_is_carried(compiled: Compiled, routing: AppRouting) -> None:
    found = violations(
        compiled, routing, failover("eu-west-1", "us-east-1", override="DPO approved, ticket 42")
    )
    assert found == [
        Violation(
            "gdpr",
            ("eu-west-1", "eu-west-2"),
            "us-east-1",
            "eu-central-1",
            "DPO approved, ticket 42",
        )
    ]


def test_failover_within_eu_is_compliant(compiled: Compiled, routing: AppRouting) -> None:
    assert violations(compiled, routing, failover("eu-west-1", "eu-central-1")) == []


def test_non_eu_failover_is_compliant(compiled: Compiled, routing: AppRouting) -> None:
    assert violations(compiled, routing, failover("us-east-1", "eu-central-1")) == []


def test_chain_out_of_eu_violates_for_both_eu_pops(compiled: Compiled, routing: AppRouting) -> None:
    found = violations(
        compiled,
        routing,
        failover("eu-west-1", "eu-central-1"),
        failover("eu-central-1", "us-east-1"),
    )
    # Both EU PoPs are failed away from, so no compliant alternative remains.
    assert found == [Violation("gdpr", EU_SOURCES, "us-east-1", None, "")]


def test_chain_override_on_the_violating_link(compiled: Compiled, routing: AppRouting) -> None:
    found = violations(
        compiled,
        routing,
        failover("eu-west-1", "eu-central-1"),
        failover("eu-central-1", "us-east-1", override="region-wide outage"),
    )
    assert found == [Violation("gdpr", EU_SOURCES, "us-east-1", None, "region-wide outage")]


def test_override_of_one_failover_does_not_cover_another(
    compiled: Compiled, routing: AppRouting
) -> None:
    found = violations(
        compiled,
        routing,
        failover("eu-west-1", "us-east-1", override="DPO approved"),
        failover("eu-central-1", "us-east-1"),
    )
    # eu-central-1 -> us-east-1 was declared without --override-compliance: the EU sources
    # it moves must still be a violation that is not overridden.
    not_overridden = {source for v in found if not v.overridden for source in v.source_regions}
    assert not_overridden == {"eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-3"}


def test_describe_violation_with_alternative() -> None:
    violation = Violation("gdpr", ("eu-west-1", "eu-west-2"), "us-east-1", "eu-central-1", "")
    assert describe_violation("shop", violation) == (
        "shop: compliance rule 'gdpr' forbids PoP us-east-1 for source regions "
        "eu-west-1, eu-west-2; a compliant alternative is eu-central-1"
    )


def test_describe_violation_without_alternative() -> None:
    violation = Violation("gdpr", ("eu-west-1",), "us-east-1", None, "why")
    assert describe_violation("shop", violation) == (
        "shop: compliance rule 'gdpr' forbids PoP us-east-1 for source regions eu-west-1; "
        "no compliant PoP is available"
    )


# --- with_failover / without_failover -------------------------------------------------------


def test_with_failover_adds_without_mutating() -> None:
    a_b = failover("a", "b")
    overlay = overlay_of(a_b)
    c_d = failover("c", "d")
    assert with_failover(overlay, c_d) == {"a": a_b, "c": c_d}
    assert overlay == {"a": a_b}


def test_with_failover_replaces_same_from_pop() -> None:
    a_b, c_d = failover("a", "b"), failover("c", "d")
    a_c = failover("a", "c", reason="b is down too")
    assert with_failover(overlay_of(a_b, c_d), a_c) == {"a": a_c, "c": c_d}


def test_without_failover_removes_only_that_one() -> None:
    a_b, c_d = failover("a", "b"), failover("c", "d")
    overlay = overlay_of(a_b, c_d)
    assert without_failover(overlay, "a") == {"c": c_d}
    assert without_failover(overlay, "b") == {"a": a_b, "c": c_d}  # "b" is only a target
    assert overlay == {"a": a_b, "c": c_d}


# --- pipeline.resolve_app -------------------------------------------------------------------


def test_resolve_app_without_failovers(compiled: Compiled, routing: AppRouting) -> None:
    resolved = resolve_app(compiled, routing, {})
    assert resolved.routing == routing
    assert resolved.overlay == {}
    assert resolved.warnings == []
    assert resolved.problems == []
    assert resolved.desired.state is not None
    assert resolved.desired.state.record.failovers == ()  # calm: format v2 keeps a record
    assert len(resolved.desired.records) == len(BASE)


def test_resolve_app_compliant_failover(compiled: Compiled, routing: AppRouting) -> None:
    f = failover("eu-west-1", "eu-central-1", reason="power loss")
    resolved = resolve_app(compiled, routing, overlay_of(f))
    assert resolved.overlay == {"eu-west-1": f}
    assert (resolved.warnings, resolved.problems) == ([], [])
    assert pops_of(resolved.routing) == {
        **BASE,
        "eu-west-1": "eu-central-1",
        "eu-west-2": "eu-central-1",
    }
    state = resolved.desired.state
    assert state is not None
    assert state.route is None
    assert state.record == StateRecord("_geoproxy.origin.example.com", (f,))
    targets = {
        d.route.source_region: d.record.target.dns_name
        for d in resolved.desired.records
        if d.route is not None
    }
    assert targets["eu-west-2"] == EUC1_ELB
    assert targets["eu-west-1"] == EUC1_ELB
    assert targets["us-east-1"] == USE1_ELB


def test_resolve_app_state_sorted_by_from_pop(compiled: Compiled, routing: AppRouting) -> None:
    us = failover("us-east-1", "eu-central-1")
    eu = failover("eu-west-1", "eu-central-1")
    resolved = resolve_app(compiled, routing, overlay_of(us, eu))
    assert resolved.problems == []
    assert resolved.desired.state is not None
    assert resolved.desired.state.record.failovers == (eu, us)


def test_resolve_app_drops_stale_failover(compiled: Compiled, routing: AppRouting) -> None:
    stale = failover("ap-southeast-1", "us-east-1")
    resolved = resolve_app(compiled, routing, overlay_of(stale))
    assert resolved.warnings == [
        "shop: the failover away from ap-southeast-1 ends: ap-southeast-1 is no longer one of "
        "its PoPs"
    ]
    assert resolved.problems == []
    assert resolved.overlay == {}
    assert resolved.routing == routing
    assert resolved.desired.state is not None
    assert resolved.desired.state.record.failovers == ()  # calm: format v2 keeps a record


def test_resolve_app_stale_dropped_others_kept(compiled: Compiled, routing: AppRouting) -> None:
    stale = failover("ap-southeast-1", "us-east-1")
    kept = failover("eu-west-1", "eu-central-1")
    resolved = resolve_app(compiled, routing, overlay_of(stale, kept))
    assert len(resolved.warnings) == 1
    assert resolved.overlay == {"eu-west-1": kept}
    assert resolved.desired.state is not None
    assert resolved.desired.state.record.failovers == (kept,)


def test_resolve_app_target_not_in_policy_is_a_problem(
    compiled: Compiled, routing: AppRouting
) -> None:
    broken = failover("eu-west-1", "eu-west-3")
    resolved = resolve_app(compiled, routing, overlay_of(broken))
    assert resolved.problems == [
        "shop: the active failover eu-west-1 → eu-west-3 targets a PoP the policy no longer "
        "has; fail back eu-west-1 or restore eu-west-3"
    ]
    assert resolved.warnings == []
    assert resolved.overlay == {}
    assert resolved.routing == routing


def test_resolve_app_cycle_is_a_problem_and_drops_overlay(
    compiled: Compiled, routing: AppRouting
) -> None:
    overlay = overlay_of(
        failover("eu-west-1", "eu-central-1"),
        failover("eu-central-1", "eu-west-1"),
        failover("us-east-1", "eu-central-1"),
    )
    resolved = resolve_app(compiled, routing, overlay)
    assert resolved.problems == [
        "shop: the failovers form a cycle (eu-west-1 -> eu-central-1 -> eu-west-1)"
    ]
    assert resolved.overlay == {}
    assert resolved.routing == routing
    assert resolved.desired.state is not None
    assert resolved.desired.state.record.failovers == ()  # calm: format v2 keeps a record


def test_resolve_app_violation_is_a_problem(compiled: Compiled, routing: AppRouting) -> None:
    f = failover("eu-west-1", "us-east-1")
    resolved = resolve_app(compiled, routing, overlay_of(f))
    assert resolved.problems == [
        "shop: compliance rule 'gdpr' forbids PoP us-east-1 for source regions eu-west-1, "
        "eu-west-2; a compliant alternative is eu-central-1; through the failover eu-west-1 → "
        "us-east-1 (declared 2026-01-02T03:04:05Z)"
    ]
    assert resolved.warnings == []
    # The overlay itself stays: the problem is a reason to refuse writing, not to drop it.
    assert resolved.overlay == {"eu-west-1": f}
    assert resolved.routing.route_for("eu-west-2").pop == "us-east-1"


def test_an_override_read_from_dns_allows_nothing(compiled: Compiled, routing: AppRouting) -> None:
    f = failover("eu-west-1", "us-east-1", override="DPO approved")
    resolved = resolve_app(
        compiled, routing, overlay_of(f), authority=Authority(who=lambda f: "arn:alice")
    )
    assert resolved.problems == [
        "shop: compliance rule 'gdpr' forbids PoP us-east-1 for source regions eu-west-1, "
        "eu-west-2; a compliant alternative is eu-central-1; through the failover eu-west-1 → "
        "us-east-1 (declared 2026-01-02T03:04:05Z by arn:alice); its override read from DNS "
        "('DPO approved') allows nothing in this run"
    ]
    assert resolved.problems[0].override == "--override-compliance"


def test_this_runs_override_keeps_a_live_breach(compiled: Compiled, routing: AppRouting) -> None:
    f = failover("eu-west-1", "us-east-1", override="DPO approved")
    resolved = resolve_app(
        compiled, routing, overlay_of(f), authority=Authority(run_override="still approved")
    )
    assert resolved.problems == []
    assert resolved.warnings[0].endswith("(allowed by --override-compliance: still approved)")


def test_a_failover_declared_in_this_run_needs_this_runs_override(
    compiled: Compiled, routing: AppRouting
) -> None:
    f = failover("eu-west-1", "us-east-1", override="DPO approved")
    declared = Authority(declared=frozenset({"eu-west-1"}))
    assert resolve_app(compiled, routing, overlay_of(f), authority=declared).problems


def test_resolve_app_overridden_violation_is_a_warning_for_failback(
    compiled: Compiled, routing: AppRouting
) -> None:
    # A failback moves nothing into a breach: what it leaves live is said, never refused.
    f = failover("eu-west-1", "us-east-1", override="DPO approved")
    resolved = resolve_app(compiled, routing, overlay_of(f), authority=Authority(keeps_live=True))
    assert resolved.problems == []
    assert resolved.warnings == [
        "shop: compliance rule 'gdpr' forbids PoP us-east-1 for source regions eu-west-1, "
        "eu-west-2; a compliant alternative is eu-central-1 (allowed by --override-compliance: "
        "DPO approved)"
    ]
    assert resolved.desired.state is not None
    assert resolved.desired.state.record.failovers == (f,)


def test_resolve_app_does_not_mutate_overlay(compiled: Compiled, routing: AppRouting) -> None:
    overlay = overlay_of(
        failover("ap-southeast-1", "us-east-1"), failover("eu-west-1", "eu-central-1")
    )
    snapshot = dict(overlay)
    resolve_app(compiled, routing, overlay)
    assert overlay == snapshot


def test_failover_is_frozen() -> None:
    f = failover("a", "b")
    with pytest.raises(AttributeError):
        f.to_pop = "c"  # type: ignore[misc]
    assert replace(f, to_pop="c") == Failover("a", "c", AT, "", "", "")
