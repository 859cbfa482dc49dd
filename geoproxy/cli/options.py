"""Flags every command shares, and the one place errors become messages and exit codes."""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

import click

from geoproxy.cli.lazy import LazyModule
from geoproxy.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, GeoproxyError

render = LazyModule("geoproxy.cli.render")

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_POLICY = "routing.yaml"
DEFAULT_RETRY_DEADLINE_S = 120.0  # per call; the same as geoproxy.aws.retry's default
DEFAULT_TIMEOUT_S = 900.0


# Upper bounds for durations: far above any real need, so a typo (or `inf`) is refused
# instead of making a bound vanish. CloudFront deploys in minutes, a day is absurd.
MAX_TIMEOUT_S = 86_400.0
MAX_RETRY_DEADLINE_S = 3_600.0


def number_problem(raw: object, maximum: float, *, positive: bool = False) -> str | None:
    """Why `raw` is no usable number of seconds, or None. NaN slips past every comparison
    (`elapsed > nan` is never true) and infinity past every deadline, so both are refused,
    as are negatives and values above `maximum`."""
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"{raw!r} is not a number of seconds"
    if not math.isfinite(value):
        return f"{raw!r} is not a finite number of seconds"
    if value < 0 or (positive and value == 0):
        return f"{raw!r}: must be {'above' if positive else 'at least'} 0"
    if value > maximum:
        return f"{raw!r}: at most {maximum:,.0f} seconds"
    return None


if TYPE_CHECKING:  # ParamType is generic in click's own types; at run time click 8.1 is allowed
    _FloatParam = click.ParamType[float, Any]
else:
    _FloatParam = click.ParamType


class Seconds(_FloatParam):
    """A number of seconds in [0, maximum]: finite, never NaN. Click names the flag (or its
    environment variable) in the message, and it is checked before any AWS call."""

    name = "seconds"

    def __init__(self, maximum: float) -> None:
        self.maximum = maximum

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        problem = number_problem(value, self.maximum)
        if problem is not None:
            source = ctx.get_parameter_source(param.name) if ctx and param and param.name else None
            envvar = getattr(param, "envvar", None)
            if source is click.core.ParameterSource.ENVIRONMENT and isinstance(envvar, str):
                problem = f"{problem} (from {envvar})"
            self.fail(problem, param, ctx)
        return float(value)


# Numeric environment variables read deep in the AWS layer: checked when the CLI starts,
# so a bad one is one message naming it, before any AWS call. (GEOPROXY_RETRY_DEADLINE is
# --retry-deadline's, checked with it.)
NUMERIC_ENVIRONMENT = {
    "GEOPROXY_POLL_INTERVAL": (3_600.0, False),
    "GEOPROXY_RETRY_BASE_DELAY": (600.0, False),
    "GEOPROXY_READ_TIMEOUT": (3_600.0, True),
}


def check_numeric_environment() -> None:
    for variable, (maximum, positive) in NUMERIC_ENVIRONMENT.items():
        raw = os.environ.get(variable)
        if raw and (problem := number_problem(raw, maximum, positive=positive)):
            raise click.UsageError(f"Invalid value for {variable}: {problem}")


_LATENCY_TABLE = "geoproxy.latency_table"


def _remember_latency_table(
    ctx: click.Context, _: click.Parameter, value: Path | None
) -> Path | None:
    ctx.meta[_LATENCY_TABLE] = value
    return value


def chosen_latency_table() -> Path | None:
    """The command line's --latency-table, if given (it overrides the policy's)."""
    return click.get_current_context().meta.get(_LATENCY_TABLE)


def latency_table_option(func: F) -> F:
    """--latency-table FILE: read back by `chosen_latency_table()` (every command that routes,
    and `import`, which judges `nearest` with it)."""
    return click.option(
        "--latency-table",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        expose_value=False,
        callback=_remember_latency_table,
        metavar="FILE",
        help="Judge `nearest` by this latency table (JSON, the shipped table's shape) "
        "instead of the policy's `latency_table:` or the shipped one.",
    )(func)


def policy_option(func: F) -> F:
    """-f FILE, and --latency-table FILE, which every command that routes reads."""
    func = latency_table_option(func)
    return click.option(
        "-f",
        "--file",
        "policy_file",
        default=DEFAULT_POLICY,
        show_default=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Routing policy file.",
    )(func)


def output_option(func: F) -> F:
    return click.option(
        "-o",
        "--output",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="`json` prints only JSON on stdout, for scripts.",
    )(func)


def plan_output_option(func: F) -> F:
    """--output for the commands that show a plan (`plan`, `show`): Markdown too, for a
    pull-request comment (cli.views.MarkdownView). The choices are pinned: text|json|markdown."""
    return click.option(
        "-o",
        "--output",
        type=click.Choice(["text", "json", "markdown"]),
        default="text",
        show_default=True,
        help="`json` prints only JSON on stdout, for scripts; `markdown` prints only "
        "Markdown, for a pull-request comment.",
    )(func)


def aws_options(func: F) -> F:
    """--profile, --endpoint-url and --retry-deadline, handed to the command as one
    `aws: AwsSettings`."""

    @functools.wraps(func)
    def with_settings(
        *args: Any,
        profile: str | None,
        endpoint_url: str | None,
        retry_deadline: float,
        **kwargs: Any,
    ) -> Any:
        from geoproxy.aws.session import AwsSettings

        aws = AwsSettings(
            profile,
            endpoint_url,
            retry_deadline_s=retry_deadline,
            on_retry=render.retry_notice,
            # Sessions in the policy's accounts are named geoproxy-<command> (CloudTrail).
            command=click.get_current_context().info_name or "run",
            on_note=lambda message: render.warnings([message]),
        )
        return func(*args, aws=aws, **kwargs)

    wrapped: Any = with_settings
    wrapped = click.option(
        "--retry-deadline",
        type=Seconds(MAX_RETRY_DEADLINE_S),
        envvar="GEOPROXY_RETRY_DEADLINE",
        default=DEFAULT_RETRY_DEADLINE_S,
        metavar="SECONDS",
        help="How long to keep retrying one AWS call that is throttled, busy or whose "
        "connection dropped (default: GEOPROXY_RETRY_DEADLINE, else 120).",
    )(wrapped)
    wrapped = click.option(
        "--profile",
        envvar="AWS_PROFILE",
        default=None,
        help="AWS profile (default: the standard credential chain).",
    )(wrapped)
    return cast(
        F,
        click.option(
            "--endpoint-url",
            default=None,
            metavar="URL",
            help="AWS endpoint for emulators such as moto or LocalStack "
            "(default: AWS_ENDPOINT_URL, else AWS).",
        )(wrapped),
    )


def reports_errors(func: F) -> F:
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
            return EXIT_INTERRUPTED
        except Exception as unexpected:  # a bug: say so in one line unless debugging
            if debug:
                raise
            message = f"unexpected {type(unexpected).__name__}: {unexpected}"
            render.stderr.print(f"Error: {message} (run with --debug for the traceback)")
            if as_json:
                render.emit_json({"error": {"kind": "internal", "message": message}})
            return EXIT_ERROR

    return wrapper  # type: ignore[return-value]


@overload
def write_options(func: F) -> F: ...
@overload
def write_options(func: None = None, *, wait_deployed: bool = False) -> Callable[[F], F]: ...
def write_options(func: F | None = None, *, wait_deployed: bool = False) -> F | Callable[[F], F]:
    """--yes, --no-wait, --timeout and --audit-log. `@write_options(wait_deployed=True)` for
    a command that also has --wait-deployed, which --timeout's help then mentions."""
    timeout_help = (
        "How long to wait for INSYNC (and, with --wait-deployed, for CloudFront), "
        "counted from when Route 53 accepts the change."
        if wait_deployed
        else "How long to wait for INSYNC, counted from when Route 53 accepts the change."
    )

    def decorate(func: F) -> F:
        func = click.option(
            "--audit-log",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            envvar="GEOPROXY_AUDIT_LOG",
            help="Append one JSON line per write to this file (default: GEOPROXY_AUDIT_LOG).",
        )(func)
        func = click.option(
            "--timeout",
            type=Seconds(MAX_TIMEOUT_S),
            default=DEFAULT_TIMEOUT_S,
            show_default=True,
            metavar="SECONDS",
            help=timeout_help,
        )(func)
        func = click.option(
            "--no-wait", is_flag=True, help="Do not wait for Route 53 to report INSYNC."
        )(func)
        return click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")(func)

    return decorate(func) if func is not None else decorate


@overload
def overwrite_option(func: F) -> F: ...
@overload
def overwrite_option(func: None = None, *, replaces: str = "--out") -> Callable[[F], F]: ...
def overwrite_option(func: F | None = None, *, replaces: str = "--out") -> F | Callable[[F], F]:
    """--overwrite (pinned): the one way to let --html, --svg or --out replace a file that
    geoproxy did not write. --force keeps its one meaning, the mass-deletion guard.
    `replaces` names the command's own file flags, which its help lists."""

    def decorate(func: F) -> F:
        return click.option(
            "--overwrite",
            is_flag=True,
            help=f"Let {replaces} replace an existing file geoproxy did not write "
            "(never a file this run reads).",
        )(func)

    return decorate(func) if func is not None else decorate


def dry_run_options(func: F) -> F:
    """--dry-run, and --out to keep what it shows as a saved plan."""
    func = overwrite_option(func)
    func = click.option(
        "--out",
        "out_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        metavar="PLANFILE",
        help="With --dry-run: save the plan; `geoproxy apply PLANFILE` applies it later.",
    )(func)
    return click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")(
        func
    )


@overload
def app_option(func: F) -> F: ...
@overload
def app_option(func: None = None, *, orphans: bool = True) -> Callable[[F], F]: ...
def app_option(func: F | None = None, *, orphans: bool = True) -> F | Callable[[F], F]:
    """--app NAME (repeatable): scope a command to some of the policy's applications.
    `@app_option(orphans=False)` for a command that never looks for orphans."""
    help_text = "Only these applications (repeatable; default: all)."
    if orphans:
        help_text += " Orphans are looked for only without it."

    def decorate(func: F) -> F:
        return click.option("--app", "app_names", multiple=True, metavar="NAME", help=help_text)(
            func
        )

    return decorate(func) if func is not None else decorate


def map_options(func: F) -> F:
    """--html FILE and --svg FILE: also draw the routes on a world map (pinned names)."""
    func = overwrite_option(replaces="--html or --svg")(func)
    func = click.option(
        "--svg",
        "svg_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        metavar="FILE",
        help="The same map as an SVG file (with or without --html).",
    )(func)
    return click.option(
        "--html",
        "html_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        metavar="FILE",
        help="Also draw where each source region's traffic goes on a world "
        "map, one panel per application, as a self-contained HTML page "
        "(inline SVG and CSS, no script, nothing fetched); stdout keeps "
        "the usual table or JSON.",
    )(func)


def via_option(what: str) -> Callable[[F], F]:
    """`--via switches|records` of `failover` and `failback` (issue 25)."""
    return click.option(
        "--via",
        type=click.Choice(["switches", "records"]),
        default=None,
        help=f"How: `switches` {what} through a cluster endpoint (data plane only; the "
        "default when the policy has `recovery.switches: arc`), `records` rewrites Route 53 "
        "records (needs the Route 53 control plane).",
    )


def all_zones_option(func: F) -> F:
    """--all-zones: the orphan search in every public zone the credentials can list."""
    return click.option(
        "--all-zones",
        is_flag=True,
        help="Look for orphans in every public hosted zone the credentials can list, not "
        "only the policy's zones (an application removed with its zone); one "
        "ListHostedZones per 100 zones and a listing of each zone.",
    )(func)
