"""Disaster recovery for people: accelerated recovery, stranded changes, `verify`'s rows
and the drill's report (from their JSON documents, so the views share one source)."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from geoproxy.cli import render
from geoproxy.core.recovery import ChangeCheck, ZoneRecovery


def recovery_json(zones: list[ZoneRecovery]) -> list[dict[str, object]]:
    return [zone.to_json() for zone in zones]


def recovery_text(zones: list[ZoneRecovery]) -> None:
    for zone in zones:
        style = "green" if zone.enabled else ("yellow" if zone.to_enable else "")
        render.stdout.print(Text(zone.describe(), style=style))


def stranded_json(checks: list[ChangeCheck]) -> list[dict[str, object]]:
    return [
        {
            "change_id": check.change.change_id,
            "zone_id": check.change.zone_id,
            "time": check.change.time,
            "command": check.change.command,
            "status": check.status,
            "resubmit": check.stranded,
            "advice": check.advice(),
        }
        for check in checks
    ]


def stranded_text(checks: list[ChangeCheck]) -> None:
    if not checks:
        return
    stranded = [check for check in checks if check.stranded]
    render.stdout.print(
        Text(
            f"Recent change batches (audit log): {len(checks)} checked with GetChange, "
            f"{len(stranded)} to resubmit",
            style="bold red" if stranded else "bold",
        )
    )
    for check in checks:
        render.stdout.print(("  ! " if check.stranded else "  ") + check.advice())


def verify_text(document: dict[str, Any]) -> None:
    rows = document["rows"]
    colour = {"match": "green", "mismatch": "bold red", "unknown": "yellow"}
    render.print_table(
        ["application", "source region", "type", "expected", "answered", "verdict", "why"],
        [
            [
                row["app"],
                row["source_region"],
                row["record_type"],
                row["expected_pop"],
                row["answered_pop"] or "-",
                row["verdict"],
                row["detail"],
            ]
            for row in rows
        ],
        styles=[["", "", "", "", "", colour[row["verdict"]], ""] for row in rows],
        whole=(1, 3, 4),
    )
    counts = document["summary"]
    render.stdout.print(
        f"{counts['match']} match, {counts['mismatch']} mismatch, {counts['unknown']} "
        f"unknown ({document['test_dns_answer_calls']} TestDNSAnswer calls)."
    )
    render.stdout.print(Text(document["health_checks"] + ".", style="dim"))


def drill_text(document: dict[str, Any]) -> None:
    out = render.stdout
    out.print(
        Text(
            f"Drill: control plane down, failover --from {document['from']} "
            f"(switches: {document['switches']}), in an in-process emulator (never AWS).",
            style="bold",
        )
    )
    render.print_table(
        ["application", "source region", "before", "after", "partner", "moved", "fence"],
        [
            [
                row["app"],
                row["source_region"],
                row["before"] or "-",
                row["after"] or "-",
                row["partner"] or "-",
                "yes" if row["moved"] else "NO",
                "CROSSED" if row["fence_crossed"] else "kept",
            ]
            for row in document["regions"]
        ],
        whole=(1, 2, 3, 4),
    )
    calls = document["calls"]
    out.print(
        f"Calls during the failover: {calls['data_plane']} data plane "
        f"({calls['data_plane_refused']} to unreachable endpoints), "
        f"{calls['control_plane']} control plane "
        f"({calls['control_plane_succeeded']} of them succeeded)"
        + (
            f", {calls['regional']} to regional STS endpoints (the accounts' sessions)."
            if calls.get("regional")
            else "."
        )
    )
    if document["seconds_to_moved_answers"] is not None:
        out.print(
            f"Answers moved {document['seconds_to_moved_answers']:.2f}s after the command started."
        )
    if document["failover_error"] and document["failover_exit_code"]:
        out.print(Text(f"failover said: {document['failover_error']}", style="dim"))
    later = document["after_route53_failover"]
    if later is not None:
        outcome = (
            "moved every answer." if later["moved"] else f"still failed: {later['failover_error']}"
        )
        out.print(
            "With accelerated recovery, once Route 53 has failed its control plane over to "
            f"us-west-2 (AWS: within about 60 minutes), the same failover {outcome}"
        )
    if document["passed"]:
        out.print(Text("Drill passed.", style="bold green"))
    else:
        out.print(Text("Drill FAILED:", style="bold red"))
        for reason in document["reasons"]:
            out.print(f"  - {reason}")
