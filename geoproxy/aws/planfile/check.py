"""Before a saved plan's first write: is what it expects still live?

Reads exactly what the plan depends on (the names of each batch, each distribution) and
sorts every step: already applied (a re-run after a crash: skipped), still to do (live is as
the plan expects), or stale (anything else: the plan is refused and nothing is written).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from geoproxy.aws.live import PAGE_SIZE, Route53Reader
from geoproxy.aws.preflight import DelegationCheck, ViewerCheck
from geoproxy.aws.session import AwsSettings, aws_errors
from geoproxy.aws.submit import live_at
from geoproxy.core import landed
from geoproxy.core.batches import Batches, Change
from geoproxy.core.changeset import ChangeSet
from geoproxy.core.cloudfront import config_aliases
from geoproxy.core.live import LiveApp
from geoproxy.core.managed_fields import unmanaged_differences
from geoproxy.core.plan import AppAddress
from geoproxy.core.records import decode_route53_name
from geoproxy.core.saved_plan_rules import rebase_state, same_ignoring_apply_time


@dataclass
class Moved:
    """One thing the plan depends on that is no longer as the plan expects."""

    what: str
    expected: str
    live: str


@dataclass
class SavedCheck:
    pending: ChangeSet
    applied: list[str] = field(default_factory=list)
    stale: list[Moved] = field(default_factory=list)
    # The pre-flight checks again: a certificate, or another account's alias, can change
    # without touching the distribution's ETag.
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The record sets read at the names the plan touches, per hosted zone: what the
    # mass-deletion guard is counted against (never the file's own count).
    live: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def check_saved(
    changes: ChangeSet, aws: AwsSettings, applications: list[dict[str, Any]] | None = None
) -> SavedCheck:
    """`applications` is the saved plan's JSON list of applications (name, zone, zone id,
    record, changes): the delegation pre-flight runs again for those it writes."""
    check = SavedCheck(
        ChangeSet(
            create_health_checks=list(changes.create_health_checks),
            tag_health_checks=list(changes.tag_health_checks),
            delete_health_checks=list(changes.delete_health_checks),
        )
    )
    views = _zones_read_whole([changes.before_distributions, changes.after_distributions], aws)
    _check_batches(
        changes.before_distributions, check.pending.before_distributions, aws, check, views
    )
    _check_batches(
        changes.after_distributions, check.pending.after_distributions, aws, check, views
    )
    _check_functions(changes, aws, check)
    for distribution in changes.distributions:
        client = aws.for_distribution(distribution.distribution_id).client("cloudfront")
        with aws_errors(f"read CloudFront distribution {distribution.distribution_id}"):
            fresh = client.get_distribution(Id=distribution.distribution_id)
        live_config = fresh["Distribution"]["DistributionConfig"]
        if fresh["ETag"] == distribution.etag:
            # Same ETag, so live is the config the plan says it read: unless the file's
            # `config` was edited to hide what its `new_config` changes.
            outside = unmanaged_differences(
                live_config, distribution.config, distribution.managed_origin_id
            )
            if outside:
                check.problems.append(
                    f"CloudFront distribution {distribution.distribution_id}: the config the "
                    f"plan says it read differs from the live one (same ETag) in "
                    f"{', '.join(outside)}: the plan was edited"
                )
            check.pending.distributions.append(distribution)
        elif distribution.is_live_in(live_config):
            check.applied.append(f"CloudFront distribution {distribution.distribution_id}")
        else:
            check.stale.append(
                Moved(
                    f"CloudFront distribution {distribution.distribution_id}",
                    f"ETag {distribution.etag}",
                    f"ETag {fresh['ETag']}, with another config",
                )
            )
    delegations = DelegationCheck(aws, views)
    for app in applications or []:
        if app.get("changes") and not str(app.get("name", "")).startswith("orphan "):
            problems, warnings = delegations.findings(
                AppAddress(
                    str(app["name"]), str(app["zone_id"]), str(app["zone"]), str(app["record"])
                )
            )
            check.problems += problems
            check.warnings += warnings
    _check_country_header(check, aws)
    for update in check.pending.distributions:
        viewers = ViewerCheck(aws.for_distribution(update.distribution_id))
        adding = sorted(set(config_aliases(update.new_config)) - set(config_aliases(update.config)))
        problems, warnings = viewers.findings(
            update.app, update.distribution_id, update.new_config, adding
        )
        check.problems += problems
        check.warnings += warnings
    return check


# A saved plan's names are read one listing each, unless its zone is cheaper to list whole:
# 300 applications' plan would otherwise cost 300 listings where the zone costs 35.
FEW_NAMES = 2  # up to this many names per zone, no GetHostedZone to learn the zone's size


def _zones_read_whole(phases: list[Batches], aws: AwsSettings) -> dict[str, LiveApp]:
    names: dict[str, set[str]] = {}
    for phase in phases:
        for zone_id, batches in phase.items():
            for batch in batches:
                names.setdefault(zone_id, set()).update(landed.names_of(batch))
    reader = Route53Reader(aws)
    views = {}
    for zone_id, touched in names.items():
        if len(touched) <= FEW_NAMES:
            continue
        with aws_errors(f"read hosted zone {zone_id}"):
            zone = aws.for_zone(zone_id).client("route53").get_hosted_zone(Id=zone_id)
            zone = zone["HostedZone"]
        size = zone.get("ResourceRecordSetCount")
        if isinstance(size, int) and math.ceil(max(size, 1) / int(PAGE_SIZE)) < len(touched):
            views[zone_id] = LiveApp(
                zone_id, decode_route53_name(zone["Name"]), reader.zone_records(zone_id)
            )
    return views


def _live(
    aws: AwsSettings, zone_id: str, batch: list[Change], views: dict[str, LiveApp]
) -> list[dict[str, Any]]:
    if zone_id not in views:
        return live_at(aws, zone_id, batch)
    names = set(landed.names_of(batch))
    return [record.raw for record in views[zone_id].records if record.name in names]


def _check_batches(
    planned: Batches,
    pending: Batches,
    aws: AwsSettings,
    check: SavedCheck,
    views: dict[str, LiveApp],
) -> None:
    for zone_id, batches in planned.items():
        for batch in batches:
            live = _live(aws, zone_id, batch, views)
            # The state record's DELETE is made from the record read now (core.state).
            batch = rebase_state(batch, live)
            check.live.setdefault(zone_id, []).extend(live)
            where, _ = landed.outcome(batch, live, same_ignoring_apply_time)
            # What the batch DELETEs must be live exactly, time stamps included: Route 53
            # rejects an inexact DELETE, and a state record that differs only in its time is
            # another failover's (a plan that no longer applies: stale, exit 3, never a
            # rejected batch that says "run it again"). Only what the batch CREATEs may
            # differ in time, because a declared failover gets the apply time.
            moved = landed.moved_since_plan(batch, live)
            if where is landed.Outcome.LANDED:
                check.applied.append(f"change batch of {len(batch)} change(s) in zone {zone_id}")
            elif where is landed.Outcome.NOT_LANDED and not moved:
                pending.setdefault(zone_id, []).append(batch)
            else:
                check.stale.extend(
                    Moved(
                        landed.describe_key(d.expected.key),
                        landed.describe_record_set(d.expected.before),
                        landed.describe_record_set(d.live),
                    )
                    for d in moved
                )


def _check_functions(changes: ChangeSet, aws: AwsSettings, check: SavedCheck) -> None:
    """An edge function is written only from the stages the plan read: LIVE already running
    the code is applied; DEVELOPMENT changed by anyone else makes the plan stale."""
    from geoproxy.aws.edge.functions import FunctionReader

    reader = FunctionReader(aws)
    for function in changes.functions:
        live = reader.read(function.name)
        if live.live_code == function.code:
            check.applied.append(f"edge function {function.name}")
        elif (
            live.development_etag == function.development_etag
            and live.live_code == function.live_code
        ) or (live.development_code == function.code and live.live_code == function.live_code):
            # As read when planned, or an earlier run wrote DEVELOPMENT and crashed before
            # publishing: finish from what is there.
            check.pending.functions.append(
                replace(
                    function,
                    development_etag=live.development_etag,
                    development_code=live.development_code,
                )
            )
        else:
            check.stale.append(
                Moved(f"edge function {function.name}", "the stages the plan read", "changed since")
            )


def _check_country_header(check: SavedCheck, aws: AwsSettings) -> None:
    """Again for a saved plan: a behaviour's cache or origin request policy can change
    without the distribution's ETag, and without the header the fence lets everyone by.
    The fenced behaviours are those the plan gives an edge function."""
    from geoproxy.core.edge.behaviours import runs_geoproxy_function
    from geoproxy.core.managed_fields import behaviours

    fenced = []
    for update in check.pending.distributions:
        found = [
            (label, behaviour)
            for label, _, behaviour in behaviours(update.new_config)
            if runs_geoproxy_function(behaviour)
        ]
        if found:
            fenced.append((update, found))
    if not fenced:
        return
    from geoproxy.aws.edge.preflight import CountryHeaderCheck
    from geoproxy.core.edge.function import host_of_code

    codes = {function.app: function.code for function in check.pending.functions}
    for update, found in fenced:
        header = CountryHeaderCheck(aws.for_distribution(update.distribution_id))
        check.problems += header.problems(update.app, update.distribution_id, found)
        # The Host the planned function gives fenced requests must still be what the
        # behaviours give unfenced ones (edge_preflight.py); the plan's code says which.
        host = host_of_code(codes[update.app]) if update.app in codes else None
        if host is not None:
            check.problems += header.host_problems(update.app, update.distribution_id, found, *host)
