"""Data-plane switches (recovery.switches: arc): the policy checks (partners, fences, ARC's
quotas) and the pure planning (controls, safety rules, diff, which switch a failover turns)."""

from __future__ import annotations

from typing import Any

import pytest

from geoproxy.core.switches import (
    OFF,
    ON,
    LiveArc,
    LiveControl,
    SwitchRefused,
    calculated_config,
    diff_switches,
    plan_switches,
    recovery_control_config,
    switch_move,
)
from geoproxy.errors import PolicyError
from tests.builders import GDPR, application, compiled, pop

ARN = "arn:aws:route53-recovery-control::111122223333:cluster/0123abcd"
ARC: dict[str, Any] = {
    "switches": "arc",
    "arc": {
        "cluster_arn": ARN,
        "control_panel": "geoproxy-prod",
        "endpoints": {
            "us-west-2": "https://b.route53-recovery-cluster.us-west-2.amazonaws.com/v1",
            "eu-west-1": "https://a.route53-recovery-cluster.eu-west-1.amazonaws.com/v1",
        },
    },
}
PAIRED = {
    "us-east-1": pop("us-east-1", failover_to="eu-west-1"),
    "eu-west-1": pop("eu-west-1", failover_to="eu-central-1"),
    "eu-central-1": pop("eu-central-1", failover_to="eu-west-1"),
}
FENCED_VIEWERS = {**GDPR, "viewer_countries": ["DE", "FR"]}
CLOUDFRONT = {"distribution_id": "E2EXAMPLE123"}


def issues(*apps: Any) -> list[tuple[str, str]]:
    with pytest.raises(PolicyError) as info:
        compiled(*apps, recovery=ARC)
    return [(issue.dotted_path(), issue.message) for issue in info.value.issues]


def test_a_policy_with_compliant_partners_is_valid() -> None:
    result = compiled(application(pops=PAIRED, compliance=[GDPR]), recovery=ARC)
    assert result.loaded.policy.recovery.switches == "arc"


def test_without_switches_missing_partners_are_fine() -> None:
    compiled(application(compliance=[GDPR]))


def test_a_pop_with_sources_needs_a_partner() -> None:
    pops = {**PAIRED, "us-east-1": pop("us-east-1")}
    found = issues(application(pops=pops, compliance=[GDPR]))
    assert len(found) == 1
    path, message = found[0]
    assert path == "applications[0].pops.us-east-1"
    assert "needs a `failover_to` partner" in message and "us-east-1" in message


def test_a_partner_outside_a_sources_fence_is_refused_naming_rule_pop_partner() -> None:
    pops = {**PAIRED, "eu-west-1": pop("eu-west-1", failover_to="us-east-1")}
    found = issues(application(pops=pops, compliance=[GDPR]))
    assert [path for path, _ in found] == ["applications[0].pops.eu-west-1.failover_to"]
    message = found[0][1]
    assert "'gdpr'" in message and "eu-west-1" in message and "us-east-1" in message
    assert "source regions" in message


def test_a_partner_a_fenced_viewer_country_may_not_reach_is_refused() -> None:
    # Sources are fenced to eu-central-1's region only so the source check passes; the
    # viewers (DE, FR) reach an EU PoP whose partner is us-east-1.
    pops = {
        "us-east-1": pop("us-east-1", failover_to="eu-west-1"),
        "eu-west-1": pop("eu-west-1", failover_to="us-east-1"),
        "eu-central-1": pop("eu-central-1", failover_to="us-east-1"),
    }
    rule = {
        "name": "gdpr",
        "sources": ["eu-north-9"],
        "allowed_pops": ["eu-*"],
        "viewer_countries": ["DE", "FR"],
    }
    app = application(pops=pops, compliance=[rule], cloudfront=CLOUDFRONT)
    found = issues(app)
    viewer = [message for _, message in found if "viewer countries" in message]
    assert viewer, found
    assert "'gdpr'" in viewer[0] and "us-east-1" in viewer[0] and "DE" in viewer[0]


def test_bad_arn_and_endpoint_name_the_yaml_path() -> None:
    bad = {**ARC, "arc": {**ARC["arc"], "cluster_arn": "arn:aws:s3:::bucket"}}
    with pytest.raises(PolicyError) as info:
        compiled(application(pops=PAIRED), recovery=bad)
    assert [i.dotted_path() for i in info.value.issues] == ["recovery.arc.cluster_arn"]
    assert "not an ARC cluster ARN" in info.value.issues[0].message
    bad = {**ARC, "arc": {**ARC["arc"], "endpoints": {"us-west-2": "http://example.com/"}}}
    with pytest.raises(PolicyError) as info:
        compiled(application(pops=PAIRED), recovery=bad)
    assert [i.dotted_path() for i in info.value.issues] == ["recovery.arc.endpoints"]
    assert "must use https" in info.value.issues[0].message


def test_switches_arc_needs_an_arc_section() -> None:
    with pytest.raises(PolicyError) as info:
        compiled(application(pops=PAIRED), recovery={"switches": "arc"})
    assert "needs an `arc` section" in info.value.issues[0].message


# --- planning ------------------------------------------------------------------------------


def desired(*apps: Any) -> Any:
    result = compiled(*apps, recovery=ARC)
    return plan_switches(result.loaded.policy, result.routing.applications)


def test_one_control_per_pop_region_shared_by_applications() -> None:
    shop = application(pops=PAIRED, compliance=[GDPR])
    blog = application(
        name="blog",
        record="blog.example.com",
        pops={
            "eu-west-1": pop("eu-west-1", failover_to="eu-central-1"),
            "eu-central-1": pop("eu-central-1", failover_to="eu-west-1"),
        },
    )
    plan = desired(shop, blog)
    assert [c.region for c in plan.controls] == ["eu-central-1", "eu-west-1", "us-east-1"]
    euw1 = plan.control("eu-west-1")
    assert euw1 is not None
    assert euw1.name == "geoproxy-default-eu-west-1" and euw1.apps == ("blog", "shop")
    assert plan.endpoints[0][0] == "eu-west-1"  # a stable order: by region


def test_safety_rules_keep_a_pop_on_in_every_fence_and_application() -> None:
    plan = desired(application(pops=PAIRED, compliance=[GDPR]))
    by_regions = {rule.regions: rule for rule in plan.rules}
    assert set(by_regions) == {
        ("eu-central-1", "eu-west-1"),
        ("eu-central-1", "eu-west-1", "us-east-1"),
    }
    gdpr = by_regions[("eu-central-1", "eu-west-1")]
    assert gdpr.rule_config() == {"Inverted": False, "Threshold": 1, "Type": "ATLEAST"}
    assert "compliance rule 'gdpr'" in gdpr.why[0]
    assert len({rule.name for rule in plan.rules}) == len(plan.rules)


def test_health_check_configs() -> None:
    assert recovery_control_config("arn:c") == {
        "Type": "RECOVERY_CONTROL",
        "RoutingControlArn": "arn:c",
    }
    config = calculated_config("s", "e")
    assert config["Type"] == "CALCULATED" and config["HealthThreshold"] == 2


def test_the_diff_creates_only_what_is_missing_and_never_turns_a_control_on() -> None:
    plan = desired(application(pops=PAIRED, compliance=[GDPR]))
    first = diff_switches(plan, LiveArc())
    assert first.create_panel and len(first.create_controls) == 3
    assert first.turn_on == first.create_controls and len(first.create_rules) == 2
    assert first.writes == 1 + 3 + 2 + 1
    live = LiveArc(
        "arn:panel",
        tuple(LiveControl(f"arn:{c.name}", c.name, OFF) for c in plan.controls),
        {rule.name: f"arn:{rule.name}" for rule in plan.rules},
    )
    again = diff_switches(plan, live)
    assert again.empty and again.writes == 0


def test_a_move_turns_the_shared_switch_and_refuses_what_it_cannot_do() -> None:
    plan = desired(application(pops=PAIRED, compliance=[GDPR]))
    move = switch_move(plan, "eu-west-1")
    assert move.state == OFF and move.partners == {"shop": "eu-central-1"}
    assert switch_move(plan, "eu-west-1", state=ON).state == ON
    with pytest.raises(SwitchRefused, match="--via records"):
        switch_move(plan, "eu-west-1", to="us-east-1")
    with pytest.raises(SwitchRefused, match="--via records"):
        switch_move(plan, "ap-southeast-1")
    with pytest.raises(SwitchRefused, match="leaves out shop"):
        switch_move(plan, "eu-west-1", apps=("other",))


def test_an_endpoint_check_beside_a_switch_makes_a_calculated_gate() -> None:
    from geoproxy.core.switches import SwitchPlan

    pops = {
        **PAIRED,
        "eu-west-1": pop("eu-west-1", failover_to="eu-central-1", health_check={"path": "/h"}),
    }
    plan_ = desired(application(pops=pops, compliance=[GDPR], auto_failover=True))
    checks = {"eu-west-1": "sw-euw1", "eu-central-1": "sw-euc1", "us-east-1": "sw-use1"}
    live = LiveArc("arn:panel", (), {rule.name: "arn" for rule in plan_.rules})
    switch_plan = SwitchPlan(
        plan_,
        live,
        diff_switches(plan_, live),
        checks,
        plan_.endpoints,
        True,
        needs_combined=(("shop", "eu-west-1"),),
    )
    gates = switch_plan.gates_for("shop")
    assert gates["eu-central-1"] == "sw-euc1"
    assert gates["eu-west-1"] == "pending:switch:eu-west-1@shop"
    assert switch_plan.missing_combined == (("shop", "eu-west-1"),)
    assert not switch_plan.empty
    assert any("CALCULATED" in line for line in switch_plan.summary())
    switch_plan.combined[("shop", "eu-west-1")] = "calc-1"
    assert switch_plan.gates_for("shop")["eu-west-1"] == "calc-1"


# --- the gated records ------------------------------------------------------------------------


def test_gated_pops_get_pairs_with_the_switch_check_and_no_target_health() -> None:
    from geoproxy.core.desired import desired_app
    from tests.builders import ZONE_ID, catalog

    cloudfront = {"distribution_id": "E2EXAMPLE123"}
    app = application(pops=PAIRED, compliance=[FENCED_VIEWERS], cloudfront=cloudfront)
    result = compiled(app, recovery=ARC)
    gates = {"eu-west-1": "hc-euw1", "eu-central-1": "hc-euc1", "us-east-1": "hc-use1"}
    from geoproxy.core.cloudfront import DistributionPlan

    distribution = DistributionPlan(
        "shop", "E2EXAMPLE123", "E3ETAG", "d111.cloudfront.net", False, "Deployed"
    )
    desired = desired_app(
        result.app_routing("shop"),
        catalog(),
        zone_id=ZONE_ID,
        distribution=distribution,
        gates=gates,
    )
    pairs = {(p.record.name, p.record.role): p.record for p in desired.pairs}
    primary = pairs[("eu-west-1._failover.origin.example.com", "PRIMARY")]
    assert primary.health_check_id == "hc-euw1"
    assert primary.to_route53()["AliasTarget"]["EvaluateTargetHealth"] is False
    secondary = pairs[("eu-west-1._failover.origin.example.com", "SECONDARY")]
    assert secondary.to_route53()["AliasTarget"]["DNSName"].startswith("c-3.eu-central-1")
    latency = {r.record.source_region: r.record for r in desired.records}
    assert latency["eu-west-2"].to_route53()["AliasTarget"]["DNSName"] == (
        "eu-west-1._failover.origin.example.com."
    )
    # The edge fence's direct names follow the same switches.
    directs = {d.record.name: d.record.to_route53() for d in desired.directs}
    assert directs["eu-west-1.origin.example.com"]["AliasTarget"]["DNSName"] == (
        "eu-west-1._failover.origin.example.com."
    )


# --- IAM --------------------------------------------------------------------------------------


def test_iam_grants_the_switch_actions_flips_only_in_the_clusters_account() -> None:
    from geoproxy.core.iam import iam_policy
    from tests.strictaws.iam import evaluate

    result = compiled(application(pops=PAIRED, compliance=[GDPR]), recovery=ARC)
    policy = result.loaded.policy
    full = iam_policy(policy, zone_ids={}, account_id="111122223333").document
    read_only = iam_policy(policy, zone_ids={}, account_id=None, read_only=True).document
    control = "arn:aws:route53-recovery-control::111122223333:controlpanel/p1/routingcontrol/c1"
    other = "arn:aws:route53-recovery-control::444455556666:controlpanel/p1/routingcontrol/c1"
    flip = "route53-recovery-cluster:UpdateRoutingControlStates"
    no_override = {"route53-recovery-cluster:AllowSafetyRulesOverrides": "false"}
    override = {"route53-recovery-cluster:AllowSafetyRulesOverrides": "true"}
    assert evaluate(full, flip, control, no_override).allowed
    assert not evaluate(full, flip, control, override).allowed
    assert not evaluate(full, flip, other, no_override).allowed
    assert not evaluate(read_only, flip, control, no_override).allowed
    read = "route53-recovery-cluster:ListRoutingControls"
    assert evaluate(read_only, read, "*", {}).allowed
    create = "route53-recovery-control-config:CreateRoutingControl"
    assert evaluate(full, create, "*", {}).allowed
    assert not evaluate(read_only, create, "*", {}).allowed
    assert evaluate(full, "route53:CreateHealthCheck", "*", {}).allowed
    without = compiled(application(pops=PAIRED, compliance=[GDPR])).loaded.policy
    plain = iam_policy(without, zone_ids={}, account_id=None).document
    assert not evaluate(plain, flip, control, no_override).allowed
