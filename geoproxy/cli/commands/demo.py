"""`geoproxy demo`: starts the sandbox lazily, so no other command ever loads moto."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from geoproxy.cli.lazy import LazyModule
from geoproxy.cli.options import chosen_latency_table, policy_option, reports_errors
from geoproxy.errors import EXIT_OK, GeoproxyError

if TYPE_CHECKING:
    from geoproxy.policy.models import Policy
    from geoproxy.sandbox.local import ClusterSeed

render = LazyModule("geoproxy.cli.render")


@click.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the demo's policy files in this directory (created if missing).",
)
@click.pass_context
@reports_errors
def demo(context: click.Context, keep: Path | None) -> int:
    """Run the whole story against an in-process AWS emulator (moto). Never touches AWS."""
    from geoproxy.sandbox.demo import run_demo

    # The demo drives the real command group it was started from, handed over rather than
    # imported, so the sandbox never imports the CLI back.
    return run_demo(keep, cli=context.find_root().command, console=render.stdout)


@click.command()
@policy_option
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="The port on 127.0.0.1 (0: any free one).",
)
@click.option(
    "--change-history",
    is_flag=True,
    help="Turn on Route 53's change history in every seeded zone (as the ADVANCED tier "
    "does): `status` then says who wrote each application from it.",
)
@reports_errors
def sandbox(policy_file: Path, port: int, change_history: bool) -> int:
    """Start a local AWS emulator with AWS's semantics, seeded from the policy, on 127.0.0.1
    until Ctrl-C: its zones, its distributions with covering certificates, and the ARC
    cluster `recovery.switches: arc` names. It prints the AWS_ENDPOINT_URL to use (and the
    cluster's endpoints to bookmark). Never touches AWS."""
    from geoproxy.pipeline import compile_policy

    try:
        from geoproxy.sandbox.local import policy_seeds, run
    except ImportError as missing:  # moto is the `sandbox` extra
        raise GeoproxyError(
            f"the sandbox needs the emulator: {missing}", hint="pip install 'geoproxy[sandbox]'"
        ) from None
    compiled = compile_policy(policy_file, latency_table=chosen_latency_table())
    zones, distributions = policy_seeds(compiled.loaded.policy)
    clusters = _cluster_seeds(compiled.loaded.policy)
    try:
        run(
            zones,
            distributions,
            port,
            say=lambda line: render.stdout.print(line, soft_wrap=True, markup=False),
            clusters=clusters,
            change_history=change_history,
        )
    except OSError as error:
        raise GeoproxyError(
            f"cannot start the sandbox on 127.0.0.1:{port}: {error.strerror or error}"
        ) from None
    return EXIT_OK


def _cluster_seeds(policy: Policy) -> tuple[ClusterSeed, ...]:
    """The ARC cluster a `switches: arc` policy names. Refused before anything starts when
    the policy bookmarks endpoints off this machine: `failover --via switches` and `status`
    call the bookmarked endpoints directly (AWS_ENDPOINT_URL does not cover them), so
    against the sandbox they would reach AWS."""
    from geoproxy.policy.recovery import is_loopback_url
    from geoproxy.sandbox.local import ClusterSeed, account_id_of

    recovery = policy.recovery
    arc = getattr(recovery, "arc", None)
    if str(getattr(recovery, "switches", "none")) == "none" or arc is None:
        return ()
    remote = sorted(region for region, url in arc.endpoints.items() if not is_loopback_url(url))
    if remote:
        raise GeoproxyError(
            f"recovery.arc.endpoints bookmarks endpoints off this machine ({', '.join(remote)}): "
            "against the sandbox, `failover` and `status` would call them, not the sandbox",
            hint="give the sandbox a copy of the policy without `endpoints:`; it prints its "
            "own to bookmark (or rehearse with `geoproxy drill`, which points them at its "
            "emulator itself)",
        )
    account = account_id_of(policy, arc.account)
    return (ClusterSeed(arc.cluster_arn, tuple(sorted(arc.endpoints.items())), account),)
