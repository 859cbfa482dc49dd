"""`geoproxy demo`: starts the sandbox lazily, so no other command ever loads moto."""

from __future__ import annotations

from pathlib import Path

import click

from geoproxy.cli.lazy import LazyModule
from geoproxy.cli.options import reports_errors

render = LazyModule("geoproxy.cli.render")


@click.command()
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the demo's policy files in this directory (created if missing).")
@click.pass_context
@reports_errors
def demo(context: click.Context, keep: Path | None) -> int:
    """Run the whole story against an in-process AWS emulator (moto). Never touches AWS."""
    from geoproxy.sandbox.demo import run_demo

    # The demo drives the real command group it was started from, handed over rather than
    # imported, so the sandbox never imports the CLI back.
    return run_demo(keep, cli=context.find_root().command, console=render.stdout)
