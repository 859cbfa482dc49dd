"""The parts of a distribution's config that geoproxy manages, in one normal form.

Pure. CloudFront answers GetDistribution with the config it stores, not the one it was sent:
it fills in defaults (`OriginAccessControlId: ""`, `OriginShield`, timeouts, empty lists as
`{"Quantity": 0}`) and may order lists its own way. So "is my write live?" can never be
`live == sent`: a landed write would read as someone else's. Every caller that compares
configs (the field diff of a plan, the read-back after a lost UpdateDistribution answer, a
saved plan's check) goes through `view` here, which keeps only what geoproxy sets, each in a
normal form:

- its origins: `origin_id` and every `<origin_id>-...` (the direct PoP origin), with the
  custom-origin settings geoproxy writes;
- its origin group `<origin_id>-group`: failover status codes and members;
- the default behaviour's target;
- the viewer-request function of every behaviour (the edge fence's association);
- the aliases, and the geo restriction.

The certificate is not among them: geoproxy checks that it covers the aliases, never sets it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from geoproxy.core.names import GROUP_SUFFIX, origin_group_id

PATH_ALIASES = "Aliases"
PATH_GEO = "Restrictions.GeoRestriction"
PATH_TARGET = "DefaultCacheBehavior.TargetOriginId"
# The edge fence's event: the association geoproxy manages on each behaviour.
EVENT_TYPE = "viewer-request"


def items(container: dict[str, Any] | None) -> list[Any]:
    """A CloudFront list's items: `{"Quantity": 0}` and a missing list are both empty."""
    return list((container or {}).get("Items") or [])


def origin_view(origin: dict[str, Any] | None) -> dict[str, Any] | None:
    """The parts of an origin geoproxy manages, in comparable form."""
    if origin is None:
        return None
    custom = origin.get("CustomOriginConfig") or {}
    return {
        "DomainName": str(origin.get("DomainName", "")).lower().rstrip("."),
        "HTTPPort": custom.get("HTTPPort"),
        "HTTPSPort": custom.get("HTTPSPort"),
        "OriginProtocolPolicy": custom.get("OriginProtocolPolicy"),
        "OriginSslProtocols": sorted(items(custom.get("OriginSslProtocols"))),
        "OriginReadTimeout": custom.get("OriginReadTimeout"),
        "OriginKeepaliveTimeout": custom.get("OriginKeepaliveTimeout"),
        "ConnectionAttempts": origin.get("ConnectionAttempts"),
        "ConnectionTimeout": origin.get("ConnectionTimeout"),
    }


def group_view(group: dict[str, Any] | None) -> dict[str, Any] | None:
    if group is None:
        return None
    return {
        "StatusCodes": sorted(items((group.get("FailoverCriteria") or {}).get("StatusCodes"))),
        # Order matters here: the first member is the primary.
        "Members": [member["OriginId"] for member in items(group.get("Members"))],
    }


def geo_view(config: dict[str, Any]) -> dict[str, Any]:
    geo = (config.get("Restrictions") or {}).get("GeoRestriction") or {}
    return {"type": geo.get("RestrictionType", "none"), "countries": sorted(items(geo))}


def aliases_view(config: dict[str, Any]) -> list[str]:
    return sorted(alias.lower().rstrip(".") for alias in items(config.get("Aliases")))


def behaviours(config: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(label for people, config path, behaviour) for the default behaviour and each cache
    behaviour, in the config's order."""
    found = [
        ("the default behaviour", "DefaultCacheBehavior", config.get("DefaultCacheBehavior") or {})
    ]
    for behaviour in items(config.get("CacheBehaviors")):
        pattern = behaviour.get("PathPattern")
        found.append((f"cache behaviour {pattern}", f"CacheBehaviors[{pattern}]", behaviour))
    return found


def viewer_function(behaviour: dict[str, Any]) -> str | None:
    """The function ARN on a behaviour's viewer-request event."""
    for item in items(behaviour.get("FunctionAssociations")):
        if item.get("EventType") == EVENT_TYPE:
            return str(item["FunctionARN"])
    return None


def is_managed_origin(origin_id: str, managed: str) -> bool:
    """Whether an origin or group id is geoproxy's: its origin id, or one of its `-...` ids."""
    return origin_id == managed or origin_id.startswith(managed + "-")


def shielded_origins(config: dict[str, Any], origin_id: str) -> dict[str, str]:
    """geoproxy's origins with Origin Shield enabled -> the shield's region. Not a field
    geoproxy writes, but one it must see: a shield asks every latency question from one
    region (core.cloudfront says why that is refused)."""
    return {
        origin["Id"]: str((origin.get("OriginShield") or {}).get("OriginShieldRegion", "?"))
        for origin in items(config.get("Origins"))
        if is_managed_origin(origin["Id"], origin_id)
        and (origin.get("OriginShield") or {}).get("Enabled")
    }


@dataclass(frozen=True)
class FieldChange:
    path: str  # where in DistributionConfig, e.g. "Origins[geoproxy-shop]" or "Aliases"
    old: Any
    new: Any


def _keyed(config: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    return {entry["Id"]: entry for entry in items(config.get(key))}


def _compare(
    path: str, view: Callable[[dict[str, Any]], Any], old: dict[str, Any], new: dict[str, Any]
) -> list[FieldChange]:
    before, after = view(old), view(new)
    return [] if before == after else [FieldChange(path, before, after)]


def differences(old: dict[str, Any], new: dict[str, Any], origin_id: str) -> list[FieldChange]:
    """Field-by-field changes to geoproxy's parts of a distribution whose origin id is
    `origin_id`; order-insensitive where CloudFront is, blind to defaults CloudFront fills."""
    changes = []
    old_origins, new_origins = _keyed(old, "Origins"), _keyed(new, "Origins")
    for oid in sorted(set(old_origins) | set(new_origins)):
        if is_managed_origin(oid, origin_id):

            def view(config: dict[str, Any], oid: str = oid) -> Any:
                return origin_view(_keyed(config, "Origins").get(oid))

            changes += _compare(f"Origins[{oid}]", view, old, new)
    group_id = origin_group_id(origin_id)
    changes += _compare(
        f"OriginGroups[{group_id}]",
        lambda c: group_view(_keyed(c, "OriginGroups").get(group_id)),
        old,
        new,
    )
    changes += _compare(
        PATH_TARGET, lambda c: (c.get("DefaultCacheBehavior") or {}).get("TargetOriginId"), old, new
    )
    changes += _compare(PATH_ALIASES, aliases_view, old, new)
    changes += _compare(PATH_GEO, geo_view, old, new)

    def functions(config: dict[str, Any]) -> dict[str, str | None]:
        return {
            f"{path}.FunctionAssociations": viewer_function(behaviour)
            for _, path, behaviour in behaviours(config)
        }

    before, after = functions(old), functions(new)
    changes += [
        FieldChange(path, before.get(path), after.get(path))
        for path in sorted(set(before) | set(after))
        if before.get(path) != after.get(path)
    ]
    return changes


def written(live: dict[str, Any], sent: dict[str, Any], origin_id: str) -> bool:
    """Whether every part geoproxy manages of the config it `sent` is live: after a lost or
    refused answer, "my write landed"; anything else is someone else's change."""
    return not differences(live, sent, origin_id)


def origin_id_of(config: dict[str, Any]) -> str:
    """geoproxy's origin id in a config it wrote, for saved plans made before they carried it:
    the default behaviour targets it, or its group, whose first member it is."""
    target = str((config.get("DefaultCacheBehavior") or {}).get("TargetOriginId", ""))
    group = _keyed(config, "OriginGroups").get(target)
    if group is not None and target.endswith(GROUP_SUFFIX):
        members = [member["OriginId"] for member in items(group.get("Members"))]
        if members and target == members[0] + GROUP_SUFFIX:
            return str(members[0])
    return target


def _without_viewer_function(behaviour: dict[str, Any]) -> dict[str, Any]:
    """A behaviour without geoproxy's viewer-request association (and the `Quantity` its
    list carries, which moves with it): what is left is someone else's."""
    others = [
        item
        for item in items(behaviour.get("FunctionAssociations"))
        if item.get("EventType") != EVENT_TYPE
    ]
    rest = {key: value for key, value in behaviour.items() if key != "FunctionAssociations"}
    rest["FunctionAssociations"] = sorted(others, key=repr)
    return rest


def unmanaged_view(config: dict[str, Any], origin_id: str) -> dict[str, Any]:
    """Everything in a distribution config that geoproxy does NOT manage, in comparable form:
    a saved plan's `new_config` must equal the config it expects here (so an edited plan
    cannot change `WebACLId`, `ViewerCertificate`, `Logging` or another origin). Lists are
    keyed by id and their `Quantity` left out, because geoproxy's own entries change them."""
    group_id = origin_group_id(origin_id)
    view = {
        key: value
        for key, value in config.items()
        if key
        not in ("Origins", "OriginGroups", "Aliases", "DefaultCacheBehavior", "CacheBehaviors")
    }
    view["Origins"] = {
        oid: origin
        for oid, origin in _keyed(config, "Origins").items()
        if not is_managed_origin(oid, origin_id)
    }
    view["OriginGroups"] = {
        gid: group for gid, group in _keyed(config, "OriginGroups").items() if gid != group_id
    }
    default = dict(config.get("DefaultCacheBehavior") or {})
    default.pop("TargetOriginId", None)
    view["DefaultCacheBehavior"] = _without_viewer_function(default)
    view["CacheBehaviors"] = {
        str(behaviour.get("PathPattern")): _without_viewer_function(behaviour)
        for behaviour in items(config.get("CacheBehaviors"))
    }
    restrictions = dict(config.get("Restrictions") or {})
    restrictions.pop("GeoRestriction", None)
    view["Restrictions"] = restrictions
    return view


def unmanaged_differences(old: dict[str, Any], new: dict[str, Any], origin_id: str) -> list[str]:
    """The top-level fields (or `Origins[id]`, `CacheBehaviors[pattern]`) where `new` differs
    from `old` outside geoproxy's fields: empty for every config geoproxy computes."""
    before, after = unmanaged_view(old, origin_id), unmanaged_view(new, origin_id)
    found = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) == after.get(key):
            continue
        inner_before, inner_after = before.get(key), after.get(key)
        if (
            key in ("Origins", "OriginGroups", "CacheBehaviors")
            and isinstance(inner_before, dict)
            and isinstance(inner_after, dict)
        ):
            found += [
                f"{key}[{inner}]"
                for inner in sorted(set(inner_before) | set(inner_after))
                if inner_before.get(inner) != inner_after.get(inner)
            ]
        else:
            found.append(key)
    return found
