"""CloudFront optimistic locking, which moto 5.2 does not enforce.

moto keeps one ETag per distribution forever and accepts any non-empty IfMatch, so a CLI that
sends a stale ETag (or forgets to re-read after an update) would pass against it. Real CloudFront
issues a new ETag on every update and answers a stale IfMatch with 412 PreconditionFailed.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

from moto.cloudfront.exceptions import InvalidIfMatchVersion, NoSuchDistribution
from moto.cloudfront.models import (
    CloudFrontBackend,
    Distribution,
    DistributionConfig,
    random_id,
)
from moto.core.exceptions import ServiceException


class PreconditionFailed(ServiceException):
    code = "PreconditionFailed"  # HTTP 412, taken by moto's serializer from botocore's model
    message = "The request failed because it didn't meet the preconditions in one or more fields."


class IllegalUpdate(ServiceException):
    code = "IllegalUpdate"
    message = "The update contains modifications that are not allowed: CallerReference."


def _current(backend: CloudFrontBackend, dist_id: str, if_match: str | None) -> Distribution:
    dist = backend.distributions.get(dist_id)
    if dist is None:
        raise NoSuchDistribution()
    if not if_match:
        raise InvalidIfMatchVersion()
    if if_match != dist.etag:
        raise PreconditionFailed()
    return dist


class InvalidArgument(ServiceException):
    code = "InvalidArgument"


# A behaviour that targets an origin group may allow only GET, HEAD and OPTIONS: CloudFront
# Developer Guide, "Optimize high availability with CloudFront origin failover" ("you can
# use origin failover only with ... GET, HEAD, or OPTIONS"); CreateDistribution and
# UpdateDistribution refuse anything else. moto accepts it.
GROUP_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _group_methods_problem(config: dict[str, Any], groups: dict[str, Any]) -> str | None:
    behaviours = [config.get("DefaultCacheBehavior") or {},
                  *((config.get("CacheBehaviors") or {}).get("Items") or [])]
    for behaviour in behaviours:
        methods = set((behaviour.get("AllowedMethods") or {}).get("Items") or ["GET", "HEAD"])
        if behaviour.get("TargetOriginId") in groups and not methods <= GROUP_METHODS:
            return ("AllowedMethods cannot include POST, PUT, PATCH, or DELETE for a cached "
                    "behavior associated with an origin group.")
    return None


def _group_targets_allowed(original: Any) -> Any:
    """CloudFront lets a cache behaviour target an origin group; moto only accepts origins."""

    def init(self: DistributionConfig, config: dict[str, Any]) -> None:
        behaviour = config.get("DefaultCacheBehavior") or {}
        groups = {group["Id"]: group
                  for group in (config.get("OriginGroups") or {}).get("Items") or []}
        if problem := _group_methods_problem(config, groups):
            raise InvalidArgument(problem)
        target = behaviour.get("TargetOriginId")
        if target not in groups:
            original(self, config)
            return
        members = groups[target]["Members"]["Items"]
        origins = {origin["Id"] for origin in config["Origins"]["Items"]}
        if not all(member["OriginId"] in origins for member in members):
            original(self, config)  # let moto reject it
            return
        behaviour["TargetOriginId"] = members[0]["OriginId"]
        original(self, config)
        self.DefaultCacheBehavior.target_origin_id = target  # type: ignore[attr-defined]

    return init


def cloudfront_patches() -> list[Any]:
    """Patchers (not yet started) for the backend; the server starts and stops them."""
    original_update = CloudFrontBackend.update_distribution
    original_delete = CloudFrontBackend.delete_distribution

    def update_distribution(
        self: CloudFrontBackend, dist_config: dict[str, Any], _id: str, if_match: str | None
    ) -> tuple[Distribution, str, str]:
        dist = _current(self, _id, if_match)
        if (
            dist_config
            and dist_config.get("CallerReference") != dist.distribution_config.caller_reference
        ):
            raise IllegalUpdate()
        original_update(self, dist_config, _id, if_match)
        dist.etag = random_id()  # every accepted update is a new version
        return dist, dist.location, dist.etag

    def delete_distribution(self: CloudFrontBackend, distribution_id: str, if_match: str) -> None:
        _current(self, distribution_id, if_match)
        original_delete(self, distribution_id, if_match)

    return [
        # ListDistributions' summaries carry each distribution's Aliases in CloudFront; moto
        # leaves them out, which would hide "alias already used by another distribution".
        mock.patch.object(Distribution, "aliases",
                          property(lambda self: self.distribution_config.Aliases), create=True),
        mock.patch.object(DistributionConfig, "__init__",
                          _group_targets_allowed(DistributionConfig.__init__)),
        mock.patch.object(CloudFrontBackend, "update_distribution", update_distribution),
        mock.patch.object(CloudFrontBackend, "delete_distribution", delete_distribution),
    ]
