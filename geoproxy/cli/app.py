"""The `geoproxy` command line: parses flags, runs the pipeline, renders. No logic lives here."""

from __future__ import annotations

import sys

import click

from geoproxy import __version__
from geoproxy.cli.commands import (
    check,
    demo,
    destroy,
    dr,
    drill,
    edge,
    iam,
    importer,
    plan,
    saved,
    schema,
    status,
    verify,
)
from geoproxy.cli.lazy import LazyModule
from geoproxy.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK

render = LazyModule("geoproxy.cli.render")


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Examples:\n\n\b\n  geoproxy init && geoproxy validate\n"
    "  geoproxy plan && geoproxy apply",
)
@click.version_option(__version__, "-V", "--version", prog_name="geoproxy")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="No warnings and no progress display (errors, change ids, retries and "
    "what landed are still printed).",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Say one-time notes (the latency table's source and gaps) on every run, "
    "not once per policy.",
)
def cli(debug: bool, quiet: bool, verbose: bool) -> None:
    """Route one CloudFront origin name to regional PoPs with Route 53 latency records.

    Exit codes: 0 success (no changes); 1 error (nothing was written unless the message says
    so); 2 changes pending or something differs (`plan`/`status --detailed-exitcode`); 3 a
    stale saved plan; 4 only a failover differs (`status --detailed-exitcode`); 130
    interrupted.
    """
    from geoproxy.cli.options import check_numeric_environment

    check_numeric_environment()
    if verbose:
        import geoproxy.cli.notes as notes

        notes.VERBOSE = True
    if quiet:
        import geoproxy.cli.render as loaded  # the module itself, not the lazy stand-in

        loaded.QUIET = True


def _global_flag(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    """`geoproxy status --quiet` means `geoproxy --quiet status`, as the AWS CLI has it.
    Parsing only (shell completion, or a caller that reads the flags) changes nothing."""
    if value and param.name and not ctx.resilient_parsing:
        ctx.find_root().params[param.name] = True
        if param.name == "quiet":
            import geoproxy.cli.render as loaded

            loaded.QUIET = True
        if param.name == "verbose":
            import geoproxy.cli.notes as notes

            notes.VERBOSE = True
    return value


# Each command's --help ends with one or two examples, as `aws ... help` and Terraform's do.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "init": ("geoproxy init", "geoproxy init -f staging.yaml"),
    "validate": ("geoproxy validate", "geoproxy validate -f staging.yaml -o json"),
    "routes": ("geoproxy routes --app shop", "geoproxy routes --html routes.html"),
    "plan": ("geoproxy plan --detailed-exitcode", "geoproxy plan --out plan.json"),
    "apply": ("geoproxy apply", "geoproxy apply plan.json --yes"),
    "show": ("geoproxy show plan.json", "geoproxy show plan.json --verify-key signer.pub"),
    "sign": ("geoproxy sign plan.json --key ~/.ssh/geoproxy_plans",),
    "failover": (
        "geoproxy failover --from eu-west-1 --reason 'LB errors'",
        "geoproxy failover --from eu-west-1 --dry-run --out failover.json",
    ),
    "failback": ("geoproxy failback eu-west-1", "geoproxy failback --from eu-west-1 --yes"),
    "destroy": (
        "geoproxy destroy --app shop --dry-run",
        "geoproxy destroy --app shop --detach-origin legacy.example.net",
    ),
    "status": ("geoproxy status", "geoproxy status --detailed-exitcode -o json"),
    "wait": ("geoproxy wait C0123456789ABCDEFGHIJ",),
    "verify": ("geoproxy verify", "geoproxy verify --app shop -o json"),
    "drill": (
        "geoproxy drill --control-plane-down",
        "geoproxy drill --control-plane-down --from eu-west-1 -o json",
    ),
    "iam-policy": ("geoproxy iam-policy --offline", "geoproxy iam-policy --read-only"),
    "edge-function": ("geoproxy edge-function --app shop",),
    "schema": ("geoproxy schema > routing.schema.json",),
    "demo": ("geoproxy demo", "geoproxy demo --keep ./demo"),
    "sandbox": ("geoproxy sandbox --port 5055", "geoproxy sandbox -f staging.yaml"),
    "import": (
        "geoproxy import --zone example.com --record origin.shop.example.com",
        "geoproxy import --zone example.com --record origin.shop.example.com --out routing.yaml",
    ),
}


def examples_epilog(lines: tuple[str, ...]) -> str:
    """An epilog Click prints after the options, as written (\\b: no rewrapping)."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


GLOBAL_FLAGS = (
    (("--debug",), "Show tracebacks for errors (the same as `geoproxy --debug ...`)."),
    (
        ("-q", "--quiet"),
        "No warnings and no progress display (the same as `geoproxy --quiet ...`).",
    ),
    (("-v", "--verbose"), "One-time notes on every run (the same as `geoproxy --verbose ...`)."),
)

for command in (
    check.init,
    check.validate,
    check.routes,
    plan.plan,
    plan.apply,
    saved.show,
    saved.sign,
    dr.failover,
    dr.failback,
    destroy.destroy,
    status.status,
    status.wait,
    verify.verify,
    iam.iam_policy,
    edge.edge_function,
    schema.schema,
    demo.demo,
    demo.sandbox,
    drill.drill,
    importer.import_,
):
    command.epilog = examples_epilog(EXAMPLES[command.name or ""])
    taken = {flag for param in command.params for flag in param.opts}
    for flags, help_text in GLOBAL_FLAGS:
        if not taken.intersection(flags):  # global flags work after the subcommand too
            command.params.append(
                click.Option(
                    list(flags),
                    is_flag=True,
                    expose_value=False,
                    callback=_global_flag,
                    help=help_text,
                )
            )
    cli.add_command(command)


def main() -> None:
    """Entry point: Click's usage errors exit 1 here, because 2 means "changes" to scripts.
    A closed pipe ends no command (its own exit code stays); Ctrl-C anywhere exits 130."""
    from geoproxy.cli.pipes import guard_pipes

    guard_pipes()
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort as abort:
        if isinstance(abort.__context__, KeyboardInterrupt):
            render.stderr.print("Interrupted.")
            code = EXIT_INTERRUPTED
        else:
            render.stderr.print("Aborted.")
            code = EXIT_ERROR
    except KeyboardInterrupt:
        render.stderr.print("Interrupted.")
        code = EXIT_INTERRUPTED
    except click.ClickException as failure:
        failure.show()
        code = EXIT_ERROR
    sys.exit(code if isinstance(code, int) else EXIT_OK)
