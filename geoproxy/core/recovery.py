"""Accelerated recovery and stranded changes: pure decisions, no AWS call.

Route 53 accelerated recovery (Route 53 Developer Guide, "Enabling accelerated recovery for
managing public DNS records",
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/accelerated-recovery.html) keeps a
copy of a public hosted zone in us-west-2, so its records can be changed about an hour after
us-east-1 becomes unavailable. It must be enabled before the outage. Changes us-east-1 had
accepted but not replicated when it failed ("stranded changes") must be resubmitted: the
same page says to track each ChangeResourceRecordSets id with GetChange.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from geoproxy.policy.models import Policy

# AcceleratedRecoveryStatus values (botocore's Route 53 model, HostedZoneFeatures).
ENABLED = "ENABLED"
SETTLED = frozenset({"ENABLED", "DISABLED", "ENABLE_FAILED", "DISABLE_FAILED"})
# GetHostedZone leaves `Features` out for a zone that never had one turned on.
NOT_REPORTED = "DISABLED"

CONTROL_PLANE_NOTE = (
    "DR depends on the us-east-1 control plane: this policy has neither data-plane "
    "switches (recovery.switches) nor accelerated recovery (recovery.accelerated_recovery), "
    "so `geoproxy failover` needs Route 53's control plane, which runs in us-east-1 "
    "(docs: operations/disaster-recovery.md)"
)

# How far back `status` looks for stranded changes, and how many it checks at most: one
# GetChange each. Accelerated recovery's failover takes up to about an hour, so a change
# made in the two hours before `status` runs may be one us-east-1 accepted and never
# replicated; older ones were replicated long before any outage that is still going on.
STRANDED_WINDOW = timedelta(hours=2)
STRANDED_LIMIT = 20


def control_plane_note(policy: Policy) -> str | None:
    """The warning for a policy whose failovers all need the Route 53 control plane."""
    recovery = policy.recovery
    switches = getattr(recovery, "switches", "none")  # the switches work adds the key
    if recovery.accelerated_recovery or switches != "none":
        return None
    return CONTROL_PLANE_NOTE


@dataclass(frozen=True)
class ZoneRecovery:
    """One public zone's accelerated recovery, as GetHostedZone reported it."""

    zone: str
    zone_id: str
    status: str  # an AcceleratedRecoveryStatus; NOT_REPORTED when the answer had none

    @property
    def enabled(self) -> bool:
        return self.status == ENABLED

    @property
    def to_enable(self) -> bool:
        """`apply` asks for it: not enabled, and not on its way there. A failed attempt is
        asked again (Route 53 says why in FailureReasons; apply reports it)."""
        return self.status in {"DISABLED", "ENABLE_FAILED", "DISABLE_FAILED"}

    def describe(self) -> str:
        if self.enabled:
            return f"accelerated recovery: {self.zone} ({self.zone_id}) ENABLED"
        if self.to_enable:
            return (
                f"accelerated recovery: {self.zone} ({self.zone_id}) {self.status} -> "
                "apply enables it"
            )
        return f"accelerated recovery: {self.zone} ({self.zone_id}) {self.status}"

    def to_json(self) -> dict[str, object]:
        return {
            "zone": self.zone,
            "zone_id": self.zone_id,
            "status": self.status,
            "to_enable": self.to_enable,
        }


def zone_recoveries(
    policy: Policy, zone_ids: Mapping[str, str], statuses: Mapping[str, str]
) -> list[ZoneRecovery]:
    """Each of the policy's zones under accelerated recovery (none when the policy does not
    ask for it), in policy order. `zone_ids`: zone name -> id as read; `statuses`: zone id
    -> status as GetHostedZone reported it."""
    if not policy.recovery.accelerated_recovery:
        return []
    rows: dict[str, ZoneRecovery] = {}
    for app in policy.applications:
        zone_id = zone_ids.get(app.zone)
        if zone_id is None or app.zone in rows:
            continue
        rows[app.zone] = ZoneRecovery(app.zone, zone_id, statuses.get(zone_id, NOT_REPORTED))
    return list(rows.values())


# --- stranded changes ------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmittedChange:
    """A change batch geoproxy submitted, from its audit log."""

    change_id: str
    zone_id: str
    time: str  # ISO 8601, UTC
    command: str
    records: int


@dataclass(frozen=True)
class ChangeCheck:
    change: SubmittedChange
    status: str  # PENDING, INSYNC, or MISSING (GetChange: NoSuchChange)

    @property
    def stranded(self) -> bool:
        return self.status == "MISSING"

    def advice(self) -> str:
        change = self.change
        what = (
            f"change {change.change_id} ({change.records} record change(s) in zone "
            f"{change.zone_id}, `geoproxy {change.command}` at {change.time})"
        )
        if self.status == "INSYNC":
            return f"{what}: INSYNC, nothing to resubmit"
        if self.status == "PENDING":
            return f"{what}: PENDING; `geoproxy wait {change.change_id}` waits for it"
        # geoproxy's writes are desired state: running the command again plans from what
        # is live now and submits exactly what is missing, which is the resubmission.
        return (
            f"{what}: Route 53 does not know it (stranded by its control-plane failover); "
            f"resubmit it by running `geoproxy {change.command}` again with the same "
            "arguments (it plans from live state: only what is missing is written), then "
            "`geoproxy status`"
        )


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def recent_changes(
    lines: Iterable[str],
    now: datetime,
    window: timedelta = STRANDED_WINDOW,
    limit: int = STRANDED_LIMIT,
) -> list[SubmittedChange]:
    """The last `limit` record change batches of the audit log submitted within `window`
    before `now`, newest first."""
    found: list[SubmittedChange] = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict) or entry.get("action") != "ChangeResourceRecordSets":
            continue
        change_id, when = entry.get("change_id"), _parse_time(str(entry.get("time", "")))
        if not change_id or when is None or not (now - window <= when <= now):
            continue
        records = entry.get("records")
        found.append(
            SubmittedChange(
                str(change_id).rpartition("/")[2],
                str(entry.get("zone_id", "")),
                str(entry.get("time")),
                str(entry.get("command") or "apply"),
                len(records) if isinstance(records, list) else 0,
            )
        )
    return list(reversed(found))[:limit]
