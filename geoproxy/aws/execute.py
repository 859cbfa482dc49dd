"""Execute: the only code that writes to AWS.

Order matters for zero downtime: health checks are created first; then the Route 53 records
(latency, pairs, state, direct names, and viewer records being removed) in atomic batches,
waited for until INSYNC whenever the distribution or an edge function is about to point at
them; then the edge fence's functions (written, then published); then the distribution
(compare-and-swap on its ETag); then the viewer alias records, which may only point at a
distribution that already carries the alias; health checks are deleted last.
A failure between steps leaves a state that re-running apply completes."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from geoproxy.aws.edge.functions import publish as publish_function
from geoproxy.aws.polling import poll_interval
from geoproxy.aws.session import AwsSettings, aws_errors
from geoproxy.aws.submit import SubmittedBatch, new_token, submit_batch
from geoproxy.core.batches import Batches, Change
from geoproxy.core.changeset import ChangeSet, DistributionUpdate
from geoproxy.core.healthchecks import PENDING_PREFIX, HealthCheckSpec
from geoproxy.core.history import apps_in, batch_comment
from geoproxy.core.managed_fields import written
from geoproxy.core.names import Slot, is_slot
from geoproxy.errors import AwsError, GeoproxyError, PartlyWritten

DEFAULT_WAIT_TIMEOUT_S = 900.0


@dataclass
class ApplyResult:
    batches: list[SubmittedBatch] = field(default_factory=list)
    seconds_to_insync: float | None = None
    health_checks_created: dict[str, str] = field(default_factory=dict)  # reference -> id
    health_checks_deleted: list[str] = field(default_factory=list)
    distributions_updated: dict[str, str] = field(default_factory=dict)  # id -> new ETag
    functions_published: dict[str, str] = field(default_factory=dict)  # name -> ETag
    deployed: bool | None = None  # with wait_deployed: every distribution reached Deployed
    first_submitted: float | None = None  # time.monotonic() when Route 53 took the first batch
    # (zone id, name, type) of the direct PoP names written by batches whose answer was lost:
    # no change id to wait on, so they are confirmed by TestDNSAnswer before a function
    # targets them.
    unconfirmed: list[tuple[str, str, str]] = field(default_factory=list)


def _with_health_check_ids(entry: Change, created: dict[str, str]) -> Change:
    record_set = entry["ResourceRecordSet"]
    placeholder = record_set.get("HealthCheckId", "")
    if not placeholder.startswith(PENDING_PREFIX):
        return entry
    reference = placeholder.removeprefix(PENDING_PREFIX)
    if reference not in created:
        raise AwsError(f"health check {reference} was not created; nothing was written")
    return {**entry, "ResourceRecordSet": {**record_set, "HealthCheckId": created[reference]}}


def account_field(aws: AwsSettings) -> dict[str, str]:
    """`{"account": NAME}` for an audit line of a write made in a policy's account; nothing
    for the base credentials, so those lines read as they always did."""
    return {"account": aws.account_name} if aws.account_name else {}


def create_health_checks(
    changes: ChangeSet, aws: AwsSettings, record_write: WriteCallback, result: ApplyResult
) -> dict[str, str]:
    """Create (or, for a retried run, find: same CallerReference and settings) and tag the
    plan's new health checks, and tag found ones a crash left untagged; returns
    CallerReference -> id."""
    client = aws.for_health_checks().client("route53")
    created = result.health_checks_created
    for spec in changes.create_health_checks:
        with aws_errors(f"create the health check of {spec.pop} for {spec.record}"):
            check = client.create_health_check(
                CallerReference=spec.caller_reference, HealthCheckConfig=spec.config
            )["HealthCheck"]
        created[spec.caller_reference] = check["Id"]
        record_write(
            {
                "service": "route53",
                "action": "CreateHealthCheck",
                "health_check_id": check["Id"],
                "pop": spec.pop,
                "caller_reference": spec.caller_reference,
            }
        )
        _tag(client, check["Id"], spec)
    for spec, check_id in changes.tag_health_checks:
        _tag(client, check_id, spec)
    return created


def _tag(client: Any, check_id: str, spec: HealthCheckSpec) -> None:
    with aws_errors(f"tag health check {check_id}"):
        client.change_tags_for_resource(
            ResourceType="healthcheck", ResourceId=check_id, AddTags=spec.tags
        )


def delete_health_checks(
    changes: ChangeSet, aws: AwsSettings, record_write: WriteCallback, result: ApplyResult
) -> list[str]:
    client = aws.for_health_checks().client("route53")
    deleted = result.health_checks_deleted
    for check in changes.delete_health_checks:
        # Already gone is fine: a re-run after a crash between the two steps.
        with (
            aws_errors(f"delete health check {check.id}"),
            contextlib.suppress(client.exceptions.NoSuchHealthCheck),
        ):
            client.delete_health_check(HealthCheckId=check.id)
        deleted.append(check.id)
        record_write(
            {"service": "route53", "action": "DeleteHealthCheck", "health_check_id": check.id}
        )
    return deleted


WaitCallback = Callable[[list[SubmittedBatch], float], None]
WriteCallback = Callable[[dict[str, Any]], None]
SubmitCallback = Callable[[SubmittedBatch], None]


def run(
    changes: ChangeSet,
    aws: AwsSettings,
    *,
    wait: bool = True,
    timeout_s: float = DEFAULT_WAIT_TIMEOUT_S,
    on_wait: WaitCallback | None = None,
    comment: str = "geoproxy apply",
    on_write: WriteCallback | None = None,
    on_submit: SubmitCallback | None = None,
    wait_deployed: bool = False,
    apps: Sequence[tuple[str, str]] = (),
) -> ApplyResult:
    """Write the changes in their phases, then wait for INSYNC. Waiting is timed from the
    first accepted batch, never from before a confirmation prompt; `on_write` hears of every
    accepted write (the audit log), `on_submit` of each batch as soon as Route 53 takes it.
    Each batch's comment is `comment`, a token of its own and the names of the `apps`
    (name, record name) it writes (core/history.py)."""
    result = ApplyResult()
    try:
        return _run(
            changes,
            aws,
            result,
            wait=wait,
            timeout_s=timeout_s,
            on_wait=on_wait,
            comment=comment,
            record_write=on_write or (lambda write: None),
            on_submit=on_submit,
            wait_deployed=wait_deployed,
            apps=apps,
        )
    except GeoproxyError as error:
        done = _written(result)
        if not done:
            raise
        raise PartlyWritten(error, done, _not_written(changes, result)) from error


def _written(result: ApplyResult) -> list[str]:
    done = [
        f"health check {check_id} created" for check_id in result.health_checks_created.values()
    ]
    done += [describe_batch(b) for b in result.batches]
    done += [f"function {name} published" for name in result.functions_published]
    done += [f"distribution {d}" for d in result.distributions_updated]
    done += [f"health check {check_id} deleted" for check_id in result.health_checks_deleted]
    return done


def describe_batch(batch: SubmittedBatch) -> str:
    """A submitted batch for people: its change id, or (its answer lost) what is known.
    Never "change None"."""
    if batch.response_lost:
        return (
            f"a change of {batch.record_changes} record change(s) (zone {batch.zone_id}; "
            "submitted, INSYNC unknown: Route 53's answer, and so its change id, was lost)"
        )
    if batch.from_history:
        return (
            f"change {batch.change_id} (zone {batch.zone_id}; its answer was lost, its id "
            "found in Route 53's change history)"
        )
    return f"change {batch.change_id} (zone {batch.zone_id})"


def _not_written(changes: ChangeSet, result: ApplyResult) -> list[str]:
    left = [
        f"change batch {index + 1} of {len(changes.batches)} (zone {zone_id})"
        for index, (zone_id, _) in enumerate(changes.batches)
        if index >= len(result.batches)
    ]
    left += [
        f"function {f.name}" for f in changes.functions if f.name not in result.functions_published
    ]
    left += [
        f"distribution {d.distribution_id}"
        for d in changes.distributions
        if d.distribution_id not in result.distributions_updated
    ]
    left += [
        f"health check {c.id} deletion"
        for c in changes.delete_health_checks
        if c.id not in result.health_checks_deleted
    ]
    return left


def _run(
    changes: ChangeSet,
    aws: AwsSettings,
    result: ApplyResult,
    *,
    wait: bool,
    timeout_s: float,
    on_wait: WaitCallback | None,
    comment: str,
    record_write: WriteCallback,
    on_submit: SubmitCallback | None,
    wait_deployed: bool,
    apps: Sequence[tuple[str, str]],
) -> ApplyResult:
    started = time.monotonic()
    # Health checks first (records refer to them), deleted last (once nothing refers to them).
    ids = create_health_checks(changes, aws, record_write, result)
    first = _submit(
        changes.before_distributions, ids, aws, (comment, apps), result, record_write, on_submit
    )
    if result.first_submitted is not None:
        started = result.first_submitted
    if first and (changes.distributions or _creates_direct_names(_first_phase(changes))):
        # The origin, and the edge function's targets, may only be names Route 53 serves.
        wait_insync(first, aws, started, timeout_s, on_wait)
    if changes.functions and result.unconfirmed:
        # wait_insync cannot poll a batch whose answer (and so change id) was lost.
        confirm_answered(result.unconfirmed, aws, started, timeout_s)
    for function in changes.functions:
        etag, actions = publish_function(function, aws)
        result.functions_published[function.name] = etag
        for action in actions:
            record_write(
                {
                    "service": "cloudfront",
                    "action": action,
                    **account_field(aws.for_function(function.name)),
                    "function": function.name,
                    "app": function.app,
                }
            )
    if changes.distributions:
        for distribution in changes.distributions:
            new_etag = update_distribution(distribution, aws)
            if new_etag is None:
                continue
            result.distributions_updated[distribution.distribution_id] = new_etag
            record_write(
                {
                    "service": "cloudfront",
                    "action": "UpdateDistribution",
                    **account_field(aws.for_distribution(distribution.distribution_id)),
                    "distribution_id": distribution.distribution_id,
                    "etag": new_etag,
                    "fields": distribution.fields,
                }
            )
        if wait_deployed:  # viewers then reach a distribution deployed everywhere
            result.deployed = wait_until_deployed(
                changes.distributions, aws, time.monotonic(), timeout_s, on_wait
            )
    _submit(changes.after_distributions, ids, aws, (comment, apps), result, record_write, on_submit)
    if result.first_submitted is not None:
        started = result.first_submitted
    # Health checks are deleted only once no record refers to them: that needs INSYNC.
    if (wait or changes.delete_health_checks) and result.batches:
        wait_insync(result.batches, aws, started, timeout_s, on_wait)
        result.seconds_to_insync = time.monotonic() - started
    result.health_checks_deleted = delete_health_checks(changes, aws, record_write, result)
    return result


def _first_phase(changes: ChangeSet) -> list[Change]:
    return [
        entry
        for batches in changes.before_distributions.values()
        for batch in batches
        for entry in batch
    ]


def _is_direct_name(entry: Change, actions: tuple[str, ...] = ("CREATE",)) -> bool:
    return entry["Action"] in actions and is_slot(
        entry["ResourceRecordSet"].get("SetIdentifier"), Slot.DIRECT
    )


def _creates_direct_names(entries: list[Change]) -> bool:
    """Whether the first phase creates a direct PoP name, which an edge function may target."""
    return any(_is_direct_name(entry) for entry in entries)


def confirm_answered(
    names: list[tuple[str, str, str]], aws: AwsSettings, started: float, timeout_s: float
) -> None:
    """Ask Route 53's name servers for each (zone id, name, type) until each is answered
    with data, or give up after `timeout_s` (from `started`) with nothing published.

    Why: a batch whose answer was lost was read back as landed through the API
    (ListResourceRecordSets), which shows a change as soon as Route 53 accepts it; its name
    servers serve it only once it is applied ("PENDING" until then, "INSYNC" once every one
    has it: API Reference, ChangeResourceRecordSets and GetChange). Without its change id
    there is no GetChange to ask, so geoproxy asks TestDNSAnswer ("Gets the value that
    Amazon Route 53 returns in response to a DNS request for a specified record name and
    type"; "only supports querying public hosted zones", which an origin's zone is): NOERROR
    with RecordData means a name server serves the name. That is one name server, not all:
    it bounds, rather than removes, the window in which a fenced viewer's edge could ask a
    name server that does not have the name yet."""
    interval = poll_interval()
    pending = list(dict.fromkeys(names))
    while True:
        still = []
        for zone_id, name, record_type in pending:
            with aws_errors(f"ask Route 53 for {name} {record_type}"):
                answer = (
                    aws.for_zone(zone_id)
                    .client("route53")
                    .test_dns_answer(HostedZoneId=zone_id, RecordName=name, RecordType=record_type)
                )
            if answer.get("ResponseCode") != "NOERROR" or not answer.get("RecordData"):
                still.append((zone_id, name, record_type))
        pending = still
        if not pending:
            return
        if time.monotonic() - started > timeout_s:
            raise AwsError(
                f"Route 53 does not answer for {', '.join(n for _, n, _ in pending)} after "
                f"{timeout_s:.0f}s (their change's answer was lost, so geoproxy asked its name "
                "servers); the edge function that targets them was not published",
                hint="run the same command again once `dig` answers for them",
            )
        time.sleep(interval)


def _submit(
    by_zone: Batches,
    health_check_ids: dict[str, str],
    aws: AwsSettings,
    comment: tuple[str, Sequence[tuple[str, str]]],
    result: ApplyResult,
    record_write: WriteCallback,
    on_submit: SubmitCallback | None,
) -> list[SubmittedBatch]:
    submitted_now = []
    prefix, apps = comment
    for zone_id, batches in by_zone.items():
        for planned in batches:
            batch = [_with_health_check_ids(entry, health_check_ids) for entry in planned]
            token = new_token()
            said = batch_comment(prefix, token, apps_in(batch, apps))
            submitted = submit_batch(aws.for_zone(zone_id), zone_id, batch, said, token)
            if result.first_submitted is None:
                result.first_submitted = time.monotonic()
            result.batches.append(submitted)
            submitted_now.append(submitted)
            if submitted.response_lost:
                result.unconfirmed += [
                    (
                        zone_id,
                        entry["ResourceRecordSet"]["Name"],
                        entry["ResourceRecordSet"]["Type"],
                    )
                    for entry in batch
                    if _is_direct_name(entry, ("CREATE", "UPSERT"))
                ]
            if on_submit is not None:
                on_submit(submitted)
            record_write(
                {
                    "service": "route53",
                    "action": "ChangeResourceRecordSets",
                    **account_field(aws.for_zone(zone_id)),
                    "zone_id": zone_id,
                    "change_id": submitted.change_id,
                    "comment": said,
                    **_outcome(submitted),
                    "records": [
                        {
                            "action": entry["Action"],
                            "name": entry["ResourceRecordSet"]["Name"],
                            "type": entry["ResourceRecordSet"]["Type"],
                            "set_identifier": entry["ResourceRecordSet"].get("SetIdentifier"),
                        }
                        for entry in batch
                    ],
                }
            )
    return submitted_now


def _outcome(batch: SubmittedBatch) -> dict[str, str]:
    """The audit line's `outcome` for a batch whose answer was lost (none otherwise)."""
    if batch.from_history:
        return {"outcome": "applied; response lost; change id from Route 53's change history"}
    if batch.response_lost:
        return {"outcome": "applied; response lost"}
    return {}


def update_distribution(distribution: DistributionUpdate, aws: AwsSettings) -> str | None:
    """UpdateDistribution with the ETag the plan read. On a 412, re-read it once: if the
    config is already what was sent, the update landed (a retry whose first answer was
    lost meets its own new ETag). Otherwise someone else changed it: a saved plan stops
    there; a plan made in this run goes on only if geoproxy's part still needs exactly the
    planned change (their edit is then kept). Never a lost update. "Already what was sent"
    is judged on the fields geoproxy manages (`core.managed_fields`). Returns the new ETag, or
    None when the distribution turned out to need no change any more."""
    aws = aws.for_distribution(distribution.distribution_id)  # the edge account
    client = aws.client("cloudfront")
    distribution_id = distribution.distribution_id
    config, etag = distribution.new_config, distribution.etag
    for attempt in range(2):
        with aws_errors(f"update CloudFront distribution {distribution_id}"):
            try:
                return str(
                    client.update_distribution(
                        Id=distribution_id, IfMatch=etag, DistributionConfig=config
                    )["ETag"]
                )
            except client.exceptions.PreconditionFailed:
                pass
        with aws_errors(f"re-read CloudFront distribution {distribution_id}"):
            fresh = client.get_distribution(Id=distribution_id)
        # Compared on geoproxy's fields only: CloudFront answers with defaults filled in.
        if written(
            fresh["Distribution"]["DistributionConfig"], config, distribution.managed_origin_id
        ):
            return str(fresh["ETag"])
        if distribution.rebase is None:
            raise GeoproxyError(
                f"CloudFront distribution {distribution_id} changed since the saved plan was "
                f"made (its ETag is no longer {distribution.etag}); it was not updated",
                hint="make a new plan: `geoproxy plan --out PLANFILE`",
            )
        rebased = distribution.rebase(fresh["Distribution"], fresh["ETag"])
        if rebased.outcome == "nothing":
            return None  # someone already made exactly this change: nothing for us to write
        if attempt or rebased.outcome == "different":
            raise GeoproxyError(
                f"CloudFront distribution {distribution_id} changed since the plan and now "
                "needs a different change from geoproxy; it was not updated",
                hint="run `geoproxy plan` to see the distribution as it is now",
            )
        config, etag = rebased.config, rebased.etag
    raise AssertionError("unreachable")


def wait_until_deployed(
    distributions: list[DistributionUpdate],
    aws: AwsSettings,
    started: float,
    timeout_s: float,
    on_wait: WaitCallback | None,
) -> bool:
    interval = poll_interval()
    pending = {d.distribution_id for d in distributions}
    while pending:
        for distribution_id in sorted(pending):
            with aws_errors(f"read CloudFront distribution {distribution_id}"):
                client = aws.for_distribution(distribution_id).client("cloudfront")
                status = client.get_distribution(Id=distribution_id)["Distribution"]["Status"]
            if status == "Deployed":
                pending.discard(distribution_id)
        if on_wait:
            on_wait(
                [SubmittedBatch("cloudfront", d, 0, "InProgress") for d in sorted(pending)],
                time.monotonic() - started,
            )
        if not pending:
            return True
        if time.monotonic() - started > timeout_s:
            raise AwsError(
                f"distributions {', '.join(sorted(pending))} were updated but are "
                f"not Deployed after {timeout_s:.0f}s"
            )
        time.sleep(interval)
    return True


def wait_insync(
    batches: list[SubmittedBatch],
    aws: AwsSettings,
    started: float,
    timeout_s: float,
    on_wait: WaitCallback | None,
) -> None:
    interval = poll_interval()
    while True:
        for batch in batches:
            if batch.status != "INSYNC" and not batch.response_lost:
                # A change id is known only to the account that made it: the zone's.
                client = aws.for_zone(batch.zone_id).client("route53")
                with aws_errors(f"read the status of change {batch.change_id}"):
                    batch.status = client.get_change(Id=batch.change_id)["ChangeInfo"]["Status"]
        elapsed = time.monotonic() - started
        if on_wait:
            on_wait(batches, elapsed)
        if all(batch.status == "INSYNC" or batch.response_lost for batch in batches):
            return
        if elapsed > timeout_s:
            pending = ", ".join(
                str(b.change_id) for b in batches if b.status != "INSYNC" and not b.response_lost
            )
            raise AwsError(
                f"changes {pending} were applied but are not INSYNC after {timeout_s:.0f}s",
                hint="check again with `geoproxy plan`",
            )
        time.sleep(interval)
