"""Issue 24, scenario 3: writes that race. Every batch asserts the state record it read, so
the second of two runs that read the same state is rejected whole by Route 53, re-reads,
re-plans once (shown, and confirmed again or --yes) and never becomes a breach without
--override-compliance; a saved plan exits 3 instead.

Each race parks the first run's ChangeResourceRecordSets in the emulator (Hold) while the
other run writes, then lets it through: Route 53 sees the batches in that order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import write_policy
from tests.e2e.conftest import (
    DR_POLICY,
    EU_WEST_1_SOURCES,
    EUC1,
    EUW1_NAME,
    USE1_NAME,
    RunCli,
    start_cli,
    state_values,
    targets,
)

CHANGE = "ChangeResourceRecordSets"
ME_SOUTH_TO_DUBLIN = DR_POLICY.replace("me-south-1: us-east-1", "me-south-1: eu-west-1")
CANADA_TO_SINGAPORE = DR_POLICY.replace(
    "me-south-1: us-east-1", "me-south-1: us-east-1\n      ca-central-1: ap-southeast-1"
)
APSE1 = "shop-apse1-789.ap-southeast-1.elb.amazonaws.com"


def race(aws: Any, tmp_path: Path, first: tuple[str, ...], second: Any) -> tuple[int, str, str]:
    """`first` runs until Route 53 receives its batch, which is parked until `second()` has
    run; then it goes on. Returns first's (exit code, stdout, stderr)."""
    hold = aws.hold(CHANGE)
    process = start_cli(aws, tmp_path, *first)
    try:
        # Under a loaded CI machine the first run can take a while to reach its write; if it
        # ends instead, its own output says why.
        for _ in range(120):
            if hold.arrived.wait(0.5) or process.poll() is not None:
                break
        if not hold.arrived.is_set():
            process.kill()
            stdout, stderr = process.communicate(timeout=30)
            raise AssertionError(f"{first} never wrote:\n{stdout}\n{stderr}")
        second()
    finally:
        hold.release()
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr


def test_an_apply_racing_a_failover_follows_the_failover(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    # CI applies me-south-1 -> eu-west-1 while an operator fails eu-west-1 over. Before
    # format v2 both exited 0 and me-south-1 pointed at the PoP declared down ("drift").
    write_policy(tmp_path, ME_SOUTH_TO_DUBLIN, "ci.yaml")

    def operator() -> None:
        result = run_cli("failover", "--from", "eu-west-1", "--yes")
        assert result.returncode == 0, result.stderr

    code, _, stderr = race(aws, tmp_path, ("apply", "-f", "ci.yaml", "--yes"), operator)
    assert code == 0, stderr
    assert "The state changed underneath this run: re-reading and planning again" in stderr
    assert "Route 53 rejected the change batch" in stderr
    live = targets(aws, zone)
    assert live["me-south-1"] == EUC1  # where eu-west-1's traffic goes during the failover
    assert {live[r] for r in EU_WEST_1_SOURCES} == {EUC1}
    assert len(state_values(aws, zone)) == 1
    status = json.loads(run_cli("status", "-f", "ci.yaml", "--output", "json").stdout)
    regions = {r["source_region"]: r for r in status["applications"][0]["regions"]}
    assert regions["me-south-1"]["state"] == "failover"
    assert run_cli("status", "-f", "ci.yaml", "--detailed-exitcode").returncode == 4
    # Three batches: the operator's, the rejected one, and the re-planned one.
    assert aws.count(CHANGE) >= 3


def test_a_failback_racing_a_failover_replans_and_keeps_the_other_failover(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    assert run_cli("failover", "--from", "eu-west-1", "--yes").returncode == 0
    us_east_1_sources = {r for r, target in applied.items() if target == USE1_NAME}

    def operator() -> None:
        result = run_cli("failover", "--from", "us-east-1", "--to", "ap-southeast-1", "--yes")
        assert result.returncode == 0, result.stderr

    code, _, stderr = race(aws, tmp_path, ("failback", "eu-west-1", "--yes"), operator)
    assert code == 0, stderr  # before format v2: exit 1, "run the command again"
    assert "re-reading and planning again" in stderr
    live = targets(aws, zone)
    assert {live[r] for r in EU_WEST_1_SOURCES} == {EUW1_NAME}
    assert {live[r] for r in us_east_1_sources} == {APSE1}
    [value] = state_values(aws, zone)
    assert "from=us-east-1 to=ap-southeast-1" in value
    assert run_cli("status", "--detailed-exitcode").returncode == 4


def test_two_applies_the_second_replans_against_the_first(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    # Two reviewed policies applied at once, touching different records: before format v2
    # both exited 0 and live became a mix that neither plan showed.
    write_policy(tmp_path, ME_SOUTH_TO_DUBLIN, "first.yaml")
    write_policy(tmp_path, CANADA_TO_SINGAPORE, "second.yaml")

    def other() -> None:
        result = run_cli("apply", "-f", "second.yaml", "--yes")
        assert result.returncode == 0, result.stderr

    code, stdout, stderr = race(aws, tmp_path, ("apply", "-f", "first.yaml", "--yes"), other)
    assert code == 0, stderr
    assert "re-reading and planning again" in stderr
    # The re-plan is shown: it now also puts ca-central-1 back, which the first plan did not.
    assert stdout.count("ca-central-1") >= 1
    assert run_cli("plan", "-f", "first.yaml", "--detailed-exitcode").returncode == 0
    assert targets(aws, zone)["me-south-1"] == EUW1_NAME


def test_a_replan_that_would_breach_is_refused(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    # Meanwhile someone fails eu-west-1 over to us-east-1 with an override; the CI apply's
    # re-plan would keep that breach, which its own run did not allow.
    write_policy(tmp_path, ME_SOUTH_TO_DUBLIN, "ci.yaml")

    def operator() -> None:
        result = run_cli(
            "failover",
            "--from",
            "eu-west-1",
            "--to",
            "us-east-1",
            "--yes",
            "--override-compliance",
            "legal LEG-9",
        )
        assert result.returncode == 0, result.stderr

    code, _, stderr = race(aws, tmp_path, ("apply", "-f", "ci.yaml", "--yes"), operator)
    assert code == 1, stderr
    assert "re-reading and planning again" in stderr
    assert "compliance rule 'gdpr' forbids PoP us-east-1" in stderr
    assert targets(aws, zone)["me-south-1"] == USE1_NAME  # as before: nothing of CI's landed


def test_a_saved_plan_whose_assertion_fails_is_stale(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    write_policy(tmp_path, ME_SOUTH_TO_DUBLIN)
    assert run_cli("plan", "--out", "ci.plan").returncode == 0

    def operator() -> None:
        result = run_cli("failover", "-f", "dr.yaml", "--from", "eu-west-1", "--yes")
        assert result.returncode == 0, result.stderr

    write_policy(tmp_path, DR_POLICY, "dr.yaml")
    code, _, stderr = race(aws, tmp_path, ("apply", "ci.plan", "--yes"), operator)
    assert code == 3, stderr
    assert "is stale" in stderr
    assert targets(aws, zone)["me-south-1"] == USE1_NAME


def test_a_saved_dr_plan_survives_an_unrelated_apply(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    # Prepared in calm weather; an unrelated routine apply since rewrote the state record's
    # token: the DR plan builds its DELETE from the record read when it is applied.
    prepared = run_cli("failover", "--from", "eu-west-1", "--dry-run", "--out", "dr.plan")
    assert prepared.returncode == 0, prepared.stderr
    write_policy(tmp_path, CANADA_TO_SINGAPORE)
    assert run_cli("apply", "--yes").returncode == 0
    result = run_cli("apply", "dr.plan", "--yes")
    assert result.returncode == 0, result.stderr
    live = targets(aws, zone)
    assert {live[r] for r in EU_WEST_1_SOURCES} == {EUC1}
    assert live["ca-central-1"] == APSE1
    assert len(state_values(aws, zone)) == 1
