"""`iam-policy`: the permissions the policy needs."""

from __future__ import annotations

from geoproxy.aws.session import AwsSettings
from geoproxy.core.accounts import routes_of
from geoproxy.core.iam import IamPolicy, iam_policy
from geoproxy.core.iam_accounts import AccountsIam, accounts_iam
from geoproxy.errors import GeoproxyError
from geoproxy.pipeline.compiled import Compiled


def compute_iam_policy(
    compiled: Compiled,
    aws: AwsSettings,
    *,
    account_id: str | None,
    read_only: bool,
    prune: bool,
    prune_names: tuple[str, ...] = (),
    offline: bool = False,
    all_zones: bool = False,
    destroy: bool = False,
) -> IamPolicy | AccountsIam:
    """The IAM policy for this policy file. Zone ids the policy does not give, and the
    account id when not given, are looked up only when credentials are at hand (STS needs
    no permission; the zone lookup needs ListHostedZonesByName); otherwise wildcards.
    `offline`: no AWS call at all (a first policy, before any credentials exist). With
    `accounts:`, one policy per account (its zones looked up in it) and each role's trust
    policy; `account_id` is then the base credentials' account."""
    from geoproxy.aws.live import Route53Reader
    from geoproxy.aws.session import caller_identity

    apps = compiled.loaded.policy.applications
    zone_ids: dict[str, str] = {}
    notes: list[str] = []
    missing = sorted({app.zone for app in apps if not app.zone_id})
    if offline:
        given = sorted({app.zone for app in apps if app.zone_id})
        notes.append(
            "--offline: no AWS call was made; hosted zone ids come from the policy's "
            f"`zone_id` ({', '.join(given) or 'none given'}), every other zone and an "
            "account not given with --account-id are wildcards"
        )
    elif (missing or account_id is None) and aws.has_credentials():
        if account_id is None:
            caller = caller_identity(aws)
            account_id = caller.arn.split(":")[4] if caller.arn else None
        aws.use_accounts(routes_of(compiled.loaded.policy))  # each zone in its account
        reader = Route53Reader(aws)
        for zone in missing:
            try:
                zone_ids[zone] = reader.zone(zone, None)[0]
            except GeoproxyError as error:
                # Every error of a lookup by name names the zone already (Route53Reader).
                notes.append(error.message)
    if compiled.loaded.policy.accounts:
        accounts = accounts_iam(
            compiled.loaded.policy,
            zone_ids=zone_ids,
            base_account_id=account_id,
            read_only=read_only,
            prune=prune,
            prune_names=prune_names,
            all_zones=all_zones,
            destroy=destroy,
        )
        accounts.warnings[:0] = notes
        return accounts
    result = iam_policy(
        compiled.loaded.policy,
        zone_ids=zone_ids,
        account_id=account_id,
        read_only=read_only,
        prune=prune,
        prune_names=prune_names,
        all_zones=all_zones,
        destroy=destroy,
    )
    result.warnings[:0] = notes
    return result
