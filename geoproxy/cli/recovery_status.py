"""What `status` shows of disaster recovery beside the records (views.StatusExtra)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from geoproxy.cli.render_recovery import recovery_json, recovery_text, stranded_json, stranded_text
from geoproxy.cli.views import StatusExtra
from geoproxy.core.recovery import ZoneRecovery

if TYPE_CHECKING:
    from geoproxy.aws.session import AwsSettings
    from geoproxy.pipeline import Compiled


def status_extra(
    compiled: Compiled, aws: AwsSettings, audit_log: Path | None, recovery: list[ZoneRecovery]
) -> StatusExtra:
    """What `status` shows of disaster recovery beside the records: each zone's accelerated
    recovery (read with the records), the recent change batches checked for stranded ones,
    and the note when DR depends on the us-east-1 control plane."""
    from geoproxy.core.recovery import control_plane_note
    from geoproxy.pipeline.recovery import stranded_changes

    policy = compiled.loaded.policy
    # Stranded changes are accelerated recovery's: only a policy under it is asked about them
    # (one GetChange per recent batch of the audit log; pipeline/recovery.py).
    stranded = stranded_changes(aws, audit_log) if policy.recovery.accelerated_recovery else []

    def beside() -> None:
        recovery_text(recovery)
        stranded_text(stranded)

    note = control_plane_note(policy)
    extra = StatusExtra(text=beside, notes=[note] if note else [])
    extra.policy_sha256 = compiled.loaded.sha256
    if recovery:
        extra.document["accelerated_recovery"] = recovery_json(recovery)
    if stranded:
        extra.document["stranded_changes"] = stranded_json(stranded)
    return extra


def with_lines(text: Callable[[], None] | None, lines: list[str]) -> Callable[[], None]:
    """`text`, then `lines` (each zone's features), printed beside the records."""
    from rich.text import Text

    from geoproxy.cli import render

    def beside() -> None:
        if text is not None:
            text()
        for line in lines:
            render.stdout.print(Text(line))

    return beside
