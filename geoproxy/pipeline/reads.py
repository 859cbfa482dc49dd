"""What the commands read from AWS: distributions and their edge functions, records (whole
zones or per application), health checks, and the orphans found in what was read.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from geoproxy.aws.session import AwsSettings
from geoproxy.core.cloudfront import DistributionPlan, plan_distribution
from geoproxy.core.desired import DesiredApp, in_zone
from geoproxy.core.edge.behaviours import function_arn
from geoproxy.core.edge.fence import has_viewer_fence
from geoproxy.core.edge.plan import LiveFunction
from geoproxy.core.healthchecks import (
    LiveHealthCheck,
)
from geoproxy.core.live import LiveApp, LiveRead
from geoproxy.core.names import STATE_LABEL, function_name
from geoproxy.core.orphans import Orphan, find_orphans, root_of
from geoproxy.core.records import LiveRecord
from geoproxy.errors import AwsError
from geoproxy.pipeline.compiled import Compiled
from geoproxy.policy.models import Application


@dataclass(frozen=True)
class DistributionRead:
    """Per application with a `cloudfront` section: what apply would change on its
    distribution, and the edge fence's function as read beside it."""

    plans: dict[str, DistributionPlan] = field(default_factory=dict)
    functions: dict[str, LiveFunction] = field(default_factory=dict)
    # With `missing_ok`: application -> its distribution id, which no longer exists.
    missing: dict[str, str] = field(default_factory=dict)


def read_distributions(
    compiled: Compiled,
    aws: AwsSettings,
    names: list[str] | None = None,
    *,
    missing_ok: bool = False,
) -> DistributionRead:
    """The distributions of the applications in `names` (None: all), with their functions.
    `missing_ok` (`destroy`): a distribution that no longer exists is listed in `missing`,
    its function still read, rather than an error."""
    from geoproxy.aws.concurrency import run_all
    from geoproxy.aws.edge.functions import FunctionReader
    from geoproxy.aws.live import CloudFrontReader, MissingDistribution

    reader, function_reader = CloudFrontReader(aws), FunctionReader(aws)
    apps = [
        routing.app
        for routing in compiled.routing.applications
        if routing.app.cloudfront is not None and (names is None or routing.app.name in names)
    ]
    if apps:
        aws.client("cloudfront")  # made here: boto3 sessions are not thread-safe
    names_of = {app.name: function_name(compiled.owner, app.name) for app in apps}

    def read(app: Application) -> tuple[tuple[dict[str, Any], str] | None, LiveFunction | None]:
        assert app.cloudfront is not None
        try:
            distribution: tuple[dict[str, Any], str] | None = reader.distribution(
                app.cloudfront.distribution_id
            )
        except MissingDistribution:
            if not missing_ok:
                raise
            distribution = None
        fenced = has_viewer_fence(app)
        return distribution, (function_reader.read(names_of[app.name]) if fenced else None)

    found = DistributionRead()
    for app, (read_distribution, live_function) in zip(
        apps, run_all([functools.partial(read, app) for app in apps]), strict=True
    ):
        name = names_of[app.name]
        if read_distribution is None:
            assert app.cloudfront is not None
            found.missing[app.name] = app.cloudfront.distribution_id
            if live_function is not None:
                found.functions[app.name] = live_function
            continue
        distribution, etag = read_distribution
        arn = function_arn(name, distribution.get("ARN")) if live_function else None
        if live_function is not None and arn is None:
            # Never guess: without its ARN the fence could not be associated, and a fence
            # planned as absent would be removed.
            raise AwsError(
                f"cannot tell the account of CloudFront distribution "
                f"{app.cloudfront.distribution_id if app.cloudfront else '?'} from "
                f"its ARN {distribution.get('ARN')!r}, which the edge function "
                "must live in"
            )
        found.plans[app.name] = plan_distribution(app, distribution, etag, (name, arn))
        if live_function is not None:
            found.functions[app.name] = live_function
    return found


def read_live(
    compiled: Compiled,
    aws: AwsSettings,
    names: list[str] | None = None,
    distributions: Mapping[str, DistributionPlan] | None = None,
    force_whole: bool = False,
) -> LiveRead:
    """Per application, the records at its names. Each zone is read whole where that is
    not dearer than listing each application's names, else by names; on an unscoped run
    (`names` None) the zones read whole are kept by zone id for the orphan search, and the
    names of the others listed as not searched. A scoped run searches no orphans."""
    from geoproxy.aws.live import AppNames, read_apps  # boto3 only on paths that use AWS

    wanted = []
    for routing in compiled.routing.applications:
        app = routing.app
        if names is not None and app.name not in names:
            continue
        distribution = (distributions or {}).get(app.name)
        aliases = (
            [*app.cloudfront.aliases, *distribution.live_aliases]
            if (app.cloudfront and distribution)
            else []
        )
        wanted.append(
            AppNames(
                app.name,
                app.zone,
                app.zone_id,
                app.record,
                tuple(a for a in aliases if in_zone(a, app.zone)),
            )
        )
    read = read_apps(aws, wanted, force_whole=force_whole)
    if names is None:
        return read
    return LiveRead(
        read.apps,
        zone_ids=read.zone_ids,
        features=read.features,
        zone_features=read.zone_features,
    )


def read_other_zones(
    aws: AwsSettings, known: Mapping[str, LiveApp], accounts: Iterable[str | None] = (None,)
) -> dict[str, LiveApp]:
    """`--all-zones`: every public zone the credentials can list, other than `known`, read
    whole for the orphan search (an application removed with its zone from the policy
    leaves its records where no zone of the policy looks). One ListHostedZones per 100
    zones, and ceil(records / 300) ListResourceRecordSets per zone, at least one."""
    from geoproxy.aws.live import Route53Reader

    reader = Route53Reader(aws)
    return {
        zone_id: LiveApp(zone_id, zone_name, reader.zone_records(zone_id))
        for zone_id, zone_name in reader.public_zones(accounts)
        if zone_id not in known
    }


def orphans_in(
    compiled: Compiled,
    zones: Mapping[str, LiveApp],
    desired: list[DesiredApp],
    checks: list[LiveHealthCheck],
) -> list[Orphan]:
    """Records of the policy's owner in its zones that none of its applications manages."""
    # The policy's viewer aliases count as managed even where the distribution was not read
    # (status): a viewer record there is the application's, never an orphan.
    aliases = {
        alias
        for routing in compiled.routing.applications
        if routing.app.cloudfront
        for alias in routing.app.cloudfront.aliases
    }
    found = []
    for zone_id, zone in zones.items():
        here = [d for d in desired if in_zone(d.record_name, zone.zone_name)]
        records = {d.record_name for d in here}
        exact = aliases | {name for d in here for name in d.viewer_names}

        def managed(
            record: LiveRecord, records: set[str] = records, exact: set[str] = exact
        ) -> bool:
            """Whether one of `here` keeps `record`: a viewer alias, its state record, or a
            record of an application's shape (core.orphans.belongs_to): an apex
            application does not make every name of its zone its own."""
            if record.name in exact:
                return True
            root, kind = root_of(record)
            if kind == "application" and root in records:
                return True
            label, _, rest = record.name.partition(".")
            return label == STATE_LABEL and rest in records

        found += find_orphans(
            compiled.owner, zone_id, zone.zone_name, zone.records, managed, checks
        )
    return found


def _unsearched(partial: list[str]) -> list[str]:
    return [
        f"zone {zone} is large next to the applications in it: geoproxy read only their "
        "names and did not look for orphans there; `geoproxy plan --prune` reads it "
        "whole and lists them"
        for zone in partial
    ]


def orphan_warnings(compiled: Compiled, orphans: list[Orphan], pruning: bool) -> list[str]:
    if not orphans or pruning:
        return []
    count = sum(len(orphan.records) for orphan in orphans)
    warning = (
        f"{count} record(s) of owner {compiled.owner!r} belong to no application of "
        f"the policy ({', '.join(o.root for o in orphans)}); `geoproxy apply --prune` "
        "deletes them"
    )
    if "owner" not in compiled.loaded.policy.model_fields_set:
        warning += (
            "; this policy sets no `owner:`, so they are the default owner's: if "
            "another policy without `owner:` shares the zone, give each its own "
            "`owner:` before pruning"
        )
    return [warning]


def read_health_checks(
    compiled: Compiled,
    aws: AwsSettings,
    live: Mapping[str, LiveApp],
    zones: Mapping[str, LiveApp] | None = None,
) -> list[LiveHealthCheck]:
    """geoproxy's health checks, read only for auto_failover applications or when a live
    record of geoproxy's (an orphan's, too) refers to one: most plans never pay for it."""
    from geoproxy.aws.live import HealthCheckReader

    # Any auto_failover application may have checks left from an earlier policy.
    wanted = any(routing.app.auto_failover for routing in compiled.routing.applications)
    read = [*live.values(), *(zones or {}).values()]
    referenced = any(
        record.owned and "HealthCheckId" in record.raw
        for app_live in read
        for record in app_live.records
    )
    return HealthCheckReader(aws).read() if wanted or referenced else []


def read_functions(
    compiled: Compiled, aws: AwsSettings, app_names: list[str], *, live_only: bool = False
) -> dict[str, LiveFunction]:
    """The live edge functions of the fenced applications among `app_names`; `live_only`
    reads just what viewers run, for a command that will not write them."""
    from geoproxy.aws.edge.functions import FunctionReader

    reader = FunctionReader(aws)
    read = reader.read_live if live_only else reader.read
    return {
        name: read(function_name(compiled.owner, name))
        for name in app_names
        if has_viewer_fence(compiled.app_routing(name).app)
    }
