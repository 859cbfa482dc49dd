"""`geoproxy sandbox`: the README's "try your own policy" walk-through, against it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from geoproxy.sandbox.strict.server import scrubbed
from tests.conftest import EXAMPLE_POLICY, write_policy
from tests.e2e.conftest import AUTO_POLICY, PARTNERS

pytestmark = pytest.mark.e2e

ZONE_ID = "Z0SANDBOXSHOP1"
DISTRIBUTION = "E1SANDBOXDIST9"


def three_apps_two_zones() -> str:
    shop = EXAMPLE_POLICY.replace(
        "    zone: example.com\n", f"    zone: example.com\n    zone_id: {ZONE_ID}\n", 1
    )
    shop += (
        f"    cloudfront:\n      distribution_id: {DISTRIBUTION}\n"
        "      aliases: [shop.example.com]\n"
    )
    # The edge fence too: the sandbox's distribution forwards the viewer's country.
    shop = shop.replace(
        '        allowed_pops: ["eu-*"]\n',
        '        allowed_pops: ["eu-*"]\n        viewer_countries: [EU]\n',
        1,
    )
    app = EXAMPLE_POLICY.split("applications:\n", 1)[1]
    api = app.replace("name: shop", "name: api").replace("origin.shop.", "origin.api.")
    org = (
        app.replace("name: shop", "name: org")
        .replace("zone: example.com", "zone: example.org")
        .replace("origin.shop.example.com", "origin.shop.example.org")
    )
    return shop + api + org


@pytest.mark.slow
def test_the_walk_through_runs_against_the_sandbox_with_no_record_lost(tmp_path: Path) -> None:
    policy = write_policy(tmp_path, three_apps_two_zones())
    env = scrubbed(os.environ)
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "geoproxy", "sandbox", "-f", str(policy)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        stderr=subprocess.PIPE,
    )
    try:
        exports: dict[str, str] = {}
        assert sandbox.stdout is not None
        for line in sandbox.stdout:
            if line.startswith("export "):
                key, _, value = line.removeprefix("export ").strip().partition("=")
                exports[key] = value
            if line.startswith("The sandbox keeps its state"):
                break
        assert exports["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        cli_env = {
            **env,
            **exports,
            "NO_COLOR": "1",
            "COLUMNS": "200",
            "GEOPROXY_POLL_INTERVAL": "0.01",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }

        def geoproxy(*args: str) -> Any:
            return subprocess.run(
                [sys.executable, "-m", "geoproxy", *args],
                cwd=tmp_path,
                env=cli_env,
                text=True,
                capture_output=True,
                timeout=120,
            )

        def latency_records() -> dict[str, int]:
            document = json.loads(geoproxy("status", "--output", "json").stdout)
            return {
                app["name"]: sum(r["state"] in ("ok", "failover") for r in app["regions"])
                for app in document["applications"]
            }

        planned = geoproxy("plan", "--detailed-exitcode")
        assert planned.returncode == 2, planned.stderr  # everything to create, no error
        assert geoproxy("apply", "--yes").returncode == 0
        assert latency_records() == {"shop": 34, "api": 34, "org": 34}
        edge = json.loads(geoproxy("status", "--output", "json").stdout)["applications"][0][
            "edge_function"
        ]
        assert (edge["published"], edge["in_sync"]) == (True, True)
        moved = geoproxy(
            "failover",
            "--from",
            "eu-west-1",
            "--to",
            "us-east-1",
            "--override-compliance",
            "sandbox drill",
            "--yes",
        )
        assert moved.returncode == 0, moved.stderr
        status = geoproxy("status", "--detailed-exitcode")
        # An overridden breach is live, and an override read from DNS allows nothing later:
        # status says so (2), rather than "only failovers differ" (4).
        assert status.returncode == 2, status.stdout
        assert "live breach" in status.stdout
        assert geoproxy("failback", "eu-west-1", "--yes").returncode == 0
        assert latency_records() == {"shop": 34, "api": 34, "org": 34}
        assert geoproxy("plan", "--detailed-exitcode").returncode == 0
    finally:
        sandbox.send_signal(signal.SIGINT)
        _, stderr = sandbox.communicate(timeout=30)
    assert sandbox.returncode == 0, stderr


# The user's cluster, named by ARN only: `apply` reads its endpoints from the configuration
# API, and the sandbox prints them to bookmark, as plan and apply do against AWS.
CLUSTER_ARN = "arn:aws:route53-recovery-control::111122223333:cluster/0123abcd-0123-4567-89ab"
SWITCHES = f"""recovery:
  switches: arc
  arc:
    cluster_arn: {CLUSTER_ARN}
    control_panel: geoproxy-sandbox
"""


@contextmanager
def running_sandbox(
    policy: Path, said: list[str]
) -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    """`geoproxy sandbox -f policy` in a subprocess until its exports are printed (what it
    said goes in `said`); yields a runner of the CLI pointed at it, stops it with Ctrl-C."""
    env = scrubbed(os.environ)
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "geoproxy", "sandbox", "-f", str(policy)],
        cwd=policy.parent,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        stderr=subprocess.PIPE,
    )
    try:
        exports: dict[str, str] = {}
        assert sandbox.stdout is not None
        for line in sandbox.stdout:
            said.append(line.rstrip("\n"))
            if line.startswith("export "):
                key, _, value = line.removeprefix("export ").strip().partition("=")
                exports[key] = value
            if line.startswith("The sandbox keeps its state"):
                break
        cli_env = {
            **env,
            **exports,
            "NO_COLOR": "1",
            "COLUMNS": "200",
            "GEOPROXY_POLL_INTERVAL": "0.01",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }

        def geoproxy(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "geoproxy", *args],
                cwd=policy.parent,
                env=cli_env,
                text=True,
                capture_output=True,
                timeout=120,
            )

        yield geoproxy
    finally:
        sandbox.send_signal(signal.SIGINT)
        _, stderr = sandbox.communicate(timeout=30)
    assert sandbox.returncode == 0, stderr


@pytest.mark.slow
def test_a_switches_policy_applies_and_fails_over_through_the_switches_in_the_sandbox(
    tmp_path: Path,
) -> None:
    plain = AUTO_POLICY.replace("    auto_failover: true\n", "")
    policy = write_policy(tmp_path, plain + SWITCHES)
    said: list[str] = []
    with running_sandbox(policy, said) as geoproxy:
        assert f"ARC cluster {CLUSTER_ARN} with 5 endpoints" in said
        start = said.index("    endpoints:")
        bookmark = said[start : start + 6]
        assert said[start - 1].startswith("For `failover --via switches`, bookmark")
        assert all("http://127.0.0.1:" in line for line in bookmark[1:])

        applied = geoproxy("apply", "--yes")
        assert applied.returncode == 0, applied.stderr
        # Pasted as the sandbox (and apply) said: the failover then needs no control plane.
        policy.write_text(policy.read_text() + "\n".join(bookmark) + "\n", encoding="utf-8")
        moved = geoproxy("failover", "--from", "eu-west-1", "--yes")
        assert moved.returncode == 0, moved.stdout + moved.stderr

        status = json.loads(geoproxy("status", "--output", "json").stdout)
        states = status["switches"]["states"]
        assert states["eu-west-1"] == "Off"
        assert {region for region, state in states.items() if state == "On"} == (
            set(PARTNERS) - {"eu-west-1"}
        )
        assert geoproxy("failback", "eu-west-1", "--yes").returncode == 0
        assert geoproxy("plan", "--detailed-exitcode").returncode == 0


def test_a_policy_bookmarking_endpoints_on_aws_is_refused_before_the_sandbox_starts(
    tmp_path: Path,
) -> None:
    aws_endpoint = "https://x.route53-recovery-cluster.us-west-2.amazonaws.com/v1"
    policy = write_policy(
        tmp_path,
        AUTO_POLICY.replace("    auto_failover: true\n", "")
        + SWITCHES
        + f"    endpoints:\n      us-west-2: {aws_endpoint}\n",
    )

    result = subprocess.run(
        [sys.executable, "-m", "geoproxy", "sandbox", "-f", str(policy)],
        cwd=tmp_path,
        env=scrubbed(os.environ),
        text=True,
        capture_output=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "recovery.arc.endpoints bookmarks endpoints off this machine (us-west-2)" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # nothing started, no exports


def test_loopback_endpoints_that_are_not_the_sandboxs_are_said_to_be_replaced(
    tmp_path: Path,
) -> None:
    stale = "http://127.0.0.1:1/_arc/0123abcd-0123-4567-89ab/us-west-2/v1"  # an old sandbox's
    policy = write_policy(
        tmp_path,
        AUTO_POLICY.replace("    auto_failover: true\n", "")
        + SWITCHES
        + f"    endpoints:\n      us-west-2: {stale}\n",
    )
    said: list[str] = []
    with running_sandbox(policy, said):
        pass
    assert any(line.endswith("(replacing recovery.arc.endpoints):") for line in said), said
    bookmark = said[said.index("    endpoints:") + 1 :][:5]
    assert len(bookmark) == 5 and not any(stale in line for line in bookmark)


@pytest.mark.slow
def test_a_two_account_policy_is_seeded_in_its_accounts_and_applies_there(
    tmp_path: Path,
) -> None:
    from tests.e2e.test_accounts import DISTRIBUTION as EDGE_DISTRIBUTION
    from tests.e2e.test_accounts import TWO_ACCOUNTS

    policy = write_policy(tmp_path, TWO_ACCOUNTS)
    said: list[str] = []
    with running_sandbox(policy, said) as geoproxy:
        applied = geoproxy("apply", "--yes", "--output", "json")
        assert applied.returncode == 0, applied.stderr
        status = geoproxy("status", "--output", "json", "--detailed-exitcode")
        assert status.returncode == 0, status.stdout + status.stderr
        [app] = json.loads(status.stdout)["applications"]
        assert app["accounts"] == {"zone": "dns", "distribution": "edge"}
        assert sum(r["state"] == "ok" for r in app["regions"]) == 34
    assert any("hosted zone example.com" in line and "111111111111" in line for line in said)
    assert any(EDGE_DISTRIBUTION in line and "222222222222" in line for line in said)
