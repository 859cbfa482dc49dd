"""`show PLANFILE` and `sign PLANFILE`: a saved plan's writes, and its signature."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from geoproxy.cli.lazy import LazyModule
from geoproxy.cli.options import plan_output_option, reports_errors
from geoproxy.errors import EXIT_OK

render = LazyModule("geoproxy.cli.render")
VERIFY_KEY_HELP = (
    "Refuse the plan unless one of the OpenSSH public keys in this file signed it "
    "(default: GEOPROXY_PLAN_VERIFY_KEY; `geoproxy sign` signs plans)."
)


F = TypeVar("F", bound=Callable[..., Any])


def verify_key_option(func: F) -> F:
    return click.option(
        "--verify-key",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        metavar="PUBKEY",
        help=VERIFY_KEY_HELP,
    )(func)


@click.command()
@click.argument("plan_file", metavar="PLANFILE", type=click.Path(dir_okay=False, path_type=Path))
@verify_key_option
@plan_output_option
@reports_errors
def show(plan_file: Path, verify_key: Path | None, output: str) -> int:
    """Show what a saved plan writes, read from its changes, and check it offline.

    Refused (exit 1) as `apply PLANFILE` would refuse it: text or summary that disagree
    with its changes, a record or distribution it may not write, or (with a verifying key)
    a missing or bad signature. No AWS call. `--output markdown` prints it for a
    pull-request comment, and nothing on stdout when it is refused.
    """
    from geoproxy.aws.planfile.signature import verify_key_path
    from geoproxy.cli import flow
    from geoproxy.cli.views import view_for
    from geoproxy.core.saved_plan_checks import review_lines

    key = verify_key_path(verify_key)
    view = view_for(output)
    saved, document = flow.show_saved(plan_file, view=view, verify_key=key)
    if saved.changes is not None:
        document["writes"] = review_lines(saved.changes)
    document["signed"] = getattr(saved, "signature", None) is not None
    # Refused above unless the key verified it: with a key, a signed plan is a verified one.
    document["signature_verified"] = key is not None and document["signed"]
    view.finished(document)
    return EXIT_OK


@click.command()
@click.argument("plan_file", metavar="PLANFILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    metavar="PRIVATE_KEY",
    help="The OpenSSH private key to sign with (`ssh-keygen -t ed25519`). Keep it away from "
    "any job that runs untrusted pull-request code.",
)
@reports_errors
def sign(plan_file: Path, key: Path) -> int:
    """Sign a saved plan in place with an OpenSSH key (namespace geoproxy-plan).

    The signature covers the exact bytes the checksum covers: the whole plan but its
    checksum and signature. `apply PLANFILE --verify-key KEY.pub` then refuses any plan
    that key did not sign. An edited plan (bad checksum) is never signed.
    """
    from geoproxy.aws.planfile.signature import sign_plan

    said = sign_plan(plan_file, key)
    render.stdout.print(f"Signed {plan_file}." + (f" ({said})" if said else ""))
    return EXIT_OK
