"""End to end: `--profile` takes its credentials and region from an AWS config file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_policy
from tests.e2e.conftest import RunCli

pytestmark = pytest.mark.e2e


def test_profile_from_a_config_file_is_used(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    config = tmp_path / "aws-config"
    config.write_text(
        "[profile ops]\naws_access_key_id = testing\n"
        "aws_secret_access_key = testing\nregion = eu-west-1\n"
    )
    write_policy(tmp_path)
    result = run_cli(
        "plan",
        "--profile",
        "ops",
        env={"AWS_CONFIG_FILE": str(config), "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "34 to create" in result.stdout
