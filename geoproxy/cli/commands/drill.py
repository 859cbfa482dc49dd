"""`geoproxy drill --control-plane-down`: the policy's failover rehearsed in an in-process
sandbox while every control-plane API fails. Starts the sandbox lazily (moto)."""

from __future__ import annotations

from pathlib import Path

import click

from geoproxy.cli.lazy import LazyModule
from geoproxy.cli.options import output_option, policy_option, reports_errors
from geoproxy.errors import EXIT_DRILL_FAILED, EXIT_OK, GeoproxyError

render = LazyModule("geoproxy.cli.render")


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
        },
        "operations": {
            "data_plane": report.operations.get("data", []),
            "control_plane": report.operations.get("control", []),
        },
        "seconds_to_moved_answers": report.seconds_to_moved,
        "failover_exit_code": report.failover_exit,
        "failover_error": report.failover_said,
        "failback_exit_code": report.failback_exit,
        "after_route53_failover": report.after_route53_failover,
    }
    if output == "json":
        render.emit_json(document)
    else:
        _text(report)
    return EXIT_OK if report.passed else EXIT_DRILL_FAILED


def _text(report: object) -> None:
    from rich.text import Text

    from geoproxy.sandbox.drill import DrillReport

    assert isinstance(report, DrillReport)
    out = render.stdout
    out.print(
        Text(
            f"Drill: control plane down, failover --from {report.from_region} "
            f"(switches: {report.switches}), in an in-process emulator (never AWS).",
            style="bold",
        )
    )
    render.print_table(
        ["application", "source region", "before", "after", "partner", "moved", "fence"],
        [
            [
                row.app,
                row.source_region,
                row.before or "-",
                row.after or "-",
                row.partner or "-",
                "yes" if row.moved else "NO",
                "CROSSED" if row.fence_crossed else "kept",
            ]
            for row in report.rows
        ],
        whole=(1, 2, 3, 4),
    )
    out.print(
        f"Calls during the failover: {report.calls.get('data', 0)} data plane "
        f"({report.calls.get('data_refused', 0)} to unreachable endpoints), "
        f"{report.calls.get('control', 0)} control plane "
        f"({len(report.control_succeeded)} of them succeeded)."
    )
    if report.seconds_to_moved is not None:
        out.print(f"Answers moved {report.seconds_to_moved:.2f}s after the command started.")
    if report.failover_said and report.failover_exit:
        out.print(Text(f"failover said: {report.failover_said}", style="dim"))
    later = report.after_route53_failover
    if later is not None:
        out.print(
            "With accelerated recovery, once Route 53 has failed its control plane over to "
            "us-west-2 (AWS: within about 60 minutes), the same failover "
            + (
                "moved every answer."
                if later["moved"]
                else f"still failed: {later['failover_error']}"
            )
        )
    if report.passed:
        out.print(Text("Drill passed.", style="bold green"))
    else:
        out.print(Text("Drill FAILED:", style="bold red"))
        for reason in report.reasons:
            out.print(f"  - {reason}")
