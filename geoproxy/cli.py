"""The `geoproxy` command line: parses flags, runs the pipeline, renders. No logic lives here."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from geoproxy import __version__, render
from geoproxy.aws import AwsSettings
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
            render.stderr.print(f"Error: unexpected {type(unexpected).__name__}: {unexpected} "
                                "(run with --debug for the traceback)")
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
    from geoproxy.pipeline import compile_policy, compute_plan
    from geoproxy.planfile import save_plan

    compiled = compile_policy(policy_file)
    the_plan = compute_plan(compiled, AwsSettings(profile, endpoint_url), adopt=adopt)
    document = render.plan_json(the_plan)
    if out_file is not None:
        save_plan(out_file, document, compiled.loaded.file)
    if output != "json":
        render.warnings(the_plan.warnings)
        render.plan_text(the_plan)
        if out_file is not None:
            render.stdout.print(f"Saved the plan to {out_file}.")
    if the_plan.conflicts:
        raise _conflict_error(the_plan, document)
    if output == "json":
        render.emit_json(document)
    if detailed_exitcode and the_plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK


def _conflict_error(the_plan: Any, document: dict[str, Any]) -> ConflictError:
    from geoproxy.plan import refuse_conflicts

    problems = refuse_conflicts(the_plan)
    error = ConflictError(
        "records geoproxy does not own are in the way:\n  " + "\n  ".join(problems),
        hint="remove them, or run apply with --adopt to replace them in the same atomic batch",
    )
    error.output = document
    return error


@cli.command()
@_policy_option
@_output_option
@_aws_options
@click.option("--yes", "-y", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--adopt", is_flag=True,
              help="Replace conflicting records geoproxy does not own, atomically.")
@click.option("--no-wait", is_flag=True, help="Do not wait for Route 53 to report INSYNC.")
@_reports_errors
def apply(policy_file: Path, output: str, profile: str | None, endpoint_url: str | None,
          yes: bool, adopt: bool, no_wait: bool) -> int:
    """Plan, confirm, and apply the changes atomically; then wait for INSYNC."""
    from geoproxy import plan as planning
    from geoproxy.execute import apply_plan
    from geoproxy.pipeline import compile_policy, compute_plan

    compiled = compile_policy(policy_file)
    aws = AwsSettings(profile, endpoint_url)
    the_plan = compute_plan(compiled, aws, adopt=adopt)
    document: dict[str, Any] = {"plan": render.plan_json(the_plan), "applied": False}
    if output != "json":
        render.warnings(the_plan.warnings)
        render.plan_text(the_plan)
    if the_plan.conflicts:
        raise _conflict_error(the_plan, document)
    problems = planning.check(the_plan)
    if problems:
        refused = RefusedError("the plan breaks a safety rule:\n  " + "\n  ".join(problems))
        refused.output = document
        raise refused
    if not the_plan.has_changes:
        if output == "json":
            render.emit_json(document)
        return EXIT_OK
    if not yes:
        if not sys.stdin.isatty():
            raise RefusedError("refusing to apply without confirmation: no terminal to ask on",
                               hint="pass --yes to apply non-interactively")
        if not click.confirm("Apply these changes?", default=False, err=True):
            raise RefusedError("apply cancelled; nothing was written")
    with render.wait_progress(enabled=output != "json") as on_wait:
        result = apply_plan(the_plan, aws, wait=not no_wait, on_wait=on_wait)
    if output == "json":
        document.update(applied=True, **render.apply_result_json(result))
        render.emit_json(document)
    else:
        render.apply_result_text(result)
    return EXIT_OK


@cli.command()
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the demo's policy files in this directory (created if missing).")
@_reports_errors
def demo(keep: Path | None) -> int:
    """Run the whole story against an in-process AWS emulator (moto). Never touches AWS."""
    from geoproxy.demo import run_demo

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
