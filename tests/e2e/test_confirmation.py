"""End to end: `apply` on a terminal asks before it writes; declining writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_policy
from tests.e2e.conftest import latency_map, records_at, run_on_terminal

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
