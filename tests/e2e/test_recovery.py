"""Accelerated recovery, stranded changes, the control-plane note and `verify`, through the
real CLI against the sandbox (issue 25)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from geoproxy.core.recovery import CONTROL_PLANE_NOTE
from tests.conftest import write_policy
from tests.e2e.conftest import DR_POLICY, ORIGIN, USE1_NAME, RunCli, records_at
from tests.e2e.test_edge_fence import fenced_policy, with_country_header

pytestmark = pytest.mark.e2e

RECOVERY = "recovery:\n  accelerated_recovery: true\n"


def with_zone_id(policy: str, zone: str) -> str:
    line = "    zone: example.com\n"
    return policy.replace(line, f"{line}    zone_id: {zone}\n")


def test_accelerated_recovery_without_zone_id_is_refused(tmp_path: Path, run_cli: RunCli) -> None:
    write_policy(tmp_path, DR_POLICY + RECOVERY)
    result = run_cli("validate")
    assert result.returncode == 1
    assert "recovery.accelerated_recovery needs `zone_id` for zone example.com" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_notes_when_dr_depends_on_the_control_plane(
    tmp_path: Path, run_cli: RunCli, zone: str
) -> None:
    write_policy(tmp_path, DR_POLICY)
    plain = json.loads(run_cli("validate", "-o", "json").stdout)
    assert CONTROL_PLANE_NOTE in plain["warnings"]
    text = run_cli("validate")
    assert "DR depends on the us-east-1 control plane" in text.stderr

    write_policy(tmp_path, with_zone_id(DR_POLICY, zone) + RECOVERY)
    prepared = json.loads(run_cli("validate", "-o", "json").stdout)
    assert CONTROL_PLANE_NOTE not in prepared["warnings"]


def test_plan_shows_each_zones_status_at_no_extra_request(
    aws: Any, tmp_path: Path, run_cli: RunCli, zone: str
) -> None:
    write_policy(tmp_path, with_zone_id(DR_POLICY, zone))
    assert run_cli("apply", "--yes").returncode == 0
    aws.reset_log()
    assert run_cli("plan", "--detailed-exitcode").returncode == 0
    without = aws.operations()

    write_policy(tmp_path, with_zone_id(DR_POLICY, zone) + RECOVERY)
    aws.reset_log()
    result = run_cli("plan", "--detailed-exitcode", "-o", "json")
    # Not enabled yet: apply would enable it, so the plan has something to do.
    assert result.returncode == 2, result.stderr
    assert sorted(aws.operations()) == sorted(without)  # GetHostedZone says it already
    document = json.loads(result.stdout)
    assert document["accelerated_recovery"] == [
        {"zone": "example.com", "zone_id": zone, "status": "DISABLED", "to_enable": True}
    ]
    text = run_cli("plan")
    assert f"accelerated recovery: example.com ({zone}) DISABLED -> apply enables it" in (
        text.stdout
    )


def test_status_checks_recent_changes_for_stranded_ones(
    aws: Any, tmp_path: Path, run_cli: RunCli, zone: str
) -> None:
    log = tmp_path / "audit.jsonl"
    write_policy(tmp_path, with_zone_id(DR_POLICY, zone))
    assert run_cli("apply", "--yes", "--audit-log", str(log)).returncode == 0
    [landed] = [json.loads(line) for line in log.read_text().splitlines()]
    # A batch us-east-1 accepted and never replicated: Route 53 no longer knows its id.
    lost = {**landed, "change_id": "C0STRANDED000000000"}
    with log.open("a") as stream:
        stream.write(json.dumps(lost) + "\n")

    write_policy(tmp_path, with_zone_id(DR_POLICY, zone) + RECOVERY)
    aws.reset_log()
    result = run_cli("status", "-o", "json", "--audit-log", str(log))
    assert result.returncode == 0, result.stderr
    assert aws.count("GetChange") == 2  # one per recent batch of the log, no more
    checks = json.loads(result.stdout)["stranded_changes"]
    assert [(c["change_id"], c["status"], c["resubmit"]) for c in checks] == [
        ("C0STRANDED000000000", "MISSING", True),
        (landed["change_id"].rpartition("/")[2], "INSYNC", False),
    ]
    text = run_cli("status", "--audit-log", str(log))
    assert "1 to resubmit" in text.stdout
    assert "resubmit it by running `geoproxy apply` again" in text.stdout

    # A policy without accelerated recovery asks nothing about stranded changes.
    write_policy(tmp_path, with_zone_id(DR_POLICY, zone))
    aws.reset_log()
    plain = run_cli("status", "-o", "json", "--audit-log", str(log))
    assert aws.count("GetChange") == 0 and "stranded_changes" not in json.loads(plain.stdout)


def test_verify_asks_each_source_region_and_never_claims_a_mismatch_without_evidence(
    aws: Any, tmp_path: Path, run_cli: RunCli, applied: dict[str, str]
) -> None:
    aws.reset_log()
    result = run_cli("verify", "-o", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["format_version"] == 1 and document["kind"] == "verify"
    rows = document["rows"]
    assert {row["source_region"] for row in rows} == set(applied)
    assert {row["verdict"] for row in rows} <= {"match", "unknown"}
    # A region without a published address in the shipped table is not asked.
    asked = [row for row in rows if row["resolver_ip"]]
    pops = 4  # each PoP's direct name, then one question per source region with an address
    assert aws.count("TestDNSAnswer") == document["test_dns_answer_calls"] == pops + len(asked)
    assert (
        "does not document whether TestDNSAnswer applies health checks"
        in (document["health_checks"])
    )
    assert "ip-ranges.json" in document["resolver_addresses"]


@pytest.mark.slow
def test_verify_matches_by_address_and_reports_a_mismatch_with_its_evidence(
    aws: Any,
    zone: str,
    distribution: str,
    run_cli: RunCli,
    tmp_path: Path,
    published_resolvers: Any,
) -> None:
    # The edge fence keeps a direct name per PoP: Route 53 answers it with the PoP's own
    # addresses, which is what each source region's answer is matched against.
    with_country_header(aws, distribution)
    write_policy(tmp_path, fenced_policy(distribution))
    assert run_cli("apply", "--yes").returncode == 0
    result = run_cli("verify", "-o", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    asked = [row for row in rows if row["resolver_ip"]]
    assert asked and all(row["verdict"] == "match" for row in asked)
    assert all(row["verdict"] == "unknown" for row in rows if not row["resolver_ip"])

    # eu-west-2's record sent to the US PoP behind geoproxy's back: the name servers say so.
    [record] = [r for r in records_at(aws, zone, ORIGIN) if r.get("Region") == "eu-west-2"]
    moved = {**record, "AliasTarget": {**record["AliasTarget"], "DNSName": USE1_NAME}}
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {"Action": "DELETE", "ResourceRecordSet": record},
                {"Action": "CREATE", "ResourceRecordSet": moved},
            ]
        },
    )
    result = run_cli("verify", "-o", "json")
    assert result.returncode == 2
    [wrong] = [row for row in json.loads(result.stdout)["rows"] if row["verdict"] == "mismatch"]
    assert (wrong["source_region"], wrong["expected_pop"], wrong["answered_pop"]) == (
        "eu-west-2",
        "eu-west-1",
        "us-east-1",
    )
    text = run_cli("verify")
    assert text.returncode == 2 and "1 mismatch" in text.stdout


@pytest.mark.slow
def test_apply_enables_accelerated_recovery_then_records_can_change_in_an_outage(
    aws: Any, tmp_path: Path, run_cli: RunCli, zone: str
) -> None:
    write_policy(tmp_path, with_zone_id(DR_POLICY, zone) + RECOVERY)
    aws.reset_log()
    result = run_cli("apply", "--yes", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert aws.count("UpdateHostedZoneFeatures") == 1
    document = json.loads(result.stdout)
    assert document["accelerated_recovery"] == [
        {"zone": "example.com", "zone_id": zone, "status": "ENABLED", "to_enable": False}
    ]
    assert document["applied"] is True  # and the records, after the zone was enabled

    aws.reset_log()
    assert run_cli("plan", "--detailed-exitcode").returncode == 0  # nothing left to do
    assert aws.count("UpdateHostedZoneFeatures") == 0
    status = json.loads(run_cli("status", "-o", "json").stdout)
    assert status["accelerated_recovery"][0]["status"] == "ENABLED"

    # us-east-1 is down and Route 53 has failed its control plane over: the records of an
    # enabled zone can change again, so a records failover works.
    aws.control_plane_down(True, accelerated_recovery_active=True)
    try:
        moved = run_cli("failover", "--from", "eu-west-1", "--yes")
        assert moved.returncode == 0, moved.stderr
        assert aws.dns.answer(zone, ORIGIN, "A", "eu-west-2").targets[0].rstrip(".") == (
            "shop-euc1-1.eu-central-1.elb.amazonaws.com"
        )
    finally:
        aws.control_plane_down(False)


def test_apply_without_a_terminal_or_yes_enables_nothing(
    aws: Any, tmp_path: Path, run_cli: RunCli, zone: str
) -> None:
    write_policy(tmp_path, with_zone_id(DR_POLICY, zone) + RECOVERY)
    aws.reset_log()
    result = run_cli("apply")
    assert result.returncode == 1 and "without confirmation" in result.stderr
    as_json = run_cli("apply", "-o", "json")
    assert as_json.returncode == 1 and "without --yes" in as_json.stderr
    assert aws.count("UpdateHostedZoneFeatures") == 0
