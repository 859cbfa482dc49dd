"""`plan` and `apply`: the policy against live Route 53 and CloudFront."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from geoproxy.aws.session import AwsSettings
from geoproxy.cli.commands.saved import verify_key_option
from geoproxy.cli.lazy import LazyModule
from geoproxy.cli.options import (
    all_zones_option,
    app_option,
    aws_options,
    chosen_latency_table,
    output_option,
    overwrite_option,
    plan_output_option,
    policy_option,
    reports_errors,
    write_options,
)
from geoproxy.core.accounts import routes_of
from geoproxy.errors import EXIT_CHANGES, EXIT_OK, GeoproxyError

render = LazyModule("geoproxy.cli.render")
render_plan = LazyModule("geoproxy.cli.render_plan")
render_recovery = LazyModule("geoproxy.cli.render_recovery")
views = LazyModule("geoproxy.cli.views")
if TYPE_CHECKING:  # the real module, for its signatures; loaded only when a command runs
    from geoproxy.cli import flow
else:
    flow = LazyModule("geoproxy.cli.flow")


@click.command()
@policy_option
@plan_output_option
@aws_options
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there are no changes, 2 when there are, 1 on error.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="PLANFILE",
    help="Also save the plan to this file; `geoproxy apply PLANFILE` applies exactly it.",
)
@overwrite_option
@click.option(
    "--adopt", is_flag=True, help="Plan to replace conflicting records geoproxy does not own."
)
@click.option(
    "--prune",
    is_flag=True,
    help="Also delete orphans: records of this policy's owner that no application "
    "of the policy has any more (under the same mass-deletion guard).",
)
@all_zones_option
@click.option(
    "--override-compliance",
    default=None,
    metavar="REASON",
    help="Keep live failovers that break a compliance rule, recording why; an override "
    "read from DNS allows nothing by itself.",
)
@app_option
@reports_errors
def plan(
    policy_file: Path,
    output: str,
    aws: AwsSettings,
    detailed_exitcode: bool,
    out_file: Path | None,
    overwrite: bool,
    adopt: bool,
    prune: bool,
    all_zones: bool,
    override_compliance: str | None,
    app_names: tuple[str, ...],
) -> int:
    """Compare the policy with live Route 53 and show what apply would change."""
    from geoproxy.cli.outputs import check_plan_out
    from geoproxy.core.safety import mass_deletions
    from geoproxy.pipeline import compile_policy, compute_plan

    compiled = compile_policy(policy_file, latency_table=chosen_latency_table())

    aws.use_accounts(routes_of(compiled.loaded.policy))
    check_plan_out(compiled, out_file, overwrite=overwrite)  # before reading AWS
    check_override(override_compliance)
    the_plan = compute_plan(
        compiled,
        aws,
        adopt=adopt,
        prune=prune,
        all_zones=all_zones,
        app_names=app_names,
        override_compliance=override_compliance,
    )
    if out_file is not None and the_plan.switches is not None and not the_plan.switches.empty:
        raise GeoproxyError(
            "the switches are not prepared yet, and a saved plan holds only record changes: "
            "its gated records would name health checks that do not exist",
            hint="run `geoproxy apply` to prepare the switches first, then save the plan",
        )
    document = render_plan.plan_json(the_plan)
    if override_compliance:
        # Saved with the plan: `apply PLANFILE` records it in the audit log.
        document["override_compliance"] = override_compliance
    the_plan.warnings.extend(
        f"{m.describe()}; apply needs --force" for m in mass_deletions(the_plan)
    )
    view = views.view_for(output)
    flow.show_plan(the_plan, view)
    if the_plan.recovery:
        document["accelerated_recovery"] = render_recovery.recovery_json(the_plan.recovery)
    flow.refuse_if_unsafe(the_plan, document)
    if out_file is not None:
        flow.save(
            out_file,
            the_plan,
            document,
            command="apply",
            policy=compiled.loaded,
            view=view,
            overwrite=overwrite,
            routes=aws.routes,
        )
    view.finished(document)
    if detailed_exitcode and (
        the_plan.has_changes or any(zone.to_enable for zone in the_plan.recovery)
    ):
        return EXIT_CHANGES
    return EXIT_OK


@click.command()
@click.argument(
    "plan_argument",
    metavar="[PLANFILE]",
    required=False,
    type=click.Path(dir_okay=False, path_type=Path),
)
@policy_option
@output_option
@aws_options
@write_options(wait_deployed=True)
@click.option(
    "--plan",
    "plan_option",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="PLANFILE",
    help="Apply exactly this saved plan (from `plan --out` or `failover --dry-run "
    "--out`); the policy is not read.",
)
@click.option(
    "--adopt", is_flag=True, help="Replace conflicting records geoproxy does not own, atomically."
)
@click.option(
    "--wait-deployed",
    is_flag=True,
    help="Also wait until updated CloudFront distributions are Deployed.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Apply even if it deletes more than 30% (or all) of an application's "
    "routing records (from 10 records up).",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Also delete orphans: records of this policy's owner that no application "
    "of the policy has any more (under the same mass-deletion guard).",
)
@all_zones_option
@click.option(
    "--override-compliance",
    default=None,
    metavar="REASON",
    help="Keep live failovers that break a compliance rule, recording why; an override "
    "read from DNS allows nothing by itself.",
)
@verify_key_option
@app_option
@reports_errors
def apply(
    plan_argument: Path | None,
    policy_file: Path,
    output: str,
    aws: AwsSettings,
    yes: bool,
    no_wait: bool,
    audit_log: Path | None,
    timeout: float,
    plan_option: Path | None,
    adopt: bool,
    wait_deployed: bool,
    force: bool,
    prune: bool,
    all_zones: bool,
    override_compliance: str | None,
    verify_key: Path | None,
    app_names: tuple[str, ...],
) -> int:
    """Plan, confirm, and apply the changes atomically; then wait for INSYNC.

    With PLANFILE (or --plan), apply exactly that saved plan: no re-planning. It is refused
    with exit code 3, nothing written, if the records or distributions it depends on
    changed since it was made.
    """
    from geoproxy.pipeline import compile_policy, compute_plan

    if plan_argument is not None and plan_option is not None and plan_argument != plan_option:
        raise GeoproxyError("two different saved plans given: PLANFILE and --plan")
    saved = plan_option or plan_argument
    view = views.view_for(output)
    if saved is not None:
        decided: dict[str, Any] = {"--adopt": adopt, "--prune": prune, "--all-zones": all_zones}
        decided["--app"] = app_names
        decided["--override-compliance"] = override_compliance
        return _apply_saved(
            saved,
            aws,
            decided,
            view=view,
            yes=yes,
            no_wait=no_wait,
            audit_log=audit_log,
            timeout=timeout,
            wait_deployed=wait_deployed,
            force=force,
            verify_key=verify_key,
        )
    from geoproxy.aws.audit import AuditTrail

    compiled = compile_policy(policy_file, latency_table=chosen_latency_table())

    aws.use_accounts(routes_of(compiled.loaded.policy))
    check_override(override_compliance)
    trail = AuditTrail.read(audit_log)

    def planned() -> Any:
        return compute_plan(
            compiled,
            aws,
            adopt=adopt,
            prune=prune,
            all_zones=all_zones,
            app_names=app_names,
            force=force,
            override_compliance=override_compliance,
            who=lambda state, failover: trail.who(state, failover.at) if failover.at else None,
        )

    return _write(
        planned,
        functools.partial(_checked, view=view, force=force),
        aws,
        view=view,
        yes=yes,
        no_wait=no_wait,
        audit_log=audit_log,
        timeout=timeout,
        wait_deployed=wait_deployed,
        override_compliance=override_compliance,
        compiled=compiled,
    )


def _write(
    planned: Callable[[], Any],
    checked: Callable[[Any], tuple[Any, dict[str, Any]]],
    aws: AwsSettings,
    *,
    view: Any,
    yes: bool,
    no_wait: bool,
    audit_log: Path | None,
    timeout: float,
    wait_deployed: bool,
    override_compliance: str | None,
    compiled: Any,
) -> int:
    """The policy's plan, shown and checked; accelerated recovery and the switches prepared
    first where the policy asks for them; then the records written."""
    from geoproxy.core.changeset import changeset_of

    the_plan = planned()
    _, document = checked(the_plan)
    enabling = [zone for zone in the_plan.recovery if zone.to_enable]
    if enabling:
        # Before the records: the zone is ENABLED (or failed, said) by the time they land,
        # and one confirmation covers both.
        flow.enable_recovery(the_plan.recovery, aws, document, view=view, yes=yes, timeout=timeout)
        yes = True
    elif the_plan.recovery:
        document["accelerated_recovery"] = render_recovery.recovery_json(the_plan.recovery)
    if not the_plan.has_changes:
        view.finished(document)
        return EXIT_OK
    if the_plan.switches is not None and not the_plan.switches.empty:
        # The switches first (controls On, their health checks, then safety rules): the
        # records gated by them are planned again with the checks' real ids, then written.
        the_plan, document = flow.prepare_switches(
            the_plan,
            aws,
            document,
            view=view,
            yes=yes,
            audit_log=audit_log,
            replan=planned,
            compiled=compiled,
        )
        yes = True
        if not the_plan.has_changes:
            view.finished(document)
            return EXIT_OK
    return flow.write_plan(
        changeset_of(the_plan),
        aws,
        document,
        command="apply",
        view=view,
        yes=yes,
        no_wait=no_wait,
        audit_log=audit_log,
        timeout=timeout,
        wait_deployed=wait_deployed,
        override_compliance=override_compliance,
        replan=lambda: _replanned(planned(), checked),
    )


def _checked(the_plan: Any, *, view: Any, force: bool) -> tuple[Any, dict[str, Any]]:
    """The plan shown, then refused if unsafe; its change set and document."""
    from geoproxy.core.changeset import changeset_of
    from geoproxy.core.safety import mass_deletions

    document: dict[str, Any] = {"plan": render_plan.plan_json(the_plan), "applied": False}
    flow.show_plan(the_plan, view)
    flow.refuse_if_unsafe(the_plan, document)
    if not force:
        flow.refuse_mass_deletion(mass_deletions(the_plan), document)
    return changeset_of(the_plan), document


def _apply_saved(
    saved: Path,
    aws: AwsSettings,
    decided: dict[str, Any],
    *,
    view: Any,
    yes: bool,
    no_wait: bool,
    audit_log: Path | None,
    timeout: float,
    wait_deployed: bool,
    force: bool,
    verify_key: Path | None,
) -> int:
    """`apply PLANFILE`: a saved records plan, or a saved switch plan (data plane only).
    `decided`: the flags that belong to making a plan, refused when given here."""
    from geoproxy.aws.planfile.signature import verify_key_path
    from geoproxy.aws.planfile.switches import load_switch_plan

    for flag, given in decided.items():
        if given:
            raise GeoproxyError(
                f"{flag} is decided when the plan is made, not when it is applied",
                hint=f"make the plan with `geoproxy plan {flag} --out PLANFILE`",
            )

    source = click.get_current_context().get_parameter_source("policy_file")
    if source is not click.core.ParameterSource.DEFAULT or chosen_latency_table():
        flag = "--latency-table" if chosen_latency_table() else "-f/--file"
        raise GeoproxyError(
            f"{flag} cannot be used with a saved plan: the plan is "
            "applied exactly as made, and no policy is read",
            hint=f"drop {flag}, or run `geoproxy apply -f FILE` without "
            "PLANFILE to plan and apply that policy",
        )
    switch_plan = load_switch_plan(saved)
    if switch_plan is not None:
        from geoproxy.aws.planfile.signature import refuse_unsigned
        from geoproxy.cli.commands.dr_switches import apply_switch_plan_command

        refuse_unsigned(saved, verify_key_path(verify_key))
        return apply_switch_plan_command(switch_plan, aws, yes=yes, view=view, audit_log=audit_log)
    return flow.apply_saved(
        saved,
        aws,
        view=view,
        yes=yes,
        no_wait=no_wait,
        audit_log=audit_log,
        timeout=timeout,
        wait_deployed=wait_deployed,
        force=force,
        verify_key=verify_key_path(verify_key),
    )


def _replanned(the_plan: Any, checked: Any) -> Any:
    """The re-plan after a batch was rejected because the state changed underneath: shown
    and checked again (a breach needs --override-compliance as before); None if it has
    nothing left to do."""
    changes, document = checked(the_plan)
    return (changes, document) if the_plan.has_changes else None


def check_override(reason: str | None) -> None:
    from geoproxy.core.state import free_text_problem

    if reason is not None and not reason.strip():
        raise GeoproxyError("--override-compliance needs a reason")
    if reason and (problem := free_text_problem(reason, "--override-compliance")):
        raise GeoproxyError(problem)
