"""`plan` and `apply`: the policy against live Route 53 and CloudFront."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from geoproxy.aws.session import AwsSettings
from geoproxy.cli import render
from geoproxy.cli.flow import refuse_if_unsafe, show_plan, write_plan
from geoproxy.cli.options import (
    aws_options,
    output_option,
    policy_option,
    reports_errors,
    write_options,
)
from geoproxy.errors import EXIT_CHANGES, EXIT_OK


@click.command()
@policy_option
@output_option
@aws_options
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 when there are no changes, 2 when there are, 1 on error.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also save the plan as JSON to this file.")
@click.option("--adopt", is_flag=True,
              help="Plan to replace conflicting records geoproxy does not own.")
@reports_errors
def plan(policy_file: Path, output: str, aws: AwsSettings, detailed_exitcode: bool,
         out_file: Path | None, adopt: bool) -> int:
    """Compare the policy with live Route 53 and show what apply would change."""
    from geoproxy.aws.planfile import save_plan
    from geoproxy.pipeline import compile_policy, compute_plan

    compiled = compile_policy(policy_file)
    the_plan = compute_plan(compiled, aws, adopt=adopt)
    document = render.plan_json(the_plan)
    show_plan(the_plan, output)
    refuse_if_unsafe(the_plan, document)
    if out_file is not None:
        save_plan(out_file, document, compiled.loaded.file)
        if output != "json":
            render.stdout.print(f"Saved the plan to {out_file}.")
    if output == "json":
        render.emit_json(document)
    if detailed_exitcode and the_plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK



@click.command()
@policy_option
@output_option
@aws_options
@write_options
@click.option("--adopt", is_flag=True,
              help="Replace conflicting records geoproxy does not own, atomically.")
@click.option("--wait-deployed", is_flag=True,
              help="Also wait until updated CloudFront distributions are Deployed.")
@reports_errors
def apply(policy_file: Path, output: str, aws: AwsSettings, yes: bool, no_wait: bool,
          audit_log: Path | None, timeout: float, adopt: bool,
          wait_deployed: bool) -> int:
    """Plan, confirm, and apply the changes atomically; then wait for INSYNC."""
    from geoproxy.pipeline import compile_policy, compute_plan

    compiled = compile_policy(policy_file)
    the_plan = compute_plan(compiled, aws, adopt=adopt)
    document: dict[str, Any] = {"plan": render.plan_json(the_plan), "applied": False}
    show_plan(the_plan, output)
    refuse_if_unsafe(the_plan, document)
    if not the_plan.has_changes:
        if output == "json":
            render.emit_json(document)
        return EXIT_OK
    return write_plan(the_plan, aws, document, command="apply", output=output, yes=yes,
                  no_wait=no_wait, audit_log=audit_log, timeout=timeout,
                  wait_deployed=wait_deployed)


