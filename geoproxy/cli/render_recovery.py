"""Accelerated recovery and stranded changes, for people and for scripts; and apply's step
that enables accelerated recovery (asks, then the pipeline writes)."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from geoproxy.aws.session import AwsSettings
from geoproxy.cli import render
from geoproxy.core.recovery import ChangeCheck, ZoneRecovery
from geoproxy.errors import RefusedError


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


def enable_recovery(
    zones: list[ZoneRecovery],
    aws: AwsSettings,
    document: dict[str, Any],
    *,
    output: str,
    yes: bool,
    timeout: float,
) -> None:
    """Confirm (the plan on screen says which zones), then enable accelerated recovery zone
    by zone, with progress on stderr; the zones' statuses go into `document`."""
    from geoproxy.cli.flow import confirm
    from geoproxy.pipeline.recovery import enable_zones

    if output == "json" and not yes:
        raise RefusedError(
            "refusing to apply without --yes: with --output json there is no plan on "
            "screen to confirm",
            hint="pass --yes, or drop --output json to review and confirm",
            output=document,
        )
    confirm(yes, "Apply these changes?", "apply")

    def progress(zone: str, status: str, seconds: float) -> None:
        if output != "json" and not render.QUIET:
            render.stderr.print(f"accelerated recovery on {zone}: {status} ({seconds:.0f}s)")

    after = enable_zones(aws, zones, timeout_s=timeout, on_progress=progress)
    document["accelerated_recovery"] = recovery_json(after)
    failed = [zone for zone in after if not zone.enabled]
    if failed:
        render.warnings(
            [
                f"accelerated recovery on {zone.zone} ({zone.zone_id}) ended {zone.status}; "
                "`geoproxy apply` asks again"
                for zone in failed
            ]
        )
