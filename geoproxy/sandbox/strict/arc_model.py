"""Route 53 ARC routing control, as state: clusters, control panels, routing controls, safety
rules, and how a batch of state changes is judged by the safety rules.

Sources (cited by short name in this package):
  [quotas] "Quotas for routing control", ARC Developer Guide,
           https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.quotas.html
           (2 clusters per account, 50 control panels per cluster, 100 routing controls per
           control panel, 300 per cluster, 20 safety rules per control panel, 10 routing
           controls per UpdateRoutingControlStates call, 3 mutating calls per second per
           cluster endpoint).
  [rules]  "Safety rules for routing control", ARC Developer Guide,
           https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.safety-rules.html,
           and the API Reference shapes AssertionRule, GatingRule and RuleConfig
           (https://docs.aws.amazon.com/recovery-cluster/latest/api/safetyrule.html): an
           assertion rule's criteria must hold for the asserted controls "after the
           transaction", else "the change to the routing control state is not accepted"; a
           gating rule lets the target controls change only while the gating controls satisfy
           the rule; RuleConfig Type is ATLEAST (Threshold controls On), AND or OR, and
           Inverted is the "logical negation of the rule".
  [start]  CLI getting-started, "Set up routing control components",
           https://docs.aws.amazon.com/r53recovery/latest/dg/getting-started-cli-routing-config.html
           (a new resource is PENDING while ARC creates it, then DEPLOYED) and "Routing
           control in ARC": a routing control is created with the state Off (the states are
           On and Off; traffic flows only while On), so a new control starts Off here.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from moto.route53.models import route53_backends

ARN_PREFIX = "arn:aws:route53-recovery-control::"
# The five regions of every cluster's endpoints, in the order ARC lists them ([start]).
CLUSTER_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2", "ap-northeast-1")
ON, OFF = "On", "Off"
INITIAL_STATE = OFF  # [start]: a new routing control is Off

MAX_CLUSTERS = 2  # [quotas]
MAX_PANELS_PER_CLUSTER = 50
MAX_CONTROLS_PER_PANEL = 100
MAX_CONTROLS_PER_CLUSTER = 300
MAX_RULES_PER_PANEL = 20
MAX_ENTRIES_PER_UPDATE = 10
MUTATING_CALLS_PER_SECOND = 3


class ArcError(Exception):
    """An ARC API error by code (ValidationException, ConflictException, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def not_found(what: str, arn: str) -> ArcError:
    return ArcError("ResourceNotFoundException", f"{what} {arn} was not found.")


class EndpointNamer(Protocol):
    def endpoint_url(self, cluster_id: str, region: str) -> str: ...


def page(items: list[Any], params: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """One page and, if more remain, its NextToken (an opaque offset here)."""
    try:
        start = int(params.get("NextToken") or 0)
        size = int(params.get("MaxResults") or 100)
    except ValueError:
        raise ArcError("ValidationException", "NextToken is not one this API returned.") from None
    if size < 1 or start < 0:
        raise ArcError("ValidationException", "MaxResults must be at least 1.")
    more = {"NextToken": str(start + size)} if start + size < len(items) else {}
    return items[start : start + size], more


@dataclass
class Cluster:
    arn: str
    name: str
    owner: str
    network_type: str = "IPV4"
    pending: bool = True  # PENDING in Create's own answer only; DEPLOYED from then on

    @property
    def cluster_id(self) -> str:
        return self.arn.rpartition("/")[2]


@dataclass
class ControlPanel:
    arn: str
    cluster_arn: str
    name: str
    owner: str
    default: bool = False
    pending: bool = True


@dataclass
class RoutingControl:
    arn: str
    panel_arn: str
    name: str
    owner: str
    state: str = INITIAL_STATE
    pending: bool = True


@dataclass
class SafetyRule:
    arn: str
    panel_arn: str
    name: str
    owner: str
    kind: str  # "ASSERTION" or "GATING"
    config: dict[str, Any]  # RuleConfig: Type, Threshold, Inverted
    wait_ms: int
    asserted: list[str] = field(default_factory=list)  # assertion rules
    gating: list[str] = field(default_factory=list)  # gating rules
    targets: list[str] = field(default_factory=list)
    pending: bool = True

    def covers(self) -> list[str]:
        """The controls whose change this rule judges."""
        return self.asserted if self.kind == "ASSERTION" else self.targets


def rule_holds(config: Mapping[str, Any], states: Iterable[str]) -> bool:
    """Whether controls in `states` satisfy a RuleConfig ([rules])."""
    on = [state == ON for state in states]
    kind = config.get("Type")
    if kind == "ATLEAST":
        holds = sum(on) >= int(config.get("Threshold") or 0)
    elif kind == "AND":
        holds = all(on)
    else:  # OR
        holds = any(on)
    return holds != bool(config.get("Inverted"))


class ArcState:
    """One account's ARC configuration and routing control states."""

    def __init__(self, account: str) -> None:
        self.account = account
        self.lock = threading.RLock()  # the server is threaded
        self.clusters: dict[str, Cluster] = {}
        self.panels: dict[str, ControlPanel] = {}
        self.controls: dict[str, RoutingControl] = {}
        self.rules: dict[str, SafetyRule] = {}
        self.tags: dict[str, dict[str, str]] = {}
        self.tokens: dict[tuple[str, str], str] = {}  # (operation, ClientToken) -> ARN
        # ARN of a rule -> when (clock seconds) its controls last changed, for WaitPeriodMs.
        self.last_change: dict[str, float] = {}

    def new_arn(self, kind: str, panel_arn: str | None = None) -> str:
        base = f"{ARN_PREFIX}{self.account}:"
        if kind == "cluster":
            return f"{base}cluster/{uuid.uuid4()}"
        if kind == "controlpanel":
            return f"{base}controlpanel/{uuid.uuid4().hex}"
        assert panel_arn is not None
        return f"{panel_arn}/{kind}/{uuid.uuid4().hex[:16]}"

    # -- lookups -------------------------------------------------------------------------------
    def cluster(self, arn: str) -> Cluster:
        if arn not in self.clusters:
            raise not_found("Cluster", arn)
        return self.clusters[arn]

    def cluster_by_id(self, cluster_id: str) -> Cluster | None:
        return next((c for c in self.clusters.values() if c.cluster_id == cluster_id), None)

    def panel(self, arn: str) -> ControlPanel:
        if arn not in self.panels:
            raise not_found("Control panel", arn)
        return self.panels[arn]

    def control(self, arn: str) -> RoutingControl:
        if arn not in self.controls:
            raise not_found("Routing control", arn)
        return self.controls[arn]

    def rule(self, arn: str) -> SafetyRule:
        if arn not in self.rules:
            raise not_found("Safety rule", arn)
        return self.rules[arn]

    def panels_of(self, cluster_arn: str) -> list[ControlPanel]:
        return [p for p in self.panels.values() if p.cluster_arn == cluster_arn]

    def controls_of(self, panel_arn: str) -> list[RoutingControl]:
        return [c for c in self.controls.values() if c.panel_arn == panel_arn]

    def rules_of(self, panel_arn: str) -> list[SafetyRule]:
        return [r for r in self.rules.values() if r.panel_arn == panel_arn]

    def cluster_of_control(self, control: RoutingControl) -> Cluster:
        return self.clusters[self.panels[control.panel_arn].cluster_arn]

    # -- the data plane's judgement -----------------------------------------------------------
    def check_update(
        self, changes: Mapping[str, str], overrides: Iterable[str], now: float, enforce_wait: bool
    ) -> None:
        """Raise ConflictException if the safety rules refuse `changes` (ARN -> On/Off).

        Every rule of the changed controls' panels is judged, except those in `overrides`
        (SafetyRulesToOverride, the documented "break glass"). The error code: the cluster
        API lists ConflictException only for the two Update operations (botocore's model),
        and a refusal by the current state of other resources is what HTTP 409 means; AWS
        does not spell out which code a refused update gets, so the live checklist
        (docs) lists it."""
        skip = set(overrides)
        after = {arn: c.state for arn, c in self.controls.items()}
        after.update(changes)
        panels = {self.controls[arn].panel_arn for arn in changes}
        broken: list[str] = []
        for rule in (r for r in self.rules.values() if r.panel_arn in panels):
            if rule.arn in skip or not set(changes) & set(rule.covers()):
                continue
            if enforce_wait and now - self.last_change.get(rule.arn, -1e9) < rule.wait_ms / 1000:
                broken.append(f"{rule.name} (in its wait period of {rule.wait_ms} ms)")
            elif rule.kind == "ASSERTION":
                if not rule_holds(rule.config, (after[a] for a in rule.asserted if a in after)):
                    broken.append(rule.name)
            elif not rule_holds(rule.config, (self.controls[g].state for g in rule.gating)):
                broken.append(rule.name)  # gating controls judged as they are now
        if broken:
            raise ArcError(
                "ConflictException",
                "The routing control state change was rejected by safety rule(s): "
                + ", ".join(broken),
            )

    def apply_update(self, changes: Mapping[str, str], now: float) -> None:
        for arn, state in changes.items():
            self.controls[arn].state = state
        for rule in self.rules.values():
            if set(changes) & set(rule.covers()):
                self.last_change[rule.arn] = now


def arc_state(account: str) -> ArcState:
    """The account's ARC state, kept on moto's Route 53 backend so `/moto-api/reset` (which
    rebuilds every backend) drops it with the zones and health checks that refer to it."""
    backend = route53_backends[account]["global"]
    state = backend.__dict__.get("_strict_arc")
    if state is None:
        state = backend.__dict__.setdefault("_strict_arc", ArcState(account))
    return state  # type: ignore[no-any-return]
