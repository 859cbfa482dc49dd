"""Route 53 hosted-zone features: accelerated recovery enabled zone by zone, and the checks
of submitted changes after an outage (GetChange).

UpdateHostedZoneFeatures (Route 53 API Reference,
https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHostedZoneFeatures.html)
answers PriorRequestNotComplete while an earlier update of the zone is still running, so
zones are enabled one at a time, each waited for until GetHostedZone reports a settled
status; the retrying client retries that error like any busy-zone answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from geoproxy.aws.polling import poll_interval
from geoproxy.aws.session import AwsSettings, aws_errors
from geoproxy.core.recovery import NOT_REPORTED, SETTLED, ChangeCheck, SubmittedChange, ZoneRecovery
from geoproxy.errors import AwsError

# Progress: (zone, status, seconds waited so far).
ProgressCallback = Callable[[str, str, float], None]


@dataclass(frozen=True)
class Enabled:
    zone: str
    zone_id: str
    status: str
    seconds: float
    reason: str = ""  # FailureReasons.AcceleratedRecovery, when Route 53 gave one


def _status(aws: AwsSettings, zone_id: str) -> tuple[str, str]:
    with aws_errors(f"read hosted zone {zone_id}"):
        zone = aws.for_zone(zone_id).client("route53").get_hosted_zone(Id=zone_id)["HostedZone"]
    features = zone.get("Features") or {}
    reason = (features.get("FailureReasons") or {}).get("AcceleratedRecovery") or ""
    return str(features.get("AcceleratedRecoveryStatus") or NOT_REPORTED), str(reason)


def enable_accelerated_recovery(
    aws: AwsSettings,
    zones: list[ZoneRecovery],
    *,
    timeout_s: float,
    on_progress: ProgressCallback | None = None,
) -> list[Enabled]:
    """Enable each zone in turn and wait until Route 53 reports it settled (ENABLED, or a
    failure with its reason), at most `timeout_s` per zone."""
    done: list[Enabled] = []
    for zone in zones:
        with aws_errors(f"enable accelerated recovery on hosted zone {zone.zone_id}"):
            aws.for_zone(zone.zone_id).client("route53").update_hosted_zone_features(
                HostedZoneId=zone.zone_id, EnableAcceleratedRecovery=True
            )
        started = time.monotonic()
        while True:
            status, reason = _status(aws, zone.zone_id)
            waited = time.monotonic() - started
            if on_progress is not None:
                on_progress(zone.zone, status, waited)
            if status in SETTLED:
                done.append(Enabled(zone.zone, zone.zone_id, status, waited, reason))
                break
            if waited >= timeout_s:
                raise AwsError(
                    f"accelerated recovery on {zone.zone} ({zone.zone_id}) is still {status} "
                    f"after {waited:.0f}s",
                    hint="Route 53 finishes it on its own; `geoproxy status` shows when it is "
                    "ENABLED, or run `geoproxy apply` again with a longer --timeout",
                )
            time.sleep(poll_interval())
    return done


def check_changes(aws: AwsSettings, changes: list[SubmittedChange]) -> list[ChangeCheck]:
    """GetChange for each: one call per change, none retried past the usual deadline."""
    client = aws.client("route53")
    checks = []
    for change in changes:
        with aws_errors(f"read change {change.change_id}"):
            try:
                status = str(client.get_change(Id=change.change_id)["ChangeInfo"]["Status"])
            except client.exceptions.NoSuchChange:
                status = "MISSING"
        checks.append(ChangeCheck(change, status))
    return checks
