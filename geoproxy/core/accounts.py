"""Which account each AWS call of a policy is made in (issue 26): the accounts a policy (or
a saved plan) names, and which of them holds each zone, distribution, edge function and the
ARC cluster. Pure data; `aws.accounts` makes the sessions.

A zone is known by name (from the policy) and, once looked up, by id; an application
without `account:` (None) uses the base credentials.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from geoproxy.core.names import function_name

if TYPE_CHECKING:  # `--help` loads no pydantic: the commands import this module
    from geoproxy.policy.models import Policy


@dataclass(frozen=True)
class AccountAccess:
    """How to reach one named account: a role to assume, or a named profile."""

    name: str
    role_arn: str | None = None
    external_id: str | None = None
    profile: str | None = None

    @property
    def label(self) -> str:
        """`dns (role arn:aws:iam::111111111111:role/geoproxy-dns)`: for every message."""
        how = f"role {self.role_arn}" if self.role_arn else f"profile {self.profile}"
        return f"{self.name} ({how})"

    def to_json(self) -> dict[str, Any]:
        return {
            "role_arn": self.role_arn,
            "external_id": self.external_id,
            "profile": self.profile,
        }

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> AccountAccess:
        role, profile = data.get("role_arn"), data.get("profile")
        external = data.get("external_id")
        if (role is None) == (profile is None):
            raise ValueError(f"account {name!r} needs exactly one of role_arn and profile")
        return cls(
            str(name),
            str(role) if role else None,
            str(external) if external else None,
            str(profile) if profile else None,
        )


@dataclass
class AccountRoutes:
    """Account names by what they hold; empty: every call with the base credentials."""

    accounts: dict[str, AccountAccess] = field(default_factory=dict)
    zones: dict[str, str] = field(default_factory=dict)  # zone name or id -> account
    distributions: dict[str, str] = field(default_factory=dict)  # distribution id -> account
    functions: dict[str, str] = field(default_factory=dict)  # function name -> account
    arc: str | None = None
    # Where geoproxy's Route 53 health checks live: the one account of every application
    # (the policy check requires one when it uses health checks).
    health_checks: str | None = None

    def zone(self, zone: str) -> str | None:
        return self.zones.get(zone)

    def learn_zone(self, zone_name: str, zone_id: str) -> None:
        """A zone looked up by name is then addressed by id: same account."""
        if zone_name in self.zones:
            self.zones.setdefault(zone_id, self.zones[zone_name])

    def used(self) -> dict[str, AccountAccess]:
        """The accounts something is routed to (what a saved plan must carry)."""
        names = {*self.zones.values(), *self.distributions.values(), *self.functions.values()}
        names |= {name for name in (self.arc, self.health_checks) if name}
        return {name: self.accounts[name] for name in sorted(names) if name in self.accounts}


def routes_of(policy: Policy) -> AccountRoutes:
    routes = AccountRoutes(
        accounts={
            name: AccountAccess(name, account.role_arn, account.external_id, account.profile)
            for name, account in policy.accounts.items()
        }
    )
    for app in policy.applications:
        if app.account is not None:
            routes.zones[app.zone] = app.account
            if app.zone_id:
                routes.zones[app.zone_id] = app.account
        if app.cloudfront is not None and app.cloudfront.account is not None:
            routes.distributions[app.cloudfront.distribution_id] = app.cloudfront.account
            routes.functions[function_name(policy.owner, app.name)] = app.cloudfront.account
    if policy.recovery.arc is not None:
        routes.arc = policy.recovery.arc.account
    accounts = {app.account for app in policy.applications}
    if len(accounts) == 1:
        routes.health_checks = accounts.pop()
    return routes
