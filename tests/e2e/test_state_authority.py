"""Issue 24, scenario 1: DNS is not an authority. A state record anyone who may write the
zone can plant must never authorize a compliance breach, and one that cannot be believed
(malformed, self-referential, or not matched by the records it describes) is reported as
invalid and never blocks failback, `apply --force` or a fresh failover."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.conftest import (
    EU_WEST_1_SOURCES,
    EUC1,
    STATE,
    USE1_NAME,
    RunCli,
    state_header,
    state_values,
    targets,
)
from tests.e2e.test_switches import cluster  # noqa: F401 (a fixture)

CHANGE = "ChangeResourceRecordSets"
PLANTED = (
    '"geoproxy-failover=v1 from=eu-west-1 to=us-east-1 at=2026-11-30T02%3A00%3A00Z '
    'reason=maintenance override=approved"'
)


def plant(aws: Any, zone: str, *values: str) -> None:
    """What anyone with TXT write access to the zone can do: write geoproxy's state name."""
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": STATE,
                        "Type": "TXT",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": value} for value in values],
                    },
                }
            ]
        },
    )


def test_apply_writes_a_calm_v2_state_record_and_a_no_op_plan_writes_nothing(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    header = state_header(aws, zone)
    assert header is not None and header.startswith('"geoproxy=v2 t=')
    assert state_values(aws, zone) == []
    aws.reset_log()
    assert run_cli("plan", "--detailed-exitcode").returncode == 0
    assert run_cli("apply", "--yes").returncode == 0
    assert aws.count(CHANGE) == 0
    assert state_header(aws, zone) == header  # plan and a no-op apply never write


def test_a_planted_state_record_authorizes_nothing(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    plant(aws, zone, PLANTED)
    aws.reset_log()
    result = run_cli("apply", "--yes")
    assert result.returncode == 1, result.stderr
    assert "the state record _geoproxy.origin.shop.example.com is invalid" in result.stderr
    assert "it declares the failover eu-west-1 → us-east-1 (declared 2026-11-30T02:00:00Z)" in (
        result.stderr
    )
    assert "none of the records it describes follows it" in result.stderr
    assert aws.count(CHANGE) == 0
    assert targets(aws, zone) == applied  # nothing moved

    status = run_cli("status", "--detailed-exitcode")
    assert status.returncode == 2, status.stderr
    assert "invalid state" in status.stdout and "eu-west-1 → us-east-1" in status.stdout
    document = json.loads(run_cli("status", "--output", "json").stdout)
    state = document["applications"][0]["state"]
    assert state["valid"] is False and "none of the records" in state["problems"][0]
    assert document["applications"][0]["failovers"] == []  # not shown as a real failover

    # --force rewrites the state from what can be believed; nothing else moves.
    forced = run_cli("apply", "--yes", "--force")
    assert forced.returncode == 0, forced.stderr
    assert targets(aws, zone) == applied
    assert state_values(aws, zone) == [] and state_header(aws, zone) is not None
    assert run_cli("status", "--detailed-exitcode").returncode == 0


def test_a_planted_record_with_moved_records_still_needs_this_runs_override(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    from tests.conftest import write_policy
    from tests.e2e.conftest import DR_POLICY

    # The attacker moves the records too, so the state is matched: it is then a real,
    # breaching failover, and DNS's override still allows nothing.
    assert (
        run_cli(
            "failover",
            "--from",
            "eu-west-1",
            "--to",
            "us-east-1",
            "--yes",
            "--override-compliance",
            "approved",
            "--audit-log",
            str(tmp_path / "audit.jsonl"),
        ).returncode
        == 0
    )
    moved = targets(aws, zone)
    aws.reset_log()
    result = run_cli("apply", "--yes", "--audit-log", str(tmp_path / "audit.jsonl"))
    assert result.returncode == 1, result.stderr
    assert "compliance rule 'gdpr' forbids PoP us-east-1" in result.stderr
    assert "through the failover eu-west-1 → us-east-1 (declared " in result.stderr
    assert " by arn:" in result.stderr  # who, from the audit log
    assert "its override read from DNS ('approved') allows nothing in this run" in result.stderr
    assert aws.count(CHANGE) == 0 and targets(aws, zone) == moved
    # A policy change, so that this apply writes (and its audit line says why it kept it).
    write_policy(tmp_path, DR_POLICY.replace("me-south-1: us-east-1", "me-south-1: eu-central-1"))
    kept = run_cli(
        "apply",
        "--yes",
        "--override-compliance",
        "INC-7 still approved",
        "--audit-log",
        str(tmp_path / "audit.jsonl"),
    )
    assert kept.returncode == 0, kept.stderr
    assert "allowed by --override-compliance: INC-7 still approved" in kept.stderr
    lines = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert lines[-1]["command"] == "apply"
    assert lines[-1]["override_compliance"] == "INC-7 still approved"


def test_a_self_referential_record_blocks_nothing_that_clears_it(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    plant(aws, zone, '"geoproxy-failover=v1 from=eu-west-1 to=eu-west-1"')
    refused = run_cli("apply", "--yes")
    assert refused.returncode == 1
    assert "self-referential: from=eu-west-1 to=eu-west-1" in refused.stderr
    status = run_cli("status", "--detailed-exitcode")
    assert status.returncode == 2 and "self-referential" in status.stdout
    # A fresh failover is not blocked: the invalid part is left out of the state it writes.
    fresh = run_cli("failover", "--from", "eu-west-1", "--yes")
    assert fresh.returncode == 0, fresh.stderr
    assert {targets(aws, zone)[r] for r in EU_WEST_1_SOURCES} == {EUC1}
    assert len(state_values(aws, zone)) == 1 and "to=eu-central-1" in state_values(aws, zone)[0]
    # Beside the real failover, a value that points a PoP at itself: failback is not blocked,
    # and the record it writes leaves the invalid value out.
    header, [value] = state_header(aws, zone), state_values(aws, zone)
    plant(aws, zone, str(header), value, '"geoproxy=v2 from=eu-central-1 to=eu-central-1"')
    assert run_cli("status", "--detailed-exitcode").returncode == 2
    back = run_cli("failback", "eu-west-1", "--yes")
    assert back.returncode == 0, back.stderr
    assert "this run leaves it out of the state it writes" in back.stderr
    assert state_values(aws, zone) == []
    assert targets(aws, zone) == applied


def test_a_malformed_v2_record_is_invalid_and_apply_force_rewrites_it(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    plant(aws, zone, '"geoproxy=v2 t=not-a-token"')
    status = run_cli("status", "--detailed-exitcode")
    assert status.returncode == 2
    assert "malformed: token 'not-a-token' is not 12 hex digits" in status.stdout
    assert run_cli("apply", "--yes").returncode == 1
    assert run_cli("apply", "--yes", "--force").returncode == 0
    assert run_cli("status", "--detailed-exitcode").returncode == 0
    assert targets(aws, zone) == applied


def test_a_v1_record_is_read_and_upgraded_by_the_next_write(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    from tests.conftest import write_policy
    from tests.e2e.conftest import DR_POLICY

    assert run_cli("failover", "--from", "eu-west-1", "--yes").returncode == 0
    [value] = state_values(aws, zone)
    v1 = value.replace("geoproxy=v2", "geoproxy-failover=v1")
    plant(aws, zone, v1)  # as geoproxy wrote it before format v2
    assert run_cli("status", "--detailed-exitcode").returncode == 4  # a believed failover
    write_policy(tmp_path, DR_POLICY.replace("me-south-1: us-east-1", "me-south-1: eu-central-1"))
    assert run_cli("apply", "--yes").returncode == 0
    assert state_header(aws, zone) is not None
    assert state_values(aws, zone) == [value]
    assert targets(aws, zone)["me-south-1"] == EUC1
    assert USE1_NAME not in {targets(aws, zone)[r] for r in EU_WEST_1_SOURCES}


def test_a_saved_plan_records_this_runs_override_and_its_apply_logs_it(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    from tests.conftest import write_policy
    from tests.e2e.conftest import DR_POLICY

    assert (
        run_cli(
            "failover",
            "--from",
            "eu-west-1",
            "--to",
            "us-east-1",
            "--yes",
            "--override-compliance",
            "approved",
        ).returncode
        == 0
    )
    write_policy(tmp_path, DR_POLICY.replace("me-south-1: us-east-1", "me-south-1: eu-central-1"))
    refused = run_cli("plan", "--out", "change.plan")
    assert refused.returncode == 1 and not (tmp_path / "change.plan").exists()
    saved = run_cli("plan", "--out", "change.plan", "--override-compliance", "CAB-12 keeps it")
    assert saved.returncode == 0, saved.stderr
    document = json.loads((tmp_path / "change.plan").read_text())
    assert "CAB-12 keeps it" in json.dumps(document)
    log = tmp_path / "audit.jsonl"
    result = run_cli("apply", "change.plan", "--yes", "--audit-log", str(log))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines and all(line["override_compliance"] == "CAB-12 keeps it" for line in lines)
    assert targets(aws, zone)["me-south-1"] == EUC1


def test_a_switch_gated_application_says_so_in_its_state_record(
    aws: Any,
    zone: str,
    run_cli: RunCli,
    tmp_path: Path,
    cluster: dict[str, Any],  # noqa: F811 (the fixture imported above)
) -> None:
    # A failover made by a data-plane switch writes no record (issue 25): the state record
    # says the application is gated, so status knows to read the switches for it.
    from tests.conftest import write_policy
    from tests.e2e.test_switches import PLAIN, recovery

    write_policy(tmp_path, PLAIN + recovery(cluster))
    assert run_cli("apply", "--yes").returncode == 0
    header = state_header(aws, zone)
    assert header is not None and header.endswith(' gated=1"')
    document = json.loads(run_cli("status", "--output", "json").stdout)
    assert document["applications"][0]["state"] == {"valid": True, "problems": [], "gated": True}
