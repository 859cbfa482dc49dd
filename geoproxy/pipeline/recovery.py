"""Accelerated recovery (`recovery.accelerated_recovery`) and stranded changes: the flows.

What a zone's accelerated recovery status costs: nothing more. The policy must give every
such zone's `zone_id` (validate refuses it otherwise), and the zone lookup by id is a
GetHostedZone, whose answer carries `Features.AcceleratedRecoveryStatus`; `plan` and
`status` read it from there. `apply` then makes one UpdateHostedZoneFeatures per zone not yet
enabled, and one GetHostedZone per poll until the zone is ENABLED.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from geoproxy.aws.session import AwsSettings
from geoproxy.core.live import LiveRead
from geoproxy.core.recovery import (
    STRANDED_LIMIT,
    STRANDED_WINDOW,
    ChangeCheck,
    ZoneRecovery,
    recent_changes,
    zone_recoveries,
)
from geoproxy.pipeline.compiled import Compiled

ProgressCallback = Callable[[str, str, float], None]


def recovery_of(compiled: Compiled, read: LiveRead) -> list[ZoneRecovery]:
    """Each zone's accelerated recovery, from what the run already read (no request)."""
    return zone_recoveries(compiled.loaded.policy, read.zone_ids, read.features)


def enable_zones(
    aws: AwsSettings,
    zones: list[ZoneRecovery],
    *,
    timeout_s: float,
    on_progress: ProgressCallback | None = None,
) -> list[ZoneRecovery]:
    """Enable accelerated recovery on each zone that needs it, one zone at a time; the
    zones' statuses afterwards."""
    from geoproxy.aws.zone_features import enable_accelerated_recovery

    wanted = [zone for zone in zones if zone.to_enable]
    done = {
        enabled.zone_id: enabled
        for enabled in enable_accelerated_recovery(
            aws, wanted, timeout_s=timeout_s, on_progress=on_progress
        )
    }
    return [
        ZoneRecovery(zone.zone, zone.zone_id, done[zone.zone_id].status)
        if zone.zone_id in done
        else zone
        for zone in zones
    ]


def stranded_changes(
    aws: AwsSettings,
    audit_log: str | Path | None,
    *,
    now: datetime | None = None,
) -> list[ChangeCheck]:
    """The recent change batches of the audit log (the last STRANDED_LIMIT within
    STRANDED_WINDOW), each checked with GetChange. No audit log: nothing to check."""
    import os

    from geoproxy.aws.audit import ENV_VARIABLE, MAX_AUDIT_READ_BYTES
    from geoproxy.aws.zone_features import check_changes
    from geoproxy.errors import GeoproxyError
    from geoproxy.policy.files import read_bounded

    chosen = audit_log or os.environ.get(ENV_VARIABLE)
    if not chosen:
        return []
    try:
        raw = read_bounded(chosen, limit=MAX_AUDIT_READ_BYTES)
    except GeoproxyError:
        return []
    changes = recent_changes(
        raw.decode("utf-8", errors="replace").splitlines(),
        now or datetime.now(timezone.utc),
        STRANDED_WINDOW,
        STRANDED_LIMIT,
    )
    return check_changes(aws, changes) if changes else []
