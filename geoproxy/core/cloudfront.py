"""The distribution's side: what geoproxy keeps on it, and the field-by-field diff.

Pure. geoproxy owns a few parts of one distribution's config: its origin (the application's
latency-routed name), optionally an origin group and a direct PoP origin, the default cache
behaviour's target, the aliases and the geo restriction. `apply_settings` writes exactly those
parts into a copy of the live config, so everything else the user made is sent back as read.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from geoproxy.core import names
from geoproxy.core.edge.behaviours import associate
from geoproxy.core.managed_fields import FieldChange, differences, items, shielded_origins
from geoproxy.core.names import direct_name, direct_origin_id, origin_group_id
from geoproxy.policy.models import Application


@dataclass
class DistributionPlan:
    """What apply must change on one distribution, against the config it was computed from."""

    app: str
    distribution_id: str
    etag: str
    domain_name: str
    ipv6: bool
    status: str
    changes: list[FieldChange] = field(default_factory=list)
    new_config: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)  # as read, with `etag`
    aliases_added: list[str] = field(default_factory=list)
    live_aliases: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # reasons CloudFront would refuse
    warnings: list[str] = field(default_factory=list)  # allowed, but worth saying
    application: Application | None = field(default=None, repr=False, compare=False)
    arn: str | None = None  # the distribution's ARN (its account owns the edge function)
    # The edge fence's function on the fenced behaviours: (name, ARN or None for none).
    edge: tuple[str, str | None] | None = None


def _listed(items: list[Any]) -> dict[str, Any]:
    return {"Quantity": len(items), "Items": items} if items else {"Quantity": 0}


def _origin_ids(app: Application) -> tuple[str, str | None, str | None]:
    """(geo origin id, direct PoP origin id, origin group id); the last two with failover."""
    origin_id = names.origin_id(app)
    failover = app.cloudfront.origin_failover if app.cloudfront else None
    if failover is None:
        return origin_id, None, None
    return (
        origin_id,
        direct_origin_id(origin_id, failover.secondary_pop),
        origin_group_id(origin_id),
    )


def _custom_origin(
    app: Application, origin_id: str, domain: str, existing: dict[str, Any] | None
) -> dict[str, Any]:
    """Our origin, keeping any field of an existing one that geoproxy does not manage."""
    assert app.cloudfront is not None
    settings = app.cloudfront.origin
    origin: dict[str, Any] = (
        copy.deepcopy(existing)
        if existing
        else {
            "Id": origin_id,
            "OriginPath": "",
            "CustomHeaders": {"Quantity": 0},
            "OriginShield": {"Enabled": False},
        }
    )
    custom = dict(origin.get("CustomOriginConfig") or {})
    custom.update(
        {
            "HTTPPort": settings.http_port,
            "HTTPSPort": settings.https_port,
            "OriginProtocolPolicy": settings.protocol_policy,
            "OriginSslProtocols": _listed(list(settings.ssl_protocols)),
            "OriginReadTimeout": settings.read_timeout,
            "OriginKeepaliveTimeout": settings.keepalive_timeout,
        }
    )
    origin.update(
        {
            "Id": origin_id,
            "DomainName": domain,
            "CustomOriginConfig": custom,
            "ConnectionAttempts": settings.connection_attempts,
            "ConnectionTimeout": settings.connection_timeout,
        }
    )
    origin.pop("S3OriginConfig", None)
    return origin


def apply_settings(
    config: dict[str, Any],
    app: Application,
    edge: tuple[str, str | None] | None = None,
    problems: list[str] | None = None,
) -> dict[str, Any]:
    """A copy of `config` with geoproxy's parts as the policy declares them; `edge` is the
    edge fence's function (name, ARN), ARN None to remove it; conflicts go to `problems`."""
    assert app.cloudfront is not None
    cloudfront = app.cloudfront
    origin_id, direct_id, group_id = _origin_ids(app)
    new = copy.deepcopy(config)

    origins = {origin["Id"]: origin for origin in items(new.get("Origins"))}
    wanted = {origin_id: _custom_origin(app, origin_id, app.record, origins.get(origin_id))}
    if direct_id and cloudfront.origin_failover:
        pop = cloudfront.origin_failover.secondary_pop
        wanted[direct_id] = _custom_origin(
            app, direct_id, direct_name(pop, app.record), origins.get(direct_id)
        )
    # `<origin_id>-...` ids are geoproxy's namespace: any not wanted now is an old fallback.
    stale = {oid for oid in origins if oid.startswith(origin_id + "-")} - set(wanted)
    kept = [
        origins[oid] if oid not in wanted else wanted.pop(oid)
        for oid in origins
        if oid not in stale
    ]
    new["Origins"] = _listed(kept + list(wanted.values()))

    groups = [
        group
        for group in items(new.get("OriginGroups"))
        if group["Id"] != origin_group_id(origin_id)
    ]
    if group_id and cloudfront.origin_failover:
        codes = sorted(cloudfront.origin_failover.status_codes)
        groups.append(
            {
                "Id": group_id,
                "FailoverCriteria": {"StatusCodes": _listed(codes)},
                "Members": _listed([{"OriginId": origin_id}, {"OriginId": direct_id}]),
            }
        )
    new["OriginGroups"] = _listed(groups)

    new["DefaultCacheBehavior"]["TargetOriginId"] = group_id or origin_id
    new["Aliases"] = _listed(list(cloudfront.aliases))
    geo = cloudfront.geo_restriction
    new.setdefault("Restrictions", {})["GeoRestriction"] = {
        "RestrictionType": geo.type,
        **_listed(list(geo.countries)),
    }
    if edge is not None:
        found = associate(new, app, *edge)
        if problems is not None:
            problems.extend(found)
    return new


def diff(old: dict[str, Any], new: dict[str, Any], app: Application) -> list[FieldChange]:
    """Field-by-field changes to geoproxy's parts; order-insensitive where CloudFront is."""
    return differences(old, new, names.origin_id(app))


def plan_distribution(
    app: Application,
    distribution: dict[str, Any],
    etag: str,
    edge: tuple[str, str | None] | None = None,
) -> DistributionPlan:
    """`distribution` is GetDistribution's `Distribution` (config, domain name, status);
    `edge` the edge fence's function (name, ARN; ARN None when the policy has no fence)."""
    assert app.cloudfront is not None
    config = distribution["DistributionConfig"]
    edge_problems: list[str] = []
    new_config = apply_settings(config, app, edge, edge_problems)
    changes = diff(config, new_config, app)
    plan = DistributionPlan(
        app.name,
        app.cloudfront.distribution_id,
        etag,
        distribution["DomainName"].rstrip("."),
        bool(config.get("IsIPV6Enabled", False)),
        distribution.get("Status", ""),
        changes,
        new_config if changes else {},
        config,
    )
    removed = (
        {o["Id"] for o in items(config.get("Origins"))}
        | {g["Id"] for g in items(config.get("OriginGroups"))}
    ) - (
        {o["Id"] for o in items(new_config.get("Origins"))}
        | {g["Id"] for g in items(new_config.get("OriginGroups"))}
    )
    plan.problems = [
        f"{app.name}: cache behaviour {behaviour.get('PathPattern')} targets "
        f"{behaviour['TargetOriginId']}, which geoproxy would remove; point it elsewhere first"
        for behaviour in items(config.get("CacheBehaviors"))
        if behaviour.get("TargetOriginId") in removed
    ]
    plan.problems += _group_method_problems(app, new_config)
    plan.problems += edge_problems
    shielded = origin_shield_regions(app, new_config)
    if shielded:
        (plan.warnings if app.cloudfront.origin_shield == "allow" else plan.problems).append(
            _origin_shield_message(app, shielded)
        )
    plan.arn = distribution.get("ARN")
    plan.edge = edge
    plan.live_aliases = live_aliases(distribution)
    plan.application = app
    plan.aliases_added = sorted(set(app.cloudfront.aliases) - set(plan.live_aliases))
    return plan


def origin_shield_regions(app: Application, config: dict[str, Any]) -> dict[str, str]:
    """Origin id -> Origin Shield region, for geoproxy's origins on which it is enabled.

    geoproxy keeps an existing origin's OriginShield as it finds it (it does not write it),
    so a shield someone enabled stays; this finds it."""
    return shielded_origins(config, names.origin_id(app))


def _origin_shield_message(app: Application, shielded: dict[str, str]) -> str:
    """Why Origin Shield on geoproxy's origin defeats it. CloudFront API Reference,
    OriginShield: "When it's enabled, CloudFront routes all requests through Origin Shield";
    OriginShieldRegion is "The AWS Region for Origin Shield". So every cache miss reaches
    the origin name from the shield's region: Route 53 answers every latency question from
    there, one PoP serves every viewer, and the per-source routing map does not hold; fenced
    viewers' requests (the edge function picks their origin at the edge) are still fetched
    through, and cached in, that region."""
    where = ", ".join(
        f"{origin_id} (Origin Shield in {region})" for origin_id, region in sorted(shielded.items())
    )
    assert app.cloudfront is not None
    allowed = app.cloudfront.origin_shield == "allow"
    return (
        f"{app.name}: Origin Shield is enabled on geoproxy's origin {where}: CloudFront "
        "routes every request through the shield's region, so Route 53 answers every "
        "latency question from there and one PoP serves all viewers (the routing map does "
        "not hold), and fenced viewers' traffic is fetched through and cached in that "
        "region; "
        + (
            "allowed by cloudfront.origin_shield: allow"
            if allowed
            else "disable Origin Shield on that origin, or set "
            "cloudfront.origin_shield: allow to accept this"
        )
    )


# CloudFront refuses a behaviour on an origin group that allows more than these (Developer
# Guide, "Optimize high availability with CloudFront origin failover"); found before any
# write, not by UpdateDistribution after the Route 53 phase.
GROUP_METHODS = ("GET", "HEAD", "OPTIONS")


def _group_method_problems(app: Application, config: dict[str, Any]) -> list[str]:
    groups = {group["Id"] for group in items(config.get("OriginGroups"))}
    problems = []
    for behaviour in (
        config.get("DefaultCacheBehavior") or {},
        *items(config.get("CacheBehaviors")),
    ):
        methods = items(behaviour.get("AllowedMethods")) or ["GET", "HEAD"]
        if behaviour.get("TargetOriginId") in groups and not set(methods) <= set(GROUP_METHODS):
            where = (
                f"cache behaviour {behaviour['PathPattern']}"
                if "PathPattern" in behaviour
                else "the default behaviour"
            )
            extra = ", ".join(m for m in methods if m not in GROUP_METHODS)
            problems.append(
                f"{app.name}: origin_failover puts {where} on an origin group, and CloudFront "
                f"allows only {', '.join(GROUP_METHODS)} there, but it allows {extra} too; "
                "set its allowed methods to GET and HEAD (and OPTIONS), or drop "
                "origin_failover"
            )
    return problems


def live_aliases(distribution: dict[str, Any]) -> list[str]:
    return [
        alias.lower().rstrip(".")
        for alias in items(distribution["DistributionConfig"].get("Aliases"))
    ]


# --- the viewer certificate ------------------------------------------------------------------


def covers(names: list[str], alias: str) -> bool:
    """Whether a certificate for `names` (its domain name and SANs) covers `alias`: an exact
    name, or a wildcard `*.example.com` for exactly one label in its place (Developer Guide,
    "Requirements for using alternate domain names")."""
    alias = alias.lower().rstrip(".")
    for name in (n.lower().rstrip(".") for n in names):
        if name == alias:
            return True
        if name.startswith("*.") and "." in alias and alias.split(".", 1)[1] == name[2:]:
            return True
    return False


def viewer_certificate(config: dict[str, Any]) -> tuple[str, str | None]:
    """("acm", arn), ("iam", server certificate id) or ("default", None)."""
    certificate = config.get("ViewerCertificate") or {}
    if certificate.get("ACMCertificateArn"):
        return "acm", str(certificate["ACMCertificateArn"])
    if certificate.get("IAMCertificateId"):
        return "iam", str(certificate["IAMCertificateId"])
    return "default", None


def config_aliases(config: dict[str, Any]) -> list[str]:
    return [alias.lower().rstrip(".") for alias in items(config.get("Aliases"))]
