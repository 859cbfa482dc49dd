"""`failover` and `failback`: plans that change only what an edit of the failover overlay
moves, and the edge fence republished with them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from geoproxy.aws.session import AwsSettings
from geoproxy.core.desired import DesiredApp
from geoproxy.core.diff import calculate_app
from geoproxy.core.edge.plan import FunctionPlan, LiveFunction
from geoproxy.core.failover import (
    Failover,
    FailoverCycle,
    resolve,
    with_failover,
    without_failover,
)
from geoproxy.core.healthchecks import PENDING_PREFIX
from geoproxy.core.names import state_name
from geoproxy.core.plan import AppPlan, Plan
from geoproxy.core.records import RecordKey
from geoproxy.core.routing import AppRouting
from geoproxy.errors import Finding, GeoproxyError, RefusedError
from geoproxy.pipeline.apps import each_app
from geoproxy.pipeline.compiled import (
    Compiled,
    Resolved,
    check_app_names,
    check_region,
)
from geoproxy.pipeline.reads import read_functions, read_health_checks, read_live

OverlayEdit = Callable[[AppRouting, dict[str, Failover]], dict[str, Failover]]


def plan_overlay_change(
    compiled: Compiled,
    aws: AwsSettings,
    app_names: list[str],
    edit: OverlayEdit,
    *,
    adopt: bool = False,
) -> Plan:
    """A plan that changes only what an edit of the failover overlay moves.

    Records whose target the edit does not change are left out even if they drift from the
    policy: a 3 a.m. failover must not also ship a half-reviewed policy change.
    """
    live = read_live(compiled, aws, app_names).apps
    checks = read_health_checks(compiled, aws, live)
    functions = read_functions(compiled, aws, app_names)
    plan = Plan([], warnings=[])
    for run in each_app(compiled, live, checks, app_names):
        name, routing, app_live, before = run.name, run.routing, run.live, run.resolved
        after = run.resolve(edit(routing, dict(before.overlay)))
        plan.warnings.extend(after.warnings)
        plan.problems.extend(after.problems)
        full = calculate_app(after.desired, app_live, adopt=adopt)
        moving = _moving(before.desired, after.desired)
        state = state_name(routing.app.record)
        app_plan = AppPlan(full.name, full.zone_id, full.zone_name, full.record_name)
        app_plan.changes = [change for change in full.changes if change.key in moving]
        if any(
            PENDING_PREFIX in str(change.new.record_set.wire.get("HealthCheckId", ""))
            for change in app_plan.changes
            if change.new
        ):
            plan.problems.append(
                Finding(
                    f"{name}: this failover needs a health check that does "
                    "not exist yet; run `geoproxy apply` first",
                    app=name,
                    code="needs_health_check",
                )
            )
        changed_names = {change.name for change in app_plan.changes} | {state}
        app_plan.conflicts = [c for c in full.conflicts if c.record.name in changed_names]
        app_plan.unchanged = full.unchanged
        _republish(app_plan, after, functions.get(name), plan)
        plan.apps.append(app_plan)
    return plan


def _republish(app_plan: AppPlan, after: Resolved, live: LiveFunction | None, plan: Plan) -> None:
    """A failover or failback moves fenced viewers too: the function is republished with
    the new table in the same run, after the records (a re-run completes a crash between)."""
    if after.function is None or live is None:
        return
    if not live.exists:
        plan.warnings.append(
            f"{app_plan.name}: its edge fence is not published yet, so "
            "fenced viewers follow DNS; run `geoproxy apply` to publish it"
        )
        return
    function = FunctionPlan(app_plan.name, after.function, live)
    if function.has_changes:
        app_plan.function = function


def _moving(before: DesiredApp, after: DesiredApp) -> set[RecordKey]:
    """The records an overlay edit changes: created, deleted, or answering differently."""
    old = {d.record_set.key: d.record_set for d in before.all_records()}
    new = {d.record_set.key: d.record_set for d in after.all_records()}
    return {
        key
        for key in old.keys() | new.keys()
        if key not in old or key not in new or not old[key].answers_like(new[key])
    }


def failover_scope(
    compiled: Compiled, from_pop: str, to_pop: str | None, app_names: tuple[str, ...]
) -> dict[str, str]:
    """Application name -> the PoP its traffic from `from_pop` goes to; errors name the app."""
    check_region(compiled, from_pop, "--from")
    if to_pop is not None:
        check_region(compiled, to_pop, "--to")
    check_app_names(compiled, app_names)
    known = {routing.app.name: routing.app for routing in compiled.routing.applications}
    for name in app_names:
        if from_pop not in known[name].pops:
            raise GeoproxyError(f"application {name!r} has no PoP in {from_pop}")
    apps = (
        [known[name] for name in app_names]
        if app_names
        else [app for app in known.values() if from_pop in app.pops]
    )
    if not apps:
        raise GeoproxyError(f"no application has a PoP in {from_pop}")
    targets: dict[str, str] = {}
    unusable = []
    for app in apps:
        target = to_pop or app.pops[from_pop].failover_to
        if target is None or target == from_pop or target not in app.pops:
            why = (
                "it has no PoP in " + target
                if target and target not in app.pops
                else "its PoP names no `failover_to` partner; pass --to"
                if target is None
                else "a PoP cannot fail over to itself"
            )
            unusable.append(f"{app.name} ({why})")
        else:
            targets[app.name] = target
    if unusable:
        raise GeoproxyError(f"cannot fail over from {from_pop}: " + "; ".join(unusable))
    return targets


def plan_failover(
    compiled: Compiled,
    aws: AwsSettings,
    from_pop: str,
    targets: Mapping[str, str],
    declare: Callable[[str], Failover],
    *,
    adopt: bool = False,
) -> Plan:
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
            raise RefusedError(
                f"{routing.app.name}: failing over {from_pop} to {to_pop} "
                f"would make a cycle ({cycle})",
                hint=f"fail back {to_pop} first",
            ) from None
        return overlay

    return plan_overlay_change(compiled, aws, list(targets), edit, adopt=adopt)


def plan_failback(
    compiled: Compiled, aws: AwsSettings, region: str, app_names: tuple[str, ...]
) -> Plan:
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
