"""Bad input, end to end: one clear message, exit code 1, no traceback, nothing written."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_POLICY, write_policy
from tests.e2e.conftest import RunCli

pytestmark = pytest.mark.e2e


def assert_clean_failure(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def assert_nothing_written(aws: Any, zone_id: str | None = None) -> None:
    assert aws.count("ChangeResourceRecordSets") == 0
    if zone_id:
        listed = aws.client("route53").list_resource_record_sets(HostedZoneId=zone_id)
        assert {record["Type"] for record in listed["ResourceRecordSets"]} == {"NS", "SOA"}


@pytest.mark.parametrize("command", ["validate", "routes", "plan", "apply"])
def test_missing_policy_file(aws: Any, run_cli: RunCli, command: str) -> None:
    result = run_cli(command, "-f", "missing.yaml", "--output", "json")
    assert_clean_failure(result, "missing.yaml: file not found")
    assert json.loads(result.stdout)["error"]["kind"] == "policy_invalid"
    assert aws.count() == 0


def test_invalid_yaml_names_the_line(aws: Any, run_cli: RunCli, tmp_path: Path) -> None:
    write_policy(tmp_path, "version: 1\napplications:\n  - name: [unclosed\n")
    result = run_cli("apply", "--yes")
    assert_clean_failure(result, "routing.yaml:4: not valid YAML")
    assert aws.count() == 0


def test_unknown_key_gets_a_did_you_mean_and_its_line(
    aws: Any, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(
        tmp_path, EXAMPLE_POLICY.replace("evaluate_target_health:", "evaluate_target_helth:")
    )
    line = EXAMPLE_POLICY.splitlines().index("    evaluate_target_health: false") + 1
    result = run_cli("plan")
    assert_clean_failure(
        result,
        f"routing.yaml:{line}: applications[0].evaluate_target_helth: unknown key "
        "'evaluate_target_helth' (did you mean 'evaluate_target_health'?)",
    )
    assert aws.count() == 0


def test_compliance_violation_is_refused_before_any_aws_call(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    forced = "me-south-1: us-east-1\n      eu-west-3: us-east-1"
    write_policy(tmp_path, EXAMPLE_POLICY.replace("me-south-1: us-east-1", forced))
    aws.reset_log()
    result = run_cli("apply", "--yes")
    assert_clean_failure(
        result,
        "applications[0].force.eu-west-3",
        "compliance rule 'gdpr'",
        "source eu-west-3 would reach PoP us-east-1 (forced)",
        "a compliant PoP is eu-west-1",
    )
    assert aws.count() == 0
    assert_nothing_written(aws, zone)


def test_missing_hosted_zone(aws: Any, run_cli: RunCli, tmp_path: Path) -> None:
    write_policy(tmp_path)
    result = run_cli("apply", "--yes")
    assert_clean_failure(result, "no public hosted zone named example.com")
    assert aws.operations() == ["ListHostedZonesByName"]


def test_private_zone_of_the_same_name_is_not_used(
    aws: Any, run_cli: RunCli, tmp_path: Path
) -> None:
    aws.client("route53").create_hosted_zone(
        Name="example.com",
        CallerReference="private",
        VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"},
        HostedZoneConfig={"PrivateZone": True},
    )
    write_policy(tmp_path)
    result = run_cli("plan")
    assert_clean_failure(
        result, "hosted zone example.com exists in this account only as a private zone"
    )


def test_zone_id_of_another_zone(aws: Any, zone: str, run_cli: RunCli, tmp_path: Path) -> None:
    other = aws.client("route53").create_hosted_zone(Name="example.org", CallerReference="o")
    other_id = other["HostedZone"]["Id"].split("/")[-1]
    write_policy(
        tmp_path,
        EXAMPLE_POLICY.replace("zone: example.com", f"zone: example.com\n    zone_id: {other_id}"),
    )
    result = run_cli("apply", "--yes")
    assert_clean_failure(result, f"hosted zone {other_id} is example.org, not example.com")
    assert_nothing_written(aws, zone)


def test_zone_id_that_does_not_exist(aws: Any, run_cli: RunCli, tmp_path: Path) -> None:
    write_policy(
        tmp_path,
        EXAMPLE_POLICY.replace("zone: example.com", "zone: example.com\n    zone_id: ZNOSUCHZONE1"),
    )
    result = run_cli("plan")
    assert_clean_failure(result, "hosted zone ZNOSUCHZONE1 does not exist")


def test_unreachable_endpoint(aws: Any, run_cli: RunCli, tmp_path: Path) -> None:
    write_policy(tmp_path)
    result = run_cli("plan", "--endpoint-url", "http://127.0.0.1:9", "--retry-deadline", "0.2")
    # An endpoint given explicitly is retried once, not to the deadline (issue 27).
    assert_clean_failure(
        result,
        "AWS endpoint unreachable",
        "http://127.0.0.1:9",
        "the connection was refused",
        "only once",
    )
    assert aws.count() == 0


def test_rejected_credentials(aws: Any, zone: str, run_cli: RunCli, tmp_path: Path) -> None:
    write_policy(tmp_path)
    aws.reset_log()
    aws.inject(
        "ListHostedZonesByName",
        code="InvalidClientTokenId",
        status=403,
        message="The security token included in the request is invalid.",
    )
    result = run_cli("apply", "--yes")
    assert_clean_failure(result, "AWS rejected the credentials (InvalidClientTokenId")
    assert_nothing_written(aws, zone)


def test_no_credentials(aws: Any, run_cli: RunCli, tmp_path: Path) -> None:
    write_policy(tmp_path)
    result = run_cli("plan", env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
    assert_clean_failure(result, "no AWS credentials found")
    assert aws.count() == 0


def test_unknown_profile(aws: Any, run_cli: RunCli, tmp_path: Path) -> None:
    write_policy(tmp_path)
    result = run_cli("plan", "--profile", "nonexistent")
    assert_clean_failure(result, "AWS profile 'nonexistent' is not configured")
    assert aws.count() == 0


def test_usage_error_exits_1_not_2(aws: Any, run_cli: RunCli) -> None:
    # 2 means "changes pending" to scripts using --detailed-exitcode; a typo must not look so.
    result = run_cli("plan", "--detailed-exitcod")
    assert result.returncode == 1
    assert "No such option" in result.stderr


def test_debug_shows_the_traceback(aws: Any, run_cli: RunCli, tmp_path: Path) -> None:
    write_policy(tmp_path)
    result = run_cli("--debug", "plan")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "AwsError" in result.stderr


def test_throttling_is_retried_and_the_apply_completes(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    aws.reset_log()
    aws.inject("ChangeResourceRecordSets", code="Throttling", status=400, times=1)
    result = run_cli("apply", "--yes")
    assert result.returncode == 0, result.stderr
    assert aws.count("ChangeResourceRecordSets") == 2  # the throttled call and its retry
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


@pytest.mark.slow
def test_saved_plan_never_replaces_a_file_that_is_not_a_plan(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    precious = tmp_path / "notes.json"
    precious.write_text("my notes\n")
    result = run_cli("plan", "--out", "notes.json")
    assert_clean_failure(result, "--out notes.json exists and geoproxy did not write it")
    assert precious.read_text() == "my notes\n"

    saved = run_cli("plan", "--out", "plan.json", "--detailed-exitcode")
    assert saved.returncode == 2
    document = json.loads((tmp_path / "plan.json").read_text())
    assert document["kind"] == "geoproxy-plan"
    assert document["plan"]["summary"]["create"] == 34
    assert run_cli("plan", "--out", "plan.json").returncode == 0  # a plan may replace a plan
