"""Courtesies (issue 27), through the real CLI: the habits SREs bring from Terraform and the
AWS CLI. A closed pipe, Ctrl-C, global flags after the subcommand, and the rest."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_policy
from tests.e2e.conftest import RunCli

pytestmark = pytest.mark.e2e


def _environment(aws: Any, **extra: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.update(aws.env())
    environment.update(
        {
            "GEOPROXY_POLL_INTERVAL": "0.01",
            "NO_COLOR": "1",
            "COLUMNS": "200",
            "GEOPROXY_RETRY_BASE_DELAY": "0.01",
            "GEOPROXY_RETRY_DEADLINE": "5",
        }
    )
    environment.update(extra)
    return environment


def run_into_closed_pipe(aws: Any, cwd: Path, *args: str) -> tuple[int, str]:
    """Run the CLI with stdout a pipe whose reader is already gone (`| head` that has read
    its line): every write to stdout fails with EPIPE. Returns (exit code, stderr)."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        process = subprocess.run(
            [sys.executable, "-m", "geoproxy", *args],
            cwd=cwd,
            env=_environment(aws),
            stdin=subprocess.DEVNULL,
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(writer)
    return process.returncode, process.stderr


# --- 1. a closed pipe ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("plan", "--detailed-exitcode"), 2),
        (("plan",), 0),
        (("plan", "-o", "json", "--detailed-exitcode"), 2),
        (("routes",), 0),
    ],
)
def test_a_closed_pipe_exits_quietly_with_the_commands_own_code(
    aws: Any, zone: str, tmp_path: Path, args: tuple[str, ...], code: int
) -> None:
    write_policy(tmp_path)
    returncode, stderr = run_into_closed_pipe(aws, tmp_path, *args)
    assert returncode == code, stderr
    assert "BrokenPipe" not in stderr and "unexpected" not in stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr


def test_status_into_a_closed_pipe_exits_0(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    assert run_cli("apply", "--yes").returncode == 0
    returncode, stderr = run_into_closed_pipe(aws, tmp_path, "status")
    assert returncode == 0, stderr
    assert "BrokenPipe" not in stderr and "Exception ignored" not in stderr


# --- 2. Ctrl-C -----------------------------------------------------------------------------


def test_ctrl_c_at_the_confirmation_prompt_exits_130(aws: Any, zone: str, tmp_path: Path) -> None:
    write_policy(tmp_path)
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "geoproxy", "apply"],
        cwd=tmp_path,
        env=_environment(aws),
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(terminal)
    try:
        deadline = time.monotonic() + 30
        while aws.count("ListResourceRecordSets") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # at the prompt
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        os.close(controller)
    assert process.returncode == 130, stderr
    assert "Apply these changes?" in stderr
    assert "Traceback" not in stderr
    assert aws.count("ChangeResourceRecordSets") == 0


def test_ctrl_c_while_waiting_on_an_endpoint_exits_130(aws: Any, tmp_path: Path) -> None:
    """Ctrl-C while a call hangs on an endpoint that accepts and never answers."""
    import socket

    write_policy(tmp_path)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "geoproxy",
                "plan",
                "--endpoint-url",
                f"http://127.0.0.1:{port}",
            ],
            cwd=tmp_path,
            env=_environment(aws, GEOPROXY_READ_TIMEOUT="60"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(3)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        listener.close()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr


# --- 3. global flags after the subcommand --------------------------------------------------


def test_global_flags_are_accepted_after_the_subcommand(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    assert run_cli("apply", "--yes").returncode == 0
    before = run_cli("--quiet", "status")
    after = run_cli("status", "--quiet")
    assert after.returncode == before.returncode == 0, after.stderr
    assert "Did you mean" not in after.stderr
    assert after.stdout == before.stdout
    assert after.stderr == before.stderr
    short = run_cli("plan", "-q")
    assert short.returncode == 0, short.stderr
    debug = run_cli("validate", "--debug")
    assert debug.returncode == 0, debug.stderr
    # --debug after the subcommand shows the traceback, as before it
    (tmp_path / "routing.yaml").write_text("version: 1\napplications: 3\n", encoding="utf-8")
    assert "Traceback" in run_cli("--debug", "validate").stderr
    assert "Traceback" in run_cli("validate", "--debug").stderr
    assert "Traceback" not in run_cli("validate").stderr


# --- 4. apply PLANFILE with -f --------------------------------------------------------------


@pytest.mark.parametrize(
    "extra", [("-f", "other.yaml"), ("--file", "routing.yaml"), ("--latency-table", "table.json")]
)
def test_apply_planfile_with_a_policy_file_is_refused(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path, extra: tuple[str, ...]
) -> None:
    write_policy(tmp_path)
    write_policy(tmp_path, name="other.yaml")
    assert run_cli("plan", "--out", "plan.json").returncode == 0
    aws.reset_log()
    for saved in (("plan.json",), ("--plan", "plan.json")):
        result = run_cli("apply", *saved, *extra, "--yes")
        assert result.returncode == 1
        assert "cannot be used with a saved plan" in result.stderr
        assert extra[0].lstrip("-") in result.stderr
        assert aws.count() == 0  # refused before any AWS call


# --- 5. an endpoint that is not there, or not AWS, fails fast -------------------------------


@pytest.mark.parametrize(
    ("how", "answered"),
    [
        ("flag", "the connection was refused"),
        ("env", "the connection was refused"),
        ("unknown-host", "the host name does not resolve"),
    ],
)
def test_an_explicit_endpoint_that_does_not_answer_fails_fast(
    aws: Any, tmp_path: Path, run_cli: RunCli, how: str, answered: str
) -> None:
    write_policy(tmp_path)
    url = "http://no-such-host.invalid:5000" if how == "unknown-host" else "http://127.0.0.1:1"
    env = {"GEOPROXY_RETRY_DEADLINE": "120", "GEOPROXY_RETRY_BASE_DELAY": "0.5"}
    args = ["plan"]
    if how == "flag":
        args += ["--endpoint-url", url]
    else:
        env["AWS_ENDPOINT_URL"] = url
    started = time.monotonic()
    result = run_cli(*args, env=env)
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert f"nothing answers at {url}" in result.stderr
    assert answered in result.stderr
    assert ("--endpoint-url" if how == "flag" else "AWS_ENDPOINT_URL") in result.stderr
    assert result.stderr.count("retrying in") <= 1
    assert "calmer" not in result.stderr and "Traceback" not in result.stderr


def test_an_endpoint_that_is_not_aws_is_named_with_what_answered(
    aws: Any, tmp_path: Path, run_cli: RunCli
) -> None:
    import http.server
    import threading

    class NotAws(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>Not Found</html>")

        do_POST = do_GET

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotAws)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        write_policy(tmp_path)
        result = run_cli("plan", "--endpoint-url", url, env={"GEOPROXY_RETRY_DEADLINE": "120"})
        iam = run_cli("iam-policy", env={"AWS_ENDPOINT_URL": url})
    finally:
        server.shutdown()
    assert result.returncode == 1
    assert iam.returncode == 0  # iam-policy falls back to wildcards, with a warning
    for failed in (result, iam):
        assert f"{url} (from " in failed.stderr
        assert "answered HTTP 404 (text/html" in failed.stderr
        assert "which is not an AWS answer" in failed.stderr
        assert "retrying in" not in failed.stderr


# --- 6. the zone-lookup warning says its prefix once ----------------------------------------


def test_the_zone_lookup_warning_says_its_prefix_once(run_cli: RunCli, tmp_path: Path) -> None:
    write_policy(tmp_path)
    result = run_cli("iam-policy", env={"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
    assert result.returncode == 0, result.stderr
    assert "cannot look up hosted zone example.com" in result.stderr
    assert result.stderr.count("cannot look up hosted zone example.com") == 1


# --- 7. iam-policy --offline ----------------------------------------------------------------


def test_iam_policy_offline_makes_no_aws_call(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    import json

    from tests.conftest import EXAMPLE_POLICY

    write_policy(tmp_path)
    aws.reset_log()
    result = run_cli("iam-policy", "--offline")
    assert result.returncode == 0, result.stderr
    assert aws.count() == 0
    document = json.loads(result.stdout)
    assert "arn:aws:route53:::hostedzone/*" in json.dumps(document)
    assert "--offline: no AWS call was made" in result.stderr
    assert "wildcards" in result.stderr
    # zone ids the policy gives are used; and nothing is reached even if nothing answers
    write_policy(
        tmp_path,
        EXAMPLE_POLICY.replace(
            "    zone: example.com\n", "    zone: example.com\n    zone_id: Z0123456789ABC\n", 1
        ),
    )
    pinned = run_cli("iam-policy", "--offline", env={"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
    assert pinned.returncode == 0, pinned.stderr
    assert "arn:aws:route53:::hostedzone/Z0123456789ABC" in pinned.stdout
    assert "(example.com)" in pinned.stderr
    assert "retrying" not in pinned.stderr and "cannot look up" not in pinned.stderr


# --- 8. help texts match each command's flags, and end with examples -----------------------


def _commands() -> dict[str, Any]:
    from geoproxy.cli.app import cli

    return dict(cli.commands)


@pytest.mark.parametrize("name", ["", *sorted(_commands())])
def test_every_help_ends_with_one_or_two_examples_of_its_own_command(
    run_cli: RunCli, name: str
) -> None:
    import shlex

    result = run_cli(*([name] if name else []), "--help")
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.rstrip().splitlines()]
    marker = len(lines) - 1 - lines[::-1].index("Examples:")
    examples = [line for line in lines[marker + 1 :] if line]
    assert 1 <= len(examples) <= 2, examples
    command = _commands().get(name)
    for example in examples:
        assert f"geoproxy {name}".strip() in example
        if command is None:
            continue
        words = [w for w in shlex.split(example) if "=" not in w.split("-")[0]]
        words = words[words.index(name) + 1 :]
        flags = {flag for param in command.params for flag in param.opts}
        for word in words:
            if word == ">":
                break
            if word.startswith("-"):
                assert word in flags, f"{name}: its example uses {word}, which it lacks"


def test_every_flag_a_help_text_names_is_one_the_command_has() -> None:
    import re

    from geoproxy.cli.app import cli

    global_flags = {flag for param in cli.params for flag in param.opts}
    for name, command in _commands().items():
        flags = {flag for param in command.params for flag in param.opts} | global_flags
        for param in command.params:
            text = getattr(param, "help", None) or ""
            # "--html" in a help; not "`plan --out`" (another command's flag, quoted)
            text = re.sub(r"`[^`]*`", "", text)
            for mentioned in re.findall(r"(?<![\w-])--[a-z][a-z-]*", text):
                assert mentioned in flags, (
                    f"`geoproxy {name}` {'/'.join(param.opts)}: help names {mentioned}, "
                    "which the command lacks"
                )


def test_failover_timeout_and_routes_app_help_say_only_what_they_do(run_cli: RunCli) -> None:
    failover = run_cli("failover", "--help").stdout
    assert "--wait-deployed" not in failover
    assert "--wait-deployed" in run_cli("apply", "--help").stdout
    routes = run_cli("routes", "--help").stdout
    assert "rphan" not in routes


# --- 9. JSON documents: format_version and kind; plan and apply count the same things -------


def test_every_json_document_has_format_version_and_kind(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    import json

    write_policy(tmp_path)
    runs = {
        "validate": run_cli("validate", "-o", "json"),
        "routes": run_cli("routes", "-o", "json"),
        "plan": run_cli("plan", "-o", "json"),
        "apply": run_cli("apply", "--yes", "-o", "json"),
        "status": run_cli("status", "-o", "json"),
        "failover": run_cli(
            "failover", "--from", "ap-southeast-1", "--to", "us-east-1", "--dry-run", "-o", "json"
        ),
    }
    for kind, result in runs.items():
        assert result.returncode == 0, (kind, result.stderr)
        document = json.loads(result.stdout)
        assert document["format_version"] == 1, kind
        assert document["kind"] == kind
        assert list(document)[:2] == ["format_version", "kind"]
    change_id = json.loads(runs["apply"].stdout)["batches"][0]["change_id"]
    waited = json.loads(run_cli("wait", change_id, "-o", "json").stdout)
    assert (waited["format_version"], waited["kind"]) == (1, "wait")
    # an error document too
    (tmp_path / "routing.yaml").write_text("version: 1\n", encoding="utf-8")
    failed = json.loads(run_cli("validate", "-o", "json").stdout)
    assert (failed["format_version"], failed["kind"]) == (1, "validate")
    assert "error" in failed
    # an IAM policy is AWS's document: nothing added
    write_policy(tmp_path)
    iam = json.loads(run_cli("iam-policy", "--offline").stdout)
    assert set(iam) == {"Version", "Statement"}


def test_plan_and_apply_count_the_same_things(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    from tests.conftest import EXAMPLE_POLICY

    write_policy(tmp_path)
    assert run_cli("apply", "--yes").returncode == 0
    write_policy(tmp_path, EXAMPLE_POLICY.replace("shop-euw1-456", "shop-euw1-999"))
    planned = run_cli("plan")
    applied = run_cli("apply", "--yes")
    assert applied.returncode == 0, applied.stderr
    import re

    update = re.search(r"Plan: (\d+) to create, (\d+) to update, (\d+) to delete", planned.stdout)
    assert update is not None, planned.stdout
    created, updated, deleted = update.groups()
    assert (
        f"Applied: {created} created, {updated} updated, {deleted} deleted, as planned"
        in applied.stdout
    )
    actions = re.search(r"\((\d+) Route 53 record change\(s\) in 1 batch", applied.stdout)
    assert actions is not None, applied.stdout
    assert f"{actions.group(1)} Route 53 record change(s)" in applied.stderr  # Submitted ...


# --- 10. narrow terminals -------------------------------------------------------------------


def run_on_narrow_terminal(aws: Any, cwd: Path, *args: str, columns: int = 60) -> tuple[int, str]:
    """The CLI with stdout and stderr a pseudo-terminal `columns` wide; (code, output)."""
    import fcntl
    import re
    import select
    import struct
    import termios

    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    environment = _environment(aws)
    environment.pop("COLUMNS", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "geoproxy", *args],
        cwd=cwd,
        env=environment,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    output = b""
    try:
        while select.select([controller], [], [], 60)[0]:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the CLI is done
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(controller)
    code = process.wait(timeout=60)
    text = output.decode(errors="replace").replace("\r\n", "\n")
    return code, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def test_a_narrow_terminal_never_cuts_a_region_name(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    import re

    from geoproxy.policy.catalog import Catalog

    regions = Catalog.load().default_sources()  # the 34 source regions the example routes
    write_policy(tmp_path)
    assert run_cli("apply", "--yes").returncode == 0
    for command in ("routes", "status"):
        code, output = run_on_narrow_terminal(aws, tmp_path, command)
        assert code == 0, output
        assert not re.search(r"\b[a-z]{2}-[a-z]*…", output), output  # "ap-southeas…"
        for region in ("ap-southeast-1", "ap-northeast-1", "eu-central-1", "af-south-1"):
            assert region in output, (command, output)
        for region in regions:
            assert region in output, (command, region)


# --- 11. policy errors in geoproxy's words --------------------------------------------------

PYDANTIC_PHRASES = (
    "Input should",
    "should be a valid",
    "List should",
    "String should",
    "Value should",
    "after validation",
    "Field required",
    "pydantic",
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\napplications: 3\n",
            "applications: expected a list (`[a, b]` or `- a` lines), got 3",
        ),
        ("version: 1\napplications: []\n", "applications: needs at least 1 item(s), has 0"),
        (
            "version: 1\napplications:\n  - name: shop\n    zone: example.com\n"
            "    record: origin.example.com\n    pops: [us-east-1]\n",
            "pops: expected a mapping (`key: value` lines), got a list",
        ),
        ("version: one\napplications: []\n", "version: "),
    ],
)
def test_policy_errors_are_in_geoproxys_words(
    run_cli: RunCli, tmp_path: Path, text: str, expected: str
) -> None:
    import json

    write_policy(tmp_path, text)
    result = run_cli("validate")
    assert result.returncode == 1
    assert expected in result.stderr, result.stderr
    as_json = run_cli("validate", "-o", "json")
    for output in (result.stderr, json.dumps(json.loads(as_json.stdout))):
        for phrase in PYDANTIC_PHRASES:
            assert phrase not in output, output


# --- 12. one-time notes -------------------------------------------------------------------


def test_the_latency_table_notes_are_said_once_per_policy(run_cli: RunCli, tmp_path: Path) -> None:
    from tests.conftest import EXAMPLE_POLICY

    cache = {"GEOPROXY_CACHE_DIR": str(tmp_path / "user-cache")}
    write_policy(tmp_path)
    first = run_cli("routes", env=cache)
    assert "no round trip" in first.stderr and "nearest by round trip" in first.stderr
    again = run_cli("routes", env=cache)
    assert again.returncode == 0
    assert "no round trip" not in again.stderr and "nearest by round trip" not in again.stderr
    assert "no round trip" not in run_cli("validate", env=cache).stderr  # said already
    # --verbose (before or after the command) says them every run
    for verbose in (("--verbose", "routes"), ("routes", "-v")):
        said = run_cli(*verbose, env=cache).stderr
        assert "no round trip" in said and "nearest by round trip" in said
    # an edited policy is a new policy: said once more
    write_policy(tmp_path, EXAMPLE_POLICY + "# edited\n")
    assert "no round trip" in run_cli("validate", env=cache).stderr
    assert "no round trip" not in run_cli("validate", env=cache).stderr
    # JSON output always carries them
    import json

    assert json.loads(run_cli("routes", "-o", "json", env=cache).stdout)["warnings"]
    # the cache lives where GEOPROXY_CACHE_DIR says
    assert list((tmp_path / "user-cache" / "notes").glob("*.json"))


# --- 13. init's starter shows every major key; PoP is defined first -----------------------


def test_init_writes_a_starter_that_shows_every_major_key_commented(
    run_cli: RunCli, tmp_path: Path
) -> None:
    import re

    result = run_cli("init")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "routing.yaml").read_text(encoding="utf-8")
    for key in ("owner", "failover_to", "cloudfront", "viewer_countries"):
        assert re.search(rf"^\s*#.*\b{key}\b", text, re.MULTILINE), key
        assert not re.search(rf"^\s*{key}:", text, re.MULTILINE), key  # commented, not set
    assert "A PoP: " in text
    assert run_cli("validate").returncode == 0  # the starter is valid as written


def test_the_readme_and_the_docs_define_pop_in_their_first_lines() -> None:
    from tests.conftest import REPO

    for page in (REPO / "README.md", REPO / "docs" / "index.md"):
        first = "\n".join(page.read_text(encoding="utf-8").splitlines()[:20])
        assert "PoP (" in first or "PoP**" in first or "A PoP" in first, page
        assert "not a CloudFront edge location" in first, page
