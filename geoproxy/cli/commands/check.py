"""Offline commands: `validate` and `routes`. No AWS call."""

from __future__ import annotations

from pathlib import Path

import click

from geoproxy.cli.lazy import LazyModule
from geoproxy.cli.options import (
    app_option,
    chosen_latency_table,
    map_options,
    output_option,
    policy_option,
    reports_errors,
)
from geoproxy.errors import EXIT_OK, GeoproxyError

render = LazyModule("geoproxy.cli.render")
render_map = LazyModule("geoproxy.cli.maps.render")
views = LazyModule("geoproxy.cli.views")
map_panels = LazyModule("geoproxy.cli.maps.panels")


@click.command()
@policy_option
@output_option
@reports_errors
def validate(policy_file: Path, output: str) -> int:
    """Check the policy offline: schema, regions, PoPs, compliance. No AWS call."""
    from geoproxy.pipeline import compile_policy

    compiled = compile_policy(policy_file, latency_table=chosen_latency_table())
    views.view_for(output).validated(policy_file, compiled)
    return EXIT_OK


@click.command()
@policy_option
@output_option
@app_option(orphans=False)
@map_options
@reports_errors
def routes(
    policy_file: Path,
    output: str,
    app_names: tuple[str, ...],
    html_file: Path | None,
    svg_file: Path | None,
    overwrite: bool,
) -> int:
    """Show where each source region's traffic goes and why. Offline; --html/--svg also
    draw it on a world map."""
    from dataclasses import replace

    from geoproxy.cli.outputs import check_maps
    from geoproxy.pipeline import compile_policy, scoped

    maps = html_file is not None or svg_file is not None
    compiled = compile_policy(policy_file, latency_table=chosen_latency_table())
    if maps:  # offline, before any work: never over the policy or a file not geoproxy's
        check_maps(compiled, html_file, svg_file, overwrite=overwrite)
    names = scoped(compiled, app_names)
    if names is not None:
        compiled = replace(
            compiled,
            routing=replace(
                compiled.routing,
                applications=[
                    routing
                    for routing in compiled.routing.applications
                    if routing.app.name in names
                ],
            ),
        )
    views.view_for(output).routes(compiled)
    if maps:
        document = map_panels.routes_document(compiled, policy_file)
        for line in render_map.write_maps(document, html_file, svg_file):
            render.stderr.print(line)
    return EXIT_OK


# What `init` adds to the documented example: every major key it does not use, commented
# out where it goes, so a first policy shows what there is to set.
_STARTER_KEYS = (
    (
        "version: 1\n",
        "# owner: team-shop   # whose records these are (default `default`); two\n"
        "#                     # policies sharing a hosted zone need different owners\n",
    ),
    (
        "    pops:\n",
        "      # A PoP: one of your regional deployments (a load balancer) that traffic\n"
        "      # is routed to; `failover_to` names its partner for `geoproxy failover`:\n"
        "      # eu-west-1: {target: ..., failover_to: us-east-1}\n",
    ),
    (
        "    evaluate_target_health: false\n",
        "    # cloudfront:                      # the distribution in front of this origin name\n"
        "    #   distribution_id: E2EXAMPLE123\n"
        "    #   aliases: [shop.example.com]\n",
    ),
    (
        '        allowed_pops: ["eu-*"]\n',
        "        # viewer_countries: [EU]     # also fence these viewers at the edge (needs\n"
        "        #                            # `cloudfront`): a CloudFront Function\n",
    ),
)


def starter_text(example: str) -> str:
    """The example policy with the major keys it lacks shown commented, in place."""
    for anchor, comment in _STARTER_KEYS:
        if anchor in example:
            example = example.replace(anchor, anchor + comment, 1)
    return example


@click.command()
@click.option(
    "-f",
    "--file",
    "policy_file",
    default="routing.yaml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the starter policy.",
)
@reports_errors
def init(policy_file: Path) -> int:
    """Write a commented starter routing.yaml (the documented example, with `owner`,
    `failover_to`, `cloudfront` and `viewer_countries` shown commented), and
    routing.schema.json beside it for editors; never overwrites."""
    from importlib.resources import files

    text = starter_text(
        files("geoproxy").joinpath("examples/routing.yaml").read_text(encoding="utf-8")
    )
    try:
        with policy_file.open("x", encoding="utf-8") as stream:
            stream.write(text)
    except FileExistsError:
        raise GeoproxyError(
            f"{policy_file} exists; geoproxy init never overwrites a file",
            hint="give another name with -f FILE",
        ) from None
    except OSError as error:
        raise GeoproxyError(f"cannot write {policy_file}: {error.strerror or error}") from None
    render.stdout.print(
        f"Wrote {policy_file}: edit its zone, record and PoPs, then run "
        f"`geoproxy validate -f {policy_file}` and `geoproxy routes`."
    )
    from geoproxy.cli.commands.schema import write_schema_beside

    write_schema_beside(policy_file)
    return EXIT_OK
