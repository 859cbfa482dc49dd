"""`import --latency-table`: the path the imported policy names, relative to where the
policy is written (`latency_table:` is read relative to the policy file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from geoproxy.errors import PolicyError
from geoproxy.pipeline.importer import load_import_table
from geoproxy.policy.latency import SHIPPED

SHIPPED_TABLE = Path(__file__).parents[3] / "geoproxy" / "data" / SHIPPED


@pytest.fixture
def table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "tables").mkdir()
    (tmp_path / "policies").mkdir()
    path = tmp_path / "tables" / "mine.json"
    path.write_text(SHIPPED_TABLE.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return path


def test_relative_to_the_out_file(table: Path) -> None:
    loaded = load_import_table(Path("tables/mine.json"), Path("policies/routing.yaml"))
    assert loaded.path == "../tables/mine.json"
    assert loaded.table.rtt("eu-west-1", "eu-west-1") is not None


def test_relative_to_the_current_directory_without_out(table: Path) -> None:
    assert load_import_table(Path("tables/mine.json"), None).path == "tables/mine.json"


def test_an_absolute_path_stays_absolute(table: Path) -> None:
    assert load_import_table(table, Path("policies/routing.yaml")).path == str(table)


def test_a_missing_table_is_a_policy_error(table: Path) -> None:
    with pytest.raises(PolicyError, match=r"missing\.json"):
        load_import_table(Path("missing.json"), None)
