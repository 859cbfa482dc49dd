"""The DR drill runbook (runbooks/dr-drill.sh), run for real against the strict moto server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_POLICY, REPO, write_policy
from tests.e2e.conftest import ORIGIN, STATE

pytestmark = pytest.mark.e2e

DRILL = REPO / "runbooks" / "dr-drill.sh"
FRANKFURT_POP = "      eu-central-1: {target: shop-euc1-1.eu-central-1.elb.amazonaws.com}\n"
# us-east-1, eu-west-1, ap-southeast-1 and eu-central-1: eu-west-1 fails over inside the EU,
# so the example's gdpr rule holds throughout the drill.
POLICY = EXAMPLE_POLICY.replace("    force:\n", FRANKFURT_POP + "    force:\n", 1)


def environment(aws: Any) -> dict[str, str]:
    env = aws.env()
    env.update(
        {
            "GEOPROXY_POLL_INTERVAL": "0.01",
            "GEOPROXY": f"{sys.executable} -m geoproxy",
            "NO_COLOR": "1",
            "COLUMNS": "200",
            "GEOPROXY_RETRY_BASE_DELAY": "0.01",
        }
    )
    env.pop("GEOPROXY_AUDIT_LOG", None)
    return env


def run_geoproxy(aws: Any, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "geoproxy", *args],
        cwd=cwd,
        env=environment(aws),
        text=True,
        capture_output=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def run_drill(aws: Any, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DRILL), *args],
        cwd=cwd,
        env=environment(aws),
        text=True,
        capture_output=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def zone_records(aws: Any, zone_id: str) -> list[dict[str, Any]]:
    """Every record at the application's name and its state name, as Route 53 lists them."""
    pages = aws.client("route53").get_paginator("list_resource_record_sets")
    return [
        record
        for page in pages.paginate(HostedZoneId=zone_id)
        for record in page["ResourceRecordSets"]
        if record["Name"] in (ORIGIN, STATE)
    ]


def untokened(records: list[dict[str, Any]]) -> list[str]:
    """The records as text, the state record's token aside (every write makes a new one)."""
    return sorted(re.sub(r"t=[0-9a-f]{12}", "t=TOKEN", str(record)) for record in records)


@pytest.fixture
def applied(aws: Any, zone: str, tmp_path: Path) -> Path:
    """The four-PoP policy, applied; returns its path."""
    policy = write_policy(tmp_path, POLICY)
    first = run_geoproxy(aws, tmp_path, "apply", "--yes")
    assert first.returncode == 0, first.stderr
    return policy


@pytest.mark.slow
def test_drill_passes_under_throttling(aws: Any, zone: str, tmp_path: Path, applied: Path) -> None:
    before = zone_records(aws, zone)
    aws.reset_log()
    # The storm the drill rehearses: every kind of Route 53 call is throttled or busy first.
    for operation in (
        "ListHostedZonesByName",
        "ListResourceRecordSets",
        "ChangeResourceRecordSets",
        "GetChange",
    ):
        aws.inject(operation, code="Throttling", status=400, times=3)
    aws.inject("ChangeResourceRecordSets", code="PriorRequestNotComplete", status=400, times=2)

    result = run_drill(aws, tmp_path, applied.name, "eu-west-1", "eu-central-1")

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "DR DRILL PASSED" in result.stdout
    assert "throttled; retrying in" in output
    assert sum(call.injected for call in aws.calls) == 14  # every injected fault was met
    assert aws.count("ChangeResourceRecordSets") - 5 == 2  # two batches, each sent once
    assert untokened(zone_records(aws, zone)) == untokened(before)


@pytest.mark.slow
def test_drill_fails_over_and_back_and_leaves_the_records_as_they_were(
    aws: Any, zone: str, tmp_path: Path, applied: Path
) -> None:
    assert os.access(DRILL, os.X_OK)
    before = zone_records(aws, zone)
    assert len(before) == 35  # 34 latency records and the calm state record (format v2)
    aws.reset_log()

    result = run_drill(aws, tmp_path, applied.name, "eu-west-1", "eu-central-1")

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "DR DRILL PASSED" in result.stdout
    for step in range(1, 8):
        assert f"Step {step}/7" in result.stdout
    # The source regions whose policy PoP is eu-west-1 were moved and checked.
    assert "record(s) reach eu-west-1: eu-south-2, eu-west-1, eu-west-2" in result.stdout
    assert "in state failover, live and effective PoP eu-central-1" in result.stdout
    # One atomic batch to fail over, one to fail back; nothing else was written.
    assert aws.count("ChangeResourceRecordSets") == 2
    after = zone_records(aws, zone)
    assert untokened(after) == untokened(before)
    [state] = [record for record in after if record["Name"] == STATE]
    [header] = state["ResourceRecords"]  # calm: no failover value
    assert header["Value"].startswith('"geoproxy=v2 t=')


def test_drill_refuses_a_drifted_setup_says_why_and_writes_nothing(
    aws: Any, zone: str, tmp_path: Path, applied: Path
) -> None:
    route53 = aws.client("route53")
    record = next(
        r for r in zone_records(aws, zone) if r["SetIdentifier"] == "geoproxy:us-east-2@default"
    )
    changed = json.loads(json.dumps(record))
    changed["AliasTarget"].update(
        DNSName="shop-euw1-456.eu-west-1.elb.amazonaws.com.", HostedZoneId="Z32O12XQLNTSW2"
    )
    route53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {"Action": "DELETE", "ResourceRecordSet": record},
                {"Action": "CREATE", "ResourceRecordSet": changed},
            ]
        },
    )
    drifted = zone_records(aws, zone)
    aws.reset_log()

    result = run_drill(aws, tmp_path, applied.name, "eu-west-1", "eu-central-1")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "DR DRILL FAILED" in result.stderr
    assert "plan --detailed-exitcode exited 2" in result.stderr
    assert "differs from the policy before the drill" in result.stderr
    assert "The drill wrote nothing" in result.stderr
    assert "us-east-2" in result.stdout  # the plan shown names the drifted record
    assert "Step 3/7" not in result.stdout
    assert aws.count("ChangeResourceRecordSets") == 0
    assert zone_records(aws, zone) == drifted


def test_drill_refuses_while_a_failover_is_active(
    aws: Any, zone: str, tmp_path: Path, applied: Path
) -> None:
    failover = run_geoproxy(
        aws,
        tmp_path,
        "failover",
        "--from",
        "ap-southeast-1",
        "--to",
        "us-east-1",
        "--yes",
        "--reason",
        "real incident",
    )
    assert failover.returncode == 0, failover.stderr
    aws.reset_log()

    result = run_drill(aws, tmp_path, applied.name, "eu-west-1", "eu-central-1")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "failover ap-southeast-1 -> us-east-1 is active" in result.stdout
    assert "reason: real incident" in result.stdout
    assert "The drill wrote nothing" in result.stderr
    assert aws.count("ChangeResourceRecordSets") == 0


def test_drill_stops_when_the_failover_is_refused_and_says_where_traffic_stands(
    aws: Any, zone: str, tmp_path: Path, applied: Path
) -> None:
    # eu-west-1 -> us-east-1 breaks the gdpr rule: geoproxy refuses, and writes nothing.
    aws.reset_log()

    result = run_drill(aws, tmp_path, applied.name, "eu-west-1", "us-east-1")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "geoproxy failover failed (exit 1)" in result.stderr
    assert "compliance rule 'gdpr'" in result.stderr
    assert "says whether it wrote anything" in result.stderr
    assert "failback eu-west-1" in result.stderr
    assert aws.count("ChangeResourceRecordSets") == 0


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("routing.yaml", "eu-west-1"),
        ("missing.yaml", "eu-west-1", "eu-central-1"),
        ("routing.yaml", "eu-west-1", "eu-west-1"),
    ],
)
def test_drill_usage_errors_exit_2(aws: Any, tmp_path: Path, args: tuple[str, ...]) -> None:
    write_policy(tmp_path, POLICY)
    result = run_drill(aws, tmp_path, *args)
    assert result.returncode == 2
    assert result.stderr.strip()
    assert aws.count() == 0
