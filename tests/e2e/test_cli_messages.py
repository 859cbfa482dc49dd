"""Small CLI courtesies, through the real CLI: did-you-mean, -V, failback --from, URLs, init."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from geoproxy.cli.commands.check import starter_text
from tests.conftest import EXAMPLE_POLICY, write_policy
from tests.e2e.conftest import DR_POLICY, RunCli, records_at, targets

pytestmark = pytest.mark.e2e


def test_region_and_application_typos_get_a_did_you_mean(
    aws: Any, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    aws.reset_log()
    region = run_cli("failover", "--from", "eu-wst-1", "--yes")
    assert region.returncode == 1
    assert (
        "--from 'eu-wst-1' is not a Route 53 latency region (did you mean 'eu-west-1'?)"
        in region.stderr
    )
    app = run_cli("failover", "--from", "eu-west-1", "--app", "shopp", "--yes")
    assert "no application named 'shopp' in routing.yaml (did you mean 'shop'?)" in app.stderr
    back = run_cli("failback", "eu-wst-1", "--yes")
    assert (
        "region 'eu-wst-1' is not a Route 53 latency region (did you mean 'eu-west-1'?)"
        in back.stderr
    )
    assert aws.count() == 0  # all found before any AWS call


@pytest.mark.slow
def test_failback_takes_from_as_failover_does(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    assert run_cli("failover", "--from", "eu-west-1", "--yes").returncode == 0
    back = run_cli("failback", "--from", "eu-west-1", "--yes")
    assert back.returncode == 0, back.stderr
    assert targets(aws, zone) == applied
    both = run_cli("failback", "eu-west-1", "--from", "us-east-1", "--yes")
    assert both.returncode == 1 and "two regions given" in both.stderr
    assert "give it as REGION or --from REGION" in run_cli("failback", "--yes").stderr


def test_version_has_a_short_flag(run_cli: RunCli) -> None:
    assert run_cli("-V").stdout == run_cli("--version").stdout != ""


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("127.0.0.1:5055", "write the scheme too: --endpoint-url http://127.0.0.1:5055"),
        ("htp://127.0.0.1:5055", "use http:// or https://"),
    ],
)
def test_an_endpoint_url_without_a_usable_scheme_is_a_user_error(
    run_cli: RunCli, tmp_path: Path, url: str, hint: str
) -> None:
    write_policy(tmp_path)
    result = run_cli("plan", "--endpoint-url", url)
    assert result.returncode == 1
    assert f"--endpoint-url {url!r} is not an http:// or https:// URL" in result.stderr
    assert hint in result.stderr and "unexpected" not in result.stderr


def test_upper_case_globs_get_one_hint(run_cli: RunCli, tmp_path: Path) -> None:
    write_policy(
        tmp_path, EXAMPLE_POLICY.replace('allowed_pops: ["eu-*"]', 'allowed_pops: ["EU-*"]')
    )
    result = run_cli("validate")
    assert result.returncode == 1
    assert len([line for line in result.stderr.splitlines() if "applications[0]" in line]) == 1
    assert "patterns match lower-case region names, so 'EU-*' matches none; write 'eu-*'" in (
        result.stderr
    )


def test_init_writes_the_example_and_never_overwrites(run_cli: RunCli, tmp_path: Path) -> None:
    assert run_cli("init").returncode == 0
    written = (tmp_path / "routing.yaml").read_text()
    # the example, with the major keys it lacks shown commented (issue 27)
    assert written == starter_text(EXAMPLE_POLICY)
    assert run_cli("validate").returncode == 0
    (tmp_path / "routing.yaml").write_text(DR_POLICY)
    again = run_cli("init")
    assert again.returncode == 1 and "never overwrites" in again.stderr
    assert (tmp_path / "routing.yaml").read_text() == DR_POLICY


def test_plan_apply_routes_and_status_can_be_scoped_to_one_application(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    from tests.e2e.conftest import API, TWO_APPS

    write_policy(tmp_path, TWO_APPS)
    aws.reset_log()
    applied = run_cli("apply", "--app", "api", "--yes")
    assert applied.returncode == 0, applied.stderr
    assert len(records_at(aws, zone, API)) == 34 and records_at(aws, zone) == []
    planned = json.loads(run_cli("plan", "--app", "shop", "--output", "json").stdout)
    assert [app["name"] for app in planned["applications"]] == ["shop"]
    assert planned["orphans"] == []  # never looked for on a scoped run
    routes = json.loads(run_cli("routes", "--app", "api", "--output", "json").stdout)
    assert [app["name"] for app in routes["applications"]] == ["api"]
    status = json.loads(run_cli("status", "--app", "api", "--output", "json").stdout)
    assert [app["name"] for app in status["applications"]] == ["api"]
    typo = run_cli("plan", "--app", "apii")
    assert "no application named 'apii' in routing.yaml (did you mean 'api'?)" in typo.stderr
    pruning = run_cli("apply", "--app", "api", "--prune", "--yes")
    assert pruning.returncode == 1 and "cannot be scoped with --app" in pruning.stderr


def test_quiet_silences_warnings_never_change_ids_or_errors(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    assert "Warning:" in run_cli("validate").stderr  # the latency table's gaps, at least
    assert "Warning:" not in run_cli("-q", "validate").stderr
    moved = run_cli("-q", "failover", "--from", "eu-west-1", "--yes")
    assert moved.returncode == 0, moved.stderr
    assert "Submitted change" in moved.stderr and "Warning:" not in moved.stderr
    failed = run_cli("-q", "failback", "eu-wst-1", "--yes")
    assert failed.returncode == 1 and "is not a Route 53 latency region" in failed.stderr


def test_json_output_on_a_terminal_is_never_asked_to_confirm_unseen(
    aws: Any, zone: str, tmp_path: Path
) -> None:
    from tests.e2e.conftest import run_on_terminal

    write_policy(tmp_path)
    code, stdout, stderr = run_on_terminal(aws, tmp_path, "y", "apply", "--output", "json")
    assert code == 1
    assert "with --output json there is no plan on screen to confirm" in stderr
    assert json.loads(stdout)["applied"] is False
    assert aws.count("ChangeResourceRecordSets") == 0


def test_a_no_wait_change_can_be_waited_on_later_and_progress_is_logged_off_a_terminal(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    aws.pending_polls = 3  # the change answers PENDING three times, then INSYNC
    submitted = run_cli("apply", "--yes", "--no-wait", "--output", "json")
    [change_id] = [b["change_id"] for b in json.loads(submitted.stdout)["batches"]]
    aws.reset_log()
    waited = run_cli("wait", change_id)
    assert waited.returncode == 0, waited.stderr
    assert f"INSYNC: {change_id}" in waited.stdout
    # No terminal: a plain line naming what it waits for, at once and then every 10 s. The
    # seconds are whatever a loaded machine took: times belong in benchmarks, not here.
    assert re.search(
        r"Waiting for Route 53 to report INSYNC: 0/1 change\(s\) in sync, \d+s "
        + re.escape(f"({change_id})"),
        waited.stderr,
    ), waited.stderr
    assert aws.count("GetChange") == 4
    unknown = run_cli("wait", "CNOSUCHCHANGE1")
    assert unknown.returncode == 1 and "CNOSUCHCHANGE1" in unknown.stderr


def test_on_a_terminal_the_wait_is_a_live_progress_line(
    aws: Any, zone: str, tmp_path: Path
) -> None:
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    write_policy(tmp_path)
    aws.pending_polls = 4
    controller, terminal = pty.openpty()
    environment = {**aws.env(), "GEOPROXY_POLL_INTERVAL": "0.2", "COLUMNS": "160"}
    process = subprocess.Popen(
        [sys.executable, "-m", "geoproxy", "apply", "--yes"],
        cwd=tmp_path,
        env=environment,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + 60
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if select.select([controller], [], [], 0.1)[0]:
                try:
                    seen += os.read(controller, 65536)
                except OSError:
                    break
        process.wait(timeout=30)
    finally:
        os.close(controller)
    assert process.returncode == 0
    text = seen.decode(errors="replace")
    assert "Waiting for Route 53 to report INSYNC: 0/1 change(s) in sync" in text
    assert "Apply complete" in text


@pytest.mark.slow
def test_a_refused_failover_shows_its_plan_and_how_to_leave_the_blocked_app_out(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    from tests.e2e.conftest import API_APP

    unfenced = API_APP.split("    compliance:\n")[0]
    write_policy(tmp_path, EXAMPLE_POLICY + unfenced)
    assert run_cli("apply", "--yes").returncode == 0
    refused = run_cli("failover", "--from", "eu-west-1", "--to", "us-east-1", "--yes")
    assert refused.returncode == 1
    assert "shop: compliance rule 'gdpr' forbids PoP us-east-1" in refused.stderr
    assert "or leave shop out: --app api" in refused.stderr
    assert "Plan:" in refused.stdout  # what it would have done, in text mode
    narrowed = run_cli(
        "failover", "--from", "eu-west-1", "--to", "us-east-1", "--app", "api", "--yes"
    )
    assert narrowed.returncode == 0, narrowed.stderr
