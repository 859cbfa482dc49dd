"""Data-plane switches (`recovery.switches: arc`, issue 25): what ARC should hold, the diff
against what it holds, and which switch a failover turns.

Pure. One ARC routing control per PoP region that has a partner (`failover_to`) in some
application: it is shared by every application with a partner-backed PoP there, so one flip
moves the region's traffic for all of them. Each control gets a Route 53 RECOVERY_CONTROL
health check (healthy while the control is On); the PoP's failover pair
(`<pop>._failover.<record>`) stands behind its latency records with that check on the
PRIMARY and the partner as SECONDARY, so turning the control Off makes Route 53 answer with
the partner without a record change. The edge fence's direct names alias to the same pairs.

With `auto_failover` and a PoP `health_check` too, the PRIMARY needs both ("switch on AND
endpoint healthy"), and a record carries one health check: that is a CALCULATED check with
the two as children and `HealthThreshold` 2 (`calculated_config`), one per application and
PoP, made by apply's preparation (`SwitchPlan.needs_combined`). Without an endpoint check,
`auto_failover` keeps `EvaluateTargetHealth` on the PRIMARY beside the switch's check.

Safety rules: for each compliance fence, an ARC assertion rule "at least 1 of the fence's
switch-gated PoPs On" (unless the fence holds a PoP no switch gates, which is always on),
and one per application over all its gated PoPs, so no flip through a cluster endpoint can
leave a fence or an application with no PoP on. Route 53 answers a failover pair whose
SECONDARY is unhealthy too with the PRIMARY: a switched-off PoP whose partner is also down
gets its traffic back (Route 53 Developer Guide, "How health checks work in complex Amazon
Route 53 configurations"); the rules cannot prevent the partner's own outage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from geoproxy.core.healthchecks import PENDING_PREFIX
from geoproxy.core.names import safety_rule_name, switch_name
from geoproxy.core.routing import AppRouting, matches
from geoproxy.policy.models import Policy

# ARC's quotas for routing control (Amazon Application Recovery Controller Developer Guide,
# "Quotas for routing control":
# https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.quotas.html).
MAX_CONTROLS_PER_PANEL = 100
MAX_CONTROLS_PER_CLUSTER = 300
MAX_SAFETY_RULES_PER_PANEL = 20
MAX_CONTROLS_PER_UPDATE = 10  # routing controls in one UpdateRoutingControlStates call
MAX_MUTATIONS_PER_SECOND = 3  # mutating calls to one cluster endpoint
# A safety rule's WaitPeriodMs: how long ARC waits before evaluating it after a change (to
# let a flip's health checks settle); 5 s is ARC's console default.
WAIT_PERIOD_MS = 5000

ON, OFF = "On", "Off"


@dataclass(frozen=True)
class SwitchControl:
    """One routing control: a PoP region's switch."""

    region: str
    name: str
    apps: tuple[str, ...]  # the applications whose PoP there it gates, sorted
    partners: Mapping[str, str] = field(default_factory=dict)  # app -> its partner region


@dataclass(frozen=True)
class SafetyRuleSpec:
    """An ARC assertion rule: at least `threshold` of these regions' controls stay On."""

    name: str
    regions: tuple[str, ...]  # sorted
    why: tuple[str, ...]  # "<app>: compliance rule 'gdpr'" / "<app>: every PoP"
    threshold: int = 1

    def rule_config(self) -> dict[str, Any]:
        return {"Inverted": False, "Threshold": self.threshold, "Type": "ATLEAST"}


@dataclass(frozen=True)
class DesiredSwitches:
    cluster_arn: str
    panel: str
    endpoints: tuple[tuple[str, str], ...]  # (region, url), in the order failover tries them
    controls: tuple[SwitchControl, ...]  # by region
    rules: tuple[SafetyRuleSpec, ...]

    def control(self, region: str) -> SwitchControl | None:
        return next((c for c in self.controls if c.region == region), None)

    def gated(self, app: str) -> tuple[str, ...]:
        """The PoP regions of `app` that a switch gates."""
        return tuple(c.region for c in self.controls if app in c.apps)


def plan_switches(policy: Policy, routings: Iterable[AppRouting]) -> DesiredSwitches:
    """What ARC should hold for this policy (assumed to pass `switch_issues`)."""
    arc = policy.recovery.arc
    assert arc is not None, "switches: arc has an arc section"
    owner = policy.owner
    gated: dict[str, dict[str, str]] = {}  # region -> app -> partner
    for app in policy.applications:
        for region, pop in sorted(app.pops.items()):
            if pop.failover_to is not None:
                gated.setdefault(region, {})[app.name] = pop.failover_to
    controls = tuple(
        SwitchControl(region, switch_name(owner, region), tuple(sorted(apps)), dict(apps))
        for region, apps in sorted(gated.items())
    )
    wanted: dict[tuple[str, ...], list[str]] = {}
    for routing in routings:
        app = routing.app
        mine = sorted(region for region in app.pops if app.name in gated.get(region, {}))
        if len(mine) >= 1 and len(mine) == len(app.pops):
            wanted.setdefault(tuple(mine), []).append(f"{app.name}: every PoP")
        for rule in app.compliance:
            allowed = [region for region in sorted(app.pops) if matches(region, rule.allowed_pops)]
            # A fence that holds a PoP no switch gates always has that PoP on.
            if allowed and all(region in mine for region in allowed):
                wanted.setdefault(tuple(allowed), []).append(
                    f"{app.name}: compliance rule {rule.name!r}"
                )
    rules = tuple(
        SafetyRuleSpec(safety_rule_name(owner, regions), regions, tuple(why))
        for regions, why in sorted(wanted.items())
    )
    return DesiredSwitches(
        arc.cluster_arn, arc.control_panel, tuple(sorted(arc.endpoints.items())), controls, rules
    )


def recovery_control_config(control_arn: str) -> dict[str, Any]:
    """The Route 53 health check that follows a routing control (CreateHealthCheck,
    Type RECOVERY_CONTROL: healthy while the control is On)."""
    return {"Type": "RECOVERY_CONTROL", "RoutingControlArn": control_arn}


def calculated_config(switch_check: str, endpoint_check: str) -> dict[str, Any]:
    """ "Switch on AND endpoint healthy": a CALCULATED check healthy only while both children
    are (HealthThreshold = the number of children)."""
    return {
        "Type": "CALCULATED",
        "ChildHealthChecks": sorted([switch_check, endpoint_check]),
        "HealthThreshold": 2,
    }


# --- the diff against ARC ---------------------------------------------------------------------


@dataclass(frozen=True)
class LiveControl:
    arn: str
    name: str
    state: str | None = None  # On / Off, when read from a cluster endpoint


@dataclass(frozen=True)
class LiveArc:
    """What the cluster holds of geoproxy's: its control panel, controls and rules."""

    panel_arn: str | None = None
    controls: tuple[LiveControl, ...] = ()
    rules: Mapping[str, str] = field(default_factory=dict)  # name -> ARN
    endpoints: tuple[tuple[str, str], ...] = ()  # DescribeCluster's, (region, url)


@dataclass(frozen=True)
class SwitchChanges:
    """What `apply` does to ARC, in order: panel, controls, turn them On, then rules."""

    create_panel: bool
    create_controls: tuple[SwitchControl, ...]
    turn_on: tuple[SwitchControl, ...]  # the new ones, and any an interrupted apply left Off
    create_rules: tuple[SafetyRuleSpec, ...]
    extra_controls: tuple[LiveControl, ...] = ()  # geoproxy-named, no longer wanted (kept)

    @property
    def empty(self) -> bool:
        return not (self.create_panel or self.create_controls or self.create_rules or self.turn_on)

    @property
    def writes(self) -> int:
        """ARC writes: configuration calls plus one data-plane call per 10 controls to set."""
        batches = -(-len(self.turn_on) // MAX_CONTROLS_PER_UPDATE)
        return int(self.create_panel) + len(self.create_controls) + len(self.create_rules) + batches


def diff_switches(
    desired: DesiredSwitches, live: LiveArc, unserved: Iterable[str] = ()
) -> SwitchChanges:
    """Only creations: a control that exists is left in whatever state it is (Off may be a
    failover in progress: turning it On is `failback`'s, never `apply`'s), except one an
    interrupted preparation left Off before its health check was made (`unserved`, by
    name: apply makes a control's check only after setting it On, so Off without a check
    was never in service). New controls are assumed Off (docs/operations/switches.md says
    why, and lists it for checking on AWS) and set On before any rule or record uses them."""
    names = {control.name for control in live.controls}
    create = tuple(control for control in desired.controls if control.name not in names)
    stranded = set(unserved)
    turn_on = create + tuple(
        c for c in desired.controls if c.name in stranded - {x.name for x in create}
    )
    wanted = {control.name for control in desired.controls}
    extra = tuple(control for control in live.controls if control.name not in wanted)
    rules = tuple(rule for rule in desired.rules if rule.name not in live.rules)
    return SwitchChanges(live.panel_arn is None, create, turn_on, rules, extra)


# --- a failover through the switches ------------------------------------------------------------


@dataclass(frozen=True)
class SwitchMove:
    """One data-plane failover (or failback): the controls to set, and to which state."""

    region: str
    control: SwitchControl
    state: str  # OFF for failover, ON for failback
    apps: tuple[str, ...]
    partners: Mapping[str, str]  # app -> where its traffic goes (failover)


class SwitchRefused(Exception):
    """Why a failover through the switches cannot be done as asked; the message says
    what to do (usually `--via records`)."""


def switch_move(
    desired: DesiredSwitches,
    region: str,
    *,
    to: str | None = None,
    apps: tuple[str, ...] = (),
    state: str = OFF,
) -> SwitchMove:
    control = desired.control(region)
    if control is None:
        raise SwitchRefused(
            f"no switch gates {region}: no application has a PoP there with a `failover_to` "
            "partner; use `--via records`"
        )
    if apps:
        missing = [app for app in control.apps if app not in apps]
        if missing:
            raise SwitchRefused(
                f"the switch of {region} is shared by {', '.join(control.apps)}: turning it "
                f"moves them all, and --app leaves out {', '.join(missing)}; name every one, "
                "or move only some with `--via records`"
            )
    if to is not None and state == OFF:
        other = {app: partner for app, partner in control.partners.items() if partner != to}
        if other:
            shown = ", ".join(f"{app} → {partner}" for app, partner in sorted(other.items()))
            raise SwitchRefused(
                f"--to {to}: the switch of {region} sends traffic to the prepared partners "
                f"({shown}); drop --to, or use `--via records` to go elsewhere"
            )
    return SwitchMove(region, control, state, control.apps, dict(control.partners))


# --- what plan and apply show and prepare ---------------------------------------------------


@dataclass
class SwitchPlan:
    """What `apply` does for the switches, and the health check each gated PoP gets."""

    desired: DesiredSwitches
    live: LiveArc
    changes: SwitchChanges
    checks: dict[str, str]  # PoP region -> its RECOVERY_CONTROL check id, where it exists
    endpoints: tuple[tuple[str, str], ...]  # the policy's; else DescribeCluster's
    bookmarked: bool  # the policy lists the endpoints
    owner: str = "default"
    # (app, PoP region) whose PRIMARY needs "switch On AND endpoint healthy": auto_failover
    # with a PoP health_check at a switched region (a CALCULATED check, calculated_config).
    needs_combined: tuple[tuple[str, str], ...] = ()
    combined: dict[tuple[str, str], str] = field(default_factory=dict)  # found: -> its id

    @property
    def missing_checks(self) -> tuple[str, ...]:
        return tuple(c.region for c in self.desired.controls if c.region not in self.checks)

    @property
    def writes(self) -> int:
        """What preparing makes: ARC writes and health checks (each made, then tagged)."""
        return self.changes.writes + len(self.missing_checks) + len(self.missing_combined)

    @property
    def missing_combined(self) -> tuple[tuple[str, str], ...]:
        return tuple(key for key in self.needs_combined if key not in self.combined)

    @property
    def empty(self) -> bool:
        return self.changes.empty and not self.missing_checks and not self.missing_combined

    def gates_for(self, app: str) -> dict[str, str]:
        """The gated PoPs of `app` -> the check their PRIMARY carries: the switch's, or the
        CALCULATED one of switch and endpoint (placeholders for checks apply creates first;
        such a plan is made again after the preparation)."""
        gates = {
            region: check
            for region, check in self.gates.items()
            if region in self.desired.gated(app)
        }
        for name, region in self.needs_combined:
            if name == app:
                gates[region] = self.combined.get(
                    (name, region), f"{PENDING_PREFIX}switch:{region}@{app}"
                )
        return gates

    @property
    def gates(self) -> dict[str, str]:
        """PoP region -> the health check id its pair's PRIMARY carries (a placeholder for
        one `apply` creates first; such a plan is re-made after the preparation)."""
        return {
            c.region: self.checks.get(c.region, f"{PENDING_PREFIX}switch:{c.region}")
            for c in self.desired.controls
        }

    def summary(self) -> list[str]:
        """What apply will create, and what it costs (docs/operations/switches.md)."""
        lines = []
        changes = self.changes
        if changes.create_panel:
            lines.append(f"create ARC control panel {self.desired.panel}")
        for control in changes.create_controls:
            lines.append(
                f"create routing control {control.name} (for {', '.join(control.apps)}) and "
                "set it On"
            )
        for control in changes.turn_on:
            if control not in changes.create_controls:
                lines.append(
                    f"set routing control {control.name} On: an earlier apply stopped before "
                    "it was in service"
                )
        for region in self.missing_checks:
            lines.append(f"create a RECOVERY_CONTROL health check for the switch of {region}")
        for app, region in self.missing_combined:
            lines.append(
                f"create a CALCULATED health check for {app} in {region}: its switch On AND "
                "its endpoint check healthy"
            )
        for rule in changes.create_rules:
            lines.append(
                f"create safety rule {rule.name}: at least 1 of {', '.join(rule.regions)} On "
                f"({'; '.join(rule.why)})"
            )
        if lines:
            lines.append(
                "ARC bills the cluster by the hour whether or not it is used; each Route 53 "
                "health check is billed monthly (docs/operations/switches.md#costs)"
            )
        return lines

    def endpoint_snippet(self) -> list[str]:
        """The policy lines that bookmark the cluster's endpoints."""
        if self.bookmarked or not self.endpoints:
            return []
        return [
            "recovery.arc.endpoints is not set: a failover through the switches needs the "
            "cluster's endpoints without asking the configuration API; add to the policy:",
            "    endpoints:",
            *(f"      {region}: {url}" for region, url in self.endpoints),
        ]
