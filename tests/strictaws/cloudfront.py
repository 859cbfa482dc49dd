"""CloudFront optimistic locking, which moto 5.2 does not enforce.

moto keeps one ETag per distribution forever and accepts any non-empty IfMatch, so a CLI that
sends a stale ETag (or forgets to re-read after an update) would pass against it. Real CloudFront
issues a new ETag on every update and answers a stale IfMatch with 412 PreconditionFailed.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

from moto.cloudfront.exceptions import InvalidIfMatchVersion, NoSuchDistribution
from moto.cloudfront.models import CloudFrontBackend, Distribution, random_id
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
        mock.patch.object(CloudFrontBackend, "update_distribution", update_distribution),
        mock.patch.object(CloudFrontBackend, "delete_distribution", delete_distribution),
    ]
