"""Flags every command shares, and the one place errors become messages and exit codes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from geoproxy.cli import render
from geoproxy.errors import EXIT_ERROR, EXIT_OK, GeoproxyError

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_POLICY = "routing.yaml"


def policy_option(func: F) -> F:
    return click.option(
        "-f", "--file", "policy_file", default=DEFAULT_POLICY, show_default=True,
        type=click.Path(dir_okay=False, path_type=Path), help="Routing policy file.",
    )(func)


def output_option(func: F) -> F:
    return click.option(
        "-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True,
        help="`json` prints only JSON on stdout, for scripts.",
    )(func)


def aws_options(func: F) -> F:
    func = click.option("--profile", envvar="AWS_PROFILE", default=None,
                        help="AWS profile (default: the standard credential chain).")(func)
    return click.option("--endpoint-url", default=None, metavar="URL",
                        help="AWS endpoint for emulators such as moto or LocalStack "
                             "(default: AWS_ENDPOINT_URL, else AWS).")(func)


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



def write_options(func: F) -> F:
    func = click.option("--audit-log", type=click.Path(dir_okay=False, path_type=Path),
                        default=None, envvar="GEOPROXY_AUDIT_LOG",
                        help="Append one JSON line per write to this file "
                             "(default: GEOPROXY_AUDIT_LOG).")(func)
    func = click.option("--no-wait", is_flag=True,
                        help="Do not wait for Route 53 to report INSYNC.")(func)
    return click.option("--yes", "-y", is_flag=True,
                        help="Do not ask for confirmation.")(func)


