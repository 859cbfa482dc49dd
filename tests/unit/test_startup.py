"""Start-up: commands that need no AWS never load the AWS SDK, moto, or what they do not use.

Each runs in a fresh interpreter, since this test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_POLICY, write_policy

PROBE = """\
import json, runpy, sys
sys.argv = ["geoproxy", *sys.argv[1:]]
try:
    runpy.run_module("geoproxy", run_name="__main__")
except SystemExit:
    pass
sys.stdout = sys.__stdout__
print("\\nMODULES " + json.dumps(sorted(sys.modules)))
"""
AWS = ("boto3", "botocore", "moto", "s3transfer", "urllib3")
HEAVY = ("pydantic", "rich", "yaml")


def loaded(tmp_path: Path, *args: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=tmp_path,
        text=True,
        capture_output=True,
        timeout=60,
    )
    line = result.stdout.rsplit("\nMODULES ", 1)[1]
    return {name.split(".")[0] for name in json.loads(line)}


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("plan", "--help")])
def test_help_and_version_load_no_sdk_no_schema_no_terminal_library(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    modules = loaded(tmp_path, *args)
    assert not modules & {*AWS, *HEAVY}, sorted(modules & {*AWS, *HEAVY})


@pytest.mark.parametrize("command", ["validate", "routes", "schema"])
def test_offline_commands_load_no_sdk(tmp_path: Path, command: str) -> None:
    write_policy(tmp_path, EXAMPLE_POLICY)
    modules = loaded(tmp_path, command)
    assert not modules & set(AWS), sorted(modules & set(AWS))
    assert "pydantic" in modules  # the probe does see what a command imports


def test_schema_loads_no_sdk_and_no_terminal_library(tmp_path: Path) -> None:
    modules = loaded(tmp_path, "schema")
    assert not modules & {*AWS, "rich"}, sorted(modules & {*AWS, "rich"})
    assert "pydantic" in modules


def test_routes_drawing_a_map_loads_no_sdk(tmp_path: Path) -> None:
    write_policy(tmp_path, EXAMPLE_POLICY)
    modules = loaded(tmp_path, "routes", "--svg", "map.svg", "--html", "map.html")
    assert not modules & set(AWS), sorted(modules & set(AWS))
    assert (tmp_path / "map.svg").exists() and (tmp_path / "map.html").exists()


def test_edge_function_loads_no_sdk(tmp_path: Path) -> None:
    from tests.unit.test_edge_function_cli import FENCED

    write_policy(tmp_path, FENCED)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "edge-function"],
        cwd=tmp_path,
        text=True,
        capture_output=True,
        timeout=60,
    )
    assert result.stdout.startswith("import cf from 'cloudfront';\n")  # it did print the code
    modules = {name.split(".")[0] for name in json.loads(result.stdout.rsplit("\nMODULES ", 1)[1])}
    assert not modules & set(AWS), sorted(modules & set(AWS))
