"""IAM for a policy with `accounts:` (issue 26): one identity policy per account, scoped
to what that account holds, plus the trust policy each role needs. Pure.

The base credentials (default chain or `--profile`) get what the applications without
`account:` need, and `sts:AssumeRole` (with `sts:SetSourceIdentity`, so the sessions carry
the caller's identity) on each role. Each role trusts the base account, with the external
id as the `sts:ExternalId` condition when the policy sets one ("Actions, resources, and
condition keys for AWS Security Token Service", Service Authorization Reference,
https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html;
"Monitor and control actions taken with assumed roles", IAM User Guide: SetSourceIdentity
must be allowed in the role's trust policy).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from geoproxy.core.iam import IamPolicy, iam_policy
from geoproxy.policy.models import Policy


@dataclass
class AccountIam:
    """The documents of one account: None is the base credentials'."""

    name: str | None
    account_id: str | None
    role_arn: str | None
    profile: str | None
    policy: IamPolicy
    trust_policy: dict[str, Any] | None = None


@dataclass
class AccountsIam:
    accounts: list[AccountIam] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """What `iam-policy` prints for a policy with `accounts:`."""
        return {
            "accounts": [
                {
                    "account": account.name,
                    "account_id": account.account_id,
                    **({"role_arn": account.role_arn} if account.role_arn else {}),
                    **({"profile": account.profile} if account.profile else {}),
                    "policy": account.policy.document,
                    **(
                        {"trust_policy": account.trust_policy}
                        if account.trust_policy is not None
                        else {}
                    ),
                }
                for account in self.accounts
            ]
        }

    def by_account_id(self) -> dict[str | None, dict[str, Any]]:
        """account id -> its identity policy (the e2e IAM check's view)."""
        return {account.account_id: account.policy.document for account in self.accounts}


def used_accounts(policy: Policy) -> list[str]:
    """The accounts something names, in the order of `accounts:`."""
    named = {app.account for app in policy.applications}
    named |= {app.cloudfront.account for app in policy.applications if app.cloudfront}
    if policy.recovery.arc is not None:
        named.add(policy.recovery.arc.account)
    return [name for name in policy.accounts if name in named]


def accounts_iam(
    policy: Policy,
    *,
    zone_ids: Mapping[str, str],
    base_account_id: str | None,
    read_only: bool = False,
    prune: bool = False,
    prune_names: Iterable[str] = (),
    account_ids: Mapping[str, str] | None = None,
    all_zones: bool = False,
    destroy: bool = False,
) -> AccountsIam:
    """`account_ids` gives the ids of profile accounts (a role's is in its ARN)."""
    result = AccountsIam()
    names = used_accounts(policy)
    roles = [
        policy.accounts[name].role_arn
        for name in names
        if policy.accounts[name].role_arn is not None
    ]

    def scoped(name: str | None, account_id: str | None) -> IamPolicy:
        made = iam_policy(
            policy,
            zone_ids=zone_ids,
            account_id=account_id,
            read_only=read_only,
            prune=prune,
            prune_names=prune_names,
            only=(name,),
            all_zones=all_zones,
            destroy=destroy,
        )
        result.warnings += [
            f"account {name or '(base credentials)'}: {warning}" for warning in made.warnings
        ]
        return made

    base = scoped(None, base_account_id)
    if roles:
        base.document["Statement"].append(
            {
                "Sid": "AssumeAccountRoles",
                "Effect": "Allow",
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
                "Resource": sorted(str(role) for role in roles),
            }
        )
    result.accounts.append(AccountIam(None, base_account_id, None, None, base))
    for name in names:
        account = policy.accounts[name]
        account_id = account.account_id or (account_ids or {}).get(name)
        trust = (
            trust_policy(base_account_id, account.external_id)
            if account.role_arn is not None
            else None
        )
        if trust is not None and base_account_id is None:
            result.warnings.append(
                f"account {name}: the base account's id is unknown (--account-id, or "
                "credentials for STS), so its trust policy names BASE_ACCOUNT_ID"
            )
        result.accounts.append(
            AccountIam(
                name,
                account_id,
                account.role_arn,
                account.profile,
                scoped(name, account_id),
                trust,
            )
        )
    return result


def trust_policy(base_account_id: str | None, external_id: str | None) -> dict[str, Any]:
    """What the role must trust: the base account (narrow it to the people's roles as your
    organisation does), for AssumeRole (with the external id, if any) and SetSourceIdentity."""
    principal = {"AWS": f"arn:aws:iam::{base_account_id or 'BASE_ACCOUNT_ID'}:root"}
    assume: dict[str, Any] = {
        "Sid": "GeoproxyAssumeRole",
        "Effect": "Allow",
        "Principal": principal,
        "Action": "sts:AssumeRole",
    }
    if external_id:
        assume["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            assume,
            {
                "Sid": "GeoproxySourceIdentity",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "sts:SetSourceIdentity",
            },
        ],
    }
