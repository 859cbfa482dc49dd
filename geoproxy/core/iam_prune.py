"""IAM for `--prune`: what `plan --prune` reads and `apply --prune` deletes (core/iam.py
calls it). Pure.

Orphans are found at run time, and what makes a record geoproxy's (its set identifier) is
no condition key: DELETE is limited to the names given with --prune-name, and elsewhere to
what a condition can exclude: the zone apex and the names other systems use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from geoproxy.core.desired import in_zone
from geoproxy.errors import GeoproxyError
from geoproxy.policy.models import Application


class Allow(Protocol):
    def __call__(
        self,
        sid: str,
        actions: list[str],
        resources: list[str],
        condition: dict[str, Any] | None = None,
    ) -> None: ...


# ACM's DNS validation record: `_<32 hex digits>.<domain>` (ACM User Guide, "DNS
# validation", whose example is _a79865eb4cd1a6ab990a45779b4e0b96.example.com).
ACM_VALIDATION = "_" + "?" * 32 + ".*"
# Other names that hold other systems' records, never geoproxy's (whose own `_` names are
# `_geoproxy.<record>` and `<pop>._failover.<record>`, so `_*` as a whole cannot be excluded).
OTHER_SYSTEMS = [
    ACM_VALIDATION,
    "_dmarc.*",
    "*._domainkey.*",
    "_acme-challenge.*",
    "_mta-sts.*",
    "_smtp._tls.*",
    "*._tcp.*",
    "*._udp.*",
]


def never_pruned(zone: str) -> list[str]:
    """Names `apply --prune` is never allowed to delete from when the orphans are not named:
    the zone apex (A/AAAA/TXT there are the site's own and its SPF) and the names other
    systems use (OTHER_SYSTEMS: ACM validation CNAMEs, DMARC, DKIM, ACME, MTA-STS, SRV).
    Route 53's name condition key holds names lower case without the trailing dot, and
    takes `*` and `?` wildcards (Route 53 Developer Guide, "Using IAM policy conditions for
    fine-grained access control")."""
    return [zone, *OTHER_SYSTEMS]


def prune_roots(names: Iterable[str], zones: Iterable[str]) -> dict[str, list[str]]:
    """Zone -> the name patterns of the orphans named with --prune-name (each root and the
    names below it, where an application's PoP pairs, direct names and state record are)."""
    found: dict[str, list[str]] = {}
    for name in names:
        root = name.strip().lower().rstrip(".")
        zone = max((zone for zone in zones if in_zone(root, zone)), key=len, default=None)
        if zone is None:
            raise GeoproxyError(
                f"--prune-name {name!r} is in none of the policy's zones "
                f"({', '.join(sorted(zones))})"
            )
        found.setdefault(zone, []).extend([root, f"*.{root}"])
    return found


def prune_statements(
    apps: list[Application],
    zone_ids: Mapping[str, str],
    allow: Allow,
    *,
    reads_checks: bool,
    read_only: bool,
    prune_names: Iterable[str],
    zone_arn: Callable[[str, Mapping[str, str]], str],
    keys: tuple[str, str, str],
    types: list[str],
) -> list[str]:
    """What `plan --prune` reads and `apply --prune` deletes, through `allow`; warnings of
    what IAM cannot restrict. `reads_checks`: the policy already reads health checks.
    `keys`: the record-name, record-type and action condition keys, `types` the record
    types geoproxy writes (core/iam.py)."""
    names_key, types_key, actions_key = keys
    warnings: list[str] = []
    if not apps:
        return warnings  # an account of distributions only: no zone to prune
    # An orphan's health checks are read, and go with it, whether or not the policy has
    # any; with --read-only, `plan --prune` only reads.
    if not reads_checks:
        allow("ListHealthChecks", ["route53:ListHealthChecks"], ["*"])
        allow(
            "ReadHealthCheckTags",
            ["route53:ListTagsForResources"],
            ["arn:aws:route53:::healthcheck/*"],
        )
    if not read_only:
        # Orphans are found at run time, and what makes a record geoproxy's (its set
        # identifier) is no condition key: the three ChangeResourceRecordSets keys are
        # the names, types and actions (Service Authorization Reference, Route 53). So
        # DELETE is limited to the names given with --prune-name; a zone without any
        # gets the exclusions IAM can express, and a loud warning of what is left.
        named = prune_roots(prune_names, {app.zone for app in apps})
        for app_zone in sorted({app.zone for app in apps}):
            sid = "PruneOrphansIn" + re.sub(r"[^A-Za-z0-9]", "", app_zone.title())
            condition: dict[str, Any] = {
                "ForAllValues:StringEquals": {actions_key: ["DELETE"], types_key: types}
            }
            if app_zone in named:
                condition["ForAllValues:StringLike"] = {names_key: sorted(named[app_zone])}
            else:
                condition["ForAllValues:StringNotLike"] = {names_key: never_pruned(app_zone)}
                anywhere = (
                    " in every hosted zone of the account (its id is unknown)"
                    if app_zone not in zone_ids
                    else ""
                )
                warnings.append(
                    f"--prune without --prune-name for zone {app_zone}: IAM cannot name "
                    "the orphans `apply --prune` deletes, so this policy lets it DELETE "
                    f"any {'/'.join(types)} record in {app_zone}{anywhere}, except at the "
                    f"apex ({app_zone}) and at the names of ACM validation, DMARC, DKIM, "
                    "ACME, MTA-STS and SRV records; pass --prune-name ROOT for each "
                    "orphan `geoproxy plan --prune` lists to allow only those names"
                )
            allow(
                sid,
                ["route53:ChangeResourceRecordSets"],
                [zone_arn(app_zone, zone_ids)],
                condition,
            )
        if not reads_checks:
            allow(
                "PruneOrphanHealthChecks",
                ["route53:DeleteHealthCheck"],
                ["arn:aws:route53:::healthcheck/*"],
            )
    return warnings
