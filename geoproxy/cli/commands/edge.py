"""`edge-function`: print the edge fence's CloudFront Function for review. Offline; loads no
AWS SDK. The code goes to stdout alone, byte for byte what would be published."""

from __future__ import annotations

from pathlib import Path

import click

from geoproxy.cli.lazy import LazyModule
from geoproxy.cli.options import chosen_latency_table, output_option, policy_option, reports_errors
from geoproxy.errors import EXIT_OK, Finding, GeoproxyError

render = LazyModule("geoproxy.cli.render")
views = LazyModule("geoproxy.cli.views")


@click.command("edge-function")
@policy_option
@output_option
@click.option(
    "--app",
    "app_name",
    default=None,
    metavar="NAME",
    help="The application whose function to print; needed when several "
    "applications fence viewer countries.",
)
@reports_errors
def edge_function(policy_file: Path, output: str, app_name: str | None) -> int:
    """Print the CloudFront Function that enforces the policy's viewer_countries.

    For an application whose compliance rules fence viewer countries, geoproxy generates a
    viewer-request function (runtime cloudfront-js-2.0) that sends each fenced country's
    requests to the allowed PoP nearest it, through the PoP's direct name <pop>.<record>,
    and requests without a country header to the fail-closed PoP. This prints it, byte for
    byte, for review and sign-off. Offline: it cannot read the active failovers from
    Route 53, so it prints the function for the policy with no failover; `-o json` adds the
    country -> PoP table with the reasons, the function's name and its size.
    """
    from geoproxy.core.edge.fence import edge_fence, fence_json, has_viewer_fence
    from geoproxy.core.edge.function import MAX_FUNCTION_BYTES, edge_function
    from geoproxy.pipeline import check_app_names, compile_policy

    compiled = compile_policy(policy_file, latency_table=chosen_latency_table())
    apps = compiled.loaded.policy.applications
    fenced = [app.name for app in apps if has_viewer_fence(app)]
    if app_name is not None:
        check_app_names(compiled, (app_name,))
        if app_name not in fenced:
            raise GeoproxyError(
                f"application {app_name!r} fences no viewer countries, so it has no edge "
                "function" + (f" (applications that do: {', '.join(fenced)})" if fenced else ""),
                hint="add `viewer_countries` to one of its compliance rules",
            )
    elif not fenced:
        raise GeoproxyError(
            f"no application in {compiled.loaded.file} fences viewer "
            "countries, so there is no edge function",
            hint="add `viewer_countries` to a compliance rule",
        )
    elif len(fenced) > 1:
        raise GeoproxyError(
            f"{len(fenced)} applications fence viewer countries "
            f"({', '.join(fenced)}); choose one with --app NAME"
        )
    name = app_name or fenced[0]
    fence = edge_fence(compiled.loaded.policy.application(name), compiled.catalog, compiled.owner)
    assert fence is not None
    function = edge_function(fence)
    notes = (
        []
        if fence.fail_closed
        else [
            warning
            for warning in compiled.warnings
            if isinstance(warning, Finding)
            and warning.app == name
            and warning.code == "no_fail_closed_pop"
        ]
    )
    views.view_for(output).edge_function(
        {
            "app": name,
            "function_name": function.name,
            "runtime": function.runtime,
            "event_type": function.event_type,
            **fence_json(fence),
            "failovers": [],
            "size_bytes": function.size_bytes,
            "max_bytes": MAX_FUNCTION_BYTES,
            "warnings": notes,
            "code": function.code,
        },
        notes,
    )
    return EXIT_OK
