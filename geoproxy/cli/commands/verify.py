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
from geoproxy.core.accounts import routes_of
from geoproxy.errors import EXIT_MISMATCH, EXIT_OK

render = LazyModule("geoproxy.cli.render")
views = LazyModule("geoproxy.cli.views")


@click.command()
@policy_option
@output_option
@aws_options
@app_option
@reports_errors
def verify(policy_file: Path, output: str, aws: AwsSettings, app_names: tuple[str, ...]) -> int:
    """Ask Route 53 (TestDNSAnswer) what a resolver in each source region gets, and compare
    it with the PoP geoproxy expects there now. Exit 0 when all match, 2 on a mismatch."""
    from geoproxy.core.verify import summary
    from geoproxy.pipeline import compile_policy
    from geoproxy.pipeline.verify import compute_verify

    compiled = compile_policy(policy_file, latency_table=chosen_latency_table())

    aws.use_accounts(routes_of(compiled.loaded.policy))
    result = compute_verify(compiled, aws, app_names)
    render.warnings(result.warnings)
    counts = summary(result.rows)
    views.view_for(output).verified(
        {
            "rows": [row.to_json() for row in result.rows],
            "summary": counts,
            "health_checks": result.health_note,
            "resolver_addresses": result.resolver_source,
            "test_dns_answer_calls": result.requests,
            "warnings": result.warnings,
        }
    )
    return EXIT_MISMATCH if counts["mismatch"] else EXIT_OK
