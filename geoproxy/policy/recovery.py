"""The policy's `recovery` section: data-plane switches (Route 53 ARC routing controls) and
Route 53 accelerated recovery (issue 25; the keys are pinned).

Per-field shapes live here; the rules that need routes, partners and fences (every PoP with
sources has a compliant partner) are in `geoproxy.core.switches`, run by `validate`.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from geoproxy.policy.accounts import ACCOUNT_FIELD_DESCRIPTION, ACCOUNT_NAME

# arn:aws:route53-recovery-control::<account>:cluster/<id> (Recovery Control Configuration
# API Reference, Cluster: ClusterArn; the account field is empty before it: ARC's
# configuration resources are global).
_CLUSTER_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:route53-recovery-control::(?P<account>\d{12}):cluster/[A-Za-z0-9-]{1,64}$"
)
# A control panel's Name: 1-64 characters, no white space (CreateControlPanel, ControlPanelName);
# geoproxy keeps to letters, digits, `-`, `_` and `.` so it can be a tag and a file name too.
_PANEL_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Arc(_Strict):
    """The Route 53 ARC cluster that holds geoproxy's switches. The cluster is yours (its
    hourly price is the biggest part of ARC's cost, and two policies can share one);
    geoproxy creates its control panel, routing controls and safety rules in it."""

    cluster_arn: str = Field(
        examples=["arn:aws:route53-recovery-control::111122223333:cluster/0123abcd-0123-4567"],
        description="The ARN of the existing ARC cluster "
        "(`arn:aws:route53-recovery-control::<account>:cluster/<id>`).",
    )
    control_panel: str = Field(
        pattern=_PANEL_NAME,
        examples=["geoproxy-prod"],
        description="The name of the control panel that holds geoproxy's routing controls and "
        "safety rules; `apply` creates it in the cluster if missing. One per policy "
        "`owner`.",
    )
    account: str | None = Field(
        default=None,
        pattern=ACCOUNT_NAME,
        examples=["dns"],
        description="ARC (configuration and cluster) calls: " + ACCOUNT_FIELD_DESCRIPTION,
    )
    endpoints: dict[str, str] = Field(
        default_factory=dict,
        examples=[
            {"us-west-2": "https://abcd1234.route53-recovery-cluster.us-west-2.amazonaws.com/v1"}
        ],
        description="The cluster's endpoints by region (what DescribeCluster's "
        "`ClusterEndpoints` lists), bookmarked so a failover needs no configuration API "
        "at incident time; `failover` tries them in region order. Default: none, and "
        "`plan` and `apply` print the snippet to paste here; a failover through the "
        "switches needs them.",
    )

    @field_validator("cluster_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        if not _CLUSTER_ARN.match(value):
            raise ValueError(
                f"{value!r} is not an ARC cluster ARN "
                "(arn:aws:route53-recovery-control::<12-digit account>:cluster/<id>)"
            )
        return value

    @field_validator("endpoints")
    @classmethod
    def _endpoints(cls, value: dict[str, str]) -> dict[str, str]:
        for region, url in value.items():
            if not _REGION.match(region):
                raise ValueError(f"{region!r} is not an AWS region name (like us-west-2)")
            problem = endpoint_problem(url)
            if problem:
                raise ValueError(f"{region}: {problem}")
        return value

    @property
    def account_id(self) -> str:
        """The cluster's account, from its ARN (`account` is the policy's account name)."""
        match = _CLUSTER_ARN.match(self.cluster_arn)
        assert match, "validated"
        return match.group("account")


def is_loopback_url(url: str) -> bool:
    """A URL on this machine (the sandbox's emulator), never AWS."""
    try:
        return urlsplit(url).hostname in _LOOPBACK
    except ValueError:
        return False


def endpoint_problem(url: str) -> str | None:
    """Why `url` cannot be a cluster endpoint, or None. HTTPS, a host and no query; plain HTTP
    only on the loopback address (the sandbox's emulator)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return f"{url!r} is not a URL"
    if not host or parts.query or parts.fragment or parts.username:
        return f"{url!r} is not an endpoint URL (https://host[/path])"
    if parts.scheme != "https" and not (parts.scheme == "http" and host in _LOOPBACK):
        return f"{url!r} must use https (plain http only on 127.0.0.1, for the sandbox)"
    return None


class Recovery(_Strict):
    """How geoproxy fails over when the Route 53 control plane (in us-east-1) is down:
    data-plane switches (`switches: arc`) prepared by `apply`, and Route 53 accelerated
    recovery for the policy's public zones. Default: neither, and a failover rewrites
    records, which needs the Route 53 control plane."""

    switches: Literal["none", "arc"] = Field(
        default="none",
        examples=["arc"],
        description="`arc`: `apply` prepares one ARC routing control per PoP region, a "
        "RECOVERY_CONTROL health check per control, switch-gated failover pairs behind "
        "the latency records and safety rules, and `failover` turns a control Off "
        "through a cluster endpoint (data plane only). `none`: `failover` rewrites "
        "records, as before.",
    )
    arc: Arc | None = Field(
        default=None,
        examples=[
            {
                "cluster_arn": "arn:aws:route53-recovery-control::111122223333:cluster/0123abcd",
                "control_panel": "geoproxy-prod",
            }
        ],
        description="The ARC cluster and control panel; required with `switches: arc`.",
    )
    accelerated_recovery: bool = Field(
        default=False,
        examples=[True],
        description="If `true`, `apply` enables Route 53 accelerated recovery on the policy's "
        "public zones, so their records can be changed while us-east-1 is unavailable "
        "(after Route 53's own failover). The zones then need `zone_id`.",
    )

    @model_validator(mode="after")
    def _arc_with_switches(self) -> Recovery:
        if self.switches == "arc" and self.arc is None:
            raise ValueError("`switches: arc` needs an `arc` section (cluster_arn, control_panel)")
        if self.switches == "none" and self.arc is not None:
            raise ValueError(
                "an `arc` section is set but `switches` is `none`: set `switches: arc` to use "
                "it, or remove it"
            )
        return self
