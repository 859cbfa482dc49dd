"""Each application of a run, resolved: the one loop planning, failovers and status share.

A run reads what is live once (records, health checks); then every command walks the same
applications in the policy's order, scoped the same way, each with its health checks
matched and its routes resolved against the failovers that are live. What differs between
commands is what they do with each one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from geoproxy.core.cloudfront import DistributionPlan
from geoproxy.core.failover import Failover
from geoproxy.core.healthchecks import (
    HealthCheckPlan,
    LiveHealthCheck,
    plan_health_checks,
    specs_for,
)
from geoproxy.core.live import LiveApp
from geoproxy.core.routing import AppRouting
from geoproxy.core.switches import SwitchPlan
from geoproxy.pipeline.compiled import Compiled, Resolved, resolve_app


@dataclass
class AppRun:
    """One application in this run: its routes, what is live, its health checks, and its
    routes resolved against the live failovers (`resolved`)."""

    compiled: Compiled
    routing: AppRouting
    live: LiveApp
    health: HealthCheckPlan
    resolved: Resolved
    # PoP region -> the check its switch-gated pair's PRIMARY carries (recovery.switches)
    gates: Mapping[str, str] | None = None

    @property
    def name(self) -> str:
        return self.routing.app.name

    def resolve(self, overlay: dict[str, Failover]) -> Resolved:
        """The routes resolved against another overlay (a failover's or failback's edit)."""
        return resolve_app(
            self.compiled,
            self.routing,
            overlay,
            self.live.zone_id,
            self.health.ids,
            gates=self.gates,
        )


def each_app(
    compiled: Compiled,
    live: Mapping[str, LiveApp],
    checks: list[LiveHealthCheck],
    names: list[str] | None,
    *,
    nonce: str = "",
    distributions: Mapping[str, DistributionPlan] | None = None,
    switches: SwitchPlan | None = None,
) -> Iterator[AppRun]:
    """The applications named (all when `names` is None), in the policy's order, resolved.
    `nonce` goes into the references of health checks this run would create; `gates` maps
    each switch-gated PoP region to its RECOVERY_CONTROL check (data-plane switches)."""
    distributions = distributions or {}
    wanted = None if names is None else set(names)
    for routing in compiled.routing.applications:
        app = routing.app
        if wanted is not None and app.name not in wanted:
            continue
        app_live = live[app.name]
        health = plan_health_checks(specs_for(app, compiled.owner), checks, app.record, nonce)
        gates = switches.gates_for(app.name) if switches is not None else None
        resolved = resolve_app(
            compiled,
            routing,
            app_live.overlay(app.record),
            app_live.zone_id,
            health.ids,
            distributions.get(app.name),
            gates,
        )
        yield AppRun(compiled, routing, app_live, health, resolved, gates)
