"""Issue 28, change history as authority: with Route 53's change history on, a batch whose
answer was lost is found there by its comment's token and confirmed INSYNC by its change id;
`status` says who last wrote each application, and who failed over, from that history (one
ListHostedZoneChangeBatches per zone that has it), and which source it used."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from geoproxy.sandbox.strict.server import scrubbed
from tests.conftest import write_policy
from tests.e2e.conftest import DR_POLICY, RunCli, latency_map

pytestmark = pytest.mark.e2e

CHANGE = "ChangeResourceRecordSets"
HISTORY = "ListHostedZoneChangeBatches"
JANE = "arn:aws:sts::111122223333:assumed-role/Oncall/jane"


def audit_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_lost_answer_ends_with_a_confirmed_change_id(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    log = tmp_path / "audit.jsonl"
    aws.change_history.enable(zone)
    aws.change_history.lag_reads = 1  # the first lookup misses it: history lags
    aws.reset_log()
    aws.inject_lost_response(CHANGE)
    result = run_cli("apply", "--yes", "--output", "json", "--audit-log", str(log))
    assert result.returncode == 0, result.stderr
    assert len(latency_map(aws, zone)) == 34
    [batch] = json.loads(result.stdout)["batches"]
    [landed] = aws.change_history.batches(zone)
    assert batch["change_id"] == landed["ChangeId"]
    assert batch["insync"] is True and batch["found_in_history"] is True
    assert batch["response_lost"] is False
    assert aws.count(CHANGE) == 1  # it landed: never sent again
    assert aws.count("GetHostedZone") == 1  # the zone's features, on the lost path only
    assert aws.count(HISTORY) == 2  # missed once (the lag), then found
    assert aws.count("GetChange") == 2  # PENDING, then INSYNC: confirmed, not assumed
    assert "names it by its comment's token" in result.stderr
    [write] = [w for w in audit_lines(log) if w["action"] == CHANGE]
    assert write["change_id"] == landed["ChangeId"]
    assert write["outcome"] == "applied; response lost; change id from Route 53's change history"
    assert write["comment"] == landed["Comment"]
    command, token, apps = landed["Comment"].split(" ", 3)[1:]
    assert (command, apps) == ("apply", "apps=shop") and token.startswith("gp-")


def test_without_history_a_lost_answer_is_as_before(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    aws.reset_log()
    aws.inject_lost_response(CHANGE)
    result = run_cli("apply", "--yes", "--output", "json")
    assert result.returncode == 0, result.stderr
    [batch] = json.loads(result.stdout)["batches"]
    assert batch["change_id"] is None and batch["insync"] is None
    assert aws.count("GetHostedZone") == 1  # asked whether the zone has history: it has not
    assert aws.count(HISTORY) == 0
    assert aws.count("GetChange") == 0
    assert "the zone has no Route 53 change history" in result.stderr


def test_a_batch_history_does_not_show_in_time_stays_unconfirmed(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    aws.change_history.enable(zone)
    aws.change_history.lag_reads = 100
    aws.reset_log()
    aws.inject_lost_response(CHANGE)
    result = run_cli("apply", "--yes", "--output", "json", env={"GEOPROXY_HISTORY_DEADLINE": "0"})
    assert result.returncode == 0, result.stderr
    [batch] = json.loads(result.stdout)["batches"]
    assert batch["change_id"] is None and batch["insync"] is None
    assert aws.count(HISTORY) == 1  # one look, then the deadline (0 s) has passed
    assert aws.count("GetChange") == 0
    assert "it was not in the zone's change history after 0s" in result.stderr


def test_status_names_who_failed_over_from_route53_history(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, DR_POLICY)
    aws.change_history.enable(zone)
    assert run_cli("apply", "--yes").returncode == 0
    aws.change_history.identity = JANE  # the on-call engineer's role session fails over
    assert run_cli("failover", "--from", "eu-west-1", "--yes").returncode == 0
    aws.reset_log()
    result = run_cli("status", "--output", "json")
    assert result.returncode == 0, result.stderr
    assert aws.count(HISTORY) == 1  # one listing for the zone, newest batches first
    [app] = json.loads(result.stdout)["applications"]
    assert app["who_source"] == "route53_history"
    [failover] = app["failovers"]
    assert failover["by"] == JANE  # no audit log given: Route 53 said who
    last = app["last_write"]
    assert (last["command"], last["submitted_by"]) == ("failover", JANE)
    assert last["change_id"] == aws.change_history.batches(zone)[-1]["ChangeId"]
    text = run_cli("status")
    assert text.returncode == 0, text.stderr
    assert f"by {JANE}" in text.stdout
    assert "from Route 53 change history" in text.stdout


def test_status_without_history_uses_the_audit_log_and_reads_no_history(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, DR_POLICY)
    log = tmp_path / "audit.jsonl"
    assert run_cli("apply", "--yes").returncode == 0
    assert (
        run_cli("failover", "--from", "eu-west-1", "--yes", "--audit-log", str(log)).returncode == 0
    )
    aws.reset_log()
    result = run_cli("status", "--output", "json", "--audit-log", str(log))
    assert result.returncode == 0, result.stderr
    assert aws.count(HISTORY) == 0
    [app] = json.loads(result.stdout)["applications"]
    assert app["who_source"] == "audit_log" and app["last_write"] is None
    assert app["failovers"][0]["by"] == "arn:aws:sts::123456789012:user/moto"
    text = run_cli("status", "--audit-log", str(log))
    assert "who: from the local audit log" in text.stdout


def test_a_batch_that_lands_late_is_found_by_its_token(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    """Three attempts, one comment: dropped before it landed, told the zone is busy while it
    lands, rejected as already live. The one that landed is found in history by the token
    all three carried, and confirmed."""
    write_policy(tmp_path)
    aws.change_history.enable(zone)
    aws.reset_log()
    aws.inject_disconnect(CHANGE)
    aws.inject(CHANGE, code="PriorRequestNotComplete", status=400, apply_first=True)
    result = run_cli("apply", "--yes", "--output", "json")
    assert result.returncode == 0, result.stderr
    assert aws.count(CHANGE) == 3
    comments = {
        c.body.split(b"<Comment>")[1].split(b"</Comment>")[0]
        for c in aws.calls
        if c.operation == CHANGE
    }
    assert len(comments) == 1  # every attempt carried the same token
    [landed] = aws.change_history.batches(zone)
    [batch] = json.loads(result.stdout)["batches"]
    assert batch["change_id"] == landed["ChangeId"] and batch["insync"] is True
    assert aws.count(HISTORY) == 1 and aws.count("GetChange") == 2


@pytest.mark.slow
def test_the_sandbox_with_change_history_says_who_failed_over(tmp_path: Path) -> None:
    """`geoproxy sandbox --change-history`, as a person tries it: apply, fail over, and
    `status` names the caller from Route 53's history (the sandbox's moto identity)."""
    policy = write_policy(tmp_path, DR_POLICY)
    env = scrubbed(os.environ)
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "geoproxy", "sandbox", "-f", str(policy), "--change-history"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        exports, seeded = {}, []
        assert sandbox.stdout is not None
        for line in sandbox.stdout:
            seeded += [line] if line.startswith("hosted zone") else []
            if line.startswith("export "):
                key, _, value = line.removeprefix("export ").strip().partition("=")
                exports[key] = value
            if line.startswith("The sandbox keeps its state"):
                break
        assert [line.endswith("(change history on)\n") for line in seeded] == [True]
        cli_env = {
            **env,
            **exports,
            "GEOPROXY_POLL_INTERVAL": "0.01",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }

        def geoproxy(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "geoproxy", *args],
                cwd=tmp_path,
                env=cli_env,
                text=True,
                capture_output=True,
                timeout=120,
            )

        assert geoproxy("apply", "--yes").returncode == 0
        assert geoproxy("failover", "--from", "eu-west-1", "--yes").returncode == 0
        status = geoproxy("status", "--output", "json")
        assert status.returncode == 0, status.stderr
        [app] = json.loads(status.stdout)["applications"]
        assert app["who_source"] == "route53_history"
        assert app["failovers"][0]["by"] == "arn:aws:sts::123456789012:user/moto"
        assert app["last_write"]["command"] == "failover"
    finally:
        sandbox.send_signal(signal.SIGINT)
        sandbox.communicate(timeout=30)
