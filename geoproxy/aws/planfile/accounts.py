"""The accounts of a saved plan (issue 26): `apply PLANFILE` reads no policy, so the plan
carries, per account name it writes in, the role ARN (and external id) or profile, and each
change its account name (format 2's per-change `account`). Both are inside what the
checksum and the signature cover: an edit that points a write at another role is caught.
"""

from __future__ import annotations

from typing import Any

from geoproxy.core.accounts import AccountAccess, AccountRoutes

HEALTH_CHECKS = ("create_health_checks", "tag_health_checks", "delete_health_checks")


def with_accounts(document: dict[str, Any], routes: AccountRoutes) -> None:
    """Mark each change of `document["changes"]` with its account, and add the accounts."""
    changes = document["changes"]
    for phase in ("before_distributions", "after_distributions"):
        for zone_id, batches in changes[phase].items():
            account = routes.zone(zone_id)
            changes[phase][zone_id] = [
                [{**change, "account": account} for change in batch] for batch in batches
            ]
    for item in changes["distributions"]:
        item["account"] = routes.distributions.get(item["distribution_id"])
    for item in changes["functions"]:
        item["account"] = routes.functions.get(item["name"])
    for key in HEALTH_CHECKS:
        for item in changes[key]:
            item["account"] = routes.health_checks
    used = {
        change.get("account")
        for phase in ("before_distributions", "after_distributions")
        for batches in changes[phase].values()
        for batch in batches
        for change in batch
    } | {
        item.get("account")
        for key in ("distributions", "functions", *HEALTH_CHECKS)
        for item in changes[key]
    }
    document["accounts"] = {
        name: access.to_json() for name, access in sorted(routes.accounts.items()) if name in used
    }


def accounts_of(document: dict[str, Any]) -> AccountRoutes | None:
    """The plan's routes; None for a plan without accounts. ValueError (a malformed plan)
    when a change names an account the plan does not define."""
    defined = document.get("accounts")
    changes = document["changes"]
    routes = AccountRoutes(
        accounts={
            str(name): AccountAccess.from_json(str(name), dict(data))
            for name, data in (defined or {}).items()
        }
    )

    def named(account: Any, what: str) -> str | None:
        if account is None:
            return None
        if account not in routes.accounts:
            raise ValueError(f"{what} names account {account!r}, which the plan does not define")
        return str(account)

    for phase in ("before_distributions", "after_distributions"):
        for zone_id, batches in (changes.get(phase) or {}).items():
            for batch in batches:
                for change in batch:
                    account = named(change.get("account"), f"a change in zone {zone_id}")
                    if account is not None:
                        previous = routes.zones.setdefault(str(zone_id), account)
                        if previous != account:
                            raise ValueError(f"zone {zone_id} is in two accounts")
    for item in changes.get("distributions") or []:
        account = named(item.get("account"), f"distribution {item.get('distribution_id')}")
        if account is not None:
            routes.distributions[str(item["distribution_id"])] = account
    for item in changes.get("functions") or []:
        account = named(item.get("account"), f"function {item.get('name')}")
        if account is not None:
            routes.functions[str(item["name"])] = account
    checks = {
        named(item.get("account"), f"health check {item.get('id') or item.get('pop')}")
        for key in HEALTH_CHECKS
        for item in changes.get(key) or []
    }
    if len(checks) > 1:
        raise ValueError("its health checks are in more than one account")
    routes.health_checks = checks.pop() if checks else None
    return routes if routes.accounts else None
