"""Data-plane switches end to end (recovery.switches: arc, issue 25): apply prepares ARC
(control panel, one routing control per PoP region set On, RECOVERY_CONTROL health checks,
safety rules) and the switch-gated pairs; a second apply writes nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
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
    # us-west-2: last in the order geoproxy tries, and never one a test makes unreachable
    endpoint = next(e for e in cluster["ClusterEndpoints"] if e["Region"] == "us-west-2")
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


CONTROL_PLANES = {"route53", "cloudfront", "route53-recovery-control-config"}
DOWN = ("ap-northeast-1", "ap-southeast-2")  # the first two endpoints in the order tried


@pytest.fixture
def prepared(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path, cluster: dict[str, Any]
) -> dict[str, Any]:
    write_policy(tmp_path, PLAIN + recovery(cluster))
    result = run_cli("apply", "--yes")
    assert result.returncode == 0, result.stderr
    return cluster


def answered_by(aws: Any, zone: str, source: str) -> str:
    answer = aws.dns.answer(zone, ORIGIN, "A", source)
    return next(pop for pop, target in TARGETS.items() if target in answer.targets[0])


def geoproxy_calls(aws: Any) -> list[Any]:
    return [call for call in aws.calls if "geoproxy/" in call.user_agent]


def test_failover_with_the_control_plane_unused_and_two_endpoints_down_flips_one_switch(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path, prepared: dict[str, Any]
) -> None:
    assert answered_by(aws, zone, "eu-west-2") == "eu-west-1"
    for region in DOWN:
        aws.arc.set_endpoint_reachable(region, False)
    aws.control_plane_down()  # Route 53, CloudFront, ARC configuration, STS in us-east-1
    log = tmp_path / "audit.jsonl"
    aws.reset_log()

    result = run_cli(
        "failover",
        "--from",
        "eu-west-1",
        "--yes",
        "--output",
        "json",
        "--reason",
        "drill",
        "--audit-log",
        str(log),
    )

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["via"] == "switches" and document["endpoint"] == "eu-west-1"
    assert [e["region"] for e in document["endpoints_failed"]] == list(DOWN)
    calls = geoproxy_calls(aws)
    assert {c.service for c in calls} & CONTROL_PLANES == set()
    writes = [c for c in calls if c.operation == "UpdateRoutingControlStates" and not c.refused]
    assert len(writes) == 1
    assert control_states(aws, prepared)["geoproxy-default-eu-west-1"] == "Off"
    assert answered_by(aws, zone, "eu-west-2") == "eu-central-1"  # the prepared partner
    entry = json.loads(log.read_text().splitlines()[-1])
    assert entry["via"] == "switches" and entry["endpoint"] == "eu-west-1"
    assert entry["reason"] == "drill" and entry["who"] and entry["state"] == "Off"

    aws.control_plane_down(False)  # status reads the records too
    status = run_cli("status", "--output", "json")
    assert status.returncode == 0, status.stderr
    switches = json.loads(status.stdout)["switches"]
    assert switches["states"]["eu-west-1"] == "Off"
    assert any("the switch of eu-west-1 is Off" in f for f in switches["findings"])
    text = run_cli("status")
    assert "switches (read from the" in text.stdout and "eu-west-1: Off" in text.stdout
    assert "the switch of eu-west-1 is Off" in text.stderr

    aws.control_plane_down()
    back = run_cli("failback", "eu-west-1", "--yes")
    assert back.returncode == 0, back.stderr
    assert control_states(aws, prepared)["geoproxy-default-eu-west-1"] == "On"
    assert answered_by(aws, zone, "eu-west-2") == "eu-west-1"


def test_no_endpoint_answering_exits_1_with_the_records_command(
    aws: Any, run_cli: RunCli, prepared: dict[str, Any]
) -> None:
    for endpoint in prepared["ClusterEndpoints"]:
        aws.arc.set_endpoint_reachable(endpoint["Region"], False)
    aws.reset_log()

    result = run_cli("failover", "--from", "eu-west-1", "--yes")

    assert result.returncode == 1
    assert "no ARC cluster endpoint answered" in result.stderr
    assert "--from eu-west-1 --via records --yes" in result.stderr
    assert {c.service for c in geoproxy_calls(aws)} == {"route53-recovery-cluster"}


def test_a_switch_shared_by_applications_needs_every_one_named(
    run_cli: RunCli, prepared: dict[str, Any]
) -> None:
    result = run_cli("failover", "--from", "eu-west-1", "--to", "us-east-1", "--yes")
    assert result.returncode == 1
    assert "prepared partners" in result.stderr and "--via records" in result.stderr


def test_a_saved_switch_plan_applies_with_no_read(
    aws: Any, run_cli: RunCli, tmp_path: Path, prepared: dict[str, Any]
) -> None:
    out = tmp_path / "failover.plan"
    made = run_cli("failover", "--from", "eu-west-1", "--dry-run", "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert json.loads(out.read_text())["changes"]["kind"] == "switches"
    aws.arc.set_endpoint_reachable("ap-northeast-1", False)
    aws.reset_log()

    result = run_cli("apply", str(out), "--yes")

    assert result.returncode == 0, result.stderr
    assert [c.operation for c in geoproxy_calls(aws) if not c.refused] == [
        "UpdateRoutingControlStates"
    ]
    assert control_states(aws, prepared)["geoproxy-default-eu-west-1"] == "Off"


def test_without_switches_a_failover_with_route53_down_needs_the_control_plane(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, PLAIN)
    assert run_cli("apply", "--yes").returncode == 0
    aws.control_plane_down()

    result = run_cli("failover", "--from", "eu-west-1", "--yes")

    assert result.returncode == 1
    assert "needs the Route 53 control plane" in result.stderr


# --- a GDPR fence on sources and on viewers (the edge fence) ------------------------------


def fenced_switched_policy(distribution: str, cluster: dict[str, Any]) -> str:
    from tests.e2e.test_edge_fence import fenced_policy

    text = fenced_policy(distribution)
    for region, partner in (
        ("us-east-1", "eu-west-1"),
        ("eu-west-1", "eu-central-1"),
        ("eu-central-1", "eu-west-1"),
    ):
        text = text.replace(
            f".{region}.elb.amazonaws.com}}",
            f".{region}.elb.amazonaws.com, failover_to: {partner}}}",
        )
    text = text.replace(
        "hosted_zone_id: Z1LMS91P8CMLE5}", "hosted_zone_id: Z1LMS91P8CMLE5, failover_to: us-east-1}"
    )
    return text + recovery(cluster)


def test_the_edge_fence_follows_the_switches_without_republishing(
    aws: Any,
    zone: str,
    distribution: str,
    run_cli: RunCli,
    tmp_path: Path,
    cluster: dict[str, Any],
    published_resolvers: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.e2e.test_edge_fence import with_country_header

    with_country_header(aws, distribution)
    write_policy(tmp_path, fenced_switched_policy(distribution, cluster))
    applied = run_cli("apply", "--yes")
    assert applied.returncode == 0, applied.stderr
    direct = "eu-west-1." + ORIGIN
    [record] = records_at(aws, zone, direct)
    assert record["AliasTarget"]["DNSName"] == pair_name("eu-west-1")
    assert TARGETS["eu-west-1"] in aws.dns.answer(zone, direct, "A", "eu-west-2").targets[0]
    for region in DOWN:
        aws.arc.set_endpoint_reachable(region, False)
    aws.control_plane_down()
    aws.reset_log()

    result = run_cli("failover", "--from", "eu-west-1", "--yes")

    assert result.returncode == 0, result.stderr
    assert {c.service for c in geoproxy_calls(aws)} & CONTROL_PLANES == set()
    # Fenced viewers sent to eu-west-1's direct name now reach its partner, inside the fence.
    assert TARGETS["eu-central-1"] in aws.dns.answer(zone, direct, "A", "eu-west-2").targets[0]
    aws.control_plane_down(False)
    again = run_cli("plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr

    # Calm weather again: verify asks Route 53 (TestDNSAnswer) what each source region gets.
    # Whether TestDNSAnswer applies health checks is undocumented; the emulator's default
    # does not, so eu-west-1's sources are shown answered by the partner through the switch.
    verified = run_cli("verify", "--output", "json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    rows = json.loads(verified.stdout)["rows"]
    assert not [row for row in rows if row["verdict"] == "mismatch"]
    switched = [row for row in rows if row["evidence"] == "answer+switch"]
    assert "eu-west-2" in {row["source_region"] for row in switched}
    assert {row["answered_pop"] for row in switched} == {"eu-central-1"}
    # Fenced viewer countries too: the edge fence's direct names resolve through the pairs.
    viewers = [row for row in rows if row["source_region"].startswith("viewer ")]
    assert viewers and all(row["verdict"] == "match" for row in viewers)
    assert "viewer IE" in {row["source_region"] for row in switched}  # eu-west-1 by policy
    # Where TestDNSAnswer does apply health, the answer itself names the partner.
    monkeypatch.setattr(aws.dns, "test_answer_uses_health", True)  # this test only
    direct = json.loads(run_cli("verify", "--output", "json").stdout)["rows"]
    moved = {r["source_region"]: r for r in direct if r["expected_pop"] == "eu-central-1"}
    assert moved["eu-west-2"]["evidence"] == "answer"
    assert moved["eu-west-2"]["answered_pop"] == "eu-central-1"
    assert moved["eu-west-2"]["verdict"] == "match"


def test_without_bookmarked_endpoints_plan_prints_them_and_apply_uses_describe_cluster(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path, cluster: dict[str, Any]
) -> None:
    write_policy(tmp_path, PLAIN + recovery(cluster, bookmarked=False))

    shown = run_cli("plan")

    assert shown.returncode == 0, shown.stderr
    assert "recovery.arc.endpoints is not set" in shown.stdout
    for endpoint in cluster["ClusterEndpoints"]:
        assert f"{endpoint['Region']}: {endpoint['Endpoint']}" in shown.stdout
    assert "+ create routing control geoproxy-default-eu-west-1" in shown.stdout
    applied = run_cli("apply", "--yes")
    assert applied.returncode == 0, applied.stderr
    assert set(control_states(aws, cluster).values()) == {"On"}
    refused = run_cli("failover", "--from", "eu-west-1", "--yes")
    assert refused.returncode == 1
    assert "recovery.arc.endpoints is not set" in refused.stderr
    assert "--via records" in refused.stderr


def test_auto_failover_with_an_endpoint_check_gates_by_switch_and_endpoint(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path, cluster: dict[str, Any]
) -> None:
    from tests.e2e.conftest import CHECKED_POLICY

    write_policy(tmp_path, CHECKED_POLICY + recovery(cluster))

    result = run_cli("apply", "--yes")

    assert result.returncode == 0, result.stderr
    route53 = aws.client("route53")
    halves = {r["Failover"]: r for r in records_at(aws, zone, pair_name("eu-west-1"))}
    primary = halves["PRIMARY"]
    assert primary["AliasTarget"]["EvaluateTargetHealth"] is True  # auto_failover's
    config = route53.get_health_check(HealthCheckId=primary["HealthCheckId"])["HealthCheck"][
        "HealthCheckConfig"
    ]
    assert config["Type"] == "CALCULATED" and config["HealthThreshold"] == 2
    children = {
        route53.get_health_check(HealthCheckId=child)["HealthCheck"]["HealthCheckConfig"]["Type"]
        for child in config["ChildHealthChecks"]
    }
    assert children == {"RECOVERY_CONTROL", "HTTPS"}
    other = {r["Failover"]: r for r in records_at(aws, zone, pair_name("eu-central-1"))}
    other_check = route53.get_health_check(HealthCheckId=other["PRIMARY"]["HealthCheckId"])
    assert other_check["HealthCheck"]["HealthCheckConfig"]["Type"] == "RECOVERY_CONTROL"
    aws.reset_log()
    again = run_cli("apply", "--yes")
    assert again.returncode == 0, again.stderr
    assert [op for op in aws.operations() if op.startswith(("Create", "Change", "Update"))] == []


def test_an_apply_interrupted_before_the_checks_sets_its_controls_on_next_time(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path, cluster: dict[str, Any]
) -> None:
    write_policy(tmp_path, PLAIN + recovery(cluster))
    aws.inject("CreateHealthCheck", code="InternalError", status=500, times=100)

    first = run_cli("apply", "--yes")

    assert first.returncode == 1
    assert "already applied: CreateControlPanel geoproxy-test" in first.stderr
    assert "not written: the switch-gated records" in first.stderr
    aws.clear_faults()
    # The controls exist and are On; an interrupted run's Off control is turned On below.
    arc = aws.client(
        "route53-recovery-cluster",
        endpoint_url=dict((e["Region"], e["Endpoint"]) for e in cluster["ClusterEndpoints"])[
            "us-west-2"
        ],
        region_name="us-west-2",
    )
    euw1 = next(
        c
        for c in arc.list_routing_controls()["RoutingControls"]
        if c["RoutingControlName"] == "geoproxy-default-eu-west-1"
    )
    arc.update_routing_control_state(
        RoutingControlArn=euw1["RoutingControlArn"], RoutingControlState="Off"
    )

    second = run_cli("apply", "--yes")

    assert second.returncode == 0, second.stderr
    assert set(control_states(aws, cluster).values()) == {"On"}
    assert "an earlier apply stopped before it was in service" in second.stdout


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="no ssh-keygen")
def test_a_switch_plan_needs_a_signature_when_a_verifying_key_is_configured(
    aws: Any, run_cli: RunCli, tmp_path: Path, prepared: dict[str, Any]
) -> None:
    """Issue 24: a switch plan skips the record rules, never the signature."""
    key = tmp_path / "signer"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    out = tmp_path / "failover.plan"
    assert (
        run_cli("failover", "--from", "eu-west-1", "--dry-run", "--out", str(out)).returncode == 0
    )
    aws.reset_log()
    env = {"GEOPROXY_PLAN_VERIFY_KEY": str(key.with_suffix(".pub"))}
    unsigned = run_cli("apply", str(out), "--yes", env=env)
    assert unsigned.returncode == 1, unsigned.stderr
    assert "is not signed, and a verifying key is configured" in unsigned.stderr
    assert [c.operation for c in geoproxy_calls(aws) if not c.refused] == []
    assert run_cli("sign", str(out), "--key", str(key)).returncode == 0
    signed = run_cli("apply", str(out), "--yes", env=env)
    assert signed.returncode == 0, signed.stderr
    assert control_states(aws, prepared)["geoproxy-default-eu-west-1"] == "Off"
