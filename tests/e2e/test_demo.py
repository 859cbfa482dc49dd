"""End to end: `geoproxy demo` tells the whole story on its own emulator, without AWS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e


def test_demo_runs_the_whole_story_without_aws(tmp_path: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    # Even with an endpoint and credentials set, the demo must use only its own emulator.
    environment.update(
        {
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_PROFILE": "prod",
            "NO_COLOR": "1",
            "COLUMNS": "200",
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "geoproxy", "demo", "--keep", str(tmp_path / "demo")],
        cwd=tmp_path,
        env=environment,
        text=True,
        capture_output=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout
    assert "Plan: 34 to create, 0 to update, 0 to delete, 0 unchanged." in output
    assert "No changes. Live records match the policy." in output
    assert "Plan: 0 to create, 4 to update, 0 to delete, 30 unchanged." in output
    assert "compliance rule 'gdpr' forbids PoP us-east-1" in result.stderr
    # Failover and failback update the state record apply wrote (format v2).
    assert "Plan: 0 to create, 12 to update, 0 to delete, 23 unchanged." in output  # failover
    assert output.count("Plan: 0 to create, 12 to update, 0 to delete, 23 unchanged.") == 2
    assert "Demo complete." in output
    assert (tmp_path / "demo" / "routing.yaml").read_text() == (REPO / "routing.yaml").read_text()
