"""`geoproxy drill --control-plane-down` through the real CLI (it runs its own in-process
emulator, seeded from the policy)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import write_policy
from tests.e2e.conftest import AUTO_POLICY, DR_POLICY, EU_WEST_1_SOURCES, PARTNERS, RunCli

pytestmark = pytest.mark.e2e


@pytest.mark.slow
def test_without_switches_the_drill_fails_because_failover_needs_the_control_plane(
    tmp_path: Path, run_cli: RunCli
) -> None:
    write_policy(tmp_path, DR_POLICY)
    result = run_cli("drill", "--control-plane-down", "-o", "json")
    assert result.returncode == 2, result.stderr
    document = json.loads(result.stdout)
    assert document["kind"] == "drill" and document["format_version"] == 1
    # The default region: the partnered PoP that the most source regions reach.
    assert document["from"] == "eu-west-1" and document["switches"] == "none"
    assert document["passed"] is False and document["failover_exit_code"] == 1
    assert "needs the Route 53 control plane" in document["reasons"][0]
    rows = document["regions"]
    assert {row["source_region"] for row in rows} == EU_WEST_1_SOURCES
    assert all(row["before"] == row["after"] == "eu-west-1" for row in rows)
    assert all(row["partner"] == "eu-central-1" and not row["moved"] for row in rows)
    assert not any(row["fence_crossed"] for row in rows)
    # One refused lookup (no retries in the drill), none succeeded, no data-plane path.
    assert document["calls"] == {
        "data_plane": 0,
        "data_plane_refused": 0,
        "control_plane": 1,
        "control_plane_succeeded": 0,
        "regional": 0,
    }
    assert document["seconds_to_moved_answers"] is None
    assert document["after_route53_failover"] is None  # no accelerated recovery to wait for

    text = run_cli("drill", "--control-plane-down", "--from", "eu-west-1")
    assert text.returncode == 2
    assert "Drill FAILED" in text.stdout and "needs the Route 53 control plane" in text.stdout


def test_the_drill_refuses_bad_input_before_starting_anything(
    tmp_path: Path, run_cli: RunCli
) -> None:
    write_policy(tmp_path, DR_POLICY)
    missing = run_cli("drill")
    assert missing.returncode == 1 and "give --control-plane-down" in missing.stderr
    typo = run_cli("drill", "--control-plane-down", "--from", "eu-wets-1")
    assert typo.returncode == 1 and "eu-wets-1" in typo.stderr
    assert "Traceback" not in missing.stderr + typo.stderr


# The user's cluster and its bookmarked endpoints: the drill stands up the cluster under this
# ARN in its emulator and points the endpoints there (never at AWS).
SWITCHES = """recovery:
  switches: arc
  arc:
    cluster_arn: arn:aws:route53-recovery-control::111122223333:cluster/0123abcd-0123-4567-89ab
    control_panel: geoproxy-prod
    endpoints:
""" + "".join(
    f"      {region}: https://x.route53-recovery-cluster.{region}.amazonaws.com/v1\n"
    for region in ("ap-northeast-1", "ap-southeast-2", "eu-west-1", "us-east-1", "us-west-2")
)


@pytest.mark.slow
def test_with_switches_every_answer_moves_to_its_partner_through_the_data_plane_alone(
    tmp_path: Path, run_cli: RunCli
) -> None:
    write_policy(tmp_path, AUTO_POLICY.replace("    auto_failover: true\n", "") + SWITCHES)
    result = run_cli("drill", "--control-plane-down", "--from", "eu-west-1", "-o", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["passed"] is True and document["reasons"] == []
    assert document["switches"] == "arc" and document["failover_exit_code"] == 0
    rows = document["regions"]
    assert {row["source_region"] for row in rows} == EU_WEST_1_SOURCES
    assert all(row["after"] == PARTNERS["eu-west-1"] and row["moved"] for row in rows)
    assert not any(row["fence_crossed"] for row in rows)
    calls = document["calls"]
    # Two endpoints down: two refused reads, then a read and one write on the third.
    assert document["operations"] == {
        "data_plane": [
            "route53-recovery-cluster:ListRoutingControls (refused)",
            "route53-recovery-cluster:ListRoutingControls (refused)",
            "route53-recovery-cluster:ListRoutingControls",
            "route53-recovery-cluster:UpdateRoutingControlStates",
        ],
        "control_plane": [],
        "regional": [],
    }
    assert calls == {
        "data_plane": 4,
        "data_plane_refused": 2,
        "control_plane": 0,
        "control_plane_succeeded": 0,
        "regional": 0,
    }
    assert document["seconds_to_moved_answers"] is not None
    assert document["failback_exit_code"] == 0


@pytest.mark.slow
def test_with_accelerated_recovery_the_records_failover_works_once_route53_failed_over(
    tmp_path: Path, run_cli: RunCli
) -> None:
    line = "    zone: example.com\n"
    policy = DR_POLICY.replace(line, line + "    zone_id: Z0DRILL12345\n")
    write_policy(tmp_path, policy + "recovery:\n  accelerated_recovery: true\n")
    result = run_cli("drill", "--control-plane-down", "-o", "json")
    assert result.returncode == 2, result.stderr  # not while us-east-1 is down
    document = json.loads(result.stdout)
    assert document["after_route53_failover"] == {
        "failover_exit_code": 0,
        "failover_error": "",
        "moved": True,
    }
    assert document["failback_exit_code"] == 0


@pytest.mark.slow
def test_with_accounts_the_drill_assumes_roles_through_a_regional_sts_and_moves_every_answer(
    tmp_path: Path, run_cli: RunCli
) -> None:
    # The zone, its health checks and ARC in account dns, reached by assuming a role; the
    # AWS region configured is us-east-1's, whose STS is down with the control plane.
    from tests.e2e.test_accounts import DNS

    policy = AUTO_POLICY.replace("    auto_failover: true\n", "").replace(
        "applications:\n",
        f'accounts:\n  dns: {{role_arn: "arn:aws:iam::{DNS}:role/geoproxy-dns"}}\napplications:\n',
        1,
    ).replace(
        "    zone: example.com\n", "    zone: example.com\n    account: dns\n", 1
    ) + SWITCHES.replace("  arc:\n", "  arc:\n    account: dns\n")
    write_policy(tmp_path, policy)
    result = run_cli(
        "drill",
        "--control-plane-down",
        "--from",
        "eu-west-1",
        "-o",
        "json",
        env={"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["passed"] is True and document["reasons"] == []
    assert all(row["moved"] for row in document["regions"])
    assert document["calls"]["control_plane_succeeded"] == 0
    # One session for the failover, from us-west-2's STS (us-east-1's is not asked).
    assert document["operations"]["regional"] == ["sts:GetCallerIdentity", "sts:AssumeRole"]
    assert document["failback_exit_code"] == 0
