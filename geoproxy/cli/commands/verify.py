"""`geoproxy verify`: what Route 53 answers each source region, against what geoproxy expects."""

from __future__ import annotations

from pathlib import Path

import click

from geoproxy.aws.session import AwsSettings
from geoproxy.cli.lazy import LazyModule
from geoproxy.cli.options import (
    app_option,
    aws_options,
    chosen_latency_table,
    output_option,
    policy_option,
    reports_errors,
)
from geoproxy.errors import EXIT_MISMATCH, EXIT_OK

render = LazyModule("geoproxy.cli.render")


@click.command()
@policy_option
@output_option
@aws_options
@app_option
@reports_errors
def verify(policy_file: Path, output: str, aws: AwsSettings, app_names: tuple[str, ...]) -> int:
    """Ask Route 53 (TestDNSAnswer) what a resolver in each source region gets, and compare
    it with the PoP geoproxy expects there now. Exit 0 when all match, 2 on a mismatch."""
    from rich.text import Text

    from geoproxy.core.verify import summary
    from geoproxy.pipeline import compile_policy
    from geoproxy.pipeline.verify import compute_verify

    compiled = compile_policy(policy_file, latency_table=chosen_latency_table())
    result = compute_verify(compiled, aws, app_names)
    render.warnings(result.warnings)
    counts = summary(result.rows)
    if output == "json":
        render.emit_json(
            {
                "rows": [row.to_json() for row in result.rows],
                "summary": counts,
                "health_checks": result.health_note,
                "resolver_addresses": result.resolver_source,
                "test_dns_answer_calls": result.requests,
                "warnings": result.warnings,
            }
        )
    else:
        colour = {"match": "green", "mismatch": "bold red", "unknown": "yellow"}
        render.print_table(
            ["application", "source region", "type", "expected", "answered", "verdict", "why"],
            [
                [
                    row.app,
                    row.source_region,
                    row.record_type,
                    row.expected_pop,
                    row.answered_pop or "-",
                    row.verdict,
                    row.detail,
                ]
                for row in result.rows
            ],
            styles=[["", "", "", "", "", colour[row.verdict], ""] for row in result.rows],
            whole=(1, 3, 4),
        )
        render.stdout.print(
            f"{counts['match']} match, {counts['mismatch']} mismatch, {counts['unknown']} "
            f"unknown ({result.requests} TestDNSAnswer calls)."
        )
        render.stdout.print(Text(result.health_note + ".", style="dim"))
    return EXIT_MISMATCH if counts["mismatch"] else EXIT_OK
