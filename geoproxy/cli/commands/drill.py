"""`geoproxy drill --control-plane-down`: the policy's failover rehearsed in an in-process
sandbox while every control-plane API fails. Starts the sandbox lazily (moto)."""

from __future__ import annotations

from pathlib import Path

import click

from geoproxy.cli.lazy import LazyModule
from geoproxy.cli.options import output_option, policy_option, reports_errors
from geoproxy.errors import EXIT_DRILL_FAILED, EXIT_OK, GeoproxyError

views = LazyModule("geoproxy.cli.views")


@click.command()
@policy_option
@output_option
@click.option(
    "--control-plane-down",
    is_flag=True,
    help="The drill to run: every control-plane API failing (Route 53, CloudFront, ARC "
    "configuration, the global STS endpoint) and, with switches, two of five cluster "
    "endpoints unreachable. Required (the only drill so far).",
)
@click.option(
    "--from",
    "from_region",
    default=None,
    metavar="REGION",
    help="The PoP region to fail over (default: the one the most source regions reach).",
)
@click.pass_context
@reports_errors
def drill(
    context: click.Context,
    policy_file: Path,
    output: str,
    control_plane_down: bool,
    from_region: str | None,
) -> int:
    """Rehearse a failover in an in-process AWS emulator seeded from the policy, with the
    control plane down; report the answers before and after, the calls by plane and the
    time to moved answers, then fail back. Exit 0 only if every answer moved to the prepared
    partner inside the fences with no control-plane call succeeding; 2 otherwise. Never
    touches AWS."""
    if not control_plane_down:
        raise GeoproxyError(
            "which drill? give --control-plane-down", hint="geoproxy drill --control-plane-down"
        )
    from geoproxy.pipeline import check_region, compile_policy

    compiled = compile_policy(policy_file)  # a bad policy fails here, before any emulator
    if from_region is not None:
        check_region(compiled, from_region, "--from")
    try:
        from geoproxy.sandbox.drill import run_drill
    except ImportError as missing:
        raise GeoproxyError(
            f"the drill needs the emulator: {missing}", hint="pip install 'geoproxy[sandbox]'"
        ) from None
    report = run_drill(policy_file, from_region, cli=context.find_root().command)
    document = {
        "from": report.from_region,
        "switches": report.switches,
        "passed": report.passed,
        "reasons": report.reasons,
        "regions": [
            {
                "app": row.app,
                "source_region": row.source_region,
                "before": row.before,
                "after": row.after,
                "partner": row.partner,
                "moved": row.moved,
                "fence_crossed": row.fence_crossed,
            }
            for row in report.rows
        ],
        "calls": {
            "data_plane": report.calls.get("data", 0),
            "data_plane_refused": report.calls.get("data_refused", 0),
            "control_plane": report.calls.get("control", 0),
            "control_plane_succeeded": len(report.control_succeeded),
            "regional": report.calls.get("regional", 0),
        },
        "operations": {
            "data_plane": report.operations.get("data", []),
            "control_plane": report.operations.get("control", []),
            "regional": report.operations.get("regional", []),
        },
        "seconds_to_moved_answers": report.seconds_to_moved,
        "failover_exit_code": report.failover_exit,
        "failover_error": report.failover_said,
        "failback_exit_code": report.failback_exit,
        "after_route53_failover": report.after_route53_failover,
    }
    views.view_for(output).drilled(document)
    return EXIT_OK if report.passed else EXIT_DRILL_FAILED
