"""Disaster recovery: `failover` and `failback` (`status` and `wait` in status.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from geoproxy.aws.session import AwsSettings
from geoproxy.cli.lazy import LazyModule
from geoproxy.cli.options import (
    aws_options,
    chosen_latency_table,
    dry_run_options,
    output_option,
    policy_option,
    reports_errors,
    via_option,
    write_options,
)
from geoproxy.core.accounts import routes_of
from geoproxy.errors import GeoproxyError

render = LazyModule("geoproxy.cli.render")
render_plan = LazyModule("geoproxy.cli.render_plan")
recovery_status = LazyModule("geoproxy.cli.recovery_status")
render_map = LazyModule("geoproxy.cli.maps.render")
views = LazyModule("geoproxy.cli.views")
map_panels = LazyModule("geoproxy.cli.maps.panels")
if TYPE_CHECKING:  # the real modules, for their signatures; loaded only when a command runs
    from geoproxy.cli import flow, replan
    from geoproxy.cli.commands import dr_switches
    from geoproxy.cli.views import View
    from geoproxy.core.failover import Failover
else:
    flow = LazyModule("geoproxy.cli.flow")
    replan = LazyModule("geoproxy.cli.replan")
    dr_switches = LazyModule("geoproxy.cli.commands.dr_switches")


@click.command()
@policy_option
@output_option
@aws_options
@write_options
@click.option(
    "--from",
    "from_pop",
    required=True,
    metavar="REGION",
    help="The PoP region to move traffic away from.",
)
@click.option(
    "--to",
    "to_pop",
    default=None,
    metavar="REGION",
    help="The PoP to send it to (default: the PoP's `failover_to` partner).",
)
@click.option(
    "--app",
    "app_names",
    multiple=True,
    metavar="NAME",
    help="Only these applications (repeatable; default: all with a PoP in --from).",
)
@dry_run_options
@click.option("--reason", default="", help="Why: recorded with the failover.")
@click.option(
    "--override-compliance",
    default=None,
    metavar="REASON",
    help="Allow a failover that breaks a compliance rule, recording why.",
)
@click.option(
    "--adopt",
    is_flag=True,
    help="Replace a record geoproxy does not own where it keeps failover state.",
)
@via_option("flips the region's ARC routing control Off")
@reports_errors
def failover(
    policy_file: Path,
    output: str,
    aws: AwsSettings,
    yes: bool,
    no_wait: bool,
    audit_log: Path | None,
    timeout: float,
    from_pop: str,
    to_pop: str | None,
    app_names: tuple[str, ...],
    dry_run: bool,
    out_file: Path | None,
    overwrite: bool,
    reason: str,
    override_compliance: str | None,
    adopt: bool,
    via: str | None,
) -> int:
    """Send the traffic that reaches one PoP to another: by default through the policy's
    data-plane switches when it has them (one ARC routing control Off, no control-plane
    call), else in one atomic change of records per zone."""
    from geoproxy.cli.outputs import check_plan_out
    from geoproxy.pipeline import compile_policy

    compiled = compile_policy(policy_file, latency_table=chosen_latency_table())

    aws.use_accounts(routes_of(compiled.loaded.policy))
    check_plan_out(compiled, out_file, overwrite=overwrite, more=(("the audit log", audit_log),))
    if dr_switches.chosen_via(compiled, via) == "switches":
        return dr_switches.switch_move_command(
            compiled,
            aws,
            dr_switches.Move("failover", policy_file, from_pop, to_pop, app_names, "Off"),
            yes=yes,
            dry_run=dry_run,
            out_file=out_file,
            overwrite=overwrite,
            reason=reason,
            audit_log=audit_log,
            view=views.view_for(output),
            override_compliance=override_compliance,
        )
    return _records_failover(
        compiled,
        aws,
        views.view_for(output),
        from_pop=from_pop,
        to_pop=to_pop,
        app_names=app_names,
        reason=reason,
        override_compliance=override_compliance,
        adopt=adopt,
        dry_run=dry_run,
        out_file=out_file,
        overwrite=overwrite,
        yes=yes,
        no_wait=no_wait,
        audit_log=audit_log,
        timeout=timeout,
    )


def _records_failover(
    compiled: Any,
    aws: AwsSettings,
    view: View,
    *,
    from_pop: str,
    to_pop: str | None,
    app_names: tuple[str, ...],
    reason: str,
    override_compliance: str | None,
    adopt: bool,
    dry_run: bool,
    out_file: Path | None,
    overwrite: bool,
    yes: bool,
    no_wait: bool,
    audit_log: Path | None,
    timeout: float,
) -> int:
    """A failover through the records: one atomic change per zone (control plane)."""
    from geoproxy.aws.session import caller_identity_soon
    from geoproxy.pipeline import failover_scope, plan_failover

    targets = failover_scope(compiled, from_pop, to_pop, app_names)
    declare, declared_at = _declaring(from_pop, targets, reason, override_compliance)
    # Only the audit log says who: STS is asked only for it, while Route 53 is read; a dry
    # run, saved or not, writes nothing and asks nobody.
    identify = caller_identity_soon(aws) if audit_log is not None and not dry_run else None

    def planned() -> tuple[Any, dict[str, Any]]:
        with dr_switches.needs_control_plane("failover", compiled):
            the_plan = plan_failover(
                compiled,
                aws,
                from_pop,
                targets,
                declare,
                adopt=adopt,
                override_compliance=override_compliance,
            )
        document = _document("failover", the_plan, dry_run, {"from": from_pop, "to": targets})
        render.warnings(the_plan.warnings)
        _refuse_showing_the_plan(the_plan, document, view, list(targets))
        return the_plan, document

    the_plan, document = planned()
    caller = identify() if identify is not None else None
    return flow.finish_overlay_change(
        the_plan,
        aws,
        document,
        view=view,
        dry_run=dry_run,
        yes=yes,
        no_wait=no_wait,
        audit_log=audit_log,
        timeout=timeout,
        command="failover",
        who=(caller.arn or caller.label) if caller else None,
        reason=reason,
        override_compliance=override_compliance,
        nothing=f"traffic that reached {from_pop} already goes to "
        + ", ".join(sorted(set(targets.values()))),
        out_file=out_file,
        overwrite=overwrite,
        policy=compiled.loaded,
        declared_at=declared_at,
        replan=lambda: replan.shown_again(*planned(), view),
    )


def _declaring(
    from_pop: str, targets: dict[str, str], reason: str, override_compliance: str | None
) -> tuple[Callable[[str], Failover], str]:
    """How this run declares its failover (to a target PoP), checked to fit the public state
    record, and the time it declares it at."""
    from geoproxy.aws.audit import utc_now
    from geoproxy.core.failover import Failover
    from geoproxy.core.state import value_problem

    _check_free_text(reason, override_compliance)
    declared_at = utc_now()
    why = reason or override_compliance or ""

    def declare(target: str) -> Failover:
        return Failover(from_pop, target, declared_at, "", why, override_compliance or "")

    for target in set(targets.values()):
        if problem := value_problem(declare(target)):
            raise GeoproxyError(problem)
    return declare, declared_at


def _document(command: str, the_plan: Any, dry_run: bool, where: dict[str, Any]) -> dict[str, Any]:
    """The JSON document of a failover or failback: what, where, and its plan."""
    return {
        "command": command,
        **where,
        "dry_run": dry_run,
        "plan": render_plan.plan_json(the_plan),
        "applied": False,
    }


def _check_free_text(reason: str, override_compliance: str | None) -> None:
    """--reason and --override-compliance are published in DNS: printable, short, and an
    override always says why."""
    from geoproxy.core.state import free_text_problem

    if override_compliance is not None and not override_compliance.strip():
        raise GeoproxyError("--override-compliance needs a reason")
    for option, text in (("--reason", reason), ("--override-compliance", override_compliance)):
        if text and (problem := free_text_problem(text, option)):
            raise GeoproxyError(
                problem,
                hint="it is published in DNS with the failover; "
                "keep the details in your incident tool",
            )


def _refuse_showing_the_plan(
    the_plan: Any, document: dict[str, Any], view: View, apps: list[str]
) -> None:
    """A refused failover shows what it would have done, and, when only some applications
    are the problem, how to leave them out."""
    from geoproxy.core.safety import check

    problems = check(the_plan)
    if not problems:
        return
    if the_plan.has_changes:
        view.plan(the_plan)
    blocked = {problem.app for problem in problems} & set(apps)
    others = [app for app in apps if app not in blocked]
    leave_out = (
        f"or leave {', '.join(sorted(blocked))} out: " + " ".join(f"--app {app}" for app in others)
        if blocked and others
        else None
    )
    flow.refuse_if_unsafe(the_plan, document, also_hint=leave_out)


@click.command()
@policy_option
@output_option
@aws_options
@write_options
@click.argument("region", required=False)
@click.option(
    "--from",
    "from_region",
    default=None,
    metavar="REGION",
    help="The same as the REGION argument, as `failover --from` names it.",
)
@click.option(
    "--app",
    "app_names",
    multiple=True,
    metavar="NAME",
    help="Only these applications (repeatable; default: all).",
)
@dry_run_options
@click.option("--reason", default="", help="Why: recorded in the audit log line.")
@via_option("turns the region's ARC routing control back On")
@reports_errors
def failback(
    policy_file: Path,
    output: str,
    aws: AwsSettings,
    yes: bool,
    no_wait: bool,
    audit_log: Path | None,
    timeout: float,
    region: str | None,
    from_region: str | None,
    app_names: tuple[str, ...],
    dry_run: bool,
    out_file: Path | None,
    overwrite: bool,
    reason: str,
    via: str | None,
) -> int:
    """End the failover away from REGION: its switch back On (the default when the policy
    has switches), or the policy's routes back in the records, atomically."""
    if region and from_region and region != from_region:
        raise GeoproxyError(f"two regions given: {region} and --from {from_region}")
    region = region or from_region
    if not region:
        raise GeoproxyError("which region to fail back? give it as REGION or --from REGION")
    from geoproxy.aws.session import caller_identity_soon
    from geoproxy.cli.outputs import check_plan_out
    from geoproxy.core.state import free_text_problem
    from geoproxy.pipeline import compile_policy, plan_failback

    if reason and (problem := free_text_problem(reason, "--reason")):
        raise GeoproxyError(problem)

    compiled = compile_policy(policy_file, latency_table=chosen_latency_table())

    aws.use_accounts(routes_of(compiled.loaded.policy))
    check_plan_out(compiled, out_file, overwrite=overwrite, more=(("the audit log", audit_log),))
    if dr_switches.chosen_via(compiled, via) == "switches":
        return dr_switches.switch_move_command(
            compiled,
            aws,
            dr_switches.Move("failback", policy_file, region, None, app_names, "On"),
            yes=yes,
            dry_run=dry_run,
            out_file=out_file,
            overwrite=overwrite,
            reason=reason,
            audit_log=audit_log,
            view=views.view_for(output),
        )
    identify = caller_identity_soon(aws) if audit_log is not None and not dry_run else None
    view = views.view_for(output)

    def planned() -> tuple[Any, dict[str, Any]]:
        with dr_switches.needs_control_plane("failback", compiled):
            the_plan = plan_failback(compiled, aws, region, app_names)
        document = _document("failback", the_plan, dry_run, {"region": region})
        render.warnings(the_plan.warnings)
        flow.refuse_if_unsafe(the_plan, document)
        return the_plan, document

    the_plan, document = planned()
    caller = identify() if identify is not None else None
    return flow.finish_overlay_change(
        the_plan,
        aws,
        document,
        view=view,
        dry_run=dry_run,
        yes=yes,
        no_wait=no_wait,
        audit_log=audit_log,
        timeout=timeout,
        command="failback",
        who=(caller.arn or caller.label) if caller else None,
        reason=reason,
        nothing=f"no failover away from {region} is active",
        out_file=out_file,
        overwrite=overwrite,
        policy=compiled.loaded,
        replan=lambda: replan.shown_again(*planned(), view),
    )
