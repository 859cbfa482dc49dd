"""Route 53 ARC in the sandbox: the configuration API and the cluster data plane (arc_*.py).

Each test pins one documented rule (the sources are cited in geoproxy/sandbox/strict/arc_model.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from geoproxy.sandbox.strict.arc_model import CLUSTER_REGIONS
from tests.strictaws import StrictMotoServer
from tests.strictaws.fixtures import NO_RETRY, error_of

pytest_plugins = ["tests.strictaws.fixtures"]

CONFIG_REGION = "us-west-2"  # ARC's configuration API lives there


@pytest.fixture
def arc(aws: StrictMotoServer) -> Any:
    return aws.client("route53-recovery-control-config", region_name=CONFIG_REGION, config=NO_RETRY)


def cluster_client(aws: StrictMotoServer, cluster: dict[str, Any], region: str, **kw: Any) -> Any:
    endpoint = next(e for e in cluster["ClusterEndpoints"] if e["Region"] == region)
    return aws.client(
        "route53-recovery-cluster",
        endpoint_url=endpoint["Endpoint"],
        region_name=region,
        config=kw.pop("config", NO_RETRY),
    )


@pytest.fixture
def setup(arc: Any) -> dict[str, Any]:
    """A cluster, a panel, three controls (one per region) and their ARNs."""
    cluster = arc.create_cluster(ClusterName="c")["Cluster"]
    panel = arc.create_control_panel(ClusterArn=cluster["ClusterArn"], ControlPanelName="p")
    panel_arn = panel["ControlPanel"]["ControlPanelArn"]
    controls = [
        arc.create_routing_control(
            ClusterArn=cluster["ClusterArn"], ControlPanelArn=panel_arn, RoutingControlName=n
        )["RoutingControl"]["RoutingControlArn"]
        for n in ("eu-west-1", "eu-central-1", "us-east-1")
    ]
    cluster = arc.describe_cluster(ClusterArn=cluster["ClusterArn"])["Cluster"]
    return {"cluster": cluster, "panel": panel_arn, "controls": controls}


def assertion(arc: Any, panel: str, controls: list[str], kind: str = "ATLEAST", n: int = 1) -> str:
    rule = {
        "AssertedControls": controls,
        "ControlPanelArn": panel,
        "Name": f"assert-{kind}-{n}",
        "RuleConfig": {"Type": kind, "Threshold": n, "Inverted": False},
        "WaitPeriodMs": 5000,
    }
    return str(arc.create_safety_rule(AssertionRule=rule)["AssertionRule"]["SafetyRuleArn"])


def set_all(client: Any, controls: list[str], state: str) -> None:
    client.update_routing_control_states(
        UpdateRoutingControlStateEntries=[
            {"RoutingControlArn": c, "RoutingControlState": state} for c in controls
        ]
    )


# -- configuration API -----------------------------------------------------------------------------
def test_a_cluster_has_five_endpoints_back_at_the_sandbox_and_a_default_panel(
    aws: StrictMotoServer, arc: Any
) -> None:
    created = arc.create_cluster(ClusterName="c")["Cluster"]
    assert created["Status"] == "PENDING"  # in Create's own answer only
    described = arc.describe_cluster(ClusterArn=created["ClusterArn"])["Cluster"]
    assert described["Status"] == "DEPLOYED"
    assert [e["Region"] for e in described["ClusterEndpoints"]] == list(CLUSTER_REGIONS)
    assert all(
        e["Endpoint"].startswith(f"{aws.endpoint_url}/_arc/") for e in described["ClusterEndpoints"]
    )
    assert created["ClusterArn"].startswith(
        "arn:aws:route53-recovery-control::123456789012:cluster/"
    )
    panels = arc.list_control_panels(ClusterArn=created["ClusterArn"])["ControlPanels"]
    assert [(p["Name"], p["DefaultControlPanel"]) for p in panels] == [
        ("DefaultControlPanel", True)
    ]
    assert [c["ClusterArn"] for c in arc.list_clusters()["Clusters"]] == [created["ClusterArn"]]
    assert aws.operations()[0] == "CreateCluster"  # named in the log despite ARNs in paths
    assert aws.operations()[1] == "DescribeCluster"


def test_quotas_two_clusters_per_account(arc: Any) -> None:
    arc.create_cluster(ClusterName="a")
    arc.create_cluster(ClusterName="b")
    assert error_of(arc.create_cluster, ClusterName="c") == ("ServiceQuotaExceededException", 402)


def test_a_client_token_makes_create_idempotent(arc: Any) -> None:
    one = arc.create_cluster(ClusterName="a", ClientToken="t")["Cluster"]["ClusterArn"]
    two = arc.create_cluster(ClusterName="a", ClientToken="t")["Cluster"]["ClusterArn"]
    assert one == two and len(arc.list_clusters()["Clusters"]) == 1


def test_routing_controls_default_panel_unique_names_and_quota(arc: Any) -> None:
    cluster = arc.create_cluster(ClusterName="c")["Cluster"]["ClusterArn"]
    default = arc.list_control_panels(ClusterArn=cluster)["ControlPanels"][0]["ControlPanelArn"]
    rc = arc.create_routing_control(ClusterArn=cluster, RoutingControlName="x")["RoutingControl"]
    assert rc["ControlPanelArn"] == default and rc["Status"] == "PENDING"
    assert error_of(arc.create_routing_control, ClusterArn=cluster, RoutingControlName="x") == (
        "ConflictException",
        409,
    )
    for i in range(99):
        arc.create_routing_control(ClusterArn=cluster, RoutingControlName=f"n{i}")
    assert error_of(arc.create_routing_control, ClusterArn=cluster, RoutingControlName="y") == (
        "ServiceQuotaExceededException",
        402,
    )
    page = arc.list_routing_controls(ControlPanelArn=default, MaxResults=60)
    assert len(page["RoutingControls"]) == 60 and page["NextToken"]
    rest = arc.list_routing_controls(ControlPanelArn=default, NextToken=page["NextToken"])
    assert len(rest["RoutingControls"]) == 40 and "NextToken" not in rest
    panel = arc.describe_control_panel(ControlPanelArn=default)["ControlPanel"]
    assert panel["RoutingControlCount"] == 100


def test_unknown_resources_and_the_default_panel(arc: Any, setup: dict[str, Any]) -> None:
    missing = setup["panel"] + "0"
    assert error_of(arc.describe_control_panel, ControlPanelArn=missing) == (
        "ResourceNotFoundException",
        404,
    )
    default = next(
        p["ControlPanelArn"]
        for p in arc.list_control_panels()["ControlPanels"]
        if p["DefaultControlPanel"]
    )
    assert error_of(arc.delete_control_panel, ControlPanelArn=default)[0] == "ValidationException"
    arc.delete_control_panel(ControlPanelArn=setup["panel"])
    assert arc.list_control_panels()["ControlPanels"] == [
        p for p in arc.list_control_panels()["ControlPanels"] if p["DefaultControlPanel"]
    ]


def test_safety_rules_are_created_listed_described_and_deleted(
    arc: Any, setup: dict[str, Any]
) -> None:
    panel, controls = setup["panel"], setup["controls"]
    rule_arn = assertion(arc, panel, controls)
    gating = arc.create_safety_rule(
        GatingRule={
            "ControlPanelArn": panel,
            "GatingControls": controls[:1],
            "TargetControls": controls[1:],
            "Name": "gate",
            "RuleConfig": {"Type": "OR", "Threshold": 0, "Inverted": False},
            "WaitPeriodMs": 1000,
        }
    )["GatingRule"]
    assert gating["TargetControls"] == controls[1:] and gating["Status"] == "PENDING"
    listed = arc.list_safety_rules(ControlPanelArn=panel)["SafetyRules"]
    assert [next(iter(r)) for r in listed] == ["ASSERTION", "GATING"]
    described = arc.describe_safety_rule(SafetyRuleArn=rule_arn)["AssertionRule"]
    assert described["Status"] == "DEPLOYED" and described["WaitPeriodMs"] == 5000
    assert error_of(arc.delete_routing_control, RoutingControlArn=controls[0])[0] == (
        "ConflictException"
    )
    arc.delete_safety_rule(SafetyRuleArn=rule_arn)
    assert len(arc.list_safety_rules(ControlPanelArn=panel)["SafetyRules"]) == 1


def test_a_safety_rule_needs_controls_of_its_own_panel_and_fits_the_quota(
    arc: Any, setup: dict[str, Any]
) -> None:
    rule = {
        "AssertedControls": [setup["controls"][0] + "0"],
        "ControlPanelArn": setup["panel"],
        "Name": "bad",
        "RuleConfig": {"Type": "ATLEAST", "Threshold": 1, "Inverted": False},
        "WaitPeriodMs": 0,
    }
    assert error_of(arc.create_safety_rule, AssertionRule=rule) == ("ValidationException", 400)
    for i in range(20):
        assertion(arc, setup["panel"], setup["controls"], n=i)
    assert error_of(
        arc.create_safety_rule, AssertionRule={**rule, "AssertedControls": setup["controls"]}
    ) == ("ValidationException", 400)


def test_tags(arc: Any, setup: dict[str, Any]) -> None:
    arn = setup["cluster"]["ClusterArn"]
    arc.tag_resource(ResourceArn=arn, Tags={"app": "geoproxy"})
    assert arc.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"app": "geoproxy"}
    arc.untag_resource(ResourceArn=arn, TagKeys=["app"])
    assert arc.list_tags_for_resource(ResourceArn=arn)["Tags"] == {}


# -- cluster data plane ----------------------------------------------------------------------------
def test_a_new_routing_control_is_off_and_every_endpoint_sees_one_state(
    aws: StrictMotoServer, setup: dict[str, Any]
) -> None:
    controls = setup["controls"]
    east = cluster_client(aws, setup["cluster"], "us-east-1")
    state = east.get_routing_control_state(RoutingControlArn=controls[0])
    assert state["RoutingControlState"] == "Off" and state["RoutingControlName"] == "eu-west-1"
    east.update_routing_control_state(RoutingControlArn=controls[0], RoutingControlState="On")
    tokyo = cluster_client(aws, setup["cluster"], "ap-northeast-1")
    listed = tokyo.list_routing_controls(ControlPanelArn=setup["panel"])["RoutingControls"]
    assert [(c["RoutingControlName"], c["RoutingControlState"]) for c in listed] == [
        ("eu-west-1", "On"),
        ("eu-central-1", "Off"),
        ("us-east-1", "Off"),
    ]
    assert aws.arc.control_state(controls[0]) == "On"


def test_update_states_is_one_transaction_of_at_most_ten(
    aws: StrictMotoServer, arc: Any, setup: dict[str, Any]
) -> None:
    client = cluster_client(aws, setup["cluster"], "eu-west-1")
    entries = [{"RoutingControlArn": setup["controls"][0], "RoutingControlState": "On"}] * 11
    assert error_of(client.update_routing_control_states, UpdateRoutingControlStateEntries=entries)[
        0
    ] == ("ServiceLimitExceededException")
    # Off everything except through one batch that turns another on: the rule judges the end.
    assertion(arc, setup["panel"], setup["controls"])
    set_all(client, setup["controls"][:1], "On")
    client.update_routing_control_states(
        UpdateRoutingControlStateEntries=[
            {"RoutingControlArn": setup["controls"][0], "RoutingControlState": "Off"},
            {"RoutingControlArn": setup["controls"][1], "RoutingControlState": "On"},
        ]
    )
    assert aws.arc.control_state(setup["controls"][1]) == "On"


def test_an_assertion_rule_refuses_a_change_that_breaks_it_unless_overridden(
    aws: StrictMotoServer, arc: Any, setup: dict[str, Any]
) -> None:
    controls = setup["controls"]
    client = cluster_client(aws, setup["cluster"], "us-west-2")
    set_all(client, controls, "On")
    rule = assertion(arc, setup["panel"], controls[:2])  # at least one of the first two On
    client.update_routing_control_state(RoutingControlArn=controls[0], RoutingControlState="Off")
    with pytest.raises(ClientError) as err:
        client.update_routing_control_state(
            RoutingControlArn=controls[1], RoutingControlState="Off"
        )
    assert err.value.response["Error"]["Code"] == "ConflictException"
    assert "assert-ATLEAST-1" in err.value.response["Error"]["Message"]
    assert aws.arc.control_state(controls[1]) == "On"
    client.update_routing_control_state(  # a control the rule does not assert is free
        RoutingControlArn=controls[2], RoutingControlState="Off"
    )
    client.update_routing_control_state(
        RoutingControlArn=controls[1], RoutingControlState="Off", SafetyRulesToOverride=[rule]
    )
    assert aws.arc.control_state(controls[1]) == "Off"


@pytest.mark.parametrize(
    ("config", "states", "allowed"),
    [
        ({"Type": "AND", "Threshold": 0, "Inverted": False}, ["On", "On"], True),
        ({"Type": "AND", "Threshold": 0, "Inverted": False}, ["On", "Off"], False),
        ({"Type": "OR", "Threshold": 0, "Inverted": False}, ["Off", "Off"], False),
        ({"Type": "OR", "Threshold": 0, "Inverted": True}, ["Off", "Off"], True),
        ({"Type": "ATLEAST", "Threshold": 2, "Inverted": False}, ["On", "Off"], False),
    ],
)
def test_a_gating_rule_lets_targets_change_only_while_the_gates_hold(
    aws: StrictMotoServer,
    arc: Any,
    setup: dict[str, Any],
    config: dict[str, Any],
    states: list[str],
    allowed: bool,
) -> None:
    gates, target = setup["controls"][:2], setup["controls"][2]
    client = cluster_client(aws, setup["cluster"], "eu-west-1")
    for gate, state in zip(gates, states, strict=True):
        client.update_routing_control_state(RoutingControlArn=gate, RoutingControlState=state)
    arc.create_safety_rule(
        GatingRule={
            "ControlPanelArn": setup["panel"],
            "GatingControls": gates,
            "TargetControls": [target],
            "Name": "gate",
            "RuleConfig": config,
            "WaitPeriodMs": 0,
        }
    )
    call = client.update_routing_control_state
    if allowed:
        call(RoutingControlArn=target, RoutingControlState="On")
        assert aws.arc.control_state(target) == "On"
    else:
        assert error_of(call, RoutingControlArn=target, RoutingControlState="On")[0] == (
            "ConflictException"
        )


def test_a_wait_period_refuses_changes_until_it_ends(
    aws: StrictMotoServer, arc: Any, setup: dict[str, Any]
) -> None:
    now = [100.0]
    aws.arc.clock = lambda: now[0]
    aws.arc.enforce_wait_periods = True
    controls = setup["controls"]
    client = cluster_client(aws, setup["cluster"], "eu-west-1")
    set_all(client, controls, "On")
    assertion(arc, setup["panel"], controls)  # WaitPeriodMs 5000
    client.update_routing_control_state(RoutingControlArn=controls[0], RoutingControlState="Off")
    now[0] += 4.9
    call = client.update_routing_control_state
    assert error_of(call, RoutingControlArn=controls[0], RoutingControlState="On")[0] == (
        "ConflictException"
    )
    now[0] += 0.2
    call(RoutingControlArn=controls[0], RoutingControlState="On")


def test_an_unreachable_endpoint_drops_the_connection_and_others_answer(
    aws: StrictMotoServer, setup: dict[str, Any]
) -> None:
    aws.arc.set_endpoint_reachable("us-east-1", False)
    aws.arc.set_endpoint_reachable("eu-west-1", False)
    retrying = Config(retries={"total_max_attempts": 2, "mode": "standard"})
    east = cluster_client(aws, setup["cluster"], "us-east-1", config=retrying)
    aws.reset_log()
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        east.get_routing_control_state(RoutingControlArn=setup["controls"][0])
    assert [c.refused for c in aws.calls] == ["ARC endpoint us-east-1 unreachable"] * 2
    west = cluster_client(aws, setup["cluster"], "us-west-2")
    west.update_routing_control_state(
        RoutingControlArn=setup["controls"][0], RoutingControlState="On"
    )
    aws.arc.set_endpoint_reachable("us-east-1", True)
    state = east.get_routing_control_state(RoutingControlArn=setup["controls"][0])
    assert state["RoutingControlState"] == "On"


def test_three_mutating_calls_per_second_per_endpoint_when_enforced(
    aws: StrictMotoServer, setup: dict[str, Any]
) -> None:
    now = [0.0]
    aws.arc.clock = lambda: now[0]
    aws.arc.enforce_throttle()
    control = setup["controls"][0]
    client = cluster_client(aws, setup["cluster"], "eu-west-1")
    for _ in range(3):
        client.update_routing_control_state(RoutingControlArn=control, RoutingControlState="On")
    call = client.update_routing_control_state
    assert error_of(call, RoutingControlArn=control, RoutingControlState="On")[0] == (
        "ThrottlingException"
    )
    client.get_routing_control_state(RoutingControlArn=control)  # reads are not limited
    cluster_client(aws, setup["cluster"], "us-west-2").update_routing_control_state(
        RoutingControlArn=control, RoutingControlState="On"
    )  # another endpoint has its own budget
    now[0] += 1.0
    call(RoutingControlArn=control, RoutingControlState="On")


def test_a_control_of_another_cluster_is_not_found_at_this_endpoint(
    aws: StrictMotoServer, arc: Any, setup: dict[str, Any]
) -> None:
    other = arc.create_cluster(ClusterName="other")["Cluster"]
    other = arc.describe_cluster(ClusterArn=other["ClusterArn"])["Cluster"]
    client = cluster_client(aws, other, "eu-west-1")
    assert error_of(client.get_routing_control_state, RoutingControlArn=setup["controls"][0])[
        0
    ] == ("ResourceNotFoundException")
