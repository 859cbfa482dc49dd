"""A validated policy with its routes, and one application's routes resolved against its
active failovers: everything the commands share before and after reading AWS.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from geoproxy.core.cloudfront import DistributionPlan
from geoproxy.core.desired import DesiredApp, desired_app
from geoproxy.core.edge.fence import (
    EdgeFence,
    describe_edge_violation,
    edge_fence,
    has_viewer_fence,
)
from geoproxy.core.edge.function import EdgeFunction, edge_function
from geoproxy.core.failover import (
    Failover,
    FailoverCycle,
    Overlay,
    apply_overlay,
    compliance_violations,
    describe_violation,
    resolve,
)
from geoproxy.core.routing import AppRouting, RoutingResult, route_policy
from geoproxy.core.switch_checks import switch_issues
from geoproxy.errors import OVERRIDE_COMPLIANCE, Finding, GeoproxyError
from geoproxy.policy.catalog import Catalog
from geoproxy.policy.checks import region_problem
from geoproxy.policy.latency import LatencyTable
from geoproxy.policy.loader import LoadedPolicy, load_policy
from geoproxy.policy.models import Application


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


def compile_policy(
    path: str | Path, catalog: Catalog | None = None, latency_table: str | Path | None = None
) -> Compiled:
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
    check_compiled(compiled)
    return compiled


def check_compiled(compiled: Compiled) -> None:
    """The checks that need routes: the edge function is built (refused offline, validate
    too, rather than when apply would publish it) and `recovery.switches` is checked."""
    fences: dict[str, EdgeFence | None] = {}
    for routing in compiled.routing.applications:
        if has_viewer_fence(routing.app):
            fence = edge_fence(routing.app, compiled.catalog, compiled.owner)
            fences[routing.app.name] = fence
            if fence is not None:
                edge_function(fence)
    policy = compiled.loaded.policy
    issues = switch_issues(policy, compiled.routing.applications, fences)
    if issues:
        raise compiled.loaded.error(issues)


@dataclass(frozen=True)
class Authority:
    """What may allow a compliance breach in this run. DNS is not an authority: an override
    read from a state record (public, and forgeable by anyone who may write the zone) only
    says what some run once allowed. A breach is kept only by `--override-compliance` given
    to this run, or by the failovers this run declares with it."""

    run_override: str | None = None  # --override-compliance given to this run
    declared: frozenset[str] = frozenset()  # from-PoPs of the failovers this run declares
    # failback: it moves no traffic into a breach, and must never be blocked; what it leaves
    # live is said as a warning
    keeps_live: bool = False
    # who declared a failover, from the audit log, where known
    who: Callable[[Failover], str | None] | None = None

    def allows(self, failover_from: str, overridden: str) -> str | None:
        """The reason that allows this breach in this run, or None."""
        if failover_from in self.declared:
            return self.run_override or None
        if self.run_override:
            return self.run_override
        if self.keeps_live and overridden:
            return overridden
        return None


def _untrusted(app: str, failover: Failover | None, authority: Authority) -> str:
    if failover is None:
        return ""
    who = authority.who(failover) if authority.who else None
    when = f"declared {failover.at}" if failover.at else "with no declaration time"
    text = (
        f"; through the failover {failover.from_pop} → {failover.to_pop} ({when}"
        + (f" by {who}" if who else "")
        + ")"
    )
    if failover.override_compliance:
        text += (
            f"; its override read from DNS ({failover.override_compliance!r}) allows nothing "
            "in this run"
        )
    return text


@dataclass
class Resolved:
    """One application's routes with its failovers applied, and what that raised."""

    routing: AppRouting
    overlay: dict[str, Failover]
    desired: DesiredApp
    warnings: list[str] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)  # reasons to refuse writing
    function: EdgeFunction | None = None  # the edge fence's, with the failovers applied


def resolve_app(
    compiled: Compiled,
    routing: AppRouting,
    overlay: Overlay,
    zone_id: str | None = None,
    health_check_ids: Mapping[str, str] | None = None,
    distribution: DistributionPlan | None = None,
    authority: Authority | None = None,
    gated: bool = False,
    gates: Mapping[str, str] | None = None,
) -> Resolved:
    """Apply failovers to the policy's routes; stale ones (from a PoP the policy no longer
    has) are dropped, broken ones (to a PoP it no longer has, cycles, compliance) refused."""
    app = routing.app
    active, warnings, problems = _active_failovers(app, overlay)
    resolved = apply_overlay(routing, active)
    desired = desired_app(
        resolved,
        compiled.catalog,
        active.values(),
        zone_id,
        health_check_ids,
        distribution,
        compiled.owner,
        gated,
        gates,
    )
    fence = edge_fence(app, compiled.catalog, compiled.owner, active)
    _judge_breaches(
        app, resolved, active, fence, compiled, authority or Authority(), warnings, problems
    )
    function = edge_function(fence) if fence else None
    return Resolved(resolved, active, desired, warnings, problems, function)


def _active_failovers(
    app: Application, overlay: Overlay
) -> tuple[dict[str, Failover], list[str], list[Finding]]:
    """The failovers that still apply (stale ones end with a warning), those that cannot
    (to a PoP the policy no longer has, cycles) refused."""
    active: dict[str, Failover] = {}
    warnings: list[str] = []
    problems: list[Finding] = []
    for from_pop, failover in overlay.items():
        if from_pop not in app.pops:
            warnings.append(
                f"{app.name}: the failover away from {from_pop} ends: {from_pop} "
                "is no longer one of its PoPs"
            )
        elif failover.to_pop not in app.pops:
            problems.append(
                Finding(
                    f"{app.name}: the active failover {from_pop} → {failover.to_pop} targets a PoP "
                    f"the policy no longer has; fail back {from_pop} or restore {failover.to_pop}",
                    app=app.name,
                    code="failover_target_gone",
                )
            )
        else:
            active[from_pop] = failover
    try:
        for pop in active:
            resolve(pop, active)
    except FailoverCycle as cycle:
        problems.append(
            Finding(
                f"{app.name}: the failovers form a cycle ({cycle})",
                app=app.name,
                code="failover_cycle",
            )
        )
        active = {}
    return active, warnings, problems


def _judge_breaches(
    app: Application,
    resolved: AppRouting,
    active: dict[str, Failover],
    fence: EdgeFence | None,
    compiled: Compiled,
    authority: Authority,
    warnings: list[str],
    problems: list[Finding],
) -> None:
    """Routes and fenced viewers alike: a breach refuses the write unless this run allows it
    (see Authority), and the reason is then shown."""
    breaches = [
        (describe_violation(app.name, violation), violation.failover_from, violation.overridden)
        for violation in compliance_violations(
            app, resolved, active, compiled.catalog, compiled.latency
        )
    ]
    breaches += [
        (
            describe_edge_violation(app.name, violation),
            violation.failover_from,
            violation.overridden,
        )
        for violation in (fence.violations if fence else ())
    ]
    for message, failover_from, overridden in breaches:
        allowed = authority.allows(failover_from, overridden)
        if allowed:
            warnings.append(f"{message} (allowed by --override-compliance: {allowed})")
        else:
            message += _untrusted(app.name, active.get(failover_from), authority)
            problems.append(
                Finding(
                    message, app=app.name, code="compliance_breach", override=OVERRIDE_COMPLIANCE
                )
            )


def scoped(compiled: Compiled, app_names: tuple[str, ...]) -> list[str] | None:
    """The applications a run is scoped to (checked, with a did-you-mean), or None for all.
    Orphans are looked for only on unscoped runs: a scoped one cannot tell them apart."""
    if not app_names:
        return None
    check_app_names(compiled, app_names)
    return list(dict.fromkeys(app_names))


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_app_names(compiled: Compiled, app_names: tuple[str, ...]) -> None:
    known = [routing.app.name for routing in compiled.routing.applications]
    for name in app_names:
        if name not in known:
            raise GeoproxyError(
                f"no application named {name!r} in {compiled.loaded.file}"
                + _did_you_mean(name, known)
            )


def check_region(compiled: Compiled, region: str, option: str) -> None:
    """A region argument that is no Route 53 latency region is a typo: say which it meant."""
    if problem := region_problem(region, compiled.catalog, option):
        raise GeoproxyError(problem)
