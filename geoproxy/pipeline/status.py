"""`status`: what is live against what the policy wants."""

from __future__ import annotations

from typing import TYPE_CHECKING

from geoproxy.aws.session import AwsSettings
from geoproxy.core.desired import DesiredApp
from geoproxy.core.edge.plan import FunctionPlan
from geoproxy.core.orphans import Orphan
from geoproxy.core.recovery import ZoneRecovery

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


def compute_status(
    compiled: Compiled,
    aws: AwsSettings,
    app_names: tuple[str, ...] = (),
    recovery: list[ZoneRecovery] | None = None,
) -> tuple[list[AppStatus], list[str], list[Orphan]]:
    """`recovery`, when given, is filled with the policy's zones under accelerated
    recovery, from the zone lookups the read makes anyway (no request of its own)."""
    from geoproxy.core.status import EdgeStatus, app_status

    names = scoped(compiled, app_names)
    read = read_live(compiled, aws, names)
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
    for run in each_app(compiled, live, checks, names, switches=switches):
        app, resolved = run.routing.app, run.resolved
        desired.append(resolved.desired)
        warnings.extend([*resolved.warnings, *resolved.problems])
        pops_by_target = {pop.target: region for region, pop in app.pops.items()}
        app_status_ = app_status(resolved.desired, resolved.overlay, run.live, pops_by_target)
        app_status_.state_problems = list(run.believed.invalid)
        app_status_.gated = run.believed.state.gated
        live_function = functions.get(app.name)
        if resolved.function is not None and live_function is not None:
            app_status_.edge = EdgeStatus.of(
                FunctionPlan(app.name, resolved.function, live_function)
            )
        statuses.append(app_status_)
    return statuses, warnings, orphans_in(compiled, zones, desired, checks)
