"""Safety on real AWS, end to end: what the review against AWS's documentation found."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import STATE, RunCli, records_at, state_values

pytestmark = pytest.mark.e2e


def test_a_reason_too_long_for_dns_is_refused_before_any_aws_call(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    aws.reset_log()
    result = run_cli("failover", "--from", "eu-west-1", "--yes", "--reason", "x" * 301)
    assert result.returncode == 1
    assert "--reason is 301 characters long; at most 300 are allowed" in result.stderr
    assert aws.count() == 0


def test_control_characters_in_a_reason_are_refused(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    result = run_cli("failover", "--from", "eu-west-1", "--yes", "--reason", "line one\nline 2")
    assert result.returncode == 1
    assert "control or invisible characters ('\\n')" in result.stderr
    assert records_at(aws, zone, STATE) == []


def test_non_ascii_text_that_would_overflow_a_txt_value_is_refused(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    # 300 emoji are 3,600 characters once percent-encoded; twice that cannot fit 4,000.
    result = run_cli("failover", "--from", "eu-west-1", "--to", "us-east-1", "--yes",
                     "--reason", "🔥" * 300, "--override-compliance", "🚨" * 300)
    assert result.returncode == 1
    assert "over Route 53's 4000 per value" in result.stderr
    assert records_at(aws, zone, STATE) == []


def test_a_long_non_ascii_reason_within_the_limits_lands_in_dns(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    reason = "Störung im Rechenzentrum Dublin — 🔥 " * 8  # 296 characters, ~850 encoded
    result = run_cli("failover", "--from", "eu-west-1", "--yes", "--reason", reason)
    assert result.returncode == 0, result.stderr
    [value] = state_values(aws, zone)
    assert len(value) <= 4000
    assert all(len(part) <= 255 for part in value.split('"')[1::2])
    status = json.loads(run_cli("status", "-o", "json").stdout)
    assert [f["reason"] for app in status["applications"] for f in app["failovers"]] == [reason]
