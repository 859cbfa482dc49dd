"""The `geoproxy` command line: parses flags, runs the pipeline, renders. No logic lives here."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from geoproxy import __version__
from geoproxy.aws.session import AwsSettings
from geoproxy.cli import render
from geoproxy.errors import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    ConflictError,
    GeoproxyError,
    RefusedError,
)

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_POLICY = "routing.yaml"


def _policy_option(func: F) -> F:
    return click.option(
        "-f", "--file", "policy_file", default=DEFAULT_POLICY, show_default=True,
        type=click.Path(dir_okay=False, path_type=Path), help="Routing policy file.",
    )(func)


def _output_option(func: F) -> F:
    return click.option(
        "-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True,
        help="`json` prints only JSON on stdout, for scripts.",
    )(func)


def _aws_options(func: F) -> F:
    func = click.option("--profile", envvar="AWS_PROFILE", default=None,
                        help="AWS profile (default: the standard credential chain).")(func)
    return click.option("--endpoint-url", default=None, metavar="URL",
                        help="AWS endpoint for emulators such as moto or LocalStack "
                             "(default: AWS_ENDPOINT_URL, else AWS).")(func)


def _reports_errors(func: F) -> F:
    """Turn GeoproxyErrors into one message and their exit code; --debug shows tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        debug = click.get_current_context().find_root().params.get("debug", False)
        as_json = kwargs.get("output") == "json"
        try:
            return int(func(*args, **kwargs) or EXIT_OK)
        except GeoproxyError as failure:
            if debug:
                raise
            render.error(failure)
            if as_json:
                render.emit_json({**failure.output, "error": failure.to_json()})
            return failure.exit_code
        except KeyboardInterrupt:
            render.stderr.print("Interrupted.")
            return 130
        except Exception as unexpected:  # a bug: say so in one line unless debugging
            if debug:
                raise
            message = f"unexpected {type(unexpected).__name__}: {unexpected}"
            render.stderr.print(f"Error: {message} (run with --debug for the traceback)")
            if as_json:
                render.emit_json({"error": {"kind": "internal", "message": message}})
            return EXIT_ERROR

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geoproxy")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def cli(debug: bool) -> None:
    """Route one CloudFront origin name to regional PoPs with Route 53 latency records.

    Exit codes: 0 success (no changes); 1 error (nothing was written unless the message says
    so); 2 changes pending (only `plan --detailed-exitcode`).
    """


@cli.command()
@_policy_option
@_output_option
@_reports_errors
def validate(policy_file: Path, output: str) -> int:
    """Check the policy offline: schema, regions, PoPs, compliance. No AWS call."""
    from geoproxy.pipeline import compile_policy

    compiled = compile_policy(policy_file)
    if output == "json":
        render.emit_json({"valid": True, "file": str(policy_file),
                          "applications": [app.name for app in compiled.loaded.policy.applications],
                          "warnings": compiled.warnings})
    else:
        render.warnings(compiled.warnings)
        apps = len(compiled.loaded.policy.applications)
        routes = sum(len(routing.routes) for routing in compiled.routing.applications)
        render.stdout.print(f"{policy_file}: valid ({apps} application(s), {routes} routes).")
    return EXIT_OK


@cli.command()
@_policy_option
@_output_option
@_reports_errors
def routes(policy_file: Path, output: str) -> int:
    """Show where each source region's traffic goes and why. Offline."""
    from geoproxy.pipeline import compile_policy

    compiled = compile_policy(policy_file)
    if output == "json":
        render.emit_json(render.routes_json(compiled))
    else:
        render.warnings(compiled.warnings)
        render.routes_table(compiled)
    return EXIT_OK


@cli.command()
@_policy_option
@_output_option
@_aws_options
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 when there are no changes, 2 when there are, 1 on error.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also save the plan as JSON to this file.")
@click.option("--adopt", is_flag=True,
              help="Plan to replace conflicting records geoproxy does not own.")
@_reports_errors
def plan(policy_file: Path, output: str, profile: str | None, endpoint_url: str | None,
         detailed_exitcode: bool, out_file: Path | None, adopt: bool) -> int:
    """Compare the policy with live Route 53 and show what apply would change."""
    from geoproxy.aws.planfile import save_plan
    from geoproxy.pipeline import compile_policy, compute_plan

    compiled = compile_policy(policy_file)
    the_plan = compute_plan(compiled, AwsSettings(profile, endpoint_url), adopt=adopt)
    document = render.plan_json(the_plan)
    _show_plan(the_plan, output)
    _refuse_if_unsafe(the_plan, document)
    if out_file is not None:
        save_plan(out_file, document, compiled.loaded.file)
        if output != "json":
            render.stdout.print(f"Saved the plan to {out_file}.")
    if output == "json":
        render.emit_json(document)
    if detailed_exitcode and the_plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK


def _show_plan(the_plan: Any, output: str) -> None:
    render.warnings(the_plan.warnings)
    if output != "json":
        render.plan_text(the_plan)


def _refuse_if_unsafe(the_plan: Any, document: dict[str, Any]) -> None:
    """Conflicts and broken safety rules stop here; JSON output still carries the plan."""
    from geoproxy.core.plan import check, refuse_conflicts

    if the_plan.conflicts:
        error: GeoproxyError = ConflictError(
            "records geoproxy does not own are in the way:\n  "
            + "\n  ".join(refuse_conflicts(the_plan)),
            hint="remove them, or run the same command with --adopt to replace them in the "
                 "same atomic batch",
        )
    elif problems := check(the_plan):
        error = RefusedError("refusing to write:\n  " + "\n  ".join(problems))
        if any("compliance rule" in problem for problem in problems):
            error.hint = ('choose a compliant PoP, or pass --override-compliance "REASON" '
                          "to record why the rule may be broken")
    else:
        return
    error.output = document
    raise error


def _confirm(yes: bool, question: str, what: str) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise RefusedError(f"refusing to {what} without confirmation: no terminal to ask on",
                           hint="pass --yes to run non-interactively")
    try:
        confirmed = click.confirm(question, default=False, err=True)
    except click.exceptions.Abort:
        confirmed = False
    if not confirmed:
        raise RefusedError(f"{what} cancelled; nothing was written")


def _write(the_plan: Any, aws: AwsSettings, document: dict[str, Any], *, command: str,
           output: str, yes: bool, no_wait: bool, audit_log: Path | None, started: float,
           who: str | None = None, reason: str = "", wait_deployed: bool = False) -> int:
    """The write path every command shares: confirm, audit, apply, wait, report."""
    from geoproxy.aws.audit import AuditLog
    from geoproxy.aws.execute import apply_plan
    from geoproxy.aws.session import caller_identity

    _confirm(yes, "Apply these changes?", command)
    audit = AuditLog.open(audit_log)

    def log_write(write: dict[str, Any]) -> None:
        if audit is not None:
            audit.record(command=command, who=who, reason=reason or None, **write)

    if audit is not None and who is None:
        caller = caller_identity(aws)
        who = caller.arn or caller.label
    try:
        with render.wait_progress(enabled=output != "json") as on_wait:
            result = apply_plan(the_plan, aws, wait=not no_wait, on_wait=on_wait,
                                comment=f"geoproxy {command}", started=started,
                                on_write=log_write, wait_deployed=wait_deployed)
    finally:
        if audit is not None:
            audit.close()
    if output == "json":
        document.update(applied=True, **render.apply_result_json(result))
        render.emit_json(document)
    else:
        render.apply_result_text(result)
    return EXIT_OK


def _write_options(func: F) -> F:
    func = click.option("--audit-log", type=click.Path(dir_okay=False, path_type=Path),
                        default=None, envvar="GEOPROXY_AUDIT_LOG",
                        help="Append one JSON line per write to this file "
                             "(default: GEOPROXY_AUDIT_LOG).")(func)
    func = click.option("--no-wait", is_flag=True,
                        help="Do not wait for Route 53 to report INSYNC.")(func)
    return click.option("--yes", "-y", is_flag=True,
                        help="Do not ask for confirmation.")(func)


@cli.command()
@_policy_option
@_output_option
@_aws_options
@_write_options
@click.option("--adopt", is_flag=True,
              help="Replace conflicting records geoproxy does not own, atomically.")
@click.option("--wait-deployed", is_flag=True,
              help="Also wait until updated CloudFront distributions are Deployed.")
@_reports_errors
def apply(policy_file: Path, output: str, profile: str | None, endpoint_url: str | None,
          yes: bool, no_wait: bool, audit_log: Path | None, adopt: bool,
          wait_deployed: bool) -> int:
    """Plan, confirm, and apply the changes atomically; then wait for INSYNC."""
    from geoproxy.pipeline import compile_policy, compute_plan

    started = time.monotonic()
    compiled = compile_policy(policy_file)
    aws = AwsSettings(profile, endpoint_url)
    the_plan = compute_plan(compiled, aws, adopt=adopt)
    document: dict[str, Any] = {"plan": render.plan_json(the_plan), "applied": False}
    _show_plan(the_plan, output)
    _refuse_if_unsafe(the_plan, document)
    if not the_plan.has_changes:
        if output == "json":
            render.emit_json(document)
        return EXIT_OK
    return _write(the_plan, aws, document, command="apply", output=output, yes=yes,
                  no_wait=no_wait, audit_log=audit_log, started=started,
                  wait_deployed=wait_deployed)


@cli.command()
@_policy_option
@_output_option
@_aws_options
@_write_options
@click.option("--from", "from_pop", required=True, metavar="REGION",
              help="The PoP region to move traffic away from.")
@click.option("--to", "to_pop", default=None, metavar="REGION",
              help="The PoP to send it to (default: the PoP's `failover_to` partner).")
@click.option("--app", "app_names", multiple=True, metavar="NAME",
              help="Only these applications (repeatable; default: all with a PoP in --from).")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--reason", default="", help="Why: recorded with the failover.")
@click.option("--override-compliance", default=None, metavar="REASON",
              help="Allow a failover that breaks a compliance rule, recording why.")
@click.option("--adopt", is_flag=True,
              help="Replace a record geoproxy does not own where it keeps failover state.")
@_reports_errors
def failover(policy_file: Path, output: str, profile: str | None, endpoint_url: str | None,
             yes: bool, no_wait: bool, audit_log: Path | None, from_pop: str,
             to_pop: str | None, app_names: tuple[str, ...], dry_run: bool, reason: str,
             override_compliance: str | None, adopt: bool) -> int:
    """Send the traffic that reaches one PoP to another, in one atomic change per zone."""
    from geoproxy.aws.audit import utc_now
    from geoproxy.aws.session import Caller, caller_identity
    from geoproxy.core.failover import Failover
    from geoproxy.pipeline import compile_policy, failover_scope, plan_failover

    started = time.monotonic()
    compiled = compile_policy(policy_file)
    aws = AwsSettings(profile, endpoint_url)
    targets = failover_scope(compiled, from_pop, to_pop, app_names)
    if override_compliance is not None and not override_compliance.strip():
        raise GeoproxyError("--override-compliance needs a reason")
    caller = Caller(None, "dry run") if dry_run else caller_identity(aws)
    declared_at = utc_now()
    why = reason or override_compliance or ""

    def declare(target: str) -> Failover:
        return Failover(from_pop, target, declared_at, caller.label, why,
                        override_compliance or "")

    the_plan = plan_failover(compiled, aws, from_pop, targets, declare, adopt=adopt)
    document: dict[str, Any] = {
        "command": "failover", "from": from_pop, "to": targets, "dry_run": dry_run,
        "plan": render.plan_json(the_plan), "applied": False,
    }
    render.warnings(the_plan.warnings)
    _refuse_if_unsafe(the_plan, document)
    return _finish_overlay_change(
        the_plan, aws, document, output=output, dry_run=dry_run, yes=yes, no_wait=no_wait,
        audit_log=audit_log, started=started, command="failover", who=caller.arn or caller.label,
        reason=why, nothing=f"traffic that reached {from_pop} already goes to "
                            + ", ".join(sorted(set(targets.values()))),
    )


@cli.command()
@_policy_option
@_output_option
@_aws_options
@_write_options
@click.argument("region")
@click.option("--app", "app_names", multiple=True, metavar="NAME",
              help="Only these applications (repeatable; default: all).")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@_reports_errors
def failback(policy_file: Path, output: str, profile: str | None, endpoint_url: str | None,
             yes: bool, no_wait: bool, audit_log: Path | None, region: str,
             app_names: tuple[str, ...], dry_run: bool) -> int:
    """End the failover away from REGION: the policy's routes come back, atomically."""
    from geoproxy.pipeline import compile_policy, plan_failback

    started = time.monotonic()
    compiled = compile_policy(policy_file)
    aws = AwsSettings(profile, endpoint_url)
    the_plan = plan_failback(compiled, aws, region, app_names)
    document: dict[str, Any] = {"command": "failback", "region": region, "dry_run": dry_run,
                                "plan": render.plan_json(the_plan), "applied": False}
    render.warnings(the_plan.warnings)
    _refuse_if_unsafe(the_plan, document)
    return _finish_overlay_change(
        the_plan, aws, document, output=output, dry_run=dry_run, yes=yes, no_wait=no_wait,
        audit_log=audit_log, started=started, command="failback", who=None, reason="",
        nothing=f"no failover away from {region} is active",
    )


def _finish_overlay_change(the_plan: Any, aws: AwsSettings, document: dict[str, Any], *,
                           output: str, dry_run: bool, nothing: str, **write: Any) -> int:
    if output != "json" and the_plan.has_changes:
        render.plan_text(the_plan)
    if not the_plan.has_changes:
        if output == "json":
            render.emit_json(document)
        else:
            render.stdout.print(f"Nothing to do: {nothing}.")
        return EXIT_OK
    if dry_run:
        if output == "json":
            render.emit_json(document)
        else:
            render.stdout.print("Dry run: nothing was written.")
        return EXIT_OK
    return _write(the_plan, aws, document, output=output, **write)


@cli.command()
@_policy_option
@_output_option
@_aws_options
@_reports_errors
def status(policy_file: Path, output: str, profile: str | None,
           endpoint_url: str | None) -> int:
    """Where each source region's traffic goes now, and why it differs from the policy."""
    from geoproxy.pipeline import compile_policy, compute_status

    compiled = compile_policy(policy_file)
    statuses, warnings = compute_status(compiled, AwsSettings(profile, endpoint_url))
    from geoproxy.cli import render_status

    render.warnings(warnings)
    if output == "json":
        render.emit_json(render_status.status_json(statuses, warnings))
    else:
        render_status.status_text(statuses)
    return EXIT_OK


@cli.command()
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the demo's policy files in this directory (created if missing).")
@_reports_errors
def demo(keep: Path | None) -> int:
    """Run the whole story against an in-process AWS emulator (moto). Never touches AWS."""
    from geoproxy.sandbox.demo import run_demo

    return run_demo(keep)


def main() -> None:
    """Entry point: Click's usage errors exit 1 here, because 2 means "changes" to scripts."""
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        render.stderr.print("Aborted.")
        code = EXIT_ERROR
    except click.ClickException as failure:
        failure.show()
        code = EXIT_ERROR
    sys.exit(code if isinstance(code, int) else EXIT_OK)
