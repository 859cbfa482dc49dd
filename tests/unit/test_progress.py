"""Progress off a terminal: a plain line at once, then at most every 10 s, none once in sync."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

import geoproxy.cli.render as render
from geoproxy.aws.submit import SubmittedBatch


def test_off_a_terminal_a_line_at_once_then_every_ten_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    captured = io.StringIO()
    monkeypatch.setattr(render, "stderr", Console(file=captured, width=200, no_color=True))
    batch = SubmittedBatch("Z1", "C1", 34)
    with render.wait_progress(enabled=True) as log:
        assert log is not None
        for elapsed in (0.0, 5.0, 9.9, 10.5, 15.0, 21.0):
            log([batch], elapsed)
        batch.status = "INSYNC"
        log([batch], 40.0)
    lines = captured.getvalue().splitlines()
    assert [line.split(", ")[1] for line in lines] == ["0s (C1)", "10s (C1)", "21s (C1)"]


def test_quiet_or_json_output_prints_no_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "QUIET", True)
    with render.wait_progress(enabled=True) as log:
        assert log is None
    monkeypatch.setattr(render, "QUIET", False)
    with render.wait_progress(enabled=False) as log:
        assert log is None
