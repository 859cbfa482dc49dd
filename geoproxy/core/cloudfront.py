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

from geoproxy.core.edgeassoc import associate, association_changes
from geoproxy.policy.models import Application

PATH_ALIASES = "Aliases"
PATH_GEO = "Restrictions.GeoRestriction"
PATH_TARGET = "DefaultCacheBehavior.TargetOriginId"


def direct_name(pop: str, record_name: str) -> str:
    """A per-PoP name that skips the latency routing: the origin group's fallback."""
    return f"{pop}.{record_name}"


@dataclass(frozen=True)
class FieldChange:
    path: str  # where in DistributionConfig, e.g. "Origins[geoproxy-shop]" or "Aliases"
    old: Any
    new: Any


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


def _items(container: dict[str, Any] | None) -> list[Any]:
    return list((container or {}).get("Items") or [])


def _listed(items: list[Any]) -> dict[str, Any]:
    return {"Quantity": len(items), "Items": items} if items else {"Quantity": 0}


def _origin_ids(app: Application) -> tuple[str, str | None, str | None]:
    """(geo origin id, direct PoP origin id, origin group id); the last two with failover."""
    origin_id = app.origin_id
    failover = app.cloudfront.origin_failover if app.cloudfront else None
    if failover is None:
        return origin_id, None, None
    return origin_id, f"{origin_id}-{failover.secondary_pop}", f"{origin_id}-group"


def _custom_origin(app: Application, origin_id: str, domain: str,
                   existing: dict[str, Any] | None) -> dict[str, Any]:
    """Our origin, keeping any field of an existing one that geoproxy does not manage."""
    assert app.cloudfront is not None
    settings = app.cloudfront.origin
    origin = copy.deepcopy(existing) if existing else {
        "Id": origin_id, "OriginPath": "", "CustomHeaders": {"Quantity": 0},
        "OriginShield": {"Enabled": False},
    }
    custom = dict(origin.get("CustomOriginConfig") or {})
    custom.update({
        "HTTPPort": settings.http_port,
        "HTTPSPort": settings.https_port,
        "OriginProtocolPolicy": settings.protocol_policy,
        "OriginSslProtocols": _listed(list(settings.ssl_protocols)),
        "OriginReadTimeout": settings.read_timeout,
        "OriginKeepaliveTimeout": settings.keepalive_timeout,
    })
    origin.update({"Id": origin_id, "DomainName": domain, "CustomOriginConfig": custom,
                   "ConnectionAttempts": settings.connection_attempts,
                   "ConnectionTimeout": settings.connection_timeout})
    origin.pop("S3OriginConfig", None)
    return origin


def apply_settings(config: dict[str, Any], app: Application,
                   edge: tuple[str, str | None] | None = None,
                   problems: list[str] | None = None) -> dict[str, Any]:
    """A copy of `config` with geoproxy's parts as the policy declares them; `edge` is the
    edge fence's function (name, ARN), ARN None to remove it; conflicts go to `problems`."""
    assert app.cloudfront is not None
    cloudfront = app.cloudfront
    origin_id, direct_id, group_id = _origin_ids(app)
    new = copy.deepcopy(config)

    origins = {origin["Id"]: origin for origin in _items(new.get("Origins"))}
    wanted = {origin_id: _custom_origin(app, origin_id, app.record, origins.get(origin_id))}
    if direct_id and cloudfront.origin_failover:
        pop = cloudfront.origin_failover.secondary_pop
        wanted[direct_id] = _custom_origin(app, direct_id, direct_name(pop, app.record),
                                           origins.get(direct_id))
    # `<origin_id>-...` ids are geoproxy's namespace: any not wanted now is an old fallback.
    stale = {oid for oid in origins if oid.startswith(origin_id + "-")} - set(wanted)
    kept = [origins[oid] if oid not in wanted else wanted.pop(oid)
            for oid in origins if oid not in stale]
    new["Origins"] = _listed(kept + list(wanted.values()))

    groups = [group for group in _items(new.get("OriginGroups"))
              if group["Id"] != f"{origin_id}-group"]
    if group_id and cloudfront.origin_failover:
        codes = sorted(cloudfront.origin_failover.status_codes)
        groups.append({
            "Id": group_id,
            "FailoverCriteria": {"StatusCodes": _listed(codes)},
            "Members": _listed([{"OriginId": origin_id}, {"OriginId": direct_id}]),
        })
    new["OriginGroups"] = _listed(groups)

    new["DefaultCacheBehavior"]["TargetOriginId"] = group_id or origin_id
    new["Aliases"] = _listed(list(cloudfront.aliases))
    geo = cloudfront.geo_restriction
    new.setdefault("Restrictions", {})["GeoRestriction"] = {
        "RestrictionType": geo.type, **_listed(list(geo.countries))}
    if edge is not None:
        found = associate(new, app, *edge)
        if problems is not None:
            problems.extend(found)
    return new


def _origin_view(origin: dict[str, Any] | None) -> dict[str, Any] | None:
    """The parts of an origin geoproxy manages, in comparable form."""
    if origin is None:
        return None
    custom = origin.get("CustomOriginConfig") or {}
    return {
        "DomainName": origin.get("DomainName"),
        "HTTPPort": custom.get("HTTPPort"), "HTTPSPort": custom.get("HTTPSPort"),
        "OriginProtocolPolicy": custom.get("OriginProtocolPolicy"),
        "OriginSslProtocols": sorted(_items(custom.get("OriginSslProtocols"))),
        "OriginReadTimeout": custom.get("OriginReadTimeout"),
        "OriginKeepaliveTimeout": custom.get("OriginKeepaliveTimeout"),
        "ConnectionAttempts": origin.get("ConnectionAttempts"),
        "ConnectionTimeout": origin.get("ConnectionTimeout"),
    }


def _group_view(group: dict[str, Any] | None) -> dict[str, Any] | None:
    if group is None:
        return None
    return {
        "StatusCodes": sorted(_items(group.get("FailoverCriteria", {}).get("StatusCodes"))),
        "Members": [member["OriginId"] for member in _items(group.get("Members"))],
    }


def _geo_view(config: dict[str, Any]) -> dict[str, Any]:
    geo = config.get("Restrictions", {}).get("GeoRestriction", {})
    return {"type": geo.get("RestrictionType", "none"), "countries": sorted(_items(geo))}


def diff(old: dict[str, Any], new: dict[str, Any], app: Application) -> list[FieldChange]:
    """Field-by-field changes to geoproxy's parts; order-insensitive where CloudFront is."""
    changes = []
    old_origins = {o["Id"]: o for o in _items(old.get("Origins"))}
    new_origins = {o["Id"]: o for o in _items(new.get("Origins"))}
    prefix = app.origin_id
    for origin_id in sorted(set(old_origins) | set(new_origins)):
        if origin_id != prefix and not origin_id.startswith(prefix + "-"):
            continue  # not geoproxy's: apply_settings leaves it as it was
        before = _origin_view(old_origins.get(origin_id))
        after = _origin_view(new_origins.get(origin_id))
        if before != after:
            changes.append(FieldChange(f"Origins[{origin_id}]", before, after))
    old_groups = {g["Id"]: g for g in _items(old.get("OriginGroups"))}
    new_groups = {g["Id"]: g for g in _items(new.get("OriginGroups"))}
    group_id = f"{prefix}-group"
    if _group_view(old_groups.get(group_id)) != _group_view(new_groups.get(group_id)):
        changes.append(FieldChange(f"OriginGroups[{group_id}]",
                                   _group_view(old_groups.get(group_id)),
                                   _group_view(new_groups.get(group_id))))
    old_target = old.get("DefaultCacheBehavior", {}).get("TargetOriginId")
    new_target = new.get("DefaultCacheBehavior", {}).get("TargetOriginId")
    if old_target != new_target:
        changes.append(FieldChange(PATH_TARGET, old_target, new_target))
    old_aliases, new_aliases = _items(old.get("Aliases")), _items(new.get("Aliases"))
    if sorted(old_aliases) != sorted(new_aliases):
        changes.append(FieldChange(PATH_ALIASES, sorted(old_aliases), sorted(new_aliases)))
    if _geo_view(old) != _geo_view(new):
        changes.append(FieldChange(PATH_GEO, _geo_view(old), _geo_view(new)))
    changes += [FieldChange(path, before, after)
                for path, before, after in association_changes(old, new)]
    return changes


def plan_distribution(app: Application, distribution: dict[str, Any], etag: str,
                      edge: tuple[str, str | None] | None = None) -> DistributionPlan:
    """`distribution` is GetDistribution's `Distribution` (config, domain name, status);
    `edge` the edge fence's function (name, ARN; ARN None when the policy has no fence)."""
    assert app.cloudfront is not None
    config = distribution["DistributionConfig"]
    edge_problems: list[str] = []
    new_config = apply_settings(config, app, edge, edge_problems)
    changes = diff(config, new_config, app)
    plan = DistributionPlan(app.name, app.cloudfront.distribution_id, etag,
                            distribution["DomainName"].rstrip("."),
                            bool(config.get("IsIPV6Enabled", False)),
                            distribution.get("Status", ""), changes,
                            new_config if changes else {}, config)
    removed = ({o["Id"] for o in _items(config.get("Origins"))}
               | {g["Id"] for g in _items(config.get("OriginGroups"))}) - (
        {o["Id"] for o in _items(new_config.get("Origins"))}
        | {g["Id"] for g in _items(new_config.get("OriginGroups"))})
    plan.problems = [
        f"{app.name}: cache behaviour {behaviour.get('PathPattern')} targets "
        f"{behaviour['TargetOriginId']}, which geoproxy would remove; point it elsewhere first"
        for behaviour in _items(config.get("CacheBehaviors"))
        if behaviour.get("TargetOriginId") in removed]
    plan.problems += _group_method_problems(app, new_config)
    plan.problems += edge_problems
    shielded = origin_shield_regions(app, new_config)
    if shielded:
        (plan.warnings if app.cloudfront.origin_shield == "allow" else plan.problems).append(
            _origin_shield_message(app, shielded))
    plan.arn = distribution.get("ARN")
    plan.edge = edge
    plan.live_aliases = live_aliases(distribution)
    plan.application = app
    plan.aliases_added = sorted(set(app.cloudfront.aliases) - set(plan.live_aliases))
    return plan


def origin_shield_regions(app: Application, config: dict[str, Any]) -> dict[str, str]:
    """Origin id -> Origin Shield region, for geoproxy's origins on which it is enabled.

    geoproxy keeps an existing origin's OriginShield as it finds it (it is not one of the
    fields it manages), so a shield someone enabled stays; this finds it."""
    origin_id, direct_id, _ = _origin_ids(app)
    ours = {origin_id} | ({direct_id} if direct_id else set())
    return {origin["Id"]: str((origin.get("OriginShield") or {}).get("OriginShieldRegion", "?"))
            for origin in _items(config.get("Origins"))
            if origin["Id"] in ours and (origin.get("OriginShield") or {}).get("Enabled")}


def _origin_shield_message(app: Application, shielded: dict[str, str]) -> str:
    """Why Origin Shield on geoproxy's origin defeats it. CloudFront API Reference,
    OriginShield: "When it's enabled, CloudFront routes all requests through Origin Shield";
    OriginShieldRegion is "The AWS Region for Origin Shield". So every cache miss reaches
    the origin name from the shield's region: Route 53 answers every latency question from
    there, one PoP serves every viewer, and the per-source routing map does not hold; fenced
    viewers' requests (the edge function picks their origin at the edge) are still fetched
    through, and cached in, that region."""
    where = ", ".join(f"{origin_id} (Origin Shield in {region})"
                      for origin_id, region in sorted(shielded.items()))
    assert app.cloudfront is not None
    allowed = app.cloudfront.origin_shield == "allow"
    return (f"{app.name}: Origin Shield is enabled on geoproxy's origin {where}: CloudFront "
            "routes every request through the shield's region, so Route 53 answers every "
            "latency question from there and one PoP serves all viewers (the routing map does "
            "not hold), and fenced viewers' traffic is fetched through and cached in that "
            "region; " + ("allowed by cloudfront.origin_shield: allow" if allowed else
                          "disable Origin Shield on that origin, or set "
                          "cloudfront.origin_shield: allow to accept this"))


# CloudFront refuses a behaviour on an origin group that allows more than these (Developer
# Guide, "Optimize high availability with CloudFront origin failover"); found before any
# write, not by UpdateDistribution after the Route 53 phase.
GROUP_METHODS = ("GET", "HEAD", "OPTIONS")


def _group_method_problems(app: Application, config: dict[str, Any]) -> list[str]:
    groups = {group["Id"] for group in _items(config.get("OriginGroups"))}
    problems = []
    for behaviour in (config.get("DefaultCacheBehavior") or {},
                      *_items(config.get("CacheBehaviors"))):
        methods = _items(behaviour.get("AllowedMethods")) or ["GET", "HEAD"]
        if behaviour.get("TargetOriginId") in groups and not set(methods) <= set(GROUP_METHODS):
            where = (f"cache behaviour {behaviour['PathPattern']}" if "PathPattern" in behaviour
                     else "the default behaviour")
            extra = ", ".join(m for m in methods if m not in GROUP_METHODS)
            problems.append(
                f"{app.name}: origin_failover puts {where} on an origin group, and CloudFront "
                f"allows only {', '.join(GROUP_METHODS)} there, but it allows {extra} too; "
                "set its allowed methods to GET and HEAD (and OPTIONS), or drop "
                "origin_failover")
    return problems


def live_aliases(distribution: dict[str, Any]) -> list[str]:
    return [alias.lower().rstrip(".") for alias in
            _items(distribution["DistributionConfig"].get("Aliases"))]


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
    return [alias.lower().rstrip(".") for alias in _items(config.get("Aliases"))]
