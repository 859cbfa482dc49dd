"""Data-plane switches end to end (recovery.switches: arc, issue 25): apply prepares ARC
(control panel, one routing control per PoP region set On, RECOVERY_CONTROL health checks,
safety rules) and the switch-gated pairs; a second apply writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_policy
from tests.e2e.conftest import AUTO_POLICY, ORIGIN, PARTNERS, TARGETS, RunCli, records_at

pytestmark = pytest.mark.e2e

CONFIG_REGION = "us-west-2"
PLAIN = AUTO_POLICY.replace("    auto_failover: true\n", "")


@pytest.fixture
def cluster(aws: Any) -> dict[str, Any]:
    """An ARC cluster of the user's, as DescribeCluster shows it."""
    arc = aws.client("route53-recovery-control-config", region_name=CONFIG_REGION)
    arn = arc.create_cluster(ClusterName="geoproxy-test")["Cluster"]["ClusterArn"]
    return dict(arc.describe_cluster(ClusterArn=arn)["Cluster"])


def recovery(cluster: dict[str, Any], *, bookmarked: bool = True) -> str:
    lines = [
        "recovery:",
        "  switches: arc",
        "  arc:",
        f"    cluster_arn: {cluster['ClusterArn']}",
        "    control_panel: geoproxy-test",
    ]
    if bookmarked:
        lines.append("    endpoints:")
        lines += [
            f"      {e['Region']}: {e['Endpoint']}"
            for e in sorted(cluster["ClusterEndpoints"], key=lambda e: e["Region"])
        ]
    return "\n".join(lines) + "\n"


def pair_name(pop: str) -> str:
    return f"{pop}._failover.{ORIGIN}"


def control_states(aws: Any, cluster: dict[str, Any]) -> dict[str, str]:
    endpoint = sorted(cluster["ClusterEndpoints"], key=lambda e: e["Region"])[0]
    client = aws.client(
        "route53-recovery-cluster",
        endpoint_url=endpoint["Endpoint"],
        region_name=endpoint["Region"],
    )
    return {
        c["RoutingControlName"]: c["RoutingControlState"]
        for c in client.list_routing_controls()["RoutingControls"]
    }


def test_apply_prepares_switches_and_gated_pairs_then_a_second_apply_is_a_no_op(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path, cluster: dict[str, Any]
) -> None:
    write_policy(tmp_path, PLAIN + recovery(cluster))
    aws.reset_log()

    result = run_cli("apply", "--yes")

    assert result.returncode == 0, result.stderr
    names = {f"geoproxy-default-{pop}" for pop in TARGETS}
    assert control_states(aws, cluster) == {name: "On" for name in names}
    for pop in TARGETS:
        halves = {r["Failover"]: r for r in records_at(aws, zone, pair_name(pop))}
        assert halves["PRIMARY"]["AliasTarget"]["DNSName"].rstrip(".") == TARGETS[pop]
        assert halves["PRIMARY"]["HealthCheckId"]
        assert halves["SECONDARY"]["AliasTarget"]["DNSName"].rstrip(".") == TARGETS[PARTNERS[pop]]
    latency = {r["Region"]: r for r in records_at(aws, zone)}
    assert latency["eu-west-2"]["AliasTarget"]["DNSName"] == pair_name("eu-west-1")
    assert aws.count("ChangeResourceRecordSets") == 1
    assert aws.count("CreateRoutingControl") == 4
    assert aws.count("UpdateRoutingControlStates") == 1
    assert aws.count("CreateSafetyRule") >= 1

    aws.reset_log()
    again = run_cli("apply", "--yes", "--output", "json")
    assert again.returncode == 0, again.stderr
    document = json.loads(again.stdout)
    assert document["plan"]["has_changes"] is False
    switches = document["plan"]["switches"]
    assert {c["action"] for c in switches["routing_controls"]} == {"none"}
    writes = [
        op for op in aws.operations() if op.startswith(("Create", "Update", "Change", "Delete"))
    ]
    assert writes == []
