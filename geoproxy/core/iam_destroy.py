"""The IAM statements `geoproxy destroy` and `--all-zones` add to `geoproxy iam-policy`
(issue 29).

Pure. Action names and resource types follow the Service Authorization Reference ("Actions,
resources, and condition keys for Amazon CloudFront", ".. for Amazon Route 53"):
ListDistributions and ListHostedZones take no resource narrower than "*"; DeleteFunction
takes the `function` resource; ListResourceRecordSets and ChangeResourceRecordSets the
`hostedzone` resource, whose id an unknown zone cannot name, so "*".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from geoproxy.core.desired import in_zone
from geoproxy.core.iam_switches import Statement

ANY_ZONE = "arn:aws:route53:::hostedzone/*"


def destroy_statements(
    account: str, functions: list[str], switches: bool = False
) -> list[Statement]:
    """What `destroy` needs beyond `apply`'s writes: the account's distributions listed
    (any may use the origin name, not only the policy's), any of them read and updated when
    `--detach-origin` moves its origin (which ones is known only at run time), and the
    edge functions deleted."""
    statements: list[Statement] = [
        ("FindOriginUsers", ["cloudfront:ListDistributions"], ["*"], None),
        (
            "DetachOrigins",
            ["cloudfront:GetDistribution", "cloudfront:UpdateDistribution"],
            [f"arn:aws:cloudfront::{account}:distribution/*"],
            None,
        ),
    ]
    if functions:
        statements.append(("DeleteEdgeFunctions", ["cloudfront:DeleteFunction"], functions, None))
    if switches:  # on "*", as apply's PrepareSwitches creates them (core/iam_switches.py)
        statements.append(
            (
                "RemoveSwitches",
                [
                    "route53-recovery-control-config:DeleteControlPanel",
                    "route53-recovery-control-config:DeleteRoutingControl",
                    "route53-recovery-control-config:DeleteSafetyRule",
                ],
                ["*"],
                None,
            )
        )
    return statements


def split_names(names: Iterable[str], zones: set[str]) -> tuple[list[str], list[str]]:
    """`--prune-name` roots in the policy's zones, and those elsewhere (for `--all-zones`)."""
    names = list(names)
    elsewhere = [n for n in names if not any(in_zone(n, zone) for zone in zones)]
    return [n for n in names if n not in elsewhere], elsewhere


def added_statements(
    account: str,
    functions: list[str],
    *,
    switches: bool = False,
    read_only: bool,
    prune: bool,
    destroy: bool,
    all_zones: bool,
    types: list[str],
    keys: tuple[str, str, str],
    never_pruned: Iterable[str],
    prune_names: Iterable[str] = (),
) -> tuple[list[Statement], list[str]]:
    """What `--destroy` (never read-only) and `--all-zones` add; (statements, warnings).
    `keys`: the names, actions and types condition keys of ChangeResourceRecordSets."""
    statements: list[Statement] = []
    warnings: list[str] = []
    if all_zones:
        statements, warnings = all_zones_statements(
            read_only=read_only,
            prune=prune,
            types=types,
            keys=keys,
            never_pruned=never_pruned,
            prune_names=prune_names,
        )
    if destroy and not read_only:
        statements += destroy_statements(account, functions, switches)
    return statements, warnings


def all_zones_statements(
    *,
    read_only: bool,
    prune: bool,
    types: list[str],
    keys: tuple[str, str, str],
    never_pruned: Iterable[str],
    prune_names: Iterable[str] = (),
) -> tuple[list[Statement], list[str]]:
    """`plan --all-zones` lists every public zone and reads each; `apply --prune
    --all-zones` deletes orphans there. Returns (statements, warnings)."""
    statements: list[Statement] = [
        ("ListAllZones", ["route53:ListHostedZones"], ["*"], None),
        ("ReadAllZones", ["route53:ListResourceRecordSets"], [ANY_ZONE], None),
    ]
    warnings: list[str] = []
    names_key, actions_key, types_key = keys
    if prune and not read_only:
        roots = sorted(
            {
                pattern
                for name in prune_names
                for pattern in (name.strip().lower().rstrip("."), f"*.{name.strip().lower()}")
            }
        )
        condition: dict[str, Any] = {
            "ForAllValues:StringEquals": {actions_key: ["DELETE"], types_key: types}
        }
        if roots:
            condition["ForAllValues:StringLike"] = {names_key: roots}
        else:
            condition["ForAllValues:StringNotLike"] = {names_key: list(never_pruned)}
            warnings.append(
                "--all-zones --prune without --prune-name: IAM cannot name the orphans in "
                "zones the policy does not name, so this policy lets `apply --prune "
                f"--all-zones` DELETE any {'/'.join(types)} record in any hosted zone, except "
                "at other systems' names; pass --prune-name ROOT for each orphan "
                "`geoproxy plan --prune --all-zones` lists"
            )
        statements.append(
            ("PruneOrphansInAnyZone", ["route53:ChangeResourceRecordSets"], [ANY_ZONE], condition)
        )
    return statements, warnings
