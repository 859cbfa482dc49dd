"""Execute: the only code that writes to AWS. Sends planned changes in atomic batches and
waits for Route 53 to report them INSYNC."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from geoproxy.aws import AwsSettings, aws_errors
from geoproxy.batching import BatchLimits, Change, pack
from geoproxy.errors import AwsError
from geoproxy.healthchecks import PENDING_PREFIX
from geoproxy.plan import Plan

DEFAULT_WAIT_TIMEOUT_S = 900.0


def poll_interval() -> float:
    """Seconds between GetChange polls; GEOPROXY_POLL_INTERVAL lets emulators go faster."""
    try:
        return max(float(os.environ.get("GEOPROXY_POLL_INTERVAL", "5")), 0.0)
    except ValueError:
        return 5.0


@dataclass
class SubmittedBatch:
    zone_id: str
    change_id: str
    record_changes: int
    status: str = "PENDING"


@dataclass
class ApplyResult:
    batches: list[SubmittedBatch] = field(default_factory=list)
    seconds_to_insync: float | None = None
    health_checks_created: dict[str, str] = field(default_factory=dict)  # reference -> id
    health_checks_deleted: list[str] = field(default_factory=list)


def batches_for(
    plan: Plan, limits: BatchLimits | None = None, health_check_ids: dict[str, str] | None = None
) -> dict[str, list[list[Change]]]:
    """Route 53 change batches per hosted zone, each application's changes kept together
    (its latency records alias to its PoP pairs, so they must land in the same batch).
    `health_check_ids` replaces the placeholders of health checks created by this apply."""
    groups: dict[str, dict[str, list[Change]]] = {}
    for app in plan.apps:
        for change in app.changes:
            by_app = groups.setdefault(app.zone_id, {})
            by_app.setdefault(app.record_name, []).extend(
                _with_health_check_ids(entry, health_check_ids or {})
                for entry in change.route53_changes())
    limits = limits or BatchLimits()
    return {zone_id: pack(list(by_app.values()), limits) for zone_id, by_app in groups.items()}


def _with_health_check_ids(entry: Change, created: dict[str, str]) -> Change:
    record_set = entry["ResourceRecordSet"]
    placeholder = record_set.get("HealthCheckId", "")
    if not placeholder.startswith(PENDING_PREFIX):
        return entry
    reference = placeholder.removeprefix(PENDING_PREFIX)
    if reference not in created:
        raise AwsError(f"health check {reference} was not created; nothing was written")
    return {**entry, "ResourceRecordSet": {**record_set, "HealthCheckId": created[reference]}}


def create_health_checks(plan: Plan, aws: AwsSettings) -> dict[str, str]:
    """Create (or, for a retried run, find: same CallerReference and settings) and tag the
    plan's new health checks; returns CallerReference -> id."""
    client = aws.client("route53")
    created: dict[str, str] = {}
    for spec in plan.health_checks_to_create:
        with aws_errors(f"create the health check of {spec.pop} for {spec.record}"):
            check = client.create_health_check(CallerReference=spec.caller_reference,
                                               HealthCheckConfig=spec.config)["HealthCheck"]
            client.change_tags_for_resource(ResourceType="healthcheck",
                                            ResourceId=check["Id"], AddTags=spec.tags)
        created[spec.caller_reference] = check["Id"]
    return created


def delete_health_checks(plan: Plan, aws: AwsSettings) -> list[str]:
    client = aws.client("route53")
    deleted = []
    for check in plan.health_checks_to_delete:
        # Already gone is fine: a re-run after a crash between the two steps.
        with aws_errors(f"delete health check {check.id}"), contextlib.suppress(
                client.exceptions.NoSuchHealthCheck):
            client.delete_health_check(HealthCheckId=check.id)
        deleted.append(check.id)
    return deleted


WaitCallback = Callable[[list[SubmittedBatch], float], None]


def apply_plan(
    plan: Plan,
    aws: AwsSettings,
    *,
    wait: bool = True,
    timeout_s: float = DEFAULT_WAIT_TIMEOUT_S,
    on_wait: WaitCallback | None = None,
    comment: str = "geoproxy apply",
    started: float | None = None,
    on_batch: Callable[[SubmittedBatch, list[Change]], None] | None = None,
) -> ApplyResult:
    """Submit every batch, then wait for INSYNC. `started` (time.monotonic) is when the
    command began, so the reported time is what an operator waited; `on_batch` sees each
    accepted batch (the audit log)."""
    client = aws.client("route53")
    started = time.monotonic() if started is None else started
    result = ApplyResult()
    # Health checks first (records refer to them), deleted last (once nothing refers to them).
    result.health_checks_created = create_health_checks(plan, aws)
    for zone_id, batches in batches_for(plan, health_check_ids=result.health_checks_created
                                        ).items():
        for batch in batches:
            try:
                with aws_errors(f"change records in hosted zone {zone_id}"):
                    response = client.change_resource_record_sets(
                        HostedZoneId=zone_id, ChangeBatch={"Comment": comment, "Changes": batch}
                    )
            except AwsError as error:
                if result.batches:
                    done = ", ".join(f"{b.change_id} (zone {b.zone_id})" for b in result.batches)
                    error.message += (f"; earlier batches WERE applied: {done}. Run "
                                      "`geoproxy plan` to see what is left")
                raise
            info = response["ChangeInfo"]
            submitted = SubmittedBatch(zone_id, info["Id"].split("/")[-1], len(batch),
                                       info["Status"])
            result.batches.append(submitted)
            if on_batch:
                on_batch(submitted, batch)
    if wait and result.batches:
        wait_insync(result.batches, aws, started, timeout_s, on_wait)
        result.seconds_to_insync = time.monotonic() - started
    result.health_checks_deleted = delete_health_checks(plan, aws)
    return result


def wait_insync(
    batches: list[SubmittedBatch],
    aws: AwsSettings,
    started: float,
    timeout_s: float,
    on_wait: WaitCallback | None,
) -> None:
    client = aws.client("route53")
    interval = poll_interval()
    while True:
        for batch in batches:
            if batch.status != "INSYNC":
                with aws_errors(f"read the status of change {batch.change_id}"):
                    batch.status = client.get_change(Id=batch.change_id)["ChangeInfo"]["Status"]
        elapsed = time.monotonic() - started
        if on_wait:
            on_wait(batches, elapsed)
        if all(batch.status == "INSYNC" for batch in batches):
            return
        if elapsed > timeout_s:
            pending = ", ".join(b.change_id for b in batches if b.status != "INSYNC")
            raise AwsError(f"changes {pending} were applied but are not INSYNC after "
                           f"{timeout_s:.0f}s", hint="check again with `geoproxy plan`")
        time.sleep(interval)
