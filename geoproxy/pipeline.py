"""The pipeline the commands share: policy -> routing -> live -> (failovers) -> desired -> plan.

Each step is its own module; this one only strings them together so the CLI holds no logic.
Active failovers live in Route 53, so routes are resolved against them after live is read.
"""

from __future__ import annotations

import difflib
import functools
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoproxy.aws.session import AwsSettings
from geoproxy.core.cloudfront import DistributionPlan, plan_distribution
from geoproxy.core.desired import DesiredApp, desired_app, in_zone
from geoproxy.core.edgeassoc import function_arn
from geoproxy.core.edgefence import describe_edge_violation, edge_fence, has_viewer_fence
from geoproxy.core.edgefunction import EdgeFunction, edge_function, function_name
from geoproxy.core.edgeplan import FunctionPlan, LiveFunction
from geoproxy.core.failover import (
    Failover,
    FailoverCycle,
    Overlay,
    apply_overlay,
    compliance_violations,
    describe_violation,
    resolve,
    with_failover,
    without_failover,
)
from geoproxy.core.healthchecks import (
    PENDING_PREFIX,
    LiveHealthCheck,
    plan_health_checks,
    specs_for,
)
from geoproxy.core.iam import IamPolicy, iam_policy
from geoproxy.core.orphans import Orphan, find_orphans
from geoproxy.core.plan import (
    AppPlan,
    LiveApp,
    Plan,
    RecordChange,
    calculate_app,
    prune_plan,
    suffixes,
)
from geoproxy.core.records import RecordKey, canonical, record_key
from geoproxy.core.routing import AppRouting, RoutingResult, route_policy
from geoproxy.core.state import state_name
from geoproxy.errors import GeoproxyError, RefusedError
from geoproxy.policy.catalog import Catalog
from geoproxy.policy.checks import region_problem
from geoproxy.policy.latency import LatencyTable
from geoproxy.policy.loader import LoadedPolicy, load_policy
from geoproxy.policy.models import Application

if TYPE_CHECKING:
    from geoproxy.core.status import AppStatus


@dataclass(frozen=True)
class Compiled:
    """A validated policy with its routes: everything known offline."""

    loaded: LoadedPolicy
    catalog: Catalog
    routing: RoutingResult
    latency: LatencyTable | None = None

    @property
    def warnings(self) -> list[str]:
        return self.routing.warnings

    @property
    def owner(self) -> str:
        return self.loaded.policy.owner

    def app_routing(self, name: str) -> AppRouting:
        return next(r for r in self.routing.applications if r.app.name == name)


def compile_policy(path: str | Path, catalog: Catalog | None = None,
                   latency_table: str | Path | None = None) -> Compiled:
    """`latency_table` (a file) overrides the policy's `latency_table:`, which is relative
    to the policy file; else the shipped table."""
    from geoproxy.policy.latency import load_table, shipped_table

    catalog = catalog or Catalog.load()
    loaded = load_policy(path, catalog)
    known = set(catalog.latency_regions) | set(catalog.regions)
    if latency_table is not None:
        table = load_table(latency_table, known)
    elif loaded.policy.latency_table is not None:
        table = load_table(Path(loaded.file).parent / loaded.policy.latency_table, known)
    else:
        table = shipped_table()
    compiled = Compiled(loaded, catalog, route_policy(loaded, catalog, table), table)
    for routing in compiled.routing.applications:
        if has_viewer_fence(routing.app):
            # Refused offline (validate too) rather than when apply would publish it.
            fence = edge_fence(routing.app, catalog, compiled.owner)
            if fence is not None:
                edge_function(fence)
    return compiled


def read_distributions(compiled: Compiled, aws: AwsSettings,
                       names: list[str] | None = None,
                       functions: dict[str, LiveFunction] | None = None,
                       ) -> dict[str, DistributionPlan]:
    """Per application with a `cloudfront` section: what apply would change on it; the edge
    fence's functions, read beside them, go into `functions`."""
    from geoproxy.aws.concurrency import run_all
    from geoproxy.aws.edge import FunctionReader
    from geoproxy.aws.live import CloudFrontReader

    reader, function_reader = CloudFrontReader(aws), FunctionReader(aws)
    apps = [routing.app for routing in compiled.routing.applications
            if routing.app.cloudfront is not None and (names is None
                                                       or routing.app.name in names)]
    if apps:
        aws.client("cloudfront")  # made here: boto3 sessions are not thread-safe

    def read(app: Application) -> tuple[tuple[dict[str, Any], str], LiveFunction | None]:
        assert app.cloudfront is not None
        distribution = reader.distribution(app.cloudfront.distribution_id)
        name = function_name(compiled.owner, app.name)
        return distribution, (function_reader.read(name) if has_viewer_fence(app) else None)

    plans = {}
    for app, ((distribution, etag), live_function) in zip(
            apps, run_all([functools.partial(read, app) for app in apps]), strict=True):
        name = function_name(compiled.owner, app.name)
        arn = function_arn(name, distribution.get("ARN")) if live_function else None
        plans[app.name] = plan_distribution(app, distribution, etag, (name, arn))
        if live_function is not None and functions is not None:
            functions[app.name] = live_function
    return plans


def read_live(compiled: Compiled, aws: AwsSettings, names: list[str] | None = None,
              distributions: Mapping[str, DistributionPlan] | None = None,
              zones: dict[str, LiveApp] | None = None, partial: list[str] | None = None,
              force_whole: bool = False) -> dict[str, LiveApp]:
    """Per application, the records at its names. Each zone is read whole where that is
    not dearer than listing each application's names, else by names. Given `zones` (a
    dict to fill), the zones read whole are kept there by zone id for the orphan search,
    and the names of the others go to `partial`."""
    from geoproxy.aws.live import AppNames, read_apps  # boto3 only on paths that use AWS

    wanted = []
    for routing in compiled.routing.applications:
        app = routing.app
        if names is not None and app.name not in names:
            continue
        distribution = (distributions or {}).get(app.name)
        aliases = [*app.cloudfront.aliases, *distribution.live_aliases] if (
            app.cloudfront and distribution) else []
        wanted.append(AppNames(app.name, app.zone, app.zone_id, app.record,
                               tuple(a for a in aliases if in_zone(a, app.zone))))
    read = read_apps(aws, wanted, force_whole=force_whole)
    if zones is not None:
        zones.update(read.zones)
    if partial is not None:
        partial.extend(read.partial)
    return read.apps


def orphans_in(compiled: Compiled, zones: Mapping[str, LiveApp],
               desired: list[DesiredApp], checks: list[LiveHealthCheck]) -> list[Orphan]:
    """Records of the policy's owner in its zones that none of its applications manages."""
    # The policy's viewer aliases count as managed even where the distribution was not read
    # (status): a viewer record there is the application's, never an orphan.
    aliases = {alias for routing in compiled.routing.applications if routing.app.cloudfront
               for alias in routing.app.cloudfront.aliases}
    found = []
    for zone_id, zone in zones.items():
        here = [d for d in desired if in_zone(d.record_name, zone.zone_name)]
        records = {d.record_name for d in here}
        exact = aliases | {name for d in here for name in d.viewer_names}

        def managed(name: str, records: set[str] = records, exact: set[str] = exact) -> bool:
            """As DesiredApp.manages for any of `here`, by walking the name's suffixes."""
            return name in exact or any(suffix in records for suffix in suffixes(name))

        found += find_orphans(compiled.owner, zone_id, zone.zone_name, zone.records, managed,
                              checks)
    return found


def _unsearched(partial: list[str]) -> list[str]:
    return [f"zone {zone} is large next to the applications in it: geoproxy read only their "
            "names and did not look for orphans there; `geoproxy plan --prune` reads it "
            "whole and lists them" for zone in partial]


def orphan_warnings(compiled: Compiled, orphans: list[Orphan], pruning: bool) -> list[str]:
    if not orphans or pruning:
        return []
    count = sum(len(orphan.records) for orphan in orphans)
    warning = (f"{count} record(s) of owner {compiled.owner!r} belong to no application of "
               f"the policy ({', '.join(o.root for o in orphans)}); `geoproxy apply --prune` "
               "deletes them")
    if "owner" not in compiled.loaded.policy.model_fields_set:
        warning += ("; this policy sets no `owner:`, so they are the default owner's: if "
                    "another policy without `owner:` shares the zone, give each its own "
                    "`owner:` before pruning")
    return [warning]


@dataclass
class Resolved:
    """One application's routes with its failovers applied, and what that raised."""

    routing: AppRouting
    overlay: dict[str, Failover]
    desired: DesiredApp
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # reasons to refuse writing
    function: EdgeFunction | None = None  # the edge fence's, with the failovers applied


def resolve_app(compiled: Compiled, routing: AppRouting, overlay: Overlay,
                zone_id: str | None = None,
                health_check_ids: Mapping[str, str] | None = None,
                distribution: DistributionPlan | None = None) -> Resolved:
    """Apply failovers to the policy's routes; stale ones (from a PoP the policy no longer
    has) are dropped, broken ones (to a PoP it no longer has, cycles, compliance) refused."""
    app = routing.app
    active: dict[str, Failover] = {}
    warnings: list[str] = []
    problems: list[str] = []
    for from_pop, failover in overlay.items():
        if from_pop not in app.pops:
            warnings.append(f"{app.name}: the failover away from {from_pop} ends: {from_pop} "
                            "is no longer one of its PoPs")
        elif failover.to_pop not in app.pops:
            problems.append(f"{app.name}: the active failover {from_pop} → {failover.to_pop} "
                            f"targets a PoP the policy no longer has; fail back {from_pop} or "
                            f"restore {failover.to_pop}")
        else:
            active[from_pop] = failover
    try:
        for pop in active:
            resolve(pop, active)
    except FailoverCycle as cycle:
        problems.append(f"{app.name}: the failovers form a cycle ({cycle})")
        active = {}
    resolved = apply_overlay(routing, active)
    for violation in compliance_violations(app, resolved, active, compiled.catalog,
                                           compiled.latency):
        message = describe_violation(app.name, violation)
        if violation.overridden:
            warnings.append(f"{message} (allowed by --override-compliance: "
                            f"{violation.overridden})")
        else:
            problems.append(message)
    desired = desired_app(resolved, compiled.catalog, active.values(), zone_id,
                          health_check_ids, distribution, compiled.owner)
    fence = edge_fence(app, compiled.catalog, compiled.owner, active)
    for edge_violation in fence.violations if fence else ():
        message = describe_edge_violation(app.name, edge_violation)
        if edge_violation.overridden:
            warnings.append(f"{message} (allowed by --override-compliance: "
                            f"{edge_violation.overridden})")
        else:
            problems.append(message)
    function = edge_function(fence) if fence else None
    return Resolved(resolved, active, desired, warnings, problems, function)


def read_health_checks(compiled: Compiled, aws: AwsSettings, live: Mapping[str, LiveApp],
                       zones: Mapping[str, LiveApp] | None = None) -> list[LiveHealthCheck]:
    """geoproxy's health checks, read only for auto_failover applications or when a live
    record of geoproxy's (an orphan's, too) refers to one: most plans never pay for it."""
    from geoproxy.aws.live import HealthCheckReader

    # Any auto_failover application may have checks left from an earlier policy.
    wanted = any(routing.app.auto_failover for routing in compiled.routing.applications)
    read = [*live.values(), *(zones or {}).values()]
    referenced = any(record.owned and "HealthCheckId" in record.raw
                     for app_live in read for record in app_live.records)
    return HealthCheckReader(aws).read() if wanted or referenced else []


def scoped(compiled: Compiled, app_names: tuple[str, ...]) -> list[str] | None:
    """The applications a run is scoped to (checked, with a did-you-mean), or None for all.
    Orphans are looked for only on unscoped runs: a scoped one cannot tell them apart."""
    if not app_names:
        return None
    check_app_names(compiled, app_names)
    return list(dict.fromkeys(app_names))


def compute_plan(compiled: Compiled, aws: AwsSettings, *, adopt: bool = False,
                 prune: bool = False, app_names: tuple[str, ...] = ()) -> Plan:
    """The diff that makes Route 53 and CloudFront match the policy, keeping failovers.
    Orphans are listed (on unscoped runs); with `prune`, the plan deletes them too."""
    names = scoped(compiled, app_names)
    if names is not None and prune:
        raise GeoproxyError("--prune looks at every application's records: it cannot be "
                            "scoped with --app", hint="run it without --app")
    functions: dict[str, LiveFunction] = {}
    distributions = read_distributions(compiled, aws, names, functions)
    zones: dict[str, LiveApp] = {}
    partial: list[str] = []
    live = read_live(compiled, aws, names, distributions=distributions,
                     zones=zones if names is None else None,
                     partial=partial if names is None else None, force_whole=prune)
    checks = read_health_checks(compiled, aws, live, zones)
    nonce = secrets.token_hex(6)  # this run's health checks get CallerReferences never used
    plan = Plan([], warnings=list(compiled.warnings), pruning=prune)
    desired: list[DesiredApp] = []
    for routing in compiled.routing.applications:
        if names is not None and routing.app.name not in names:
            continue
        app, app_live = routing.app, live[routing.app.name]
        distribution = distributions.get(app.name)
        health = plan_health_checks(specs_for(app, compiled.owner), checks, app.record, nonce)
        resolved = resolve_app(compiled, routing, app_live.overlay(app.record),
                               app_live.zone_id, health.ids, distribution)
        desired.append(resolved.desired)
        app_plan = calculate_app(resolved.desired, app_live, adopt=adopt)
        app_plan.health_checks = health
        app_plan.distribution = distribution
        if resolved.function is not None and app.name in functions:
            app_plan.function = FunctionPlan(app.name, resolved.function, functions[app.name])
        if distribution is not None:
            plan.problems.extend(distribution.problems)
        plan.apps.append(app_plan)
        plan.warnings.extend(resolved.warnings)
        plan.problems.extend(resolved.problems)
        if app.cloudfront:
            plan.warnings.extend(
                f"{app.name}: alias {alias} is not in zone {app.zone}; geoproxy makes no DNS "
                "record for it" for alias in app.cloudfront.aliases
                if not in_zone(alias, app.zone))
    plan.orphans = orphans_in(compiled, zones, desired, checks)
    plan.warnings.extend(orphan_warnings(compiled, plan.orphans, prune))
    plan.warnings.extend(_unsearched(partial))
    if prune:
        plan.apps.extend(prune_plan(orphan) for orphan in plan.orphans)
    clashes = _alias_clashes(distributions, aws) if any(
        d.aliases_added for d in distributions.values()) else {}
    plan.problems.extend(clashes.values())
    _check_viewers(plan, [(d.app, d.distribution_id, d.new_config,
                           [a for a in d.aliases_added if (d.app, a) not in clashes])
                          for d in distributions.values() if d.changes], aws)
    _check_delegations(plan, live, aws, zones)
    _check_country_header(plan, aws)
    return plan


def _check_country_header(plan: Plan, aws: AwsSettings) -> None:
    """Before an edge function is published or associated: CloudFront-Viewer-Country must
    reach it on every fenced behaviour, or the fence would silently let everyone through."""
    from geoproxy.core.edgeassoc import fenced_behaviours

    writing = [app_plan for app_plan in plan.apps
               if app_plan.function is not None and app_plan.distribution is not None
               and app_plan.distribution.application is not None
               and (app_plan.function.has_changes or app_plan.distribution.changes)]
    if not writing:
        return
    from geoproxy.aws.edge_preflight import CountryHeaderCheck

    check = CountryHeaderCheck(aws)
    for app_plan in writing:
        distribution = app_plan.distribution
        assert distribution is not None and distribution.application is not None
        config = distribution.new_config or distribution.config
        plan.problems.extend(check.problems(
            app_plan.name, distribution.distribution_id,
            fenced_behaviours(config, distribution.application)))


def _check_viewers(plan: Plan, updates: list[tuple[str, str, dict[str, Any], list[str]]],
                   aws: AwsSettings) -> None:
    """For each distribution the plan updates: (app, id, new config, aliases being added)."""
    from geoproxy.aws.preflight import ViewerCheck

    check = ViewerCheck(aws)
    for app, distribution_id, new_config, adding in updates:
        problems, warnings = check.findings(app, distribution_id, new_config, adding)
        plan.problems.extend(problems)
        plan.warnings.extend(warnings)


def _check_delegations(plan: Plan, live: Mapping[str, LiveApp], aws: AwsSettings,
                       read_whole: Mapping[str, LiveApp]) -> None:
    """Only for applications whose plan writes records: a no-op plan pays nothing."""
    from geoproxy.aws.preflight import DelegationCheck

    check = DelegationCheck(aws, read_whole)
    for app_plan in plan.apps:
        if not app_plan.changes or app_plan.name not in live:
            continue  # an orphan's plan only deletes: where it is delegated does not matter
        at_record = {r.record_type for r in live[app_plan.name].records
                     if r.name == app_plan.record_name}
        problems, warnings = check.findings(app_plan, at_record)
        plan.problems.extend(problems)
        plan.warnings.extend(warnings)


def _alias_clashes(distributions: Mapping[str, DistributionPlan],
                   aws: AwsSettings) -> dict[tuple[str, str], str]:
    """(app, alias) -> why CloudFront would refuse it: another distribution of this account
    carries it (named in full; ListConflictingAliases, for other accounts, masks ids). Read
    only when aliases are being added, so a no-op plan does not list the account."""
    from geoproxy.aws.live import CloudFrontReader

    owners = CloudFrontReader(aws).alias_owners()
    return {(plan.app, alias): f"{plan.app}: alias {alias} is already used by CloudFront "
                               f"distribution {owners[alias]}"
            for plan in distributions.values() for alias in plan.aliases_added
            if alias in owners and owners[alias] != plan.distribution_id}


# --- failover and failback -------------------------------------------------------------------

OverlayEdit = Callable[[AppRouting, dict[str, Failover]], dict[str, Failover]]


def plan_overlay_change(
    compiled: Compiled, aws: AwsSettings, app_names: list[str], edit: OverlayEdit,
    *, adopt: bool = False,
) -> Plan:
    """A plan that changes only what an edit of the failover overlay moves.

    Records whose target the edit does not change are left out even if they drift from the
    policy: a 3 a.m. failover must not also ship a half-reviewed policy change.
    """
    live = read_live(compiled, aws, app_names)
    checks = read_health_checks(compiled, aws, live)
    functions = read_functions(compiled, aws, app_names)
    plan = Plan([], warnings=[])
    for name in app_names:
        routing, app_live = compiled.app_routing(name), live[name]
        health = plan_health_checks(specs_for(routing.app, compiled.owner), checks,
                                    routing.app.record)
        before = resolve_app(compiled, routing, app_live.overlay(routing.app.record),
                             app_live.zone_id, health.ids)
        after = resolve_app(compiled, routing, edit(routing, dict(before.overlay)),
                            app_live.zone_id, health.ids)
        plan.warnings.extend(after.warnings)
        plan.problems.extend(after.problems)
        full = calculate_app(after.desired, app_live, adopt=adopt)
        old_sets, new_sets = _record_sets(before.desired), _record_sets(after.desired)
        moving = {key for key in old_sets.keys() | new_sets.keys()
                  if canonical_or_none(old_sets.get(key)) != canonical_or_none(new_sets.get(key))}
        state = state_name(routing.app.record)
        app_plan = AppPlan(full.name, full.zone_id, full.zone_name, full.record_name)
        app_plan.changes = [change for change in full.changes if change_key(change) in moving]
        if any(PENDING_PREFIX in str(change.new.record.to_route53().get("HealthCheckId", ""))
               for change in app_plan.changes if change.new):
            plan.problems.append(f"{name}: this failover needs a health check that does not "
                                 "exist yet; run `geoproxy apply` first")
        changed_names = {change.name for change in app_plan.changes} | {state}
        app_plan.conflicts = [c for c in full.conflicts if c.record.name in changed_names]
        app_plan.unchanged = full.unchanged
        _republish(app_plan, after, functions.get(name), plan)
        plan.apps.append(app_plan)
    return plan


def read_functions(compiled: Compiled, aws: AwsSettings,
                   app_names: list[str]) -> dict[str, LiveFunction]:
    """The live edge functions of the fenced applications among `app_names`."""
    from geoproxy.aws.edge import FunctionReader

    reader = FunctionReader(aws)
    return {name: reader.read(function_name(compiled.owner, name)) for name in app_names
            if has_viewer_fence(compiled.app_routing(name).app)}


def _republish(app_plan: AppPlan, after: Resolved, live: LiveFunction | None,
               plan: Plan) -> None:
    """A failover or failback moves fenced viewers too: the function is republished with
    the new table in the same run, after the records (a re-run completes a crash between)."""
    if after.function is None or live is None:
        return
    if not live.exists:
        plan.warnings.append(f"{app_plan.name}: its edge fence is not published yet, so "
                             "fenced viewers follow DNS; run `geoproxy apply` to publish it")
        return
    function = FunctionPlan(app_plan.name, after.function, live)
    if function.has_changes:
        app_plan.function = function


def _record_sets(desired: DesiredApp) -> dict[RecordKey, dict[str, Any]]:
    return {record_key(record_set): record_set
            for record_set in (d.record.to_route53() for d in desired.all_records())}


def canonical_or_none(record_set: dict[str, Any] | None) -> tuple[Any, ...] | None:
    return canonical(record_set) if record_set is not None else None


def change_key(change: RecordChange) -> RecordKey:
    record_set = change.new.record.to_route53() if change.new else change.old.raw  # type: ignore[union-attr]
    return record_key(record_set)


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_app_names(compiled: Compiled, app_names: tuple[str, ...]) -> None:
    known = [routing.app.name for routing in compiled.routing.applications]
    for name in app_names:
        if name not in known:
            raise GeoproxyError(f"no application named {name!r} in {compiled.loaded.file}"
                                + _did_you_mean(name, known))


def check_region(compiled: Compiled, region: str, option: str) -> None:
    """A region argument that is no Route 53 latency region is a typo: say which it meant."""
    if problem := region_problem(region, compiled.catalog, option):
        raise GeoproxyError(problem)


def failover_scope(compiled: Compiled, from_pop: str, to_pop: str | None,
                   app_names: tuple[str, ...]) -> dict[str, str]:
    """Application name -> the PoP its traffic from `from_pop` goes to; errors name the app."""
    check_region(compiled, from_pop, "--from")
    if to_pop is not None:
        check_region(compiled, to_pop, "--to")
    check_app_names(compiled, app_names)
    known = {routing.app.name: routing.app for routing in compiled.routing.applications}
    for name in app_names:
        if from_pop not in known[name].pops:
            raise GeoproxyError(f"application {name!r} has no PoP in {from_pop}")
    apps = [known[name] for name in app_names] if app_names else [
        app for app in known.values() if from_pop in app.pops]
    if not apps:
        raise GeoproxyError(f"no application has a PoP in {from_pop}")
    targets: dict[str, str] = {}
    unusable = []
    for app in apps:
        target = to_pop or app.pops[from_pop].failover_to
        if target is None or target == from_pop or target not in app.pops:
            why = ("it has no PoP in " + target if target and target not in app.pops
                   else "its PoP names no `failover_to` partner; pass --to" if target is None
                   else "a PoP cannot fail over to itself")
            unusable.append(f"{app.name} ({why})")
        else:
            targets[app.name] = target
    if unusable:
        raise GeoproxyError(f"cannot fail over from {from_pop}: " + "; ".join(unusable))
    return targets


def plan_failover(compiled: Compiled, aws: AwsSettings, from_pop: str,
                  targets: Mapping[str, str], declare: Callable[[str], Failover],
                  *, adopt: bool = False) -> Plan:
    """Send traffic of every app in `targets` that reaches `from_pop` to its target PoP.

    `declare(to_pop)` makes the Failover record (time, caller, reason). Declaring the
    failover that is already active keeps the original record, so it is a no-op.
    """

    def edit(routing: AppRouting, overlay: dict[str, Failover]) -> dict[str, Failover]:
        to_pop = targets[routing.app.name]
        current = overlay.get(from_pop)
        if current is None or current.to_pop != to_pop:
            overlay = with_failover(overlay, declare(to_pop))
        try:
            resolve(from_pop, overlay)
        except FailoverCycle as cycle:
            raise RefusedError(f"{routing.app.name}: failing over {from_pop} to {to_pop} "
                               f"would make a cycle ({cycle})",
                               hint=f"fail back {to_pop} first") from None
        return overlay

    return plan_overlay_change(compiled, aws, list(targets), edit, adopt=adopt)


def plan_failback(compiled: Compiled, aws: AwsSettings, region: str,
                  app_names: tuple[str, ...]) -> Plan:
    check_region(compiled, region, "region")
    check_app_names(compiled, app_names)
    known = [r.app.name for r in compiled.routing.applications]
    names = list(app_names) or known
    if not any(region in compiled.app_routing(name).app.pops for name in names):
        # A typo must not read as "nothing to do" to someone restoring service.
        raise GeoproxyError(f"no application has a PoP in {region!r}")

    def edit(routing: AppRouting, overlay: dict[str, Failover]) -> dict[str, Failover]:
        return without_failover(overlay, region)

    return plan_overlay_change(compiled, aws, names, edit)


def compute_status(compiled: Compiled, aws: AwsSettings, app_names: tuple[str, ...] = ()
                   ) -> tuple[list[AppStatus], list[str], list[Orphan]]:
    from geoproxy.core.status import EdgeStatus, app_status

    names = scoped(compiled, app_names)
    zones: dict[str, LiveApp] = {}
    partial: list[str] = []
    live = read_live(compiled, aws, names, zones=zones if names is None else None,
                     partial=partial if names is None else None)
    checks = read_health_checks(compiled, aws, live, zones)
    functions = read_functions(compiled, aws, names if names is not None else [
        routing.app.name for routing in compiled.routing.applications])
    statuses, warnings = [], [*compiled.warnings, *_unsearched(partial)]
    desired: list[DesiredApp] = []
    for routing in compiled.routing.applications:
        if names is not None and routing.app.name not in names:
            continue
        app_live = live[routing.app.name]
        health = plan_health_checks(specs_for(routing.app, compiled.owner), checks,
                                    routing.app.record)
        resolved = resolve_app(compiled, routing, app_live.overlay(routing.app.record),
                               app_live.zone_id, health.ids)
        desired.append(resolved.desired)
        warnings.extend(resolved.warnings + resolved.problems)
        pops_by_target = {pop.target: region for region, pop in routing.app.pops.items()}
        app_status_ = app_status(resolved.desired, resolved.overlay, app_live, pops_by_target)
        live_function = functions.get(routing.app.name)
        if resolved.function is not None and live_function is not None:
            app_status_.edge = EdgeStatus.of(
                FunctionPlan(routing.app.name, resolved.function, live_function))
        statuses.append(app_status_)
    return statuses, warnings, orphans_in(compiled, zones, desired, checks)


# --- the IAM policy ---------------------------------------------------------------------------


def compute_iam_policy(compiled: Compiled, aws: AwsSettings, *, account_id: str | None,
                       read_only: bool, prune: bool) -> IamPolicy:
    """The IAM policy for this policy file. Zone ids the policy does not give, and the
    account id when not given, are looked up only when credentials are at hand (STS needs
    no permission; the zone lookup needs ListHostedZonesByName); otherwise wildcards."""
    from geoproxy.aws.live import Route53Reader
    from geoproxy.aws.session import caller_identity

    apps = compiled.loaded.policy.applications
    zone_ids: dict[str, str] = {}
    notes: list[str] = []
    missing = sorted({app.zone for app in apps if not app.zone_id})
    if (missing or account_id is None) and aws.has_credentials():
        if account_id is None:
            caller = caller_identity(aws)
            account_id = caller.arn.split(":")[4] if caller.arn else None
        reader = Route53Reader(aws)
        for zone in missing:
            try:
                zone_ids[zone] = reader.zone(zone, None)[0]
            except GeoproxyError as error:
                notes.append(f"cannot look up hosted zone {zone}: {error.message}")
    result = iam_policy(compiled.loaded.policy, zone_ids=zone_ids, account_id=account_id,
                        read_only=read_only, prune=prune)
    result.warnings[:0] = notes
    return result
