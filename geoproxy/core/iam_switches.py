"""The IAM statements `recovery.switches: arc` adds to `geoproxy iam-policy` (issue 25).

Pure. Action names and resource types follow the Service Authorization Reference:
"Actions, resources, and condition keys for Amazon Route 53 Recovery Cluster"
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_route53-recovery-cluster.html:
UpdateRoutingControlStates takes the `routingcontrol` resource,
arn:${Partition}:route53-recovery-control::${Account}:controlpanel/${ControlPanelId}/routingcontrol/${RoutingControlId};
ListRoutingControls lists no resource type, so "*") and ".. for Amazon Route 53 Recovery
Controls" (route53-recovery-control-config). The configuration actions are granted on "*":
their resource-level scoping is on the live-AWS checklist (docs/operations/switches.md), not
proven here.
"""

from __future__ import annotations

from typing import Any

from geoproxy.policy.models import Policy

# (Sid, actions, resources, condition or None)
Statement = tuple[str, list[str], list[str], dict[str, Any] | None]
# geoproxy never overrides a safety rule (SafetyRulesToOverride): the flips are granted only
# without one ([arcc]: the condition key route53-recovery-cluster:AllowSafetyRulesOverrides).
NO_OVERRIDES = {"Bool": {"route53-recovery-cluster:AllowSafetyRulesOverrides": "false"}}


def switch_statements(policy: Policy, *, read_only: bool) -> list[Statement]:
    arc = policy.recovery.arc
    if policy.recovery.switches != "arc" or arc is None:
        return []
    statements: list[Statement] = [
        # plan/status: geoproxy's control panel, controls and rules; the cluster's endpoints.
        (
            "ReadSwitchConfiguration",
            [
                "route53-recovery-control-config:DescribeCluster",
                "route53-recovery-control-config:ListControlPanels",
                "route53-recovery-control-config:ListRoutingControls",
                "route53-recovery-control-config:ListSafetyRules",
            ],
            ["*"],
            None,
        ),
        # status and failover: the switch states, from a cluster endpoint (data plane).
        ("ReadSwitchStates", ["route53-recovery-cluster:ListRoutingControls"], ["*"], None),
    ]
    if not read_only:
        statements += [
            (
                "PrepareSwitches",
                [
                    "route53-recovery-control-config:CreateControlPanel",
                    "route53-recovery-control-config:CreateRoutingControl",
                    "route53-recovery-control-config:CreateSafetyRule",
                ],
                ["*"],
                None,
            ),
            # apply (new controls On), failover (Off), failback (On): controls of the
            # cluster's account only.
            (
                "FlipSwitches",
                ["route53-recovery-cluster:UpdateRoutingControlStates"],
                [
                    f"arn:aws:route53-recovery-control::{arc.account_id}:controlpanel/*"
                    "/routingcontrol/*"
                ],
                NO_OVERRIDES,
            ),
        ]
    return statements
