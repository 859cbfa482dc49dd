"""The least-privilege IAM policy for running geoproxy on a policy file: pure.

Every statement is scoped to what the policy names: its hosted zones, the record names it
writes, its distributions. Action names, resource types and condition keys follow the
Service Authorization Reference ("Actions, resources, and condition keys for Amazon Route 53",
".../Amazon CloudFront", ".../AWS Certificate Manager", ".../AWS Identity and Access
Management"); the record-set conditions follow the Route 53 Developer Guide, "Using IAM
policy conditions for fine-grained access control". A test runs every request the
end-to-end suite's CLI runs make through an IAM evaluator against this document, so it
cannot fall behind the code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from geoproxy.core.desired import in_zone
from geoproxy.core.edge.fence import has_viewer_fence
from geoproxy.core.iam_destroy import added_statements, split_names
from geoproxy.core.iam_prune import OTHER_SYSTEMS, prune_statements
from geoproxy.core.iam_recovery import recovery_reads, recovery_writes
from geoproxy.core.iam_switches import switch_statements
from geoproxy.core.names import function_name
from geoproxy.policy.models import Application, Policy

WILDCARD = "*"
MANAGED_POLICY_CHARS = 6144

# ChangeResourceRecordSets condition keys (multivalued: one value per change in the batch).
NAMES_KEY = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
TYPES_KEY = "route53:ChangeResourceRecordSetsRecordTypes"
ACTIONS_KEY = "route53:ChangeResourceRecordSetsActions"


@dataclass
class IamPolicy:
    document: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def record_names(app: Application) -> list[str]:
    """The names geoproxy writes for an application, as Route 53 normalises them for the
    condition key (lower case, no trailing dot; policy names hold nothing to escape). The
    subtree pattern covers the state record, PoP pairs and direct names, including those
    of PoPs a later policy drops, which apply then deletes."""
    names = [app.record, f"*.{app.record}"]
    if app.cloudfront:
        names += [alias for alias in app.cloudfront.aliases if in_zone(alias, app.zone)]
    return names


def record_types(apps: Iterable[Application]) -> list[str]:
    """The policy's record types, A and AAAA viewer records (AAAA when the distribution has
    IPv6 on), TXT for the failover state, and CNAME: `--adopt` deletes a CNAME that stands
    at one of geoproxy's names before writing there."""
    types = {"TXT", "CNAME"}
    for app in apps:
        types |= set(app.record_types) | ({"A", "AAAA"} if app.cloudfront else set())
    return sorted(types)


def _zone_arn(zone: str, zone_ids: Mapping[str, str]) -> str:
    return f"arn:aws:route53:::hostedzone/{zone_ids.get(zone, WILDCARD)}"


@dataclass(frozen=True)
class _Scope:
    """What the policy file names, as IAM resources."""

    apps: list[Application]
    zone_ids: dict[str, str]
    account: str
    zones: list[str]  # hosted zone ARNs
    distributions: list[str]
    functions: list[str]  # the edge fence's functions, one per fenced application
    health_checks: bool  # some PoP has a health check: geoproxy creates and tags them
    reads_checks: bool  # geoproxy reads its health checks (and deletes old ones)
    policy: Policy  # for the disaster-recovery statements (core/iam_recovery.py)
    switches: bool = True  # the ARC statements go here (the account of recovery.arc)


class _Statements(list[dict[str, Any]]):
    def allow(
        self,
        sid: str,
        actions: list[str],
        resources: list[str],
        condition: dict[str, Any] | None = None,
    ) -> None:
        statement: dict[str, Any] = {
            "Sid": sid,
            "Effect": "Allow",
            "Action": sorted(actions),
            "Resource": resources if len(resources) > 1 else resources[0],
        }
        if condition:
            statement["Condition"] = condition
        self.append(statement)


def iam_policy(
    policy: Policy,
    *,
    zone_ids: Mapping[str, str],
    account_id: str | None,
    read_only: bool = False,
    prune: bool = False,
    prune_names: Iterable[str] = (),
    only: tuple[str | None] | None = None,
    all_zones: bool = False,
    destroy: bool = False,
) -> IamPolicy:
    """`zone_ids` maps zone names to ids (from the policy's `zone_id`, or looked up by the
    caller); a zone without one gets a wildcard, with a warning, as does a missing account.
    `read_only` covers `plan` and `status`; `prune` adds DELETE-only record changes, limited
    to `prune_names` (the roots `plan --prune` lists) in their zones, and elsewhere to what
    a condition can exclude, with a warning that says what is left open. `only` (an
    `accounts:` name, None for the base credentials) limits the document to what that
    account holds: its applications' zones, its distributions and functions, its ARC
    (core/iam_accounts.py). `all_zones` adds the orphan search (and, with `prune`, its
    deletions) in every zone; `destroy` what `geoproxy destroy` needs beyond apply
    (core/iam_destroy.py)."""
    scope, warnings = _scope(policy, zone_ids, account_id, only)
    ours, elsewhere = split_names(prune_names, {app.zone for app in policy.applications})
    prune_names = ours if all_zones else [*ours, *elsewhere]  # elsewhere: all_zones's
    statements = _Statements()
    _reads(scope, statements)
    if not read_only:
        _writes(scope, statements)
    for sid, actions, resources, condition in (
        switch_statements(policy, read_only=read_only) if scope.switches else []
    ):
        statements.allow(sid, actions, resources, condition)
    if prune:
        warnings += prune_statements(
            scope.apps,
            scope.zone_ids,
            statements.allow,
            reads_checks=scope.reads_checks,
            read_only=read_only,
            prune_names=prune_names,
            zone_arn=_zone_arn,
            keys=(NAMES_KEY, TYPES_KEY, ACTIONS_KEY),
            types=record_types(scope.apps),
        )
    if all_zones or destroy:
        added, said = added_statements(
            scope.account,
            scope.functions,
            switches=policy.recovery.switches == "arc",
            read_only=read_only,
            prune=prune and all_zones,
            destroy=destroy,
            all_zones=all_zones,
            types=record_types(scope.apps),
            keys=(NAMES_KEY, ACTIONS_KEY, TYPES_KEY),
            never_pruned=OTHER_SYSTEMS,
            prune_names=elsewhere,
        )
        warnings += said
        for statement in added:
            statements.allow(*statement)
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    # IAM counts a managed policy's characters without whitespace (IAM and AWS STS quotas).
    size = len(json.dumps(document, separators=(",", ":")))
    if size > MANAGED_POLICY_CHARS:
        warnings.append(
            f"the policy is {size} characters: past the {MANAGED_POLICY_CHARS:,} "
            "an IAM managed policy may hold; split the policy file (per zone, "
            "say) and attach one IAM policy for each"
        )
    return IamPolicy(document, warnings)


def _scope(
    policy: Policy,
    zone_ids: Mapping[str, str],
    account_id: str | None,
    only: tuple[str | None] | None = None,
) -> tuple[_Scope, list[str]]:
    apps = policy.applications
    edge_apps = [app for app in apps if app.cloudfront]
    switches = True
    if only is not None:
        (name,) = only
        apps = [app for app in apps if app.account == name]
        edge_apps = [app for app in edge_apps if app.cloudfront and app.cloudfront.account == name]
        arc = policy.recovery.arc
        switches = (arc.account if arc else None) == name
    warnings: list[str] = []
    zone_ids = {**zone_ids, **{app.zone: app.zone_id.split("/")[-1] for app in apps if app.zone_id}}
    unknown = sorted({app.zone for app in apps} - set(zone_ids))
    if unknown:
        warnings.append(
            f"no hosted zone id for {', '.join(unknown)}: the policy allows every "
            "hosted zone there; set `zone_id` in the policy, or run with "
            "credentials that can list hosted zones"
        )
    if account_id is None and edge_apps:
        warnings.append(
            "no account id (--account-id, or credentials for STS): CloudFront "
            "and ACM resources name any account"
        )
    account = account_id or WILDCARD
    zones = sorted({_zone_arn(app.zone, zone_ids) for app in apps})
    distributions = sorted(
        {
            f"arn:aws:cloudfront::{account}:distribution/{app.cloudfront.distribution_id}"
            for app in edge_apps
            if app.cloudfront
        }
    )
    # The edge fence's CloudFront Function, one per fenced application, named from the owner
    # and the application alone, so its ARN is known offline.
    functions = sorted(
        {
            f"arn:aws:cloudfront::{account}:function/{function_name(policy.owner, app.name)}"
            for app in edge_apps
            if app.cloudfront and has_viewer_fence(app)
        }
    )
    # Switches (recovery.switches: arc) have a RECOVERY_CONTROL health check each.
    switched = policy.recovery.switches == "arc"
    health_checks = bool(apps) and (
        switched or any(pop.health_check for app in apps for pop in app.pops.values())
    )
    # auto_failover reads geoproxy's checks (and deletes those an earlier policy left) even
    # when no PoP has one now; creating and tagging needs a configured check.
    reads_checks = health_checks or any(app.auto_failover for app in apps)
    return _Scope(
        apps,
        zone_ids,
        account,
        zones,
        distributions,
        functions,
        health_checks,
        reads_checks,
        policy,
        switches,
    ), warnings


def _reads(scope: _Scope, statements: _Statements) -> None:
    """What `plan` and `status` read."""
    allow = statements.allow
    apps, zones, account = scope.apps, scope.zones, scope.account
    distributions, functions = scope.distributions, scope.functions
    # Zone lookup by name (when no zone_id) and the delegation pre-flight's ListHostedZones:
    # neither takes a resource narrower than "*".
    lookups = ["route53:ListHostedZones"]
    if any(not app.zone_id for app in apps):
        lookups.append("route53:ListHostedZonesByName")
    if apps:  # an account of distributions only (accounts:) holds no zone
        allow("FindHostedZones", lookups, [WILDCARD])
        # GetHostedZone: the lookup when the policy gives `zone_id`, and a saved plan's check of
        # whether its zone is cheaper to read whole.
        allow("ReadRecords", ["route53:GetHostedZone", "route53:ListResourceRecordSets"], zones)
        # Route 53's change history, on zones that have it: `status` lists each zone's newest
        # batches (who last wrote each application), and a write whose answer was lost looks
        # for its batch there (aws/history.py). The only history action geoproxy calls; it
        # takes the hostedzone ("Permissions for Change History", Route 53 Developer Guide,
        # https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zone-change-history-permissions.html).
        # It shows who submitted each change, as that page warns: read-only principals see it.
        allow("ReadChangeHistory", ["route53:ListHostedZoneChangeBatches"], zones)
        recovery_reads(scope.policy, allow)
    if scope.reads_checks:
        allow("ListHealthChecks", ["route53:ListHealthChecks"], [WILDCARD])
        allow(
            "ReadHealthCheckTags",
            ["route53:ListTagsForResources"],
            ["arn:aws:route53:::healthcheck/*"],
        )
    if distributions:
        allow(
            "ReadDistributions",
            ["cloudfront:GetDistribution", "cloudfront:ListConflictingAliases"],
            distributions,
        )
        # The alias clash check lists this account's distributions.
        allow("ListDistributions", ["cloudfront:ListDistributions"], [WILDCARD])
        allow(
            "ReadViewerCertificates",
            ["acm:DescribeCertificate"],
            [f"arn:aws:acm:us-east-1:{account}:certificate/*"],
        )
        # Only for a distribution with an IAM server certificate: its id is found in the
        # listing, which takes no resource narrower than "*".
        allow("FindIamServerCertificates", ["iam:ListServerCertificates"], [WILDCARD])
    if functions:
        # plan and status read the function in both stages (GetFunction) and its ETag
        # (DescribeFunction): the Service Authorization Reference takes the function for both.
        allow(
            "ReadEdgeFunctions",
            ["cloudfront:DescribeFunction", "cloudfront:GetFunction"],
            functions,
        )
        # The country-header pre-flight reads the policies of every fenced behaviour. Their ids
        # are in the distribution's config, known only at run time, so every policy: reading
        # one shows caching settings, nothing else. The account is a wildcard because most of
        # these are AWS's managed policies, which are not the caller's, and the reference does
        # not say which account their ARNs name; an identity policy reaches no other account's
        # policies anyway (they take no resource-based policy).
        allow(
            "ReadBehaviourPolicies",
            ["cloudfront:GetCachePolicy", "cloudfront:GetOriginRequestPolicy"],
            [
                "arn:aws:cloudfront::*:cache-policy/*",
                "arn:aws:cloudfront::*:origin-request-policy/*",
            ],
        )


def _writes(scope: _Scope, statements: _Statements) -> None:
    """What `apply`, `failover` and `failback` write."""
    allow = statements.allow
    apps, zone_ids = scope.apps, scope.zone_ids
    distributions, functions = scope.distributions, scope.functions
    for app_zone in sorted({app.zone for app in apps}):
        here = [app for app in apps if app.zone == app_zone]
        names = sorted({name for app in here for name in record_names(app)})
        sid = "WriteRecordsIn" + re.sub(r"[^A-Za-z0-9]", "", app_zone.title())
        allow(
            sid,
            ["route53:ChangeResourceRecordSets"],
            [_zone_arn(app_zone, zone_ids)],
            {
                "ForAllValues:StringLike": {NAMES_KEY: names},
                "ForAllValues:StringEquals": {
                    TYPES_KEY: record_types(here),
                    ACTIONS_KEY: ["CREATE", "DELETE"],
                },
            },
        )
    if apps:
        # Before each write, one listing of the zone's record set protections (core.guardrails);
        # a read, granted only where geoproxy writes, since only writes list them.
        allow(
            "ListRecordSetProtections",
            ["route53:ListResourceRecordSetProtections"],
            sorted({_zone_arn(app.zone, zone_ids) for app in apps}),
        )
        allow("WaitForChanges", ["route53:GetChange"], ["arn:aws:route53:::change/*"])
        recovery_writes(scope.policy, scope.zones, allow)
    if scope.health_checks:
        allow("CreateHealthChecks", ["route53:CreateHealthCheck"], [WILDCARD])
    if scope.reads_checks:
        allow(
            "ManageHealthChecks",
            ["route53:DeleteHealthCheck"]
            + (["route53:ChangeTagsForResource"] if scope.health_checks else []),
            ["arn:aws:route53:::healthcheck/*"],
        )
    if distributions:
        allow("UpdateDistributions", ["cloudfront:UpdateDistribution"], distributions)
    if functions:
        # The reference lists no resource type for CreateFunction (the function has no ARN
        # until it exists): "*" or nothing. A function created under another name cannot be
        # published or associated with this policy, so it could serve no viewer.
        allow("CreateEdgeFunctions", ["cloudfront:CreateFunction"], [WILDCARD])
        allow(
            "WriteEdgeFunctions",
            ["cloudfront:PublishFunction", "cloudfront:UpdateFunction"],
            functions,
        )
        # After a batch's answer is lost, the direct names a function targets are asked
        # of Route 53's name servers before it is published (aws/execute.py,
        # confirm_answered). TestDNSAnswer lists no resource type in the Service
        # Authorization Reference: "*" only. It reads what the zone serves, nothing else.
        # Asked in the zone's account, where that is another (accounts:).
    if any(app.cloudfront and has_viewer_fence(app) for app in apps):
        allow("ConfirmDirectNames", ["route53:TestDNSAnswer"], [WILDCARD])
