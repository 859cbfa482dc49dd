"""`status`: what is live against what the policy wants."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from geoproxy.aws.session import AwsSettings
from geoproxy.core.cloudfront import DistributionPlan, plan_distribution
from geoproxy.core.desired import DesiredApp
from geoproxy.core.diff import calculate_app
from geoproxy.core.edge.behaviours import function_arn
from geoproxy.core.edge.fence import has_viewer_fence
from geoproxy.core.edge.plan import FunctionPlan
from geoproxy.core.guardrails import (
    drain_lines,
    drained_lines,
    feature_lines,
    plan_for_guardrails,
)
from geoproxy.core.history import HistoryEntry, failover_by, last_per_app
from geoproxy.core.names import function_name
from geoproxy.core.orphans import Orphan
from geoproxy.core.plan import Plan
from geoproxy.core.recovery import ZoneRecovery
from geoproxy.core.zone_features import NOT_REPORTED as NONE
from geoproxy.core.zone_features import ZoneFeatures
from geoproxy.errors import GeoproxyError

if TYPE_CHECKING:
    from geoproxy.core.status import AppStatus


from geoproxy.pipeline.apps import each_app
from geoproxy.pipeline.compiled import Compiled, scoped
from geoproxy.pipeline.reads import (
    _unsearched,
    orphans_in,
    read_functions,
    read_health_checks,
    read_live,
)
from geoproxy.pipeline.recovery import recovery_of
from geoproxy.pipeline.switches import switch_plan


def _distributions(
    compiled: Compiled, aws: AwsSettings, names: list[str] | None
) -> dict[str, DistributionPlan]:
    """The distributions of the applications with a `cloudfront` section, as `plan` sees
    them: one GetDistribution each (the edge function is read apart, as viewers run it)."""
    from geoproxy.aws.live import CloudFrontReader

    reader = CloudFrontReader(aws)
    found = {}
    for routing in compiled.routing.applications:
        app = routing.app
        if app.cloudfront is None or (names is not None and app.name not in names):
            continue
        distribution, etag = reader.distribution(app.cloudfront.distribution_id)
        name = function_name(compiled.owner, app.name)
        arn = function_arn(name, distribution.get("ARN")) if has_viewer_fence(app) else None
        found[app.name] = plan_distribution(app, distribution, etag, (name, arn))
    return found


def compute_status(
    compiled: Compiled,
    aws: AwsSettings,
    app_names: tuple[str, ...] = (),
    recovery: list[ZoneRecovery] | None = None,
    features: list[str] | None = None,
) -> tuple[list[AppStatus], list[str], list[Orphan]]:
    """`recovery`, when given, is filled with the policy's zones under accelerated
    recovery, and `features` with what each zone's features are (guardrails, history), from
    the zone lookups the read makes anyway (no request of its own)."""
    from geoproxy.core.status import EdgeStatus, app_status, viewer_differences

    names = scoped(compiled, app_names)
    distributions = _distributions(compiled, aws, names)
    read = read_live(compiled, aws, names, distributions=distributions)
    live, zones = read.apps, read.zones
    if recovery is not None:
        recovery.extend(recovery_of(compiled, read))
    checks = read_health_checks(compiled, aws, live, zones)
    functions = read_functions(
        compiled,
        aws,
        names
        if names is not None
        else [routing.app.name for routing in compiled.routing.applications],
        live_only=True,
    )
    switches = switch_plan(compiled, aws)
    statuses, warnings = [], [*compiled.warnings, *_unsearched(read.partial)]
    desired: list[DesiredApp] = []
    would = Plan([])  # what `plan` would write, to say what waits for a later run
    for run in each_app(
        compiled, live, checks, names, distributions=distributions, switches=switches
    ):
        app, resolved = run.routing.app, run.resolved
        desired.append(resolved.desired)
        warnings.extend([*resolved.warnings, *resolved.problems])
        pops_by_target = {pop.target: region for region, pop in app.pops.items()}
        app_status_ = app_status(resolved.desired, resolved.overlay, run.live, pops_by_target)
        app_status_.state_problems = list(run.believed.invalid)
        app_status_.gated = run.believed.state.gated
        app_status_.refusals = list(resolved.problems)
        app_status_.pops = tuple(app.pops)
        distribution = distributions.get(app.name)
        if distribution is not None:
            # What `plan` would change on the distribution, and at its viewer aliases.
            app_status_.distribution_drift = [
                f"CloudFront distribution {distribution.distribution_id} {change.path}"
                for change in distribution.changes
            ]
            app_status_.viewer = viewer_differences(calculate_app(resolved.desired, run.live))
        live_function = functions.get(app.name)
        if resolved.function is not None and live_function is not None:
            app_status_.edge = EdgeStatus.of(
                FunctionPlan(app.name, resolved.function, live_function)
            )
        statuses.append(app_status_)
        would.apps.append(calculate_app(resolved.desired, run.live))
    plan_for_guardrails(would, read.zone_features)
    warnings.extend([*drain_lines(would), *drained_lines(would, read.zone_features)])
    if features is not None:
        names_of = {zone_id: name for name, zone_id in read.zone_ids.items()}
        for zone_id, zone in read.zone_features.items():
            features.extend(feature_lines(names_of.get(zone_id, zone_id), zone_id, zone))
    warnings += with_history(statuses, read.zone_features, aws)
    return statuses, warnings, orphans_in(compiled, zones, desired, checks)


def with_history(
    statuses: list[AppStatus], features: dict[str, ZoneFeatures], aws: AwsSettings
) -> list[str]:
    """Who last wrote each application, and who declared its failovers, from Route 53's
    change history: one ListHostedZoneChangeBatches per zone that has it (its newest
    batches, one page; aws/history.py), none for the others. Returns warnings for a zone
    whose history could not be read (its applications fall back to the audit log)."""
    from geoproxy.aws.history import STATUS_PAGE_SIZE, list_page

    warnings = []
    zones = [
        z
        for z in dict.fromkeys(s.zone_id for s in statuses)
        if features.get(z, NONE).change_history
    ]
    for zone_id in zones:
        try:
            entries, _ = list_page(aws, zone_id, max_results=STATUS_PAGE_SIZE)
        except GeoproxyError as error:
            warnings.append(f"{error.message}; who wrote its applications is not known from it")
            continue
        here = [s for s in statuses if s.zone_id == zone_id]
        newest = last_per_app(entries, [s.name for s in here])
        for app_status in here:
            app_status.who_source = "route53_history"
            app_status.last_write = newest.get(app_status.name)
            app_status.failovers = [
                replace(f, by=_declared_by(entries, app_status.name, f.at) or f.by)
                for f in app_status.failovers
            ]
    return warnings


def _declared_by(entries: list[HistoryEntry], app: str, at: str) -> str:
    try:
        declared = datetime.fromisoformat(at)
    except ValueError:
        return ""
    if declared.tzinfo is None:
        declared = declared.replace(tzinfo=timezone.utc)
    found = failover_by(entries, app, declared)
    return found.submitted_by if found is not None else ""
