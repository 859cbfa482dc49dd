"""Execute: the only code that writes to AWS.

Order matters for zero downtime: health checks are created first; then the Route 53 records
(latency, pairs, state, direct names, and viewer records being removed) in atomic batches,
waited for until INSYNC whenever the distribution is about to point at them; then the
distribution (compare-and-swap on its ETag); then the viewer alias records, which may only
point at a distribution that already carries the alias; health checks are deleted last.
A failure between steps leaves a state that re-running apply completes."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from geoproxy.aws.retry import Verdict, classify, describe, error_code
from geoproxy.aws.session import AwsSettings, aws_errors
from geoproxy.core import reconcile
from geoproxy.core.batching import BatchLimits, Change, pack
from geoproxy.core.cloudfront import DistributionPlan, plan_distribution
from geoproxy.core.healthchecks import PENDING_PREFIX, HealthCheckSpec
from geoproxy.core.plan import Plan, RecordChange
from geoproxy.errors import AwsError, ConflictError, GeoproxyError

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
    change_id: str | None  # None: it landed but its response was lost, so no id is known
    record_changes: int
    status: str = "PENDING"

    @property
    def response_lost(self) -> bool:
        return self.change_id is None


@dataclass
class ApplyResult:
    batches: list[SubmittedBatch] = field(default_factory=list)
    seconds_to_insync: float | None = None
    health_checks_created: dict[str, str] = field(default_factory=dict)  # reference -> id
    health_checks_deleted: list[str] = field(default_factory=list)
    distributions_updated: dict[str, str] = field(default_factory=dict)  # id -> new ETag
    deployed: bool | None = None  # with wait_deployed: every distribution reached Deployed
    first_submitted: float | None = None  # time.monotonic() when Route 53 took the first batch


def batches_for(
    plan: Plan, limits: BatchLimits | None = None,
    health_check_ids: dict[str, str] | None = None,
    select: Callable[[RecordChange], bool] = lambda change: True,
) -> dict[str, list[list[Change]]]:
    """Route 53 change batches per hosted zone, each application's changes kept together
    (its latency records alias to its PoP pairs, so they must land in the same batch).
    `health_check_ids` replaces the placeholders of health checks created by this apply;
    `select` picks the changes of one phase."""
    groups: dict[str, dict[str, list[Change]]] = {}
    for app in plan.apps:
        for change in filter(select, app.changes):
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


def create_health_checks(plan: Plan, aws: AwsSettings, record_write: WriteCallback,
                         result: ApplyResult) -> dict[str, str]:
    """Create (or, for a retried run, find: same CallerReference and settings) and tag the
    plan's new health checks, and tag found ones a crash left untagged; returns
    CallerReference -> id."""
    client = aws.client("route53")
    created = result.health_checks_created
    for spec in plan.health_checks_to_create:
        try:
            with aws_errors(f"create the health check of {spec.pop} for {spec.record}"):
                check = client.create_health_check(CallerReference=spec.caller_reference,
                                                   HealthCheckConfig=spec.config)["HealthCheck"]
        except GeoproxyError as error:
            raise _with_progress(error, result) from None
        created[spec.caller_reference] = check["Id"]
        record_write({"service": "route53", "action": "CreateHealthCheck",
                      "health_check_id": check["Id"], "pop": spec.pop,
                      "caller_reference": spec.caller_reference})
        _tag(client, check["Id"], spec, result)
    for spec, check_id in plan.health_checks_to_tag:
        _tag(client, check_id, spec, result)
    return created


def _tag(client: Any, check_id: str, spec: HealthCheckSpec, result: ApplyResult) -> None:
    try:
        with aws_errors(f"tag health check {check_id}"):
            client.change_tags_for_resource(ResourceType="healthcheck", ResourceId=check_id,
                                            AddTags=spec.tags)
    except GeoproxyError as error:
        raise _with_progress(error, result) from None


def delete_health_checks(plan: Plan, aws: AwsSettings, record_write: WriteCallback,
                         result: ApplyResult) -> list[str]:
    client = aws.client("route53")
    deleted = result.health_checks_deleted
    for check in plan.health_checks_to_delete:
        # Already gone is fine: a re-run after a crash between the two steps.
        try:
            with aws_errors(f"delete health check {check.id}"), contextlib.suppress(
                    client.exceptions.NoSuchHealthCheck):
                client.delete_health_check(HealthCheckId=check.id)
        except GeoproxyError as error:
            raise _with_progress(error, result) from None
        deleted.append(check.id)
        record_write({"service": "route53", "action": "DeleteHealthCheck",
                      "health_check_id": check.id})
    return deleted


WaitCallback = Callable[[list[SubmittedBatch], float], None]
WriteCallback = Callable[[dict[str, Any]], None]
SubmitCallback = Callable[[SubmittedBatch], None]


def apply_plan(
    plan: Plan,
    aws: AwsSettings,
    *,
    wait: bool = True,
    timeout_s: float = DEFAULT_WAIT_TIMEOUT_S,
    on_wait: WaitCallback | None = None,
    comment: str = "geoproxy apply",
    on_write: WriteCallback | None = None,
    on_submit: SubmitCallback | None = None,
    wait_deployed: bool = False,
) -> ApplyResult:
    """Write the plan in its phases, then wait for INSYNC. Waiting is timed from the first
    accepted batch, never from before a confirmation prompt; `on_write` hears of every
    accepted write (the audit log), `on_submit` of each batch as soon as Route 53 takes it."""
    record_write = on_write or (lambda write: None)
    result = ApplyResult()
    started = time.monotonic()
    # Health checks first (records refer to them), deleted last (once nothing refers to them).
    result.health_checks_created = create_health_checks(plan, aws, record_write, result)
    ids = result.health_checks_created
    distributions = plan.distributions
    first = _submit(batches_for(plan, health_check_ids=ids,
                                select=lambda c: not c.after_distribution),
                    aws, comment, result, record_write, on_submit)
    if result.first_submitted is not None:
        started = result.first_submitted
    if distributions:
        if first:  # the origin may only point at records Route 53 already serves
            wait_insync(first, aws, started, timeout_s, on_wait)
        for distribution in distributions:
            etag = update_distribution(distribution, aws, done=result)
            if etag is None:
                continue
            result.distributions_updated[distribution.distribution_id] = etag
            record_write({"service": "cloudfront", "action": "UpdateDistribution",
                          "distribution_id": distribution.distribution_id, "etag": etag,
                          "fields": [change.path for change in distribution.changes]})
        if wait_deployed:  # viewers then reach a distribution deployed everywhere
            result.deployed = wait_until_deployed(distributions, aws, started, timeout_s,
                                                  on_wait)
    _submit(batches_for(plan, health_check_ids=ids, select=lambda c: c.after_distribution),
            aws, comment, result, record_write, on_submit)
    if result.first_submitted is not None:
        started = result.first_submitted
    # Health checks are deleted only once no record refers to them: that needs INSYNC.
    if (wait or plan.health_checks_to_delete) and result.batches:
        wait_insync(result.batches, aws, started, timeout_s, on_wait)
        result.seconds_to_insync = time.monotonic() - started
    result.health_checks_deleted = delete_health_checks(plan, aws, record_write, result)
    return result


def _submit(by_zone: dict[str, list[list[Change]]], aws: AwsSettings, comment: str,
            result: ApplyResult, record_write: WriteCallback,
            on_submit: SubmitCallback | None) -> list[SubmittedBatch]:
    submitted_now = []
    for zone_id, batches in by_zone.items():
        for batch in batches:
            try:
                submitted = submit_batch(aws, zone_id, batch, comment)
            except GeoproxyError as error:
                raise _with_progress(error, result) from None
            if result.first_submitted is None:
                result.first_submitted = time.monotonic()
            result.batches.append(submitted)
            submitted_now.append(submitted)
            if on_submit is not None:
                on_submit(submitted)
            record_write({
                "service": "route53", "action": "ChangeResourceRecordSets",
                "zone_id": zone_id, "change_id": submitted.change_id,
                **({"outcome": "applied; response lost"} if submitted.response_lost else {}),
                "records": [{"action": entry["Action"],
                             "name": entry["ResourceRecordSet"]["Name"],
                             "type": entry["ResourceRecordSet"]["Type"],
                             "set_identifier": entry["ResourceRecordSet"].get("SetIdentifier")}
                            for entry in batch],
            })
    return submitted_now


def submit_batch(aws: AwsSettings, zone_id: str, batch: list[Change],
                 comment: str) -> SubmittedBatch:
    """Send one batch exactly once per attempt, and never report a wrong outcome.

    Throttled or busy: wait and send it again. Outcome unknown (the connection dropped, a
    timeout, a 5xx): read the batch's names first; if they are as after the batch, it landed
    (its response was lost); as before, send it again; anything else, stop and say what is
    live. A rejection Route 53 answered (InvalidChangeBatch) is a conflict: nothing of the
    batch was written, because batches are atomic."""
    client = aws.write_client("route53")
    action = f"change records in hosted zone {zone_id}"
    attempts = aws.retry_policy.start("ChangeResourceRecordSets")
    while True:
        try:
            response = client.change_resource_record_sets(
                HostedZoneId=zone_id, ChangeBatch={"Comment": comment, "Changes": batch})
        except Exception as error:
            verdict = classify(error)
            if verdict is Verdict.FINAL:
                if error_code(error) == "InvalidChangeBatch":
                    raise _rejected(aws, zone_id, batch, error) from None
                with aws_errors(action):
                    raise
                raise
            if verdict is Verdict.UNKNOWN:
                where, differences = reconcile.outcome(batch, _live_at(aws, zone_id, batch))
                if where is reconcile.Outcome.LANDED:
                    return SubmittedBatch(zone_id, None, len(batch), "UNKNOWN")
                if where is reconcile.Outcome.NEITHER:
                    raise AwsError(
                        f"cannot {action}: the answer to the change was lost ({describe(error)}),"
                        " and the records now match neither the state before it nor after it; "
                        "someone else changed them meanwhile. Live now:\n  "
                        + "\n  ".join(_difference_lines(differences)),
                        hint="run `geoproxy plan` to see the whole state, then apply again"
                    ) from None
            with aws_errors(action):
                attempts.wait(error)  # or, past the deadline, GaveUp: a one-line AwsError
            continue
        info = response["ChangeInfo"]
        return SubmittedBatch(zone_id, info["Id"].split("/")[-1], len(batch), info["Status"])


def _live_at(aws: AwsSettings, zone_id: str, batch: list[Change]) -> list[dict[str, Any]]:
    from geoproxy.aws.live import Route53Reader

    reader = Route53Reader(aws)
    return [record.raw for name in reconcile.names_of(batch)
            for record in reader.subtree(zone_id, name, below=False)]


def _difference_lines(differences: list[reconcile.Difference]) -> list[str]:
    return [f"{reconcile.describe_key(d.expected.key)}: live "
            f"{reconcile.describe_record_set(d.live)}; geoproxy expected "
            f"{reconcile.describe_record_set(d.expected.before)} before the change, "
            f"{reconcile.describe_record_set(d.expected.after)} after it"
            for d in differences]


def _rejected(aws: AwsSettings, zone_id: str, batch: list[Change],
              error: BaseException) -> GeoproxyError:
    reason = getattr(error, "response", {}).get("Error", {}).get("Message", str(error))
    try:
        moved = reconcile.moved_since_plan(batch, _live_at(aws, zone_id, batch))
    except GeoproxyError:
        moved = []
    detail = ("; these records changed since the plan:\n  "
              + "\n  ".join(f"{reconcile.describe_key(d.expected.key)}: planned on "
                             f"{reconcile.describe_record_set(d.expected.before)}, live "
                             f"{reconcile.describe_record_set(d.live)}" for d in moved)
              ) if moved else ""
    return ConflictError(
        f"Route 53 rejected the change batch for hosted zone {zone_id}: {reason}. Nothing "
        f"of this batch was written (a batch is atomic){detail}",
        hint="someone may have changed these records a moment ago: run the command again "
             "to plan against what is live now")


def _with_progress(error: GeoproxyError, result: ApplyResult) -> GeoproxyError:
    """Say what was already written, so nobody assumes an all-or-nothing run."""
    done = [f"health check {check_id} created"
            for check_id in result.health_checks_created.values()]
    done += [f"change {b.change_id} (zone {b.zone_id})" for b in result.batches]
    done += [f"distribution {d}" for d in result.distributions_updated]
    done += [f"health check {check_id} deleted" for check_id in result.health_checks_deleted]
    if done:
        error.message += (f"; already applied: {', '.join(done)}. Run `geoproxy plan` to see "
                          "what is left, and apply again to complete it")
    return error


def update_distribution(distribution: DistributionPlan, aws: AwsSettings,
                        done: ApplyResult) -> str | None:
    """UpdateDistribution with the ETag the plan read. If someone changed the distribution
    since, re-read it and go on only if geoproxy's part needs exactly the planned change
    (their edit is then kept); otherwise stop. Never a lost update. Returns the new ETag, or
    None when the distribution turned out to need no change any more."""
    client = aws.client("cloudfront")
    distribution_id = distribution.distribution_id
    config, etag = distribution.new_config, distribution.etag
    for attempt in range(2):
        try:
            with aws_errors(f"update CloudFront distribution {distribution_id}"):
                try:
                    return str(client.update_distribution(
                        Id=distribution_id, IfMatch=etag, DistributionConfig=config)["ETag"])
                except client.exceptions.PreconditionFailed:
                    if attempt:
                        raise
        except GeoproxyError as error:
            raise _with_progress(error, done) from None
        with aws_errors(f"re-read CloudFront distribution {distribution_id}"):
            fresh = client.get_distribution(Id=distribution_id)
        assert distribution.application is not None
        replanned = plan_distribution(distribution.application, fresh["Distribution"],
                                      fresh["ETag"])
        if not replanned.changes:
            return None  # someone already made exactly this change: nothing for us to write
        if replanned.changes != distribution.changes:
            raise _with_progress(GeoproxyError(
                f"CloudFront distribution {distribution_id} changed since the plan and now "
                "needs a different change from geoproxy; it was not updated",
                hint="run `geoproxy plan` to see the distribution as it is now"), done)
        config, etag = replanned.new_config, replanned.etag
    raise AssertionError("unreachable")


def wait_until_deployed(distributions: list[DistributionPlan], aws: AwsSettings,
                        started: float, timeout_s: float,
                        on_wait: WaitCallback | None) -> bool:
    client = aws.client("cloudfront")
    interval = poll_interval()
    pending = {d.distribution_id for d in distributions}
    while pending:
        for distribution_id in sorted(pending):
            with aws_errors(f"read CloudFront distribution {distribution_id}"):
                status = client.get_distribution(Id=distribution_id)["Distribution"]["Status"]
            if status == "Deployed":
                pending.discard(distribution_id)
        if on_wait:
            on_wait([SubmittedBatch("cloudfront", d, 0, "InProgress") for d in sorted(pending)],
                    time.monotonic() - started)
        if not pending:
            return True
        if time.monotonic() - started > timeout_s:
            raise AwsError(f"distributions {', '.join(sorted(pending))} were updated but are "
                           f"not Deployed after {timeout_s:.0f}s")
        time.sleep(interval)
    return True


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
            if batch.status != "INSYNC" and not batch.response_lost:
                with aws_errors(f"read the status of change {batch.change_id}"):
                    batch.status = client.get_change(Id=batch.change_id)["ChangeInfo"]["Status"]
        elapsed = time.monotonic() - started
        if on_wait:
            on_wait(batches, elapsed)
        if all(batch.status == "INSYNC" or batch.response_lost for batch in batches):
            return
        if elapsed > timeout_s:
            pending = ", ".join(str(b.change_id) for b in batches
                                if b.status != "INSYNC" and not b.response_lost)
            raise AwsError(f"changes {pending} were applied but are not INSYNC after "
                           f"{timeout_s:.0f}s", hint="check again with `geoproxy plan`")
        time.sleep(interval)
