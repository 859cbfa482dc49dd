"""`iam-policy`: the least-privilege IAM policy document for a policy file."""

from __future__ import annotations

from pathlib import Path

import click

from geoproxy.aws.session import AwsSettings
from geoproxy.cli.lazy import LazyModule
from geoproxy.cli.options import aws_options, chosen_latency_table, policy_option, reports_errors
from geoproxy.errors import EXIT_OK, GeoproxyError

render = LazyModule("geoproxy.cli.render")


def _account(value: str | None) -> str | None:
    if value is not None and not (len(value) == 12 and value.isdigit()):
        raise GeoproxyError(f"--account-id {value!r} is not an AWS account id (12 digits)")
    return value


@click.command("iam-policy")
@policy_option
@aws_options
@click.option("--read-only", is_flag=True, help="Only what `plan` and `status` need: no write.")
@click.option(
    "--prune",
    is_flag=True,
    help="Also allow `apply --prune`: DELETE-only record changes in the policy's "
    "zones, and deleting orphans' health checks (with --read-only: the reads "
    "of `plan --prune`).",
)
@click.option(
    "--prune-name",
    "prune_names",
    multiple=True,
    metavar="ROOT",
    help="With --prune: an orphan `plan --prune` lists (`orphan ROOT`); DELETE is "
    "then allowed only at ROOT and the names below it, in its zone. Repeat "
    "for each. Without it, DELETE is open in the zone but for its apex and "
    "other systems' names (ACM validation, DMARC, DKIM...), with a warning.",
)
@click.option(
    "--all-zones",
    is_flag=True,
    help="Also allow the orphan search of `plan --all-zones` in every hosted zone (with "
    "--prune and without --read-only: its DELETE-only changes there).",
)
@click.option(
    "--destroy",
    is_flag=True,
    help="Also allow `geoproxy destroy`: listing the account's distributions, moving "
    "an origin with `destroy --detach-origin`, deleting the edge functions.",
)
@click.option(
    "--account-id",
    metavar="ID",
    default=None,
    help="The account of the distributions and certificates (default: from STS "
    "when credentials are at hand, else any account, with a warning).",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Make no AWS call: hosted zone ids from the policy's `zone_id`, else "
    "wildcards (stated on stderr); for a first policy, before credentials.",
)
@reports_errors
def iam_policy(
    policy_file: Path,
    aws: AwsSettings,
    read_only: bool,
    prune: bool,
    prune_names: tuple[str, ...],
    all_zones: bool,
    destroy: bool,
    account_id: str | None,
    offline: bool,
) -> int:
    """Print an IAM policy document that allows exactly what geoproxy does with this policy.

    Scoped to the policy's hosted zones, record names and distributions; writes nothing.
    """
    from geoproxy.pipeline import compile_policy, compute_iam_policy

    if prune_names and not prune:
        raise GeoproxyError("--prune-name needs --prune")
    if destroy and read_only:
        raise GeoproxyError("--destroy writes: it cannot go with --read-only")
    compiled = compile_policy(policy_file, latency_table=chosen_latency_table())
    result = compute_iam_policy(
        compiled,
        aws,
        account_id=_account(account_id),
        read_only=read_only,
        prune=prune,
        prune_names=prune_names,
        offline=offline,
        all_zones=all_zones,
        destroy=destroy,
    )
    from geoproxy.core.iam import IamPolicy

    render.warnings(compiled.warnings + result.warnings)
    if isinstance(result, IamPolicy):
        render.emit_json(result.document, envelope=False)  # AWS's shape, nothing added
    else:  # accounts: one identity policy per account, and each role's trust policy
        render.emit_json(result.document(), envelope=False)
    return EXIT_OK
