"""Saved plans end to end: `plan --out` / `failover --dry-run --out`, then `apply PLANFILE`,
applied exactly (no re-planning, no policy read) by compare-and-swap against live."""

from __future__ import annotations

import json
import re
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_POLICY, write_policy
from tests.e2e.conftest import (
    EU_WEST_1_SOURCES,
    EUC1,
    TOKYO_POP,
    VIEWER,
    RunCli,
    cloudfront_policy,
    config_of,
    edit_distribution,
    latency_map,
    records_at,
    start_cli,
    state_values,
    targets,
)

pytestmark = pytest.mark.e2e

CHANGE = "ChangeResourceRecordSets"
TOKYO_POLICY = EXAMPLE_POLICY.replace("    pops:\n", "    pops:\n" + TOKYO_POP, 1)


def test_a_saved_plan_applies_exactly_without_reading_the_policy(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    policy = write_policy(tmp_path)
    saved = run_cli("plan", "--out", "plan.json", "--detailed-exitcode")
    assert saved.returncode == 2, saved.stderr
    assert stat.S_IMODE((tmp_path / "plan.json").stat().st_mode) == 0o600
    policy.unlink()  # the saved plan is all apply reads
    aws.reset_log()
    applied = run_cli("apply", "plan.json", "--yes")
    assert applied.returncode == 0, applied.stderr
    assert "Plan: 34 to create" in applied.stdout  # the plan as it was reviewed
    assert aws.count(CHANGE) == 1
    assert len(latency_map(aws, zone)) == 34
    again = run_cli("apply", "--plan", "plan.json", "--yes")
    assert again.returncode == 0, again.stderr
    assert "Nothing to do: everything in the saved plan is live." in again.stdout
    assert aws.count(CHANGE) == 1  # a re-run after success writes nothing


def test_apply_dash_f_on_a_saved_plan_points_at_dash_dash_plan(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    assert run_cli("plan", "--out", "plan.json").returncode == 0
    result = run_cli("apply", "-f", "plan.json", "--yes")
    assert result.returncode == 1
    assert "this is a saved geoproxy plan, not a policy" in result.stderr
    assert "geoproxy apply --plan plan.json" in result.stderr
    assert records_at(aws, zone) == []


@pytest.mark.slow
def test_a_plan_made_stale_by_a_hand_edit_is_refused_with_exit_3(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    assert run_cli("apply", "--yes").returncode == 0
    write_policy(tmp_path, TOKYO_POLICY)
    assert run_cli("plan", "--out", "tokyo.json").returncode == 0
    # Someone repoints one of the records the plan moves, by hand.
    route53 = aws.client("route53")
    record = next(r for r in records_at(aws, zone) if r.get("Region") == "ap-northeast-2")
    edited = {
        **record,
        "AliasTarget": {
            **record["AliasTarget"],
            "DNSName": "hand-edit.us-east-1.elb.amazonaws.com.",
        },
    }
    edited["AliasTarget"]["HostedZoneId"] = "Z35SXDOTRQ7X7K"
    route53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {"Action": "DELETE", "ResourceRecordSet": record},
                {"Action": "CREATE", "ResourceRecordSet": edited},
            ]
        },
    )
    aws.reset_log()
    result = run_cli("apply", "tokyo.json", "--yes", "--output", "json")
    assert result.returncode == 3, result.stderr
    assert "is stale" in result.stderr and "nothing was written" in result.stderr
    assert re.search(
        r"origin\.shop\.example\.com A \(geoproxy:ap-northeast-2@default\): the plan "
        r"expects alias shop-apse1-789\.ap-southeast-1\.elb\.amazonaws\.com, "
        r"live is alias hand-edit\.us-east-1\.elb\.amazonaws\.com",
        result.stderr,
    )
    assert json.loads(result.stdout)["error"]["kind"] == "stale_plan"
    assert aws.count(CHANGE) == 0
    live = next(r for r in records_at(aws, zone) if r.get("Region") == "ap-northeast-2")
    assert live["AliasTarget"]["DNSName"] == "hand-edit.us-east-1.elb.amazonaws.com."


@pytest.mark.slow
def test_a_saved_failover_applies_with_the_apply_time(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    prepared = run_cli(
        "failover",
        "--from",
        "eu-west-1",
        "--dry-run",
        "--out",
        "dr.json",
        "--reason",
        "prepared in calm weather",
    )
    assert prepared.returncode == 0, prepared.stderr
    assert state_values(aws, zone) == []  # a dry run writes nothing
    declared_at = json.loads((tmp_path / "dr.json").read_text())["failover_declared_at"]
    time.sleep(1.1)  # time stamps have one-second resolution: let the apply time differ
    log = tmp_path / "audit.jsonl"
    result = run_cli("apply", "dr.json", "--yes", "--audit-log", str(log))
    assert result.returncode == 0, result.stderr
    assert {targets(aws, zone)[region] for region in EU_WEST_1_SOURCES} == {EUC1}
    [value] = state_values(aws, zone)
    assert "reason=prepared%20in%20calm%20weather" in value
    stamped = re.search(r"at=([^ \"]+)", value)
    assert stamped and stamped.group(1) != declared_at.replace(":", "%3A")
    [write] = [json.loads(line) for line in log.read_text().splitlines()]
    assert write["command"] == "failover" and write["plan_file"] == "dr.json"
    # The failover is live state: status shows it, and a re-run of the plan is a no-op.
    assert run_cli("apply", "dr.json", "--yes").returncode == 0
    assert len(state_values(aws, zone)) == 1


def test_out_without_dry_run_is_refused(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    result = run_cli("failover", "--from", "eu-west-1", "--out", "dr.json", "--yes")
    assert result.returncode == 1
    assert "use it with --dry-run" in result.stderr
    assert state_values(aws, zone) == []


def _saved(run_cli: RunCli, tmp_path: Path) -> dict[str, Any]:
    assert run_cli("plan", "--out", "plan.json").returncode == 0
    return dict(json.loads((tmp_path / "plan.json").read_text()))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["changes"]["before_distributions"].popitem(),
            "was changed after geoproxy wrote it",
        ),
        (lambda d: d.update(format_version=99), "plan format version 99, which this geoproxy"),
        (lambda d: d.update(kind="something-else"), "is not a geoproxy plan"),
    ],
)
def test_an_edited_or_unknown_plan_file_is_refused(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path, edit: Any, message: str
) -> None:
    write_policy(tmp_path)
    document = _saved(run_cli, tmp_path)
    edit(document)
    (tmp_path / "plan.json").write_text(json.dumps(document))
    result = run_cli("apply", "plan.json", "--yes")
    assert result.returncode == 1
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert records_at(aws, zone) == []


def test_a_plan_file_that_is_not_json_is_refused(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    (tmp_path / "plan.json").write_text("{ not json\n")
    result = run_cli("apply", "plan.json", "--yes")
    assert result.returncode == 1
    assert "plan.json:1: not a geoproxy plan (not valid JSON" in result.stderr


@pytest.mark.slow
def test_a_saved_cloudfront_plan_refuses_a_distribution_edited_since(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    assert run_cli("plan", "--out", "plan.json").returncode == 0
    edit_distribution(aws, distribution, Comment="edited by ops")
    aws.reset_log()
    result = run_cli("apply", "plan.json", "--yes")
    assert result.returncode == 3, result.stderr
    assert f"CloudFront distribution {distribution}: the plan expects ETag" in result.stderr
    assert aws.count(CHANGE) == 0 and aws.count("UpdateDistribution") == 0
    assert config_of(aws, distribution)["Comment"] == "edited by ops"


@pytest.mark.slow
def test_a_saved_cloudfront_plan_applies_with_its_etag(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    assert run_cli("plan", "--out", "plan.json").returncode == 0
    aws.reset_log()
    result = run_cli("apply", "plan.json", "--yes")
    assert result.returncode == 0, result.stderr
    assert aws.count("UpdateDistribution") == 1
    assert config_of(aws, distribution)["DefaultCacheBehavior"]["TargetOriginId"] == (
        "geoproxy-shop"
    )
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


@pytest.mark.slow
def test_a_412_after_the_route53_phase_reports_what_landed(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    assert run_cli("plan", "--out", "plan.json").returncode == 0
    hold = aws.hold("GetChange")  # the wait for INSYNC between the two phases
    process = start_cli(aws, tmp_path, "apply", "plan.json", "--yes")
    try:
        assert hold.arrived.wait(30)
        edit_distribution(aws, distribution, Comment="edited by ops meanwhile")
    finally:
        hold.release()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, stderr
    assert "changed since the saved plan was made" in stderr
    assert "already applied: change" in stderr  # the Route 53 phase landed, and says so
    assert len(records_at(aws, zone)) == 34
    assert config_of(aws, distribution)["Comment"] == "edited by ops meanwhile"


@pytest.mark.slow
@pytest.mark.parametrize("saved", [True, False], ids=["apply PLANFILE", "apply"])
def test_a_lost_answer_to_update_distribution_is_not_a_failure(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path, saved: bool
) -> None:
    """CloudFront answers the re-read with defaults geoproxy never sent (moto >= 5.2.6 does
    too): the write is recognised by the fields geoproxy manages, and the run goes on."""
    write_policy(tmp_path, cloudfront_policy(distribution))
    assert run_cli("plan", "--out", "plan.json").returncode == 0
    aws.inject_lost_response("UpdateDistribution")
    log = tmp_path / "audit.jsonl"
    args = ("apply", "plan.json") if saved else ("apply",)
    result = run_cli(*args, "--yes", "--audit-log", str(log))
    assert result.returncode == 0, result.stderr
    assert aws.count("UpdateDistribution") == 2  # the lost one, and its retry that met a 412
    assert config_of(aws, distribution)["DefaultCacheBehavior"]["TargetOriginId"] == (
        "geoproxy-shop"
    )
    actions = [json.loads(line)["action"] for line in log.read_text().splitlines()]
    assert actions.count("UpdateDistribution") == 1
    # The step after the distribution ran: the viewer alias record points at it.
    assert sorted(record["Type"] for record in records_at(aws, zone, VIEWER)) == ["A", "AAAA"]
    again = run_cli("apply", "plan.json", "--yes")
    assert again.returncode == 0, again.stderr
    assert (
        f"Already applied (an earlier run of this plan): CloudFront distribution "
        f"{distribution}" in again.stderr
    )
    assert "Nothing to do: everything in the saved plan is live." in again.stdout
