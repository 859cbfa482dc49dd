"""DR in a storm: throttling, busy zones, lost responses, rejections and crashes, injected at
the HTTP layer in front of the strict emulator, through the real CLI."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_policy
from tests.e2e.conftest import (
    EU_WEST_1_SOURCES,
    EUC1,
    ORIGIN,
    STATE,
    RunCli,
    latency_map,
    records_at,
    run_on_terminal,
    start_cli,
    state_values,
    targets,
)

pytestmark = pytest.mark.e2e

CHANGE = "ChangeResourceRecordSets"
LIST = "ListResourceRecordSets"


def storm(aws: Any, operation: str) -> None:
    """Two throttles and a busy zone in a row: more than botocore's default 3 attempts."""
    aws.inject(operation, code="Throttling", status=400, times=2)
    aws.inject(
        operation,
        code="PriorRequestNotComplete",
        status=400,
        times=1,
        message="The request was rejected because Route 53 was still processing a prior request.",
    )


def audit_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- patient retries -------------------------------------------------------------------------


def test_apply_rides_out_throttling_on_list_and_change(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    aws.reset_log()
    storm(aws, LIST)
    storm(aws, CHANGE)
    result = run_cli("apply", "--yes")
    assert result.returncode == 0, result.stderr
    assert aws.count(CHANGE) == 4  # three refused, one accepted: never sent twice after that
    assert aws.count(LIST) == 4  # three refused, then the zone (which also holds its NS sets)
    assert len(latency_map(aws, zone)) == 34
    assert "ChangeResourceRecordSets: throttled; retrying in" in result.stderr
    assert "ChangeResourceRecordSets: zone busy; retrying in" in result.stderr
    assert "attempt 4" in result.stderr
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


def test_failover_rides_out_throttling(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    storm(aws, LIST)
    storm(aws, CHANGE)
    aws.inject("GetCallerIdentity", code="Throttling", status=400, times=2)
    # With an audit log, STS is asked (in the background, while Route 53 is read).
    result = run_cli("failover", "--from", "eu-west-1", "--yes", "--audit-log", "audit.log")
    assert result.returncode == 0, result.stderr
    assert {targets(aws, zone)[region] for region in EU_WEST_1_SOURCES} == {EUC1}
    assert len(state_values(aws, zone)) == 1


def test_giving_up_at_the_deadline_writes_nothing_and_says_so(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    aws.reset_log()
    aws.inject(CHANGE, code="Throttling", status=400, times=1000)
    result = run_cli("apply", "--yes", "--retry-deadline", "0.3")
    assert result.returncode == 1
    assert "Throttling" in result.stderr
    assert "geoproxy stopped at the retry deadline" in result.stderr
    assert "Traceback" not in result.stderr
    assert records_at(aws, zone) == []


def test_a_5xx_that_did_not_land_is_sent_again(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    aws.reset_log()
    aws.inject(CHANGE, code="InternalError", status=500, times=1)
    result = run_cli("apply", "--yes")
    assert result.returncode == 0, result.stderr
    assert aws.count(CHANGE) == 2  # read back as not landed, then sent again
    assert len(latency_map(aws, zone)) == 34


# --- lost responses --------------------------------------------------------------------------


def test_apply_whose_response_is_lost_succeeds_once(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    log = tmp_path / "audit.jsonl"
    aws.reset_log()
    aws.inject_lost_response(CHANGE)
    result = run_cli("apply", "--yes", "--audit-log", str(log), "--output", "json")
    assert result.returncode == 0, result.stderr
    assert aws.count(CHANGE) == 1  # it landed: never sent again
    assert len(latency_map(aws, zone)) == 34
    document = json.loads(result.stdout)
    assert document["applied"] is True
    assert document["batches"][0]["response_lost"] is True
    assert "Route 53's answer was lost" in result.stderr
    writes = audit_lines(log)
    assert [w["outcome"] for w in writes if w["action"] == CHANGE] == ["applied; response lost"]
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


def test_failover_whose_response_is_lost_succeeds_with_one_state_record(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "audit.jsonl"
    aws.inject_lost_response(CHANGE)
    result = run_cli("failover", "--from", "eu-west-1", "--yes", "--audit-log", str(log))
    assert result.returncode == 0, result.stderr
    assert {targets(aws, zone)[region] for region in EU_WEST_1_SOURCES} == {EUC1}
    assert len(records_at(aws, zone, STATE)) == 1
    assert len(state_values(aws, zone)) == 1
    writes = [w for w in audit_lines(log) if w["action"] == CHANGE]
    assert len(writes) == 1 and writes[0]["outcome"] == "applied; response lost"
    assert writes[0]["command"] == "failover"


def test_a_lost_response_after_someone_else_moved_the_records_stops(
    aws: Any, zone: str, applied: dict[str, str], tmp_path: Path
) -> None:
    # The batch lands but its answer is lost; meanwhile another operator deletes one of the
    # records it wrote. Live is neither before nor after: stop and say what is live.
    hold = aws.hold(CHANGE, apply_first=True)
    process = start_cli(aws, tmp_path, "failover", "--from", "eu-west-1", "--yes")
    try:
        assert hold.arrived.wait(30)
        record = next(
            r for r in records_at(aws, zone) if r.get("Region") == "eu-west-2" and r["Type"] == "A"
        )
        aws.client("route53").change_resource_record_sets(
            HostedZoneId=zone,
            ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": record}]},
        )
    finally:
        hold.release()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, stderr
    assert "match neither the state before it nor after it" in stderr
    assert "geoproxy:eu-west-2@default): live absent" in stderr
    assert "Traceback" not in stderr


def late_landing(aws: Any) -> None:
    """Issue 23's sequence, at the HTTP layer: the first attempt's connection drops before
    Route 53 has applied it (the read-back finds the records as before); the resend is told
    PriorRequestNotComplete while the first one lands; the next resend is rejected because
    the batch is already live."""
    aws.inject_disconnect(CHANGE)
    aws.inject(
        CHANGE,
        code="PriorRequestNotComplete",
        status=400,
        apply_first=True,
        message="The request was rejected because Route 53 was still processing a prior request.",
    )


def test_a_failover_that_lands_late_is_reported_as_done_not_as_nothing_written(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "audit.jsonl"
    aws.reset_log()
    late_landing(aws)

    result = run_cli("failover", "--from", "eu-west-1", "--yes", "--audit-log", str(log))

    assert result.returncode == 0, result.stderr
    assert "Nothing of this batch was written" not in result.stderr
    assert aws.count(CHANGE) == 3  # dropped, busy (the first lands), rejected as already live
    assert {targets(aws, zone)[region] for region in EU_WEST_1_SOURCES} == {EUC1}
    assert len(state_values(aws, zone)) == 1
    writes = [w for w in audit_lines(log) if w["action"] == CHANGE]
    assert [w["outcome"] for w in writes] == ["applied; response lost"]


def test_an_apply_that_lands_late_succeeds_and_plans_clean(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    aws.reset_log()
    late_landing(aws)

    result = run_cli("apply", "--yes", "--output", "json")

    assert result.returncode == 0, result.stderr
    assert aws.count(CHANGE) == 3
    assert json.loads(result.stdout)["batches"][0]["response_lost"] is True
    assert len(latency_map(aws, zone)) == 34
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


def test_a_rejection_after_a_lost_answer_says_nothing_written_only_when_read_back(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    """The dropped attempt never lands and the resend is rejected: the read-back after the
    rejection finds the records as before, and only then does geoproxy say nothing was
    written."""
    reason = "[Tried to create resource record set but it already exists]"
    aws.inject_disconnect(CHANGE)
    aws.inject(CHANGE, code="InvalidChangeBatch", status=400, message=reason)
    aws.reset_log()

    result = run_cli("failover", "--from", "eu-west-1", "--yes")

    assert result.returncode != 0
    assert "read back just now are as before the batch, so nothing of it was written" in (
        result.stderr
    )
    assert aws.count(CHANGE) == 2


# --- rejections ------------------------------------------------------------------------------


def test_a_rejected_batch_writes_nothing_and_quotes_route_53(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    reason = (
        "[Tried to delete resource record set [name='origin.shop.example.com.', "
        "type='A', set-identifier='geoproxy:eu-west-2'] but it was not found]"
    )
    aws.inject(CHANGE, code="InvalidChangeBatch", status=400, message=reason)
    before = records_at(aws, zone)
    result = run_cli("failover", "--from", "eu-west-1", "--yes")
    assert result.returncode == 1
    assert "Route 53 rejected the change batch" in result.stderr
    assert "Tried to delete resource record set" in result.stderr
    assert "Nothing of this batch was written" in result.stderr
    assert "run the command again" in result.stderr
    assert records_at(aws, zone) == before
    assert state_values(aws, zone) == []


# --- crashes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "apply_first"),
    [(CHANGE, False), (CHANGE, True), ("GetChange", False)],
    ids=["before-landing", "after-landing", "waiting-for-insync"],
)
@pytest.mark.slow
def test_a_killed_apply_converges_on_rerun(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path, operation: str, apply_first: bool
) -> None:
    write_policy(tmp_path)
    hold = aws.hold(operation, apply_first=apply_first)
    process = start_cli(aws, tmp_path, "apply", "--yes")
    try:
        assert hold.arrived.wait(30)
        process.kill()
        process.wait(30)
    finally:
        hold.release()
    rerun = run_cli("apply", "--yes")
    assert rerun.returncode == 0, rerun.stderr
    records = records_at(aws, zone)
    keys = [(r["Type"], r.get("SetIdentifier")) for r in records]
    assert len(keys) == len(set(keys)) == 34  # no duplicate, none lost
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


def test_a_killed_failover_converges_on_rerun(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    hold = aws.hold(CHANGE, apply_first=True)
    process = start_cli(aws, tmp_path, "failover", "--from", "eu-west-1", "--yes")
    try:
        assert hold.arrived.wait(30)
        process.kill()
        process.wait(30)
    finally:
        hold.release()
    rerun = run_cli("failover", "--from", "eu-west-1", "--yes")
    assert rerun.returncode == 0, rerun.stderr
    assert "Nothing to do" in rerun.stdout  # the killed run's batch had landed whole
    assert {targets(aws, zone)[region] for region in EU_WEST_1_SOURCES} == {EUC1}
    assert len(state_values(aws, zone)) == 1
    records = [(r["Type"], r.get("SetIdentifier")) for r in records_at(aws, zone, ORIGIN)]
    assert len(records) == len(set(records))  # nothing doubled


def test_change_id_is_printed_as_soon_as_the_batch_is_accepted(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    result = run_cli("apply", "--yes", "--no-wait")
    assert result.returncode == 0, result.stderr
    assert "Submitted change " in result.stderr
    assert "in zone " + zone in result.stderr


def test_ctrl_c_while_waiting_says_what_was_submitted(aws: Any, zone: str, tmp_path: Path) -> None:
    write_policy(tmp_path)
    hold = aws.hold("GetChange")
    process = start_cli(aws, tmp_path, "apply", "--yes")
    try:
        assert hold.arrived.wait(30)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        hold.release()
    assert process.returncode == 130, stderr
    assert "Submitted change " in stderr
    change_id = stderr.split("Submitted change ", 1)[1].split()[0]
    assert f"interrupted after Route 53 accepted change(s) {change_id}" in stderr
    assert "they will complete on their own" in stderr
    assert f"`geoproxy wait {change_id}` waits for them" in stderr
    assert "Traceback" not in stderr
    assert len(latency_map(aws, zone)) == 34


def test_the_insync_timeout_starts_when_the_change_is_submitted(
    aws: Any, zone: str, tmp_path: Path
) -> None:
    # An operator reads the plan for longer than --timeout before saying yes: the wait for
    # INSYNC must still get its full time, counted from the submission.
    write_policy(tmp_path)
    aws.pending_polls = 3
    code, stdout, stderr = run_on_terminal(
        aws,
        tmp_path,
        "y",
        "apply",
        "--timeout",
        "1",
        wait_for=LIST,
        seconds_at_prompt=1.5,
        poll_interval="0.05",
    )  # longer than --timeout at the prompt
    assert code == 0, stdout + stderr
    assert "Apply complete: INSYNC after" in stdout
    seconds = float(stdout.split("INSYNC after ", 1)[1].split("s", 1)[0])
    assert seconds < 1.0  # the prompt's time is not in it


# --- Route 53's documented rate limits (issue 23) --------------------------------------------


def test_a_long_read_stays_inside_route_53s_rate_limits(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    """The emulator enforces what AWS's throttling page documents (10 requests a second per
    account, a burst of 50, per-action buckets); a plan that reads the whole zone one record a
    page makes well over 50 requests, and geoproxy's one limiter for the account paces them, so
    Route 53 never has to refuse one. Before the limiter, the first 50-odd pages went out as
    fast as the emulator answered and the rest were throttled and retried."""
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": f"host{i}.example.com",
                        "Type": "A",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": "192.0.2.1"}],
                    },
                }
                for i in range(40)
            ]
        },
    )
    aws.changes.page_size_cap = 1
    aws.enforce_route53_limits()
    aws.reset_log()

    result = run_cli("plan", "--prune", "--detailed-exitcode")  # reads the whole zone

    assert result.returncode == 0, result.stdout + result.stderr
    assert aws.count(LIST) > 60
    assert [c.operation for c in aws.calls if c.throttled] == []
