"""Issue 22, through the real CLI: bounded reads, numbers that mean something, outputs that
never clobber, limits that hold, audit lines that are part of the write, clean terminals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_POLICY, REPO, many_apps_policy, write_policy
from tests.e2e.conftest import AUTO_POLICY, DR_POLICY, ORIGIN, STATE, RunCli, records_at

pytestmark = pytest.mark.e2e


def assert_refused(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert "unexpected" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


# --- bounded, typed reads --------------------------------------------------------------------


def test_a_latency_table_that_is_a_device_is_refused_unread(
    aws: Any, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(
        tmp_path,
        EXAMPLE_POLICY.replace("version: 1\n", "version: 1\nlatency_table: /dev/zero\n", 1),
    )
    assert_refused(run_cli("validate"), "/dev/zero: latency table: is a device file")
    assert_refused(run_cli("routes", "--latency-table", "/dev/zero"), "is a device file")


def test_an_endless_latency_table_stops_at_its_limit(run_cli: RunCli, tmp_path: Path) -> None:
    # A sparse regular file far larger than the 4 MiB limit: reading stops at the limit.
    endless = tmp_path / "table.json"
    with endless.open("wb") as stream:
        stream.truncate(64 * 1024 * 1024 * 1024)
    write_policy(tmp_path)
    assert_refused(
        run_cli("validate", "--latency-table", str(endless)),
        "larger than 4,194,304 bytes",
        "stopped reading there",
    )


def test_a_policy_symlinked_to_a_device_is_refused(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "routing.yaml").symlink_to("/dev/zero")
    assert_refused(run_cli("validate"), "routing.yaml: is a device file")
    # A symlink onto a regular file is followed as before.
    write_policy(tmp_path, name="real.yaml")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "real.yaml")
    assert run_cli("validate", "-f", "link.yaml").returncode == 0


def test_a_fifo_policy_that_never_ends_times_out(run_cli: RunCli, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "routing.yaml")
    result = run_cli("validate", env={"GEOPROXY_READ_TIMEOUT": "0.5"})
    assert_refused(result, "routing.yaml: no end of input after 0.5 s")


def test_a_policy_from_stdin_is_read_and_bounded(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("validate", "-f", "-", input_text=EXAMPLE_POLICY)
    assert result.returncode == 0, result.stderr
    assert "-: valid (1 application(s)" in result.stdout
    huge = "#" * (2 * 1024 * 1024)
    assert_refused(
        run_cli("validate", "-f", "-", input_text=huge), "-: larger than 1,048,576 bytes"
    )


def test_a_plan_file_that_is_a_device_or_fifo_is_refused(
    aws: Any, run_cli: RunCli, tmp_path: Path
) -> None:
    assert_refused(
        run_cli("apply", "/dev/zero", "--yes"),
        "/dev/zero: is a device file; geoproxy reads only a regular file",
    )
    os.mkfifo(tmp_path / "plan.json")
    assert_refused(run_cli("apply", "plan.json", "--yes"), "plan.json: is a FIFO")
    assert aws.count() == 0


def test_the_read_timeout_variable_is_checked(run_cli: RunCli, tmp_path: Path) -> None:
    write_policy(tmp_path)
    for bad in ("nan", "inf", "-1", "0", "1e9"):
        assert_refused(
            run_cli("validate", env={"GEOPROXY_READ_TIMEOUT": bad}),
            f"Invalid value for GEOPROXY_READ_TIMEOUT: {bad!r}",
        )


def test_status_reads_the_audit_log_bounded(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    assert run_cli("apply", "--yes").returncode == 0
    shown = run_cli("status", "--audit-log", "/dev/zero")
    assert shown.returncode == 0, shown.stderr


# --- numbers that mean something ---------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "1e12", "soon"])
@pytest.mark.parametrize("flag", ["--timeout", "--retry-deadline"])
def test_numeric_flags_refuse_nan_infinity_negatives_and_absurd_values(
    aws: Any, run_cli: RunCli, tmp_path: Path, flag: str, value: str
) -> None:
    write_policy(tmp_path)
    aws.reset_log()
    assert_refused(
        run_cli("apply", "--yes", f"{flag}={value}"), f"Invalid value for '{flag}': {value!r}"
    )
    assert aws.count() == 0


@pytest.mark.parametrize(
    ("variable", "command"),
    [
        ("GEOPROXY_RETRY_DEADLINE", "plan"),
        ("GEOPROXY_POLL_INTERVAL", "apply"),
        ("GEOPROXY_RETRY_BASE_DELAY", "apply"),
    ],
)
def test_numeric_environment_variables_refuse_nan(
    aws: Any, run_cli: RunCli, tmp_path: Path, variable: str, command: str
) -> None:
    write_policy(tmp_path)
    aws.reset_log()
    args = (command, "--yes") if command == "apply" else (command,)
    assert_refused(run_cli(*args, env={variable: "nan"}), variable, "'nan'")
    assert aws.count() == 0


def test_wait_timeout_refuses_nan(aws: Any, run_cli: RunCli) -> None:
    aws.reset_log()
    assert_refused(run_cli("wait", "C123", "--timeout", "nan"), "'--timeout'")
    assert aws.count() == 0


# --- outputs never clobber -------------------------------------------------------------------


def test_routes_html_never_writes_over_the_policy(run_cli: RunCli, tmp_path: Path) -> None:
    policy = write_policy(tmp_path, name="p.yaml")
    for flag in ("--html", "--svg"):
        result = run_cli("routes", "-f", "p.yaml", flag, "p.yaml", "--overwrite")
        assert_refused(result, f"{flag} p.yaml is the policy, which this run reads")
        assert policy.read_text(encoding="utf-8") == EXAMPLE_POLICY
    # Nor through a symbolic link onto it.
    (tmp_path / "map.html").symlink_to(policy)
    assert_refused(
        run_cli("routes", "-f", "p.yaml", "--html", "map.html", "--overwrite"), "is the policy"
    )
    assert policy.read_text(encoding="utf-8") == EXAMPLE_POLICY


def test_a_map_never_writes_over_the_latency_table(run_cli: RunCli, tmp_path: Path) -> None:
    shipped = (REPO / "geoproxy" / "data" / "latency_p50.json").read_text(encoding="utf-8")
    table = tmp_path / "table.json"
    table.write_text(shipped, encoding="utf-8")
    write_policy(tmp_path)
    assert_refused(
        run_cli("routes", "--latency-table", "table.json", "--svg", "table.json"),
        "--svg table.json is the latency table",
    )
    assert table.read_text(encoding="utf-8") == shipped


def test_a_map_replaces_only_a_file_geoproxy_wrote_unless_overwrite(
    run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    notes = tmp_path / "notes.html"
    notes.write_text("my notes", encoding="utf-8")
    assert_refused(
        run_cli("routes", "--html", "notes.html"),
        "--html notes.html exists and geoproxy did not write it",
        "--overwrite",
    )
    assert notes.read_text(encoding="utf-8") == "my notes"
    # Through a link onto someone else's file: refused the same way.
    (tmp_path / "link.svg").symlink_to(notes)
    assert_refused(run_cli("routes", "--svg", "link.svg"), "through a symbolic link")
    assert notes.read_text(encoding="utf-8") == "my notes"
    # A map geoproxy wrote is replaced without asking; --overwrite replaces anything else.
    for flag, name in (("--html", "map.html"), ("--svg", "map.svg")):
        assert run_cli("routes", flag, name).returncode == 0
        again = run_cli("routes", flag, name)
        assert again.returncode == 0, again.stderr
    forced = run_cli("routes", "--html", "notes.html", "--overwrite")
    assert forced.returncode == 0, forced.stderr
    assert "generator" in notes.read_text(encoding="utf-8")


def test_plan_out_never_writes_over_an_input_or_a_foreign_file(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    policy = write_policy(tmp_path)
    aws.reset_log()
    assert_refused(
        run_cli("plan", "--out", "routing.yaml", "--overwrite"), "--out routing.yaml is the policy"
    )
    (tmp_path / "audit.log").touch()
    assert_refused(
        run_cli(
            "failover",
            "--from",
            "eu-west-1",
            "--dry-run",
            "--out",
            "audit.log",
            "--audit-log",
            "audit.log",
            "--overwrite",
        ),
        "--out audit.log is the audit log",
    )
    assert aws.count() == 0  # refused before any AWS call
    other = tmp_path / "other.json"
    other.write_text("{}", encoding="utf-8")
    assert_refused(run_cli("plan", "--out", "other.json"), "geoproxy did not write it")
    assert other.read_text(encoding="utf-8") == "{}"
    assert run_cli("plan", "--out", "other.json", "--overwrite").returncode == 0
    assert run_cli("plan", "--out", "other.json").returncode == 0  # now a geoproxy plan
    assert policy.read_text(encoding="utf-8") == EXAMPLE_POLICY


def test_init_never_writes_through_a_symlink(run_cli: RunCli, tmp_path: Path) -> None:
    target = tmp_path / "mine.txt"
    target.write_text("mine", encoding="utf-8")
    (tmp_path / "routing.yaml").symlink_to(target)
    assert_refused(run_cli("init"), "routing.yaml exists; geoproxy init never overwrites")
    assert target.read_text(encoding="utf-8") == "mine"


# --- limits that hold ------------------------------------------------------------------------


def _many_empty_applications(count: int) -> str:
    # 150,000 of them is 450 KB: well under the 1 MiB file limit.
    return "version: 1\napplications: [" + "{}," * count + "]\n"


def test_a_huge_policy_is_refused_with_one_line_at_its_cap(run_cli: RunCli, tmp_path: Path) -> None:
    text = _many_empty_applications(150_000)
    assert len(text) < 460_000
    write_policy(tmp_path, text)
    result = run_cli("validate", "--output", "json")
    assert_refused(
        result,
        "routing.yaml:2: applications: more than 1,000 applications, the most a policy may have",
    )
    assert len(result.stderr.splitlines()) == 1  # not 600,000 lines of missing keys
    assert len(json.loads(result.stdout)["error"]["issues"]) == 1


def test_many_problems_are_listed_up_to_a_cap(run_cli: RunCli, tmp_path: Path) -> None:
    write_policy(tmp_path, _many_empty_applications(500))  # 4 missing keys each
    result = run_cli("validate", "--output", "json")
    lines = result.stderr.splitlines()
    assert_refused(result, "routing.yaml: invalid policy (2,000 problems)", "… and 1,970 more")
    assert len(lines) == 1 + 30 + 1
    error = json.loads(result.stdout)["error"]
    assert len(error["issues"]) == 100 and error["issues_not_listed"] == 1_900


@pytest.mark.parametrize(
    ("key", "entry", "count", "message"),
    [
        (
            "pops",
            "      r{i}: {{target: a{i}.example.com}}\n",
            41,
            "applications[0].pops: more than 40 PoPs, the most an application may have",
        ),
        (
            "compliance",
            "      - {{name: r{i}, sources: [eu-west-1], allowed_pops: [eu-west-1]}}\n",
            101,
            "applications[0].compliance: more than 100 compliance rules",
        ),
    ],
)
def test_pops_and_compliance_rules_have_caps(
    run_cli: RunCli, tmp_path: Path, key: str, entry: str, count: int, message: str
) -> None:
    text = (
        "version: 1\napplications:\n  - name: shop\n    zone: example.com\n"
        "    record: origin.shop.example.com\n"
        + ("    pops: {us-east-1: {target: a.example.com}}\n" if key != "pops" else "")
        + f"    {key}:\n"
        + "".join(entry.format(i=i) for i in range(count))
    )
    write_policy(tmp_path, text)
    assert_refused(run_cli("validate"), message)


# --- audit is part of the write --------------------------------------------------------------


def test_an_audit_log_that_fails_after_a_write_says_written_not_logged(
    aws: Any, run_cli: RunCli, tmp_path: Path
) -> None:
    route53 = aws.client("route53")
    zones = ("example.com", "example.org")
    ids = [
        route53.create_hosted_zone(Name=zone, CallerReference=zone)["HostedZone"]["Id"].split("/")[
            -1
        ]
        for zone in zones
    ]
    write_policy(tmp_path, many_apps_policy(2, zones))
    result = run_cli("apply", "--yes", "--audit-log", "/dev/full", "--output", "json")
    assert_refused(
        result,
        "written, not logged: change ",
        f"in zone {ids[0]}",
        "change(s), live), but the audit log /dev/full could not be written",
        "No space left on device",
        "not written: change batch 2 of 2",
    )
    assert "unexpected OSError" not in result.stderr
    assert json.loads(result.stdout)["error"]["kind"] == "written_not_logged"
    # Zone 1's records are live, as the message says; zone 2 was never written.
    assert aws.count("ChangeResourceRecordSets") == 1
    listed = route53.list_resource_record_sets(HostedZoneId=ids[0])["ResourceRecordSets"]
    assert any(record["Type"] == "A" for record in listed)


def test_the_audit_line_keeps_reason_and_override_apart_and_failback_has_a_reason(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, DR_POLICY)
    log = tmp_path / "audit.jsonl"
    assert run_cli("apply", "--yes", "--audit-log", str(log)).returncode == 0
    moved = run_cli(
        "failover",
        "--from",
        "eu-west-1",
        "--to",
        "us-east-1",
        "--yes",
        "--audit-log",
        str(log),
        "--reason",
        "INC-42 eu-west-1 down",
        "--override-compliance",
        "legal approved in INC-42",
    )
    assert moved.returncode == 0, moved.stderr
    back = run_cli(
        "failback", "eu-west-1", "--yes", "--audit-log", str(log), "--reason", "INC-42 resolved"
    )
    assert back.returncode == 0, back.stderr
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(line["command"], line["reason"], line["override_compliance"]) for line in lines] == [
        ("apply", None, None),
        ("failover", "INC-42 eu-west-1 down", "legal approved in INC-42"),
        ("failback", "INC-42 resolved", None),
    ]


# --- clean output ----------------------------------------------------------------------------

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\r\nApply complete: INSYNC after 0.1s.\u202e"


def assert_clean(text: str) -> None:
    for char in ("\x1b", "\x07", "\r", "\u202e"):
        assert char not in text, (char, text)
    assert not any(line.startswith("Apply complete") for line in text.splitlines()), text


def test_a_failover_reason_from_dns_reaches_the_terminal_clean(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    from urllib.parse import quote

    write_policy(tmp_path, DR_POLICY)
    assert run_cli("apply", "--yes").returncode == 0
    assert run_cli("failover", "--from", "eu-west-1", "--yes", "--reason", "drill").returncode == 0
    # Someone with write access to the zone rewrites the state record's reason.
    state = records_at(aws, zone, STATE)[0]
    header, failover = state["ResourceRecords"]  # format v2: the token, then the failover
    value = failover["Value"].replace("reason=drill", "reason=" + quote(HOSTILE, safe=""))
    assert value != failover["Value"]
    state["ResourceRecords"] = [header, {"Value": value}]
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": state}]},
    )
    shown = run_cli("status")
    assert shown.returncode == 0, shown.stderr
    assert "failover eu-west-1 → eu-central-1" in shown.stdout
    assert_clean(shown.stdout + shown.stderr)
    # JSON escapes them, as JSON does: the value itself is kept.
    document = json.loads(run_cli("status", "--output", "json").stdout)
    reasons = [f["reason"] for app in document["applications"] for f in app["failovers"]]
    assert reasons == [HOSTILE]


def test_a_yaml_key_with_escapes_is_shown_clean_in_errors(run_cli: RunCli, tmp_path: Path) -> None:
    # A double-quoted YAML key may spell any control character with escapes.
    key = '"\\e]0;pwned\\a\\r\\nApply complete"'
    write_policy(
        tmp_path, EXAMPLE_POLICY.replace("  - name: shop\n", f"  - name: shop\n    {key}: 1\n", 1)
    )
    result = run_cli("validate")
    assert_refused(
        result,
        "applications[0].\ufffd]0;pwned\ufffd\ufffd\ufffdApply complete: "
        "unknown key '\\x1b]0;pwned",
    )
    assert_clean(result.stderr)


def test_an_absurd_latency_prints_as_a_sane_number(run_cli: RunCli, tmp_path: Path) -> None:
    table = json.loads(
        (REPO / "geoproxy" / "data" / "latency_p50.json").read_text(encoding="utf-8")
    )
    row = table["rtt_ms"]["sa-east-1"]
    for target in row:
        row[target] = 1.7e308 if target != "us-east-1" else 1e308
    (tmp_path / "table.json").write_text(json.dumps(table), encoding="utf-8")
    write_policy(tmp_path)
    result = run_cli("routes", "--latency-table", "table.json")
    assert result.returncode == 0, result.stderr
    assert "nearest, 1e+308 ms" in result.stdout
    assert "0" * 20 not in result.stdout


# --- apex applications -----------------------------------------------------------------------


def test_an_apex_application_leaves_another_applications_orphans_to_prune(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    # An application with PoP pairs is applied, then removed from the policy, which now has
    # one application at the zone apex: every name of the zone lies below its record.
    write_policy(tmp_path, AUTO_POLICY)
    first = run_cli("apply", "--yes")
    assert first.returncode == 0, first.stderr
    before = aws.client("route53").list_resource_record_sets(HostedZoneId=zone)
    old = {
        (r["Name"], r["Type"], r.get("SetIdentifier"))
        for r in before["ResourceRecordSets"]
        if r["Type"] not in ("NS", "SOA")
    }
    assert any("._failover." in name for name, _, _ in old)
    write_policy(
        tmp_path,
        EXAMPLE_POLICY.replace(
            "    record: origin.shop.example.com\n", "    record: example.com\n"
        ).replace("  - name: shop\n", "  - name: apex\n"),
    )
    planned = run_cli("plan", "--output", "json")
    assert planned.returncode == 0, planned.stderr
    document = json.loads(planned.stdout)
    deletes = [
        change
        for app in document["applications"]
        for change in app["changes"]
        if change["action"] == "delete"
    ]
    assert deletes == []  # not "PoP pair no longer needed": they are not the apex's
    orphans = {orphan["root"] for orphan in document["orphans"]}
    assert orphans == {ORIGIN.rstrip(".")}
    aws.reset_log()
    applied = run_cli("apply", "--yes")
    assert applied.returncode == 0, applied.stderr
    after = aws.client("route53").list_resource_record_sets(HostedZoneId=zone)
    assert old <= {
        (r["Name"], r["Type"], r.get("SetIdentifier")) for r in after["ResourceRecordSets"]
    }
    # --prune is the way to delete them.
    pruned = run_cli("plan", "--prune", "--output", "json")
    assert pruned.returncode == 0, pruned.stderr
    assert any(
        change["action"] == "delete"
        for app in json.loads(pruned.stdout)["applications"]
        for change in app["changes"]
    )


# --- the sandbox answers only its own Host -----------------------------------------------------


def test_the_sandbox_refuses_a_rebound_host(tmp_path: Path) -> None:
    import http.client
    import sys

    from geoproxy.sandbox.strict.server import scrubbed

    policy = write_policy(tmp_path)
    env = scrubbed(os.environ)
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "geoproxy", "sandbox", "-f", str(policy)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert sandbox.stdout is not None
        endpoint = ""
        for line in sandbox.stdout:
            if line.startswith("export AWS_ENDPOINT_URL="):
                endpoint = line.strip().partition("=")[2]
            if line.startswith("The sandbox keeps its state"):
                break
        port = int(endpoint.rsplit(":", 1)[1])

        def post(path: str, host: str) -> int:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request("POST", path, body=b"", headers={"Host": host})
                return connection.getresponse().status
            finally:
                connection.close()

        def zones() -> int:
            listed = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import boto3; print(len(boto3.client('route53', "
                    f"endpoint_url='{endpoint}', region_name='us-east-1', aws_access_key_id='x',"
                    " aws_secret_access_key='x').list_hosted_zones()['HostedZones']))",
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            return int(listed.stdout)

        assert zones() == 1
        # A page on a rebinding name reaches 127.0.0.1 with its own name as Host.
        for host in (
            f"rebind.attacker.example:{port}",
            "127.0.0.1",
            f"localhost:{port}",
            f"127.0.0.1:{port + 1}",
        ):
            assert post("/moto-api/reset", host) == 403, host
        assert zones() == 1  # nothing was wiped
        assert post("/moto-api/reset", f"127.0.0.1:{port}") == 200
        assert zones() == 0
    finally:
        sandbox.send_signal(signal.SIGINT)
        sandbox.wait(timeout=30)
