"""The ARC cluster data plane's IAM mapping (iam_arc.py), from requests the sandbox logged."""

from __future__ import annotations

from typing import Any

from tests.strictaws import StrictMotoServer
from tests.strictaws.fixtures import NO_RETRY
from tests.strictaws.iam_arc import OVERRIDES
from tests.strictaws.iam_requests import Authorization, authorization

pytest_plugins = ["tests.strictaws.fixtures"]


def test_cluster_calls_map_to_the_routing_control_and_the_override_key(
    aws: StrictMotoServer,
) -> None:
    arc = aws.client("route53-recovery-control-config", region_name="us-west-2", config=NO_RETRY)
    cluster = arc.create_cluster(ClusterName="c")["Cluster"]
    arn = arc.create_routing_control(ClusterArn=cluster["ClusterArn"], RoutingControlName="x")[
        "RoutingControl"
    ]["RoutingControlArn"]
    endpoint = cluster["ClusterEndpoints"][0]
    client: Any = aws.client(
        "route53-recovery-cluster",
        endpoint_url=endpoint["Endpoint"],
        region_name=endpoint["Region"],
        config=NO_RETRY,
    )
    aws.reset_log()
    client.get_routing_control_state(RoutingControlArn=arn)
    client.list_routing_controls()
    client.update_routing_control_state(RoutingControlArn=arn, RoutingControlState="On")
    client.update_routing_control_states(
        UpdateRoutingControlStateEntries=[{"RoutingControlArn": arn, "RoutingControlState": "Off"}]
    )
    mapped = [authorization(call) for call in aws.calls]
    action = "route53-recovery-cluster:"
    assert mapped == [
        [Authorization(f"{action}GetRoutingControlState", arn)],
        [Authorization(f"{action}ListRoutingControls", "*")],
        [Authorization(f"{action}UpdateRoutingControlState", arn, {OVERRIDES: "false"})],
        [Authorization(f"{action}UpdateRoutingControlStates", arn, {OVERRIDES: "false"})],
    ]
