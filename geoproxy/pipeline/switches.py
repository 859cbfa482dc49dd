"""Data-plane switches in the flows (issue 25): what `plan` and `apply` prepare in ARC and
Route 53 health checks, and the failover, failback and status reads through a cluster
endpoint.

Preparation is calm-weather work through control planes (ARC's configuration API, Route 53);
a failover through the switches is one UpdateRoutingControlStates on the first cluster
endpoint that answers, with no control-plane call at all.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from geoproxy.aws.session import AwsSettings, aws_errors
from geoproxy.core.healthchecks import (
    PENDING_PREFIX,
    HealthCheckSpec,
    LiveHealthCheck,
    plan_health_checks,
    specs_for,
)
from geoproxy.core.names import SWITCH_RECORD, TAG_POP
from geoproxy.core.switches import (
    MAX_CONTROLS_PER_UPDATE,
    OFF,
    ON,
    SwitchChanges,
    SwitchPlan,
    calculated_config,
    diff_switches,
    plan_switches,
    recovery_control_config,
)
from geoproxy.errors import GeoproxyError, PartlyWritten
from geoproxy.pipeline.compiled import Compiled


def _switch_check_spec(
    owner: str, region: str, control_arn: str, nonce: str = ""
) -> HealthCheckSpec:
    return HealthCheckSpec(
        SWITCH_RECORD, region, recovery_control_config(control_arn), nonce=nonce, owner=owner
    )


def _found_checks(
    owner: str, controls: dict[str, str], live: list[LiveHealthCheck]
) -> dict[str, str]:
    """PoP region -> the RECOVERY_CONTROL check of its control, found by its settings."""
    found: dict[str, str] = {}
    for region, arn in controls.items():
        identity = _switch_check_spec(owner, region, arn).identity
        matches = sorted(
            (check for check in live if check.identity == identity),
            key=lambda check: (check.tags.get(TAG_POP) != region, check.id),
        )
        if matches:
            found[region] = matches[0].id
    return found


def switch_plan(compiled: Compiled, aws: AwsSettings) -> SwitchPlan | None:
    """None without `switches: arc`. Reads ARC's configuration API (and DescribeCluster when
    the policy bookmarks no endpoints) and geoproxy's health checks."""
    policy = compiled.loaded.policy
    arc = policy.recovery.arc
    if policy.recovery.switches != "arc" or arc is None:
        return None
    from geoproxy.aws.arc import ArcConfig
    from geoproxy.aws.live import HealthCheckReader

    desired = plan_switches(policy, compiled.routing.applications)
    live = ArcConfig(aws).read(arc.cluster_arn, arc.control_panel, describe=not arc.endpoints)
    arns = {
        c.region: control.arn
        for c in desired.controls
        for control in live.controls
        if control.name == c.name
    }
    live_checks = HealthCheckReader(aws).read()
    checks = _found_checks(policy.owner, arns, live_checks) if arns else {}
    endpoints = desired.endpoints or live.endpoints
    needs, combined = _combined(compiled, desired, checks, live_checks)
    return SwitchPlan(
        desired,
        live,
        diff_switches(desired, live, _unserved(aws, desired, live, checks, endpoints)),
        checks,
        endpoints,
        bool(desired.endpoints),
        policy.owner,
        needs,
        combined,
    )


def _unserved(
    aws: AwsSettings,
    desired: Any,
    live: Any,
    checks: dict[str, str],
    endpoints: tuple[tuple[str, str], ...],
) -> list[str]:
    """Controls that exist without their health check (an apply interrupted between
    creating them and making their checks) and are Off: read from a cluster endpoint, only
    when there is such a control."""
    existing = {control.name for control in live.controls}
    suspects = [c.name for c in desired.controls if c.name in existing and c.region not in checks]
    if not suspects or not endpoints:
        return []
    from geoproxy.aws.arc import ArcCluster

    _, states = ArcCluster(aws, endpoints).states(live.panel_arn)
    return [name for name in suspects if name in states and states[name].state == OFF]


def _combined_spec(
    owner: str, app: str, region: str, switch_check: str, endpoint_check: str, nonce: str = ""
) -> HealthCheckSpec:
    """ "Switch On AND endpoint healthy" for one application's PoP, tagged as a switch check
    (so the application's own health-check plan never deletes it)."""
    return HealthCheckSpec(
        SWITCH_RECORD,
        f"{region}@{app}",
        calculated_config(switch_check, endpoint_check),
        nonce=nonce,
        owner=owner,
    )


def _endpoint_checks(compiled: Compiled, app_name: str, live: list[LiveHealthCheck]) -> Any:
    app = compiled.app_routing(app_name).app
    return plan_health_checks(specs_for(app, compiled.owner), live, app.record)


def _combined(
    compiled: Compiled,
    desired: Any,
    checks: dict[str, str],
    live: list[LiveHealthCheck],
) -> tuple[tuple[tuple[str, str], ...], dict[tuple[str, str], str]]:
    """Which gated PoPs need a CALCULATED check (auto_failover and an endpoint check), and
    those found, by their settings (both children's ids)."""
    needs: list[tuple[str, str]] = []
    found: dict[tuple[str, str], str] = {}
    for routing in compiled.routing.applications:
        app = routing.app
        if not app.auto_failover:
            continue
        regions = [r for r in desired.gated(app.name) if app.pops[r].health_check is not None]
        if not regions:
            continue
        endpoint = _endpoint_checks(compiled, app.name, live).ids
        for region in regions:
            needs.append((app.name, region))
            switch_check, endpoint_check = checks.get(region), endpoint.get(region, "")
            if switch_check is None or endpoint_check.startswith(PENDING_PREFIX):
                continue
            identity = _combined_spec(
                compiled.owner, app.name, region, switch_check, endpoint_check
            ).identity
            match = sorted(check.id for check in live if check.identity == identity)
            if match:
                found[(app.name, region)] = match[0]
    return tuple(needs), found


@dataclass
class Prepared:
    """What the preparation wrote: (what, name/id) in order, and the endpoint that set the
    new controls On."""

    writes: list[tuple[str, str]] = field(default_factory=list)
    endpoint: str | None = None


def prepare_switches(
    plan: SwitchPlan,
    aws: AwsSettings,
    record_write: Callable[[dict[str, Any]], None],
    compiled: Compiled | None = None,
) -> Prepared:
    """Create, in this order: the control panel, the routing controls, set the new ones On
    (a new control is Off), their RECOVERY_CONTROL health checks, then the safety rules (an
    assertion rule over Off controls would refuse every later change). The records gated by
    the checks are written after this, by the ordinary apply."""
    from geoproxy.aws.arc import ArcCluster, ArcConfig

    config = ArcConfig(aws)
    desired, changes = plan.desired, plan.changes
    done = Prepared()
    token = secrets.token_hex(8)  # ClientToken: a retried create does not make a second one

    def wrote(action: str, name: str, **extra: Any) -> None:
        done.writes.append((action, name))
        record_write({"service": "arc", "action": action, "name": name, **extra})

    panel_arn = plan.live.panel_arn
    if panel_arn is None:
        panel_arn = config.create_panel(desired.cluster_arn, desired.panel, f"{token}-panel")
        wrote("CreateControlPanel", desired.panel, arn=panel_arn)
    arns = {control.name: control.arn for control in plan.live.controls}
    for control in changes.create_controls:
        arn = config.create_control(
            desired.cluster_arn, panel_arn, control, f"{token}-{control.region}"
        )
        arns[control.name] = arn
        wrote("CreateRoutingControl", control.name, arn=arn)
    if changes.turn_on:
        cluster = ArcCluster(aws, plan.endpoints)
        new = [arns[control.name] for control in changes.turn_on]
        for start in range(0, len(new), MAX_CONTROLS_PER_UPDATE):
            answered = cluster.set_states(new[start : start + MAX_CONTROLS_PER_UPDATE], ON)
            done.endpoint = answered.region
            wrote(
                "UpdateRoutingControlStates",
                ", ".join(c.name for c in changes.turn_on),
                state=ON,
                endpoint=answered.region,
            )
    _create_checks(plan, aws, arns, wrote)
    if plan.missing_combined:
        _create_combined(plan, aws, compiled, wrote)
    by_region = {c.region: arns[c.name] for c in desired.controls}
    for rule in changes.create_rules:
        arn = config.create_rule(panel_arn, rule, by_region, f"{token}-{rule.name[-10:]}")
        wrote("CreateSafetyRule", rule.name, arn=arn)
    return done


def _create_checks(
    plan: SwitchPlan,
    aws: AwsSettings,
    arns: dict[str, str],
    wrote: Callable[..., None],
) -> None:
    client = aws.for_health_checks().client("route53")  # the zones' account
    nonce = secrets.token_hex(6)
    for control in plan.desired.controls:
        if control.region in plan.checks:
            continue
        spec = _switch_check_spec(plan.owner, control.region, arns[control.name], nonce)
        with aws_errors(f"create the RECOVERY_CONTROL health check of {control.name}"):
            check = client.create_health_check(
                CallerReference=spec.caller_reference, HealthCheckConfig=spec.config
            )["HealthCheck"]
            client.change_tags_for_resource(
                ResourceType="healthcheck", ResourceId=check["Id"], AddTags=spec.tags
            )
        plan.checks[control.region] = check["Id"]
        wrote("CreateHealthCheck", control.name, health_check_id=check["Id"])


def _create_combined(
    plan: SwitchPlan, aws: AwsSettings, compiled: Compiled | None, wrote: Callable[..., None]
) -> None:
    """The CALCULATED checks, after their children: an endpoint check not made yet is made
    here, as the application's own plan would make it (same settings, reference and tags), so
    the apply that follows finds it."""
    assert compiled is not None, "combined checks need the policy"
    from geoproxy.aws.live import HealthCheckReader

    client = aws.for_health_checks().client("route53")  # the zones' account
    live = HealthCheckReader(aws).read()
    nonce = secrets.token_hex(6)
    for app, region in plan.missing_combined:
        health = _endpoint_checks(compiled, app, live)
        endpoint_check = health.ids[region]
        if endpoint_check.startswith(PENDING_PREFIX):
            spec = next(spec for spec in health.create if spec.pop == region)
            spec = dataclasses.replace(spec, nonce=nonce)
            with aws_errors(f"create the health check of {region} for {spec.record}"):
                made = client.create_health_check(
                    CallerReference=spec.caller_reference, HealthCheckConfig=spec.config
                )["HealthCheck"]
                client.change_tags_for_resource(
                    ResourceType="healthcheck", ResourceId=made["Id"], AddTags=spec.tags
                )
            endpoint_check = made["Id"]
            wrote("CreateHealthCheck", f"{app} {region}", health_check_id=endpoint_check)
        spec = _combined_spec(plan.owner, app, region, plan.checks[region], endpoint_check, nonce)
        with aws_errors(f"create the CALCULATED health check of {app} in {region}"):
            made = client.create_health_check(
                CallerReference=spec.caller_reference, HealthCheckConfig=spec.config
            )["HealthCheck"]
            client.change_tags_for_resource(
                ResourceType="healthcheck", ResourceId=made["Id"], AddTags=spec.tags
            )
        plan.combined[(app, region)] = made["Id"]
        wrote(
            "CreateHealthCheck", f"{app} {region} (switch AND endpoint)", health_check_id=made["Id"]
        )


def without_pending(plan: SwitchPlan) -> SwitchPlan:
    """The plan as it stands once prepared: nothing left to create."""
    return dataclasses.replace(
        plan,
        changes=SwitchChanges(False, (), (), (), plan.changes.extra_controls),
    )


def _audit(
    audit_log: Any, command: str, who: str | None, reason: str
) -> tuple[Any, Callable[[dict[str, Any]], None]]:
    from geoproxy.aws.audit import AuditLog

    audit = AuditLog.open(audit_log)

    def record(entry: dict[str, Any]) -> None:
        if audit is not None:
            audit.record(command=command, who=who, reason=reason or None, **entry)

    return audit, record


def prepare(
    plan: SwitchPlan, aws: AwsSettings, audit_log: Any = None, compiled: Compiled | None = None
) -> Prepared:
    """`prepare_switches`, each write in the audit log."""
    from geoproxy.aws.session import caller_identity

    who = None
    if audit_log is not None or _audit_env():
        caller = caller_identity(aws)
        who = caller.arn or caller.label
    audit, record = _audit(audit_log, "apply", who, "")
    landed: list[str] = []

    def record_and_keep(entry: dict[str, Any]) -> None:
        landed.append(f"{entry['action']} {entry['name']}")
        record(entry)

    try:
        return prepare_switches(plan, aws, record_and_keep, compiled)
    except GeoproxyError as error:
        if not landed or isinstance(error, PartlyWritten):
            raise
        # What landed stays (a re-run finds it and goes on); the records were not written.
        raise PartlyWritten(error, landed, ["the switch-gated records"]) from error
    finally:
        if audit is not None:
            audit.close()


def _audit_env() -> bool:
    import os

    from geoproxy.aws.audit import ENV_VARIABLE

    return bool(os.environ.get(ENV_VARIABLE))
