"""`destroy` with `recovery.switches: arc`: the switches no application left needs.

A routing control is shared by every application with a partner-backed PoP in its region,
and a safety rule may cover several: what goes is what the policy wants now and would no
longer want without the destroyed applications (`core.switches.plan_switches` of both), and
the control panel once no control is left in it. Their RECOVERY_CONTROL health checks go with
the records' health checks (after the records are INSYNC); then, through ARC's configuration
API, the rules (a rule names its controls), the controls and the panel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from geoproxy.aws.session import AwsSettings
from geoproxy.core.healthchecks import LiveHealthCheck
from geoproxy.core.switches import plan_switches
from geoproxy.pipeline.compiled import Compiled


@dataclass(frozen=True)
class SwitchRemoval:
    """What of ARC a destroy deletes, in order, as (name, ARN); and the switches' checks."""

    rules: tuple[tuple[str, str], ...] = ()
    controls: tuple[tuple[str, str], ...] = ()
    panel: tuple[str, str] | None = None
    checks: tuple[LiveHealthCheck, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.rules or self.controls or self.panel or self.checks)

    def writes(self) -> list[tuple[str, str, str]]:
        """(kind, name, ARN) in the order ARC allows: rules, controls, then the panel."""
        found = [("rule", name, arn) for name, arn in self.rules]
        found += [("control", name, arn) for name, arn in self.controls]
        if self.panel is not None:
            found.append(("panel", *self.panel))
        return found


def switch_removal(compiled: Compiled, aws: AwsSettings, destroyed: set[str]) -> SwitchRemoval:
    """None to remove without `switches: arc`; else what no remaining application needs."""
    policy = compiled.loaded.policy
    arc = policy.recovery.arc
    if policy.recovery.switches != "arc" or arc is None:
        return SwitchRemoval()
    from geoproxy.aws.arc import ArcConfig
    from geoproxy.aws.live import HealthCheckReader

    routings = compiled.routing.applications
    whole = plan_switches(policy, routings)
    kept = [app for app in policy.applications if app.name not in destroyed]
    rest = plan_switches(
        policy.model_copy(update={"applications": kept}),
        [routing for routing in routings if routing.app.name not in destroyed],
    )
    controls = {c.name for c in whole.controls} - {c.name for c in rest.controls}
    rules = {r.name for r in whole.rules} - {r.name for r in rest.rules}
    live = ArcConfig(aws).read(arc.cluster_arn, arc.control_panel)
    gone = tuple((c.name, c.arn) for c in live.controls if c.name in controls)
    arns = {arn for _, arn in gone}
    checks = tuple(
        check
        for check in HealthCheckReader(aws).read()
        if check.owner == policy.owner and check.config.get("RoutingControlArn") in arns
    )
    others = [c for c in live.controls if c.name not in controls]
    return SwitchRemoval(
        tuple(sorted((name, arn) for name, arn in live.rules.items() if name in rules)),
        gone,
        (arc.control_panel, live.panel_arn) if live.panel_arn and not others else None,
        checks,
    )
