"""`failover`, `failback` and `status` through the data-plane switches (issue 25).

No control plane at all: the switches come from the policy (offline), the endpoints from the
policy's bookmarks, the control ARNs and states from one ListRoutingControls on the first
cluster endpoint that answers, and the flip is one UpdateRoutingControlStates on the first
that answers. The caller's identity, for the audit log only, is asked of a regional STS
endpoint outside us-east-1 (the global endpoint is served from there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoproxy.aws.arc import Answered, ArcCluster
from geoproxy.aws.session import AwsSettings
from geoproxy.core.switches import (
    OFF,
    DesiredSwitches,
    LiveControl,
    SwitchMove,
    SwitchRefused,
    plan_switches,
    switch_move,
)
from geoproxy.errors import Finding, GeoproxyError
from geoproxy.pipeline.compiled import Compiled

GLOBAL_STS_REGION = "us-east-1"


@dataclass
class SwitchRun:
    """One failover or failback through a switch, as planned and (unless a dry run) done."""

    move: SwitchMove
    endpoints: tuple[tuple[str, str], ...]
    control: LiveControl  # its ARN, and its state before
    read_from: str  # the endpoint region that answered the read
    failed: list[tuple[str, str]] = field(default_factory=list)  # endpoints that did not
    answered: Answered | None = None  # the endpoint that took the write, once written

    @property
    def not_answering(self) -> list[tuple[str, str]]:
        """The endpoints that did not answer the read or the write, in the order tried."""
        seen = list(self.failed)
        for entry in self.answered.failed if self.answered else ():
            if entry[0] not in {region for region, _ in seen}:
                seen.append(entry)
        return seen

    @property
    def changes(self) -> bool:
        return self.control.state != self.move.state


def desired_switches(compiled: Compiled) -> DesiredSwitches:
    policy = compiled.loaded.policy
    if policy.recovery.switches != "arc":
        raise GeoproxyError(
            "--via switches needs `recovery: {switches: arc, ...}` in the policy, prepared by "
            "`geoproxy apply`"
        )
    return plan_switches(policy, compiled.routing.applications)


def plan_switch_move(
    compiled: Compiled,
    aws: AwsSettings,
    region: str,
    *,
    to: str | None,
    apps: tuple[str, ...],
    state: str,
) -> SwitchRun:
    """The switch of `region`, read from the first cluster endpoint that answers."""
    desired = desired_switches(compiled)
    try:
        move = switch_move(desired, region, to=to, apps=apps, state=state)
    except SwitchRefused as refused:
        raise GeoproxyError(str(refused)) from None
    if not desired.endpoints:
        raise GeoproxyError(
            "recovery.arc.endpoints is not set: a failover through the switches asks no "
            "configuration API, so it needs the cluster's endpoints in the policy "
            "(`geoproxy plan` prints the lines to add)"
        )
    cluster = ArcCluster(aws, desired.endpoints)
    answered, controls = cluster.states()
    found = next(
        (control for name, control in controls.items() if name == move.control.name),
        None,
    )
    if found is None:
        raise GeoproxyError(
            f"the cluster has no routing control {move.control.name}: run `geoproxy apply` "
            "in calm weather to prepare the switches"
        )
    return SwitchRun(move, desired.endpoints, found, answered.region, list(answered.failed))


def run_switch_move(run: SwitchRun, aws: AwsSettings) -> SwitchRun:
    """One UpdateRoutingControlStates, on the first endpoint that answers (the one that
    answered the read first: it was up a moment ago)."""
    ordered = sorted(run.endpoints, key=lambda endpoint: endpoint[0] != run.read_from)
    answered = ArcCluster(aws, ordered).set_states([run.control.arn], run.move.state)
    run.answered = answered
    return run


def data_plane_caller(aws: AwsSettings, region: str) -> str:
    """Who is calling, from STS in `region` (never the global endpoint in us-east-1), for
    the audit log; unknown rather than a failure."""
    import botocore.exceptions as bx

    sts_region = region if region != GLOBAL_STS_REGION else "us-west-2"
    try:
        client = aws.client_in("sts", sts_region, write=True)
        return str(client.get_caller_identity()["Arn"])
    except (bx.BotoCoreError, bx.ClientError) as error:
        return f"unknown (GetCallerIdentity in {sts_region} failed: {type(error).__name__})"


def audit_switch_move(
    run: SwitchRun, aws: AwsSettings, *, command: str, reason: str, audit_log: Path | None
) -> None:
    assert run.answered is not None
    audit_flip(
        aws,
        run.answered,
        command=command,
        reason=reason,
        audit_log=audit_log,
        controls=[(run.control.name, run.control.arn)],
        state=run.move.state,
        region=run.move.region,
        apps=run.move.apps,
        failed=run.not_answering,
    )


def audit_flip(
    aws: AwsSettings,
    answered: Answered,
    *,
    command: str,
    reason: str,
    audit_log: Path | None,
    controls: list[tuple[str, str]],
    state: str,
    region: str,
    apps: tuple[str, ...],
    plan_file: Path | None = None,
    failed: list[tuple[str, str]] | None = None,
) -> None:
    """One audit line: who (regional STS), when, why, which endpoint took the write."""
    import os

    from geoproxy.aws.audit import ENV_VARIABLE, AuditLog

    if audit_log is None and not os.environ.get(ENV_VARIABLE):
        return
    who = data_plane_caller(aws, answered.region)
    audit = AuditLog.open(audit_log)
    if audit is None:
        return
    try:
        audit.record(
            command=command,
            via="switches",
            who=who,
            reason=reason or None,
            **({"plan_file": str(plan_file)} if plan_file is not None else {}),
            service="route53-recovery-cluster",
            action="UpdateRoutingControlStates",
            routing_controls=[{"name": name, "arn": arn} for name, arn in controls],
            state=state,
            region=region,
            applications=list(apps),
            endpoint=answered.region,
            endpoint_url=answered.url,
            endpoints_failed=[f"{r}: {why}" for r, why in failed or answered.failed],
        )
    finally:
        audit.close()


def apply_switch_plan(saved: Any, aws: AwsSettings) -> Answered:
    """A saved switch plan: its one UpdateRoutingControlStates, through its endpoints in
    order; nothing is read first, from any plane."""
    return ArcCluster(aws, saved.endpoints).set_states(
        [arn for _, arn in saved.controls], saved.state
    )


def switch_document(run: SwitchRun, *, command: str, dry_run: bool) -> dict[str, Any]:
    answered = run.answered
    return {
        "command": command,
        "via": "switches",
        "region": run.move.region,
        "routing_control": {
            "name": run.control.name,
            "arn": run.control.arn,
            "state_before": run.control.state,
            "state": run.move.state,
        },
        "applications": list(run.move.apps),
        "to": dict(run.move.partners) if run.move.state == OFF else {},
        "dry_run": dry_run,
        "applied": answered is not None,
        "changes": run.changes,
        "endpoint": answered.region if answered else None,
        "endpoints_failed": [{"region": region, "why": why} for region, why in run.not_answering],
        "control_plane_calls": 0,
    }


@dataclass
class SwitchStatus:
    """The switches as one cluster endpoint reports them, beside the records."""

    states: dict[str, str | None]  # PoP region -> On / Off (None: the control is missing)
    endpoint: str | None  # the endpoint region that answered; None when none did
    partners: dict[str, dict[str, str]]  # PoP region -> app -> partner
    findings: list[Finding] = field(default_factory=list)
    unreachable: str = ""  # why no state could be read


def switch_status(compiled: Compiled, aws: AwsSettings, statuses: list[Any]) -> SwitchStatus | None:
    """None without switches. One ListRoutingControls on the first endpoint that answers;
    a switch that is Off while the failover state record says nothing of it, and a switched-off
    PoP whose partner's switch is Off too, are findings."""
    from geoproxy.aws.arc import NoEndpointAnswered

    policy = compiled.loaded.policy
    if policy.recovery.switches != "arc":
        return None
    desired = plan_switches(policy, compiled.routing.applications)
    partners = {c.region: dict(c.partners) for c in desired.controls}
    if not desired.endpoints:
        return SwitchStatus({}, None, partners, unreachable="recovery.arc.endpoints is not set")
    try:
        answered, controls = ArcCluster(aws, desired.endpoints).states()
    except NoEndpointAnswered as error:
        return SwitchStatus({}, None, partners, unreachable=error.message)
    states = {
        c.region: (controls[c.name].state if c.name in controls else None) for c in desired.controls
    }
    result = SwitchStatus(states, answered.region, partners)
    recorded = {
        (status.name, failover.from_pop) for status in statuses for failover in status.failovers
    }
    for control in desired.controls:
        state = states[control.region]
        if state is None:
            result.findings.append(
                Finding(
                    f"routing control {control.name} is missing from the cluster: run "
                    "`geoproxy apply` to prepare it",
                    app=control.apps[0],
                    code="switch_state",
                )
            )
            continue
        if state != OFF:
            continue
        for app, partner in sorted(control.partners.items()):
            shown = [s for s in statuses if s.name == app]
            if shown and (app, control.region) not in recorded:
                result.findings.append(
                    Finding(
                        f"{app}: the switch of {control.region} is Off: Route 53 sends its "
                        f"traffic to {partner}, which the records and the failover state "
                        "record do not show (a failover through the data plane)",
                        app=app,
                        code="switch_state",
                    )
                )
            if states.get(partner) == OFF:
                result.findings.append(
                    Finding(
                        f"{app}: the switches of {control.region} and of its partner "
                        f"{partner} are both Off: Route 53 answers a failover pair whose "
                        f"SECONDARY is unhealthy with its PRIMARY, so {control.region} gets "
                        "its traffic back",
                        app=app,
                        code="switch_state",
                    )
                )
    return result
