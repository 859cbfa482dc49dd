"""ARC's recovery control configuration API (clusters, control panels, routing controls,
safety rules, tags), over ArcState. Sources are cited by the short names in arc_model.

Statuses: a resource is PENDING in its Create call's own answer and DEPLOYED in every later
answer (the [start] walk-through shows exactly that pair: create says PENDING, the next
describe DEPLOYED); deletes take effect at once (PENDING_DELETION is not modelled).
Quotas are [quotas]'s, refused with ServiceQuotaExceededException where the operation's
model lists it (clusters, control panels, routing controls) and ValidationException for
safety rules (CreateSafetyRule's model lists only ValidationException and
InternalServerException). A repeated ClientToken returns the resource it created.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .arc_model import (
    CLUSTER_REGIONS,
    MAX_CLUSTERS,
    MAX_CONTROLS_PER_CLUSTER,
    MAX_CONTROLS_PER_PANEL,
    MAX_PANELS_PER_CLUSTER,
    MAX_RULES_PER_PANEL,
    ArcError,
    ArcState,
    Cluster,
    ControlPanel,
    EndpointNamer,
    RoutingControl,
    SafetyRule,
    page,
)

ArcControls = EndpointNamer  # what the handlers need of server.arc
Handler = Callable[[ArcState, dict[str, Any], ArcControls], dict[str, Any]]


def _status(resource: Any) -> str:
    return "PENDING" if resource.pending else "DEPLOYED"


def _seen(resource: Any) -> Any:
    """After its first answer, a resource reads DEPLOYED."""
    resource.pending = False
    return resource


def cluster_shape(state: ArcState, c: Cluster, controls: ArcControls) -> dict[str, Any]:
    return {
        "ClusterArn": c.arn,
        "ClusterEndpoints": [
            {"Endpoint": controls.endpoint_url(c.cluster_id, region), "Region": region}
            for region in CLUSTER_REGIONS
        ],
        "Name": c.name,
        "Status": _status(c),
        "Owner": c.owner,
        "NetworkType": c.network_type,
    }


def panel_shape(state: ArcState, p: ControlPanel) -> dict[str, Any]:
    return {
        "ClusterArn": p.cluster_arn,
        "ControlPanelArn": p.arn,
        "DefaultControlPanel": p.default,
        "Name": p.name,
        "RoutingControlCount": len(state.controls_of(p.arn)),
        "Status": _status(p),
        "Owner": p.owner,
    }


def control_shape(c: RoutingControl) -> dict[str, Any]:
    return {
        "ControlPanelArn": c.panel_arn,
        "Name": c.name,
        "RoutingControlArn": c.arn,
        "Status": _status(c),
        "Owner": c.owner,
    }


def rule_shape(r: SafetyRule) -> dict[str, Any]:
    common = {
        "ControlPanelArn": r.panel_arn,
        "Name": r.name,
        "RuleConfig": r.config,
        "SafetyRuleArn": r.arn,
        "Status": _status(r),
        "WaitPeriodMs": r.wait_ms,
        "Owner": r.owner,
    }
    if r.kind == "ASSERTION":
        return {"AssertionRule": {**common, "AssertedControls": r.asserted}}
    return {"GatingRule": {**common, "GatingControls": r.gating, "TargetControls": r.targets}}


def _idempotent(state: ArcState, op: str, params: dict[str, Any]) -> str | None:
    token = params.get("ClientToken")
    return state.tokens.get((op, token)) if token else None


def _remember(state: ArcState, op: str, params: dict[str, Any], arn: str) -> None:
    if params.get("ClientToken"):
        state.tokens[(op, params["ClientToken"])] = arn


def _tags(state: ArcState, arn: str, params: dict[str, Any]) -> None:
    if params.get("Tags"):
        state.tags.setdefault(arn, {}).update(params["Tags"])


def _required(params: dict[str, Any], *names: str) -> None:
    missing = [n for n in names if not params.get(n)]
    if missing:
        raise ArcError("ValidationException", f"Missing required field(s): {', '.join(missing)}")


# -- clusters --------------------------------------------------------------------------------------
def create_cluster(state: ArcState, params: dict[str, Any], arc: ArcControls) -> dict[str, Any]:
    _required(params, "ClusterName")
    if (arn := _idempotent(state, "CreateCluster", params)) and arn in state.clusters:
        return {"Cluster": cluster_shape(state, state.clusters[arn], arc)}
    if len(state.clusters) >= MAX_CLUSTERS:
        raise ArcError("ServiceQuotaExceededException", f"At most {MAX_CLUSTERS} clusters.")
    cluster = Cluster(
        state.new_arn("cluster"),
        params["ClusterName"],
        state.account,
        params.get("NetworkType") or "IPV4",
    )
    state.clusters[cluster.arn] = cluster
    # "ARC creates a default control panel for the cluster" ([start]).
    panel = ControlPanel(
        state.new_arn("controlpanel"), cluster.arn, "DefaultControlPanel", state.account, True
    )
    state.panels[panel.arn] = panel
    _tags(state, cluster.arn, params)
    _remember(state, "CreateCluster", params, cluster.arn)
    answer = {"Cluster": cluster_shape(state, cluster, arc)}
    _seen(cluster)
    _seen(panel)
    return answer


def describe_cluster(state: ArcState, params: dict[str, Any], arc: ArcControls) -> dict[str, Any]:
    return {"Cluster": cluster_shape(state, _seen(state.cluster(params["ClusterArn"])), arc)}


def list_clusters(state: ArcState, params: dict[str, Any], arc: ArcControls) -> dict[str, Any]:
    items, more = page([_seen(c) for c in state.clusters.values()], params)
    return {"Clusters": [cluster_shape(state, c, arc) for c in items], **more}


def delete_cluster(state: ArcState, params: dict[str, Any], arc: ArcControls) -> dict[str, Any]:
    cluster = state.cluster(params["ClusterArn"])
    for panel in state.panels_of(cluster.arn):
        _drop_panel(state, panel)
    del state.clusters[cluster.arn]
    return {}


# -- control panels --------------------------------------------------------------------------------
def create_control_panel(
    state: ArcState, params: dict[str, Any], arc: ArcControls
) -> dict[str, Any]:
    _required(params, "ClusterArn", "ControlPanelName")
    if (arn := _idempotent(state, "CreateControlPanel", params)) and arn in state.panels:
        return {"ControlPanel": panel_shape(state, state.panels[arn])}
    cluster = state.cluster(params["ClusterArn"])
    if len(state.panels_of(cluster.arn)) >= MAX_PANELS_PER_CLUSTER:
        raise ArcError(
            "ServiceQuotaExceededException",
            f"At most {MAX_PANELS_PER_CLUSTER} control panels per cluster.",
        )
    panel = ControlPanel(
        state.new_arn("controlpanel"), cluster.arn, params["ControlPanelName"], state.account
    )
    state.panels[panel.arn] = panel
    _tags(state, panel.arn, params)
    _remember(state, "CreateControlPanel", params, panel.arn)
    answer = {"ControlPanel": panel_shape(state, panel)}
    _seen(panel)
    return answer


def describe_control_panel(
    state: ArcState, params: dict[str, Any], arc: ArcControls
) -> dict[str, Any]:
    return {"ControlPanel": panel_shape(state, _seen(state.panel(params["ControlPanelArn"])))}


def list_control_panels(
    state: ArcState, params: dict[str, Any], arc: ArcControls
) -> dict[str, Any]:
    panels = list(state.panels.values())
    if params.get("ClusterArn"):
        panels = state.panels_of(state.cluster(params["ClusterArn"]).arn)
    items, more = page([_seen(p) for p in panels], params)
    return {"ControlPanels": [panel_shape(state, p) for p in items], **more}


def update_control_panel(
    state: ArcState, params: dict[str, Any], arc: ArcControls
) -> dict[str, Any]:
    _required(params, "ControlPanelArn", "ControlPanelName")
    panel = state.panel(params["ControlPanelArn"])
    panel.name = params["ControlPanelName"]
    return {"ControlPanel": panel_shape(state, panel)}


def _drop_panel(state: ArcState, panel: ControlPanel) -> None:
    for control in state.controls_of(panel.arn):
        del state.controls[control.arn]
    for rule in state.rules_of(panel.arn):
        del state.rules[rule.arn]
    del state.panels[panel.arn]


def delete_control_panel(
    state: ArcState, params: dict[str, Any], arc: ArcControls
) -> dict[str, Any]:
    panel = state.panel(params["ControlPanelArn"])
    if panel.default:
        raise ArcError("ValidationException", "The default control panel cannot be deleted.")
    _drop_panel(state, panel)
    return {}


# -- routing controls ------------------------------------------------------------------------------
def create_routing_control(
    state: ArcState, params: dict[str, Any], arc: ArcControls
) -> dict[str, Any]:
    _required(params, "ClusterArn", "RoutingControlName")
    if (arn := _idempotent(state, "CreateRoutingControl", params)) and arn in state.controls:
        return {"RoutingControl": control_shape(state.controls[arn])}
    cluster = state.cluster(params["ClusterArn"])
    if params.get("ControlPanelArn"):
        panel = state.panel(params["ControlPanelArn"])
        if panel.cluster_arn != cluster.arn:
            raise ArcError("ValidationException", "The control panel is in another cluster.")
    else:  # "If you don't specify a control panel, ARC uses the default control panel"
        panel = next(p for p in state.panels_of(cluster.arn) if p.default)
    name = params["RoutingControlName"]
    siblings = state.controls_of(panel.arn)
    # "routing control names must be unique within each control panel" (Creating a routing
    # control in ARC, https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.create-control.html)
    if any(c.name == name for c in siblings):
        raise ArcError("ConflictException", f"A routing control named {name} already exists.")
    if len(siblings) >= MAX_CONTROLS_PER_PANEL:
        raise ArcError(
            "ServiceQuotaExceededException",
            f"At most {MAX_CONTROLS_PER_PANEL} routing controls per control panel.",
        )
    in_cluster = sum(len(state.controls_of(p.arn)) for p in state.panels_of(cluster.arn))
    if in_cluster >= MAX_CONTROLS_PER_CLUSTER:
        raise ArcError(
            "ServiceQuotaExceededException",
            f"At most {MAX_CONTROLS_PER_CLUSTER} routing controls per cluster.",
        )
    control = RoutingControl(
        state.new_arn("routingcontrol", panel.arn), panel.arn, name, state.account
    )
    state.controls[control.arn] = control
    _remember(state, "CreateRoutingControl", params, control.arn)
    answer = {"RoutingControl": control_shape(control)}
    _seen(control)
    return answer


def describe_routing_control(
    state: ArcState, params: dict[str, Any], arc: ArcControls
) -> dict[str, Any]:
    return {"RoutingControl": control_shape(_seen(state.control(params["RoutingControlArn"])))}


def list_routing_controls(
    state: ArcState, params: dict[str, Any], arc: ArcControls
) -> dict[str, Any]:
    panel = state.panel(params["ControlPanelArn"])
    items, more = page([_seen(c) for c in state.controls_of(panel.arn)], params)
    return {"RoutingControls": [control_shape(c) for c in items], **more}


def update_routing_control(
    state: ArcState, params: dict[str, Any], arc: ArcControls
) -> dict[str, Any]:
    _required(params, "RoutingControlArn", "RoutingControlName")
    control = state.control(params["RoutingControlArn"])
    control.name = params["RoutingControlName"]
    return {"RoutingControl": control_shape(control)}


def delete_routing_control(
    state: ArcState, params: dict[str, Any], arc: ArcControls
) -> dict[str, Any]:
    control = state.control(params["RoutingControlArn"])
    used = [
        r.name for r in state.rules.values() if control.arn in r.asserted + r.gating + r.targets
    ]
    if used:  # a rule naming a missing control could never be judged
        raise ArcError("ConflictException", f"Safety rule(s) {', '.join(used)} use this control.")
    del state.controls[control.arn]
    return {}


# -- safety rules ----------------------------------------------------------------------------------
def create_safety_rule(state: ArcState, params: dict[str, Any], arc: ArcControls) -> dict[str, Any]:
    if bool(params.get("AssertionRule")) == bool(params.get("GatingRule")):
        raise ArcError("ValidationException", "Give exactly one of AssertionRule, GatingRule.")
    if (arn := _idempotent(state, "CreateSafetyRule", params)) and arn in state.rules:
        return rule_shape(state.rules[arn])
    kind = "ASSERTION" if params.get("AssertionRule") else "GATING"
    spec = params.get("AssertionRule") or params["GatingRule"]
    names = ["AssertedControls"] if kind == "ASSERTION" else ["GatingControls", "TargetControls"]
    _required(spec, "ControlPanelArn", "Name", "RuleConfig", *names)
    if "WaitPeriodMs" not in spec:
        raise ArcError("ValidationException", "Missing required field(s): WaitPeriodMs")
    panel = state.panel(spec["ControlPanelArn"])
    config = dict(spec["RuleConfig"])
    if config.get("Type") not in ("ATLEAST", "AND", "OR"):
        raise ArcError("ValidationException", "RuleConfig Type must be ATLEAST, AND or OR.")
    for name in names:
        for control_arn in spec[name]:
            if state.controls.get(control_arn, None) is None:
                raise ArcError("ValidationException", f"{name}: no routing control {control_arn}")
            if state.controls[control_arn].panel_arn != panel.arn:
                raise ArcError("ValidationException", f"{name}: {control_arn} is in another panel")
    if len(state.rules_of(panel.arn)) >= MAX_RULES_PER_PANEL:
        raise ArcError(
            "ValidationException", f"At most {MAX_RULES_PER_PANEL} safety rules per control panel."
        )
    rule = SafetyRule(
        state.new_arn("safetyrule", panel.arn),
        panel.arn,
        spec["Name"],
        state.account,
        kind,
        {
            "Type": config["Type"],
            "Threshold": int(config.get("Threshold") or 0),
            "Inverted": bool(config.get("Inverted")),
        },
        int(spec["WaitPeriodMs"]),
        asserted=list(spec.get("AssertedControls") or []),
        gating=list(spec.get("GatingControls") or []),
        targets=list(spec.get("TargetControls") or []),
    )
    state.rules[rule.arn] = rule
    _tags(state, rule.arn, params)
    _remember(state, "CreateSafetyRule", params, rule.arn)
    answer = rule_shape(rule)
    _seen(rule)
    return answer


def describe_safety_rule(
    state: ArcState, params: dict[str, Any], arc: ArcControls
) -> dict[str, Any]:
    return rule_shape(_seen(state.rule(params["SafetyRuleArn"])))


def list_safety_rules(state: ArcState, params: dict[str, Any], arc: ArcControls) -> dict[str, Any]:
    panel = state.panel(params["ControlPanelArn"])
    items, more = page([_seen(r) for r in state.rules_of(panel.arn)], params)
    shaped = [rule_shape(r) for r in items]
    # ListSafetyRules wraps each in Rule {ASSERTION | GATING} (the API's Rule shape).
    rules = [
        {"ASSERTION": s["AssertionRule"]} if "AssertionRule" in s else {"GATING": s["GatingRule"]}
        for s in shaped
    ]
    return {"SafetyRules": rules, **more}


def delete_safety_rule(state: ArcState, params: dict[str, Any], arc: ArcControls) -> dict[str, Any]:
    del state.rules[state.rule(params["SafetyRuleArn"]).arn]
    return {}


# -- tags ------------------------------------------------------------------------------------------
def _taggable(state: ArcState, arn: str) -> str:
    if arn not in state.clusters and arn not in state.panels and arn not in state.rules:
        raise ArcError("ResourceNotFoundException", f"No taggable resource {arn}.")
    return arn


def tag_resource(state: ArcState, params: dict[str, Any], arc: ArcControls) -> dict[str, Any]:
    state.tags.setdefault(_taggable(state, params["ResourceArn"]), {}).update(params["Tags"])
    return {}


def untag_resource(state: ArcState, params: dict[str, Any], arc: ArcControls) -> dict[str, Any]:
    tags = state.tags.get(_taggable(state, params["ResourceArn"]), {})
    for key in params.get("TagKeys") or []:
        tags.pop(key, None)
    return {}


def list_tags(state: ArcState, params: dict[str, Any], arc: ArcControls) -> dict[str, Any]:
    return {"Tags": dict(state.tags.get(_taggable(state, params["ResourceArn"]), {}))}


CONFIG_HANDLERS: dict[str, Handler] = {
    "CreateCluster": create_cluster,
    "DescribeCluster": describe_cluster,
    "ListClusters": list_clusters,
    "DeleteCluster": delete_cluster,
    "CreateControlPanel": create_control_panel,
    "DescribeControlPanel": describe_control_panel,
    "ListControlPanels": list_control_panels,
    "UpdateControlPanel": update_control_panel,
    "DeleteControlPanel": delete_control_panel,
    "CreateRoutingControl": create_routing_control,
    "DescribeRoutingControl": describe_routing_control,
    "ListRoutingControls": list_routing_controls,
    "UpdateRoutingControl": update_routing_control,
    "DeleteRoutingControl": delete_routing_control,
    "CreateSafetyRule": create_safety_rule,
    "DescribeSafetyRule": describe_safety_rule,
    "ListSafetyRules": list_safety_rules,
    "DeleteSafetyRule": delete_safety_rule,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags,
}
