"""Accelerated recovery and stranded changes, for people and for scripts."""

from __future__ import annotations

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
