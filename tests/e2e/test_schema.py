"""`geoproxy schema` and the schema `geoproxy init` writes beside the policy, through the real
CLI: the committed routing.schema.json is its output, and nothing a user owns is overwritten."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from geoproxy.cli.commands.check import starter_text
from tests.conftest import EXAMPLE_POLICY, REPO
from tests.e2e.conftest import DR_POLICY, RunCli

pytestmark = pytest.mark.e2e

MODELINE = "# yaml-language-server: $schema=routing.schema.json\n"


def test_schema_prints_the_committed_schema_the_same_every_time(run_cli: RunCli) -> None:
    first, second = run_cli("schema"), run_cli("schema")
    assert first.returncode == 0 and first.stderr == ""
    assert first.stdout == second.stdout
    assert first.stdout == (REPO / "routing.schema.json").read_text(encoding="utf-8"), (
        "routing.schema.json is stale: run `geoproxy schema > routing.schema.json`"
    )
    schema = json.loads(first.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator(schema).validate(yaml.safe_load(EXAMPLE_POLICY))


def test_init_writes_the_policy_and_its_schema_beside_it(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("init")
    assert result.returncode == 0, result.stderr
    policy = (tmp_path / "routing.yaml").read_text(encoding="utf-8")
    assert policy.startswith(MODELINE) and policy == starter_text(EXAMPLE_POLICY)
    written = (tmp_path / "routing.schema.json").read_text(encoding="utf-8")
    assert written == run_cli("schema").stdout
    assert "Wrote routing.schema.json" in result.stdout and result.stderr == ""
    Draft202012Validator(json.loads(written)).validate(yaml.safe_load(policy))
    assert run_cli("validate").returncode == 0


def test_init_writes_the_schema_where_the_policy_goes(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "prod").mkdir()
    result = run_cli("init", "-f", "prod/shop.yaml")
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in (tmp_path / "prod").iterdir()) == [
        "routing.schema.json",
        "shop.yaml",
    ]
    assert not (tmp_path / "routing.schema.json").exists()


def test_init_leaves_a_schema_that_is_already_this_one(run_cli: RunCli, tmp_path: Path) -> None:
    schema = tmp_path / "routing.schema.json"
    schema.write_text(run_cli("schema").stdout, encoding="utf-8")
    before = schema.stat().st_mtime_ns
    result = run_cli("init", "-f", "second.yaml")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "second.yaml").read_text(encoding="utf-8") == starter_text(EXAMPLE_POLICY)
    assert schema.stat().st_mtime_ns == before
    assert "routing.schema.json" not in result.stdout + result.stderr


def test_init_never_overwrites_a_different_schema_and_says_how_to_refresh_it(
    run_cli: RunCli, tmp_path: Path
) -> None:
    schema = tmp_path / "routing.schema.json"
    schema.write_text('{"title": "mine"}\n', encoding="utf-8")
    result = run_cli("init")
    assert result.returncode == 0, result.stderr
    assert schema.read_text(encoding="utf-8") == '{"title": "mine"}\n'
    assert (tmp_path / "routing.yaml").read_text(encoding="utf-8") == starter_text(EXAMPLE_POLICY)
    notes = [line for line in result.stderr.splitlines() if "routing.schema.json" in line]
    assert notes == [
        "Warning: left routing.schema.json as it is: it differs from this "
        "geoproxy's schema; refresh it with `geoproxy schema > "
        "routing.schema.json`"
    ]


def test_init_refuses_an_existing_policy_and_writes_no_schema(
    run_cli: RunCli, tmp_path: Path
) -> None:
    (tmp_path / "routing.yaml").write_text(DR_POLICY, encoding="utf-8")
    result = run_cli("init")
    assert result.returncode == 1 and "never overwrites" in result.stderr
    assert (tmp_path / "routing.yaml").read_text(encoding="utf-8") == DR_POLICY
    assert not (tmp_path / "routing.schema.json").exists()
