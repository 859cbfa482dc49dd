"""Issue 24, scenario 4: geoproxy says only what it knows.

INSYNC is said only of a change Route 53 reported INSYNC; a change whose answer was lost has
no id ("submitted, INSYNC unknown", never "change None"); a saved failback plan whose state
record differs only in its time is stale (exit 3), not a rejected batch (exit 1, "run the
command again", which loops); `status --detailed-exitcode` exits 2 when `plan` would refuse."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import many_apps_policy, write_policy
from tests.e2e.conftest import (
    DR_POLICY,
    VIEWER,
    RunCli,
    cloudfront_policy,
    config_of,
    edit_distribution,
    latency_map,
    records_at,
    start_cli,
    state_values,
)

pytestmark = pytest.mark.e2e

CHANGE = "ChangeResourceRecordSets"


def test_a_change_whose_answer_was_lost_is_never_called_insync(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    """Main printed "Apply complete: INSYNC after 0.0s." for a change GetChange never saw."""
    write_policy(tmp_path)
    aws.reset_log()
    aws.inject_lost_response(CHANGE)
    result = run_cli("apply", "--yes")
    assert result.returncode == 0, result.stderr
    assert len(latency_map(aws, zone)) == 34
    assert aws.count("GetChange") == 0  # no id: nothing to ask
    assert "INSYNC after" not in result.stdout
    assert "1 change(s) submitted, INSYNC unknown" in result.stdout
    assert "`geoproxy wait ID`" in result.stdout
    as_json = run_cli("apply", "--yes", "--output", "json")  # nothing to do: no batch
    assert as_json.returncode == 0


def test_a_change_whose_answer_was_lost_has_no_id_in_json(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    aws.inject_lost_response(CHANGE)
    result = run_cli("apply", "--yes", "--output", "json")
    assert result.returncode == 0, result.stderr
    [batch] = json.loads(result.stdout)["batches"]
    assert batch["change_id"] is None and batch["insync"] is None


@pytest.mark.slow
def test_an_error_after_a_lost_answer_never_says_change_none(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    aws.inject_lost_response(CHANGE)
    aws.inject("UpdateDistribution", "AccessDenied", 403, message="not allowed")
    result = run_cli("apply", "--yes")
    assert result.returncode == 1, result.stderr
    assert "change None" not in result.stderr
    assert "submitted, INSYNC unknown" in result.stderr
    assert "already applied: a change of" in result.stderr


@pytest.mark.slow
def test_a_saved_failback_whose_state_differs_only_in_time_is_stale(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    """The failback was prepared against one failover; by the time it is applied, that
    failover ended and another, from and to the same PoPs, began. Main sent the batch,
    Route 53 rejected the exact DELETE, and it exited 1 saying to run it again (a loop)."""
    write_policy(tmp_path, DR_POLICY)
    assert run_cli("apply", "--yes").returncode == 0
    assert run_cli("failover", "--from", "eu-west-1", "--yes").returncode == 0
    prepared = run_cli("failback", "eu-west-1", "--dry-run", "--out", "fb.json")
    assert prepared.returncode == 0, prepared.stderr
    assert run_cli("failback", "eu-west-1", "--yes").returncode == 0
    time.sleep(1.1)  # state records carry one-second times: let the new one differ
    assert run_cli("failover", "--from", "eu-west-1", "--yes").returncode == 0
    [value] = state_values(aws, zone)
    aws.reset_log()
    result = run_cli("apply", "fb.json", "--yes", "--output", "json")
    assert result.returncode == 3, result.stderr
    assert json.loads(result.stdout)["error"]["kind"] == "stale_plan"
    assert "_geoproxy.origin.shop.example.com TXT" in result.stderr
    assert aws.count(CHANGE) == 0
    assert state_values(aws, zone) == [value]


def test_status_exits_2_when_plan_would_refuse(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    """A failover to a PoP the policy no longer has: `plan` refuses, so status is not calm
    (main exited 4, "only a failover is active")."""
    write_policy(tmp_path, DR_POLICY)
    assert run_cli("apply", "--yes").returncode == 0
    assert run_cli("failover", "--from", "eu-west-1", "--yes").returncode == 0
    without_target = DR_POLICY.replace(", failover_to: eu-central-1", "").replace(
        "      eu-central-1: {target: shop-euc1-1.eu-central-1.elb.amazonaws.com}\n", ""
    )
    assert without_target != DR_POLICY
    write_policy(tmp_path, without_target)
    assert run_cli("plan").returncode == 1  # plan refuses
    result = run_cli("status", "--detailed-exitcode")
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "plan would refuse" in result.stdout
    document = json.loads(run_cli("status", "--output", "json").stdout)
    [app] = document["applications"]
    assert app["refusals"] and app["refusals"][0]["code"] == "failover_target_gone"
    assert records_at(aws, zone)  # status wrote nothing


def test_a_failover_refused_after_its_first_batch_is_partial(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    """Four applications over two zones; the failover's second batch is refused after the
    first landed. Main's status exited 4, as after a complete failover."""
    aws.client("route53").create_hosted_zone(Name="example.org", CallerReference="org")
    write_policy(tmp_path, many_apps_policy(4, zones=("example.com", "example.org")))
    assert run_cli("apply", "--yes").returncode == 0
    hold = aws.hold(CHANGE)
    process = start_cli(aws, tmp_path, "failover", "--from", "eu-west-1", "--yes")
    try:
        assert hold.arrived.wait(30)
        aws.inject(CHANGE, "AccessDenied", 403, message="not allowed")
    finally:
        hold.release()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, stderr
    result = run_cli("status", "--detailed-exitcode")
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Partial failover eu-west-1 → eu-central-1: 2 application(s) moved, 2 not" in (
        result.stdout
    )
    document = json.loads(run_cli("status", "--output", "json").stdout)
    [partial] = document["partial_failovers"]
    assert len(partial["moved"]) == 2 and len(partial["not_moved"]) == 2
    command = partial["command"]
    assert command in result.stdout
    assert command.startswith("geoproxy failover --from eu-west-1 --to eu-central-1 --app ")
    # The printed command completes it: then only complete, consistent failovers differ.
    completed = run_cli(*command.split()[1:], "--yes")
    assert completed.returncode == 0, completed.stderr
    assert run_cli("status", "--detailed-exitcode").returncode == 4


@pytest.mark.slow
def test_status_sees_missing_viewer_records_and_distribution_drift(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    """Main exited 0 with the viewer records gone, and with the distribution repointed."""
    write_policy(tmp_path, cloudfront_policy(distribution))
    assert run_cli("apply", "--yes").returncode == 0
    assert run_cli("status", "--detailed-exitcode").returncode == 0
    route53 = aws.client("route53")
    viewers = [r for r in records_at(aws, zone, VIEWER) if r["Type"] == "A"]
    route53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": r} for r in viewers]},
    )
    missing = run_cli("status", "--detailed-exitcode")
    assert missing.returncode == 2, (missing.stdout, missing.stderr)
    assert "viewer record shop.example.com A is missing" in missing.stdout
    assert run_cli("apply", "--yes").returncode == 0
    assert run_cli("status", "--detailed-exitcode").returncode == 0
    config = config_of(aws, distribution)
    edit_distribution(
        aws,
        distribution,
        DefaultCacheBehavior={**config["DefaultCacheBehavior"], "TargetOriginId": "legacy"},
    )
    drifted = run_cli("status", "--detailed-exitcode")
    assert drifted.returncode == 2, (drifted.stdout, drifted.stderr)
    assert (
        f"drift: CloudFront distribution {distribution} DefaultCacheBehavior.TargetOriginId"
        in drifted.stdout
    )
    document = json.loads(run_cli("status", "--output", "json").stdout)
    assert document["applications"][0]["distribution_drift"]


def test_a_live_breach_is_not_calm(aws: Any, zone: str, run_cli: RunCli, tmp_path: Path) -> None:
    """A failover that a compliance rule added since forbids: `plan` refuses it, and main's
    status exited 4, as for any consistent failover."""
    write_policy(tmp_path, DR_POLICY)
    assert run_cli("apply", "--yes").returncode == 0
    assert run_cli("failover", "--from", "eu-west-1", "--yes").returncode == 0
    assert run_cli("status", "--detailed-exitcode").returncode == 4
    uk_rule = (
        "      - name: uk-stays\n"
        '        sources: ["eu-west-2"]\n'
        '        allowed_pops: ["eu-west-1"]\n'
    )
    stricter = DR_POLICY.replace(
        '        allowed_pops: ["eu-*"]\n', '        allowed_pops: ["eu-*"]\n' + uk_rule
    )
    assert stricter != DR_POLICY
    write_policy(tmp_path, stricter)
    assert run_cli("plan").returncode == 1  # plan refuses the breach
    result = run_cli("status", "--detailed-exitcode")
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "live breach: shop:" in result.stdout
    assert "uk-stays" in result.stdout
