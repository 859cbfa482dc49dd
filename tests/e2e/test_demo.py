"""End to end: confirmation on a terminal, profiles, record types, batch splitting, the demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_POLICY, REPO, write_policy
from tests.e2e.conftest import RunCli, latency_map, records_at, run_on_terminal

pytestmark = pytest.mark.e2e


def test_apply_asks_on_a_terminal_and_declining_writes_nothing(
    aws: Any, zone: str, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    aws.reset_log()
    code, out, err = run_on_terminal(aws, tmp_path, "n", "apply")
    output = out + err
    assert code == 1
    assert "Apply these changes?" in output and "apply cancelled" in output
    assert aws.count("ChangeResourceRecordSets") == 0
    assert records_at(aws, zone) == []


def test_apply_asks_on_a_terminal_and_yes_applies(aws: Any, zone: str, tmp_path: Path) -> None:
    write_policy(tmp_path)
    code, out, err = run_on_terminal(aws, tmp_path, "y", "apply")
    output = out + err
    assert code == 0, output
    assert len(latency_map(aws, zone)) == 34


def test_profile_from_a_config_file_is_used(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    config = tmp_path / "aws-config"
    config.write_text("[profile ops]\naws_access_key_id = testing\n"
                      "aws_secret_access_key = testing\nregion = eu-west-1\n")
    write_policy(tmp_path)
    result = run_cli("plan", "--profile", "ops", env={
        "AWS_CONFIG_FILE": str(config), "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
    assert result.returncode == 0, result.stderr
    assert "34 to create" in result.stdout


def test_a_and_aaaa_with_an_nlb_pop(aws: Any, zone: str, run_cli: RunCli, tmp_path: Path) -> None:
    nlb = "shop-euw1-nlb-456.elb.eu-west-1.amazonaws.com"
    policy = EXAMPLE_POLICY.replace("record_types: [A]", "record_types: [A, AAAA]").replace(
        "shop-euw1-456.eu-west-1.elb.amazonaws.com", nlb)
    write_policy(tmp_path, policy)
    result = run_cli("apply", "--yes")
    assert result.returncode == 0, result.stderr
    for record_type in ("A", "AAAA"):
        mapping = latency_map(aws, zone, record_type)
        assert len(mapping) == 34
        assert mapping["eu-west-2"] == ("shop-euw1-nlb-456.elb.eu-west-1.amazonaws.com.",
                                        "Z2IFOLAFXWLO4F")  # the NLB zone, not the ALB one
    assert aws.count("ChangeResourceRecordSets") == 1


def test_changes_past_route53_limits_split_by_name(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    body = EXAMPLE_POLICY.split("applications:\n", 1)[1]
    apps = "".join(body.replace("name: shop", f"name: app{index}")
                   .replace("origin.shop.", f"origin.app{index}.") for index in range(30))
    write_policy(tmp_path, "version: 1\napplications:\n" + apps)
    aws.reset_log()

    result = run_cli("apply", "--yes")

    assert result.returncode == 0, result.stderr
    # 30 x 34 = 1,020 records: more than one batch holds, and no name is split across two.
    assert aws.count("ChangeResourceRecordSets") == 2
    for index in range(30):
        assert len(records_at(aws, zone, f"origin.app{index}.example.com.")) == 34


def test_demo_runs_the_whole_story_without_aws(tmp_path: Path) -> None:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("AWS_")}
    # Even with an endpoint and credentials set, the demo must use only its own emulator.
    environment.update({"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_PROFILE": "prod",
                        "NO_COLOR": "1", "COLUMNS": "200"})
    result = subprocess.run(
        [sys.executable, "-m", "geoproxy", "demo", "--keep", str(tmp_path / "demo")],
        cwd=tmp_path, env=environment, text=True, capture_output=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout
    assert "Plan: 34 to create, 0 to update, 0 to delete, 0 unchanged." in output
    assert "No changes. Live records match the policy." in output
    assert "Plan: 0 to create, 4 to update, 0 to delete, 30 unchanged." in output
    assert "compliance rule 'gdpr' forbids PoP us-east-1" in result.stderr
    assert "Plan: 1 to create, 11 to update, 0 to delete, 23 unchanged." in output  # failover
    assert "Plan: 0 to create, 11 to update, 1 to delete, 23 unchanged." in output  # failback
    assert "Demo complete." in output
    assert (tmp_path / "demo" / "routing.yaml").read_text() == (REPO / "routing.yaml").read_text()
