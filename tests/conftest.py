"""Shared fixtures: the strict moto server, and running the real `geoproxy` CLI against it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["tests.strictaws.fixtures"]

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_POLICY = (REPO / "routing.yaml").read_text(encoding="utf-8")

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli(aws: Any, tmp_path: Path) -> RunCli:
    """Run `python -m geoproxy ARGS` in a subprocess against the strict moto server.

    stdin is not a terminal (as in CI and scripts), and the environment carries only fake
    credentials and the local endpoint, so nothing can reach real AWS.
    """

    def run(*args: str, env: dict[str, str] | None = None,
            input_text: str | None = None) -> subprocess.CompletedProcess[str]:
        environment = {key: value for key, value in os.environ.items()
                       if not key.startswith("AWS_")}
        environment.update(aws.env())
        environment.update({"GEOPROXY_POLL_INTERVAL": "0.01", "NO_COLOR": "1",
                            "COLUMNS": "200"})
        environment.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "geoproxy", *args],
            cwd=tmp_path, env=environment, text=True, capture_output=True, timeout=120,
            input=input_text, stdin=None if input_text is not None else subprocess.DEVNULL,
        )

    return run


@pytest.fixture
def zone(aws: Any) -> str:
    """A public hosted zone example.com in the emulator; returns its id."""
    created = aws.client("route53").create_hosted_zone(Name="example.com",
                                                       CallerReference="tests")
    return str(created["HostedZone"]["Id"].split("/")[-1])


def write_policy(directory: Path, text: str = EXAMPLE_POLICY, name: str = "routing.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path
