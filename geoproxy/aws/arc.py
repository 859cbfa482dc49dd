"""Route 53 ARC adapters: the configuration API (control panels, routing controls, safety
rules; a control-plane API served in us-west-2) and a cluster's data plane (routing control
states, served by five regional endpoints).

The data-plane calls go to the policy's bookmarked endpoints, in order, one at a time: ARC
says to try the cluster's endpoints in rotation when one does not answer (endpoints cycle
through maintenance), and that at least three of the five are always available
(Developer Guide, "Viewing and updating routing control states":
https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.update.html). Setting a
state is idempotent, so trying the next endpoint after a lost answer is safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from geoproxy.aws.session import AwsSettings, aws_errors
from geoproxy.core.switches import (
    MAX_CONTROLS_PER_UPDATE,
    WAIT_PERIOD_MS,
    LiveArc,
    LiveControl,
    SafetyRuleSpec,
    SwitchControl,
)
from geoproxy.errors import AwsError, printable

# ARC's configuration API is served in US West (Oregon) only (Recovery Control Configuration
# API Reference, "What is recovery control configuration": "you must specify the US West
# (Oregon) Region when you work with ... routing controls").
CONFIG_REGION = "us-west-2"
CONFIG = "route53-recovery-control-config"
CLUSTER = "route53-recovery-cluster"
# Answers that mean "this endpoint, not the request": try the next one.
_TRY_NEXT = {
    "EndpointTemporarilyUnavailableException",
    "InternalServerException",
    "ThrottlingException",
    "ServiceUnavailable",
}


class ArcConfig:
    """Reads and creations through the configuration API (calm weather only)."""

    def __init__(self, aws: AwsSettings) -> None:
        # In the account of `recovery.arc.account` (a cluster shared through RAM, say).
        self.client = aws.for_arc().client_in(CONFIG, CONFIG_REGION)

    def endpoints(self, cluster_arn: str) -> tuple[tuple[str, str], ...]:
        with aws_errors(f"describe ARC cluster {cluster_arn}"):
            cluster = self.client.describe_cluster(ClusterArn=cluster_arn)["Cluster"]
        return tuple(
            sorted((entry["Region"], entry["Endpoint"]) for entry in cluster["ClusterEndpoints"])
        )

    def _pages(self, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token = None
        while True:
            page = getattr(self.client, operation)(
                **params, **({"NextToken": token} if token else {})
            )
            found.extend(page.get(key, []))
            token = page.get("NextToken")
            if not token:
                return found

    def read(self, cluster_arn: str, panel: str, *, describe: bool = False) -> LiveArc:
        """geoproxy's control panel (by name), its controls and safety rules; with `describe`,
        the cluster's endpoints too."""
        with aws_errors(f"list the control panels of ARC cluster {cluster_arn}"):
            panels = self._pages("list_control_panels", "ControlPanels", ClusterArn=cluster_arn)
        found = next((p for p in panels if p.get("Name") == panel), None)
        endpoints = self.endpoints(cluster_arn) if describe else ()
        if found is None:
            return LiveArc(None, (), {}, endpoints)
        panel_arn = found["ControlPanelArn"]
        with aws_errors(f"list the routing controls of control panel {panel}"):
            controls = self._pages(
                "list_routing_controls", "RoutingControls", ControlPanelArn=panel_arn
            )
            rules = self._pages("list_safety_rules", "SafetyRules", ControlPanelArn=panel_arn)
        names = {
            (rule.get("ASSERTION") or rule.get("GATING") or {}).get("Name", ""): (
                rule.get("ASSERTION") or rule.get("GATING") or {}
            ).get("SafetyRuleArn", "")
            for rule in rules
        }
        return LiveArc(
            panel_arn,
            tuple(LiveControl(c["RoutingControlArn"], c["Name"]) for c in controls),
            names,
            endpoints,
        )

    def create_panel(self, cluster_arn: str, panel: str, token: str) -> str:
        with aws_errors(f"create control panel {panel}"):
            answer = self.client.create_control_panel(
                ClusterArn=cluster_arn, ControlPanelName=panel, ClientToken=token
            )
        return str(answer["ControlPanel"]["ControlPanelArn"])

    def create_control(
        self, cluster_arn: str, panel_arn: str, control: SwitchControl, token: str
    ) -> str:
        with aws_errors(f"create routing control {control.name}"):
            answer = self.client.create_routing_control(
                ClusterArn=cluster_arn,
                ControlPanelArn=panel_arn,
                RoutingControlName=control.name,
                ClientToken=token,
            )
        return str(answer["RoutingControl"]["RoutingControlArn"])

    def create_rule(
        self, panel_arn: str, rule: SafetyRuleSpec, control_arns: dict[str, str], token: str
    ) -> str:
        with aws_errors(f"create safety rule {rule.name}"):
            answer = self.client.create_safety_rule(
                AssertionRule={
                    "AssertedControls": [control_arns[region] for region in rule.regions],
                    "ControlPanelArn": panel_arn,
                    "Name": rule.name,
                    "RuleConfig": rule.rule_config(),
                    "WaitPeriodMs": WAIT_PERIOD_MS,
                },
                ClientToken=token,
            )
        return str(answer["AssertionRule"]["SafetyRuleArn"])

    def delete(self, kind: str, arn: str) -> bool:
        """DeleteSafetyRule, DeleteRoutingControl or DeleteControlPanel (`kind`: rule,
        control or panel); False if it was gone already (a re-run after a failure)."""
        operation, key = {
            "rule": ("delete_safety_rule", "SafetyRuleArn"),
            "control": ("delete_routing_control", "RoutingControlArn"),
            "panel": ("delete_control_panel", "ControlPanelArn"),
        }[kind]
        with aws_errors(f"delete ARC {kind} {arn}"):
            try:
                getattr(self.client, operation)(**{key: arn})
            except self.client.exceptions.ResourceNotFoundException:
                return False
        return True


@dataclass
class Answered:
    """Which endpoint answered a data-plane call, and the ones that did not (with why)."""

    region: str
    url: str
    result: Any = None
    failed: list[tuple[str, str]] = field(default_factory=list)  # (region, why)


class NoEndpointAnswered(AwsError):
    def __init__(self, failed: list[tuple[str, str]]) -> None:
        tried = "; ".join(f"{region}: {why}" for region, why in failed) or "none configured"
        super().__init__(f"no ARC cluster endpoint answered ({tried})")
        self.failed = failed


class ArcCluster:
    """A cluster's data plane, through the endpoints given, tried in order."""

    def __init__(self, aws: AwsSettings, endpoints: Sequence[tuple[str, str]]) -> None:
        self.aws = aws.for_arc()  # the account of `recovery.arc.account`
        self.endpoints = list(endpoints)

    def _each(self, operation: str, **params: Any) -> Answered:
        import botocore.exceptions as bx

        failed: list[tuple[str, str]] = []
        for region, url in self.endpoints:
            client = self.aws.client_in(CLUSTER, region, endpoint_url=url, write=True)
            try:
                result = getattr(client, operation)(**params)
            except (
                bx.EndpointConnectionError,
                bx.ConnectTimeoutError,
                bx.ReadTimeoutError,
                bx.ConnectionClosedError,
            ) as error:
                failed.append((region, f"unreachable ({type(error).__name__})"))
                continue
            except bx.ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if code in _TRY_NEXT or status >= 500:
                    failed.append((region, f"{code or status}"))
                    continue
                message = printable(str(error.response.get("Error", {}).get("Message", "")))
                raise AwsError(
                    f"ARC cluster endpoint {region} refused {operation}: {code}: {message}"
                ) from None
            return Answered(region, url, result, failed)
        raise NoEndpointAnswered(failed)

    def states(self, panel_arn: str | None = None) -> tuple[Answered, dict[str, LiveControl]]:
        """Every routing control the cluster holds (of one panel), by name, with its state."""
        params: dict[str, Any] = {"ControlPanelArn": panel_arn} if panel_arn else {}
        controls: dict[str, LiveControl] = {}
        answered = self._each("list_routing_controls", **params)
        page = answered.result
        while True:
            for entry in page.get("RoutingControls", []):
                controls[entry["RoutingControlName"]] = LiveControl(
                    entry["RoutingControlArn"],
                    entry["RoutingControlName"],
                    entry.get("RoutingControlState"),
                )
            token = page.get("NextToken")
            if not token:
                return answered, controls
            # Later pages from the endpoint that answered the first.
            client = self.aws.client_in(
                CLUSTER, answered.region, endpoint_url=answered.url, write=True
            )
            with aws_errors(f"list routing controls at {answered.region}"):
                page = client.list_routing_controls(**params, NextToken=token)

    def set_states(self, arns: Iterable[str], state: str) -> Answered:
        """One UpdateRoutingControlStates (at most 10 controls, ARC's quota) on the first
        endpoint that answers."""
        entries = [{"RoutingControlArn": arn, "RoutingControlState": state} for arn in sorted(arns)]
        if not 0 < len(entries) <= MAX_CONTROLS_PER_UPDATE:
            raise AwsError(
                f"one UpdateRoutingControlStates sets 1 to {MAX_CONTROLS_PER_UPDATE} routing "
                f"controls, not {len(entries)}"
            )
        return self._each("update_routing_control_states", UpdateRoutingControlStateEntries=entries)
