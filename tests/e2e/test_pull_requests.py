"""Issue 29, plans for pull requests: `plan -o markdown` and `show PLANFILE -o markdown`, run
by the real CLI against the sandbox, as the example workflow (docs/examples/github-actions)
runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_policy
from tests.e2e.conftest import ORIGIN, RunCli
from tests.e2e.test_saved_plan_edits import WWW, make_keys, reseal

pytestmark = pytest.mark.e2e

CHANGE = "ChangeResourceRecordSets"


def table_rows(markdown: str) -> list[list[str]]:
    """The cells of every change row (not headers or rules) of every table."""
    return [
        [cell.strip() for cell in line[1:-1].split(" | ")]
        for line in markdown.splitlines()
        if line.startswith("| ") and not line.startswith(("| action", "| ---"))
    ]


def unquoted(cell: str) -> str:
    return cell.strip("`")


def test_plan_markdown_puts_the_summary_first_and_keeps_the_exit_codes(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    planned = run_cli("plan", "-o", "markdown", "--detailed-exitcode")
    assert planned.returncode == 2, planned.stderr
    lines = planned.stdout.splitlines()
    assert lines[0] == "**Plan: 34 to create, 0 to update, 0 to delete, 0 unchanged.**"
    assert f"#### shop: `{ORIGIN.rstrip('.')}` (zone `{zone}`)" in lines
    # 34 latency records and the state record apply writes with them (not counted in the
    # summary, as in the text): folded, the count on the line GitHub shows folded.
    assert "<details><summary>35 writes</summary>" in lines
    rows = table_rows(planned.stdout)
    assert len(rows) == 35 and {row[0] for row in rows} == {"➕ create"}
    assert [row[2] for row in rows].count("`TXT`") == 1
    assert "Traceback" not in planned.stderr
    assert run_cli("plan", "-o", "markdown").returncode == 0  # without the flag: 0
    aws.reset_log()
    assert run_cli("plan").returncode == 0
    as_text = aws.count()
    aws.reset_log()
    assert run_cli("plan", "-o", "markdown").returncode == 0
    assert aws.count() == as_text  # the same reads: Markdown is only another view
    assert run_cli("apply", "--yes").returncode == 0
    calm = run_cli("plan", "--output", "markdown", "--detailed-exitcode")
    assert calm.returncode == 0, calm.stderr
    assert calm.stdout == "**No changes.** Live records match the policy.\n"


def test_show_markdown_is_what_apply_planfile_then_writes(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    planned = run_cli("plan", "-o", "markdown", "--out", "plan.json")
    assert planned.returncode == 0, planned.stderr
    assert "Saved the plan to plan.json" in planned.stderr  # stdout is the comment alone
    aws.reset_log()
    shown = run_cli("show", "plan.json", "-o", "markdown")
    assert shown.returncode == 0, shown.stderr
    assert aws.count() == 0  # offline
    assert shown.stdout.startswith("**Plan: 34 to create, 0 to update, 0 to delete.**\n")
    assert "Saved plan `plan.json`: format 2, not signed" in shown.stdout
    # The pull request's comment and the reviewed saved plan show the same writes.
    assert table_rows(shown.stdout) == table_rows(planned.stdout)
    promised = {
        (unquoted(row[1]), unquoted(row[2]), unquoted(row[3]), unquoted(row[5]))
        for row in table_rows(shown.stdout)
    }
    applied = run_cli("apply", "plan.json", "--yes")
    assert applied.returncode == 0, applied.stderr
    pages = aws.client("route53").get_paginator("list_resource_record_sets")
    live = {
        (
            record["Name"].rstrip("."),
            record["Type"],
            record.get("SetIdentifier", ""),
            "alias " + record["AliasTarget"]["DNSName"].lower().rstrip(".")
            if "AliasTarget" in record
            # The state record's token is drawn when it is written; the comment says so.
            else re.sub(
                r"t=[0-9a-f]+",
                "t=(new when applied)",
                ", ".join(value["Value"] for value in record["ResourceRecords"]),
            ),
        )
        for page in pages.paginate(HostedZoneId=zone)
        for record in page["ResourceRecordSets"]
        if record["Name"].endswith(ORIGIN)
    }
    assert live == promised


def test_show_markdown_refuses_a_tampered_plan_and_prints_nothing(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    assert run_cli("plan", "--out", "plan.json").returncode == 0
    path = tmp_path / "plan.json"
    document = json.loads(path.read_text())
    text = json.dumps(document, indent=2)
    # Someone points a record elsewhere and leaves the checksum as it was.
    edited = re.sub(r"shop-[a-z0-9-]+\.eu-west-1\.elb", "evil.us-east-1.elb", text, count=1)
    assert edited != text
    path.write_text(edited)
    aws.reset_log()
    shown = run_cli("show", "plan.json", "-o", "markdown")
    assert shown.returncode == 1, shown.stderr
    assert shown.stdout == ""  # no comment shows a plan that will not be applied
    assert "checksum" in shown.stderr and "Traceback" not in shown.stderr
    assert aws.count() == 0
    assert run_cli("apply", "plan.json", "--yes").returncode == 1
    assert aws.count(CHANGE) == 0


def test_show_markdown_says_a_verified_signature_and_refuses_an_unsigned_plan(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    keys = make_keys(tmp_path)
    write_policy(tmp_path)
    assert run_cli("plan", "--out", "plan.json").returncode == 0
    verify = ("--verify-key", str(keys["ops.pub"]))
    unsigned = run_cli("show", "plan.json", "-o", "markdown", *verify)
    assert unsigned.returncode == 1, unsigned.stderr
    assert unsigned.stdout == ""
    assert "is not signed, and a verifying key is configured" in unsigned.stderr
    assert run_cli("sign", "plan.json", "--key", str(keys["ops"])).returncode == 0
    signed = run_cli("show", "plan.json", "-o", "markdown", *verify)
    assert signed.returncode == 0, signed.stderr
    assert "format 2, signed, signature verified" in signed.stdout
    unverified = run_cli("show", "plan.json", "-o", "markdown")
    assert "signed (no `--verify-key` given: not verified)" in unverified.stdout


def test_show_markdown_refuses_a_resealed_plan_that_writes_a_foreign_record(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    assert run_cli("plan", "--out", "plan.json").returncode == 0
    path = tmp_path / "plan.json"
    document = json.loads(path.read_text())
    document["changes"]["before_distributions"][zone][0].append(
        {"Action": "DELETE", "ResourceRecordSet": WWW}
    )
    path.write_text(json.dumps(reseal(document, text=True)))
    shown = run_cli("show", "plan.json", "-o", "markdown")
    assert shown.returncode == 1, shown.stderr
    assert shown.stdout == ""
    assert "www.example.com A" in shown.stderr
