"""CloudFront semantics moto 5.2 lacks: optimistic locking, aliases, ListConflictingAliases.

moto keeps one ETag per distribution forever and accepts any non-empty IfMatch, so a CLI that
sends a stale ETag (or forgets to re-read after an update) would pass against it. Real CloudFront
issues a new ETag on every update and answers a stale IfMatch with 412 PreconditionFailed.

moto also lets any number of distributions carry the same alias, on any certificate or none
(the certificate rules are in certificates.py), and has no ListConflictingAliases at all.

And moto drops every cache behaviour's FunctionAssociations and LambdaFunctionAssociations and
accepts any CachePolicyId: here they are kept as sent, and checked against the functions and
policies the strict layer serves (cloudfront_functions.py, cloudfront_policies.py).
"""

from __future__ import annotations

import copy
import hashlib
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from unittest import mock
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from moto.cloudfront.exceptions import InvalidIfMatchVersion, NoSuchDistribution
from moto.cloudfront.models import (
    CloudFrontBackend,
    Distribution,
    DistributionConfig,
    cloudfront_backends,
    random_id,
)
from moto.core.exceptions import ServiceException

from .certificates import (
    InvalidViewerCertificate,
    aliases_overlap,
    certificate_covers,
    certificate_names,
    check_viewer_certificate,
    stored_viewer_certificate,
)
from .cloudfront_api import (
    STATE_LOCK,
    InvalidArgument,
    PreconditionFailed,
    account_of,
    listed,
    quantity,
)
from .cloudfront_functions import behaviours, check_function_associations, stored_behaviours
from .cloudfront_policies import check_policy_ids
from .middleware import error_response
from .opnames import service_from_auth, service_model

# A distribution in another AWS account, as ListConflictingAliases shows the foreign aliases.
FOREIGN_ACCOUNT_ID = "111122223333"


@dataclass
class AliasRegistry:
    """What CloudFront knows beyond this account: aliases that distributions in other AWS
    accounts already carry (the server's `foreign_aliases` knob)."""

    foreign_aliases: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def foreign(self) -> list[str]:
        with self.lock:
            return sorted(alias.lower() for alias in self.foreign_aliases)


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


class CNAMEAlreadyExists(ServiceException):
    code = "CNAMEAlreadyExists"  # HTTP 409, from botocore's model
    # CloudFront's own message, as its API returns it (quoted in many public bug reports).
    message = (
        "One or more of the CNAMEs you provided are already associated with a different resource."
    )


def _aliases(aliases: dict[str, Any] | None) -> list[str]:
    """The names in an Aliases element ({"Quantity": n, "Items": [...]}), lower-cased."""
    return [alias.lower() for alias in (aliases or {}).get("Items") or []]


def _check_aliases(
    backend: CloudFrontBackend, registry: AliasRegistry, config: dict[str, Any], own_id: str | None
) -> None:
    """The certificate must cover every alias (certificates.py), and no alias may be taken.

    Developer Guide, "Use custom URLs by adding alternate domain names (CNAMEs)", restrictions:
    "You cannot add an alternate domain name to a CloudFront distribution if the alternate
    domain name already exists in another CloudFront distribution, even if your AWS account
    owns the other distribution"; an overlapping wildcard is fine only "as long as both
    distributions were created by using the same AWS account".
    """
    aliases = _aliases(config.get("Aliases"))
    check_viewer_certificate(backend.account_id, config.get("ViewerCertificate"), aliases)
    for other in backend.distributions.values():
        taken = _aliases(other.distribution_config.Aliases)  # type: ignore[attr-defined]
        if other.distribution_id != own_id and set(taken) & set(aliases):
            raise CNAMEAlreadyExists()
    foreign = registry.foreign()
    if any(aliases_overlap(alias, theirs) for alias in aliases for theirs in foreign):
        raise CNAMEAlreadyExists()


# A behaviour that targets an origin group may allow only GET, HEAD and OPTIONS: CloudFront
# Developer Guide, "Optimize high availability with CloudFront origin failover" ("you can
# use origin failover only with ... GET, HEAD, or OPTIONS"); CreateDistribution and
# UpdateDistribution refuse anything else. moto accepts it.
GROUP_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _group_methods_problem(config: dict[str, Any], groups: dict[str, Any]) -> str | None:
    behaviours = [
        config.get("DefaultCacheBehavior") or {},
        *((config.get("CacheBehaviors") or {}).get("Items") or []),
    ]
    for behaviour in behaviours:
        methods = set((behaviour.get("AllowedMethods") or {}).get("Items") or ["GET", "HEAD"])
        if behaviour.get("TargetOriginId") in groups and not methods <= GROUP_METHODS:
            return (
                "AllowedMethods cannot include POST, PUT, PATCH, or DELETE for a cached "
                "behavior associated with an origin group."
            )
    return None


def _group_targets_allowed(original: Any) -> Any:
    """CloudFront lets a cache behaviour target an origin group; moto only accepts origins."""

    def init(self: DistributionConfig, config: dict[str, Any]) -> None:
        behaviour = config.get("DefaultCacheBehavior") or {}
        groups = {
            group["Id"]: group for group in (config.get("OriginGroups") or {}).get("Items") or []
        }
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


def _viewer_certificate_kept(original: Any) -> Any:
    """Keep ViewerCertificate as sent; moto replaces it with its own default-certificate one."""

    def init(self: DistributionConfig, config: dict[str, Any]) -> None:
        sent = copy.deepcopy(config.get("ViewerCertificate"))
        original(self, config)
        self.ViewerCertificate = stored_viewer_certificate(sent)  # type: ignore[attr-defined]

    return init


def _edge_functions_kept(original: Any) -> Any:
    """Keep each behaviour's FunctionAssociations and LambdaFunctionAssociations as sent; moto
    replaces both with {"Quantity": 0}, which would hide a function geoproxy does not own."""

    def init(self: DistributionConfig, config: dict[str, Any]) -> None:
        sent = [
            copy.deepcopy(
                (behaviour.get("FunctionAssociations"), behaviour.get("LambdaFunctionAssociations"))
            )
            for behaviour in behaviours(config)
        ]
        original(self, config)
        for behaviour, (functions, lambdas) in zip(stored_behaviours(self), sent, strict=False):
            behaviour.function_associations = quantity(listed(functions, "FunctionAssociations"))
            behaviour.lambda_function_associations = quantity(
                listed(lambdas, "LambdaFunctionAssociations")
            )

    return init


def _check_edge(backend: CloudFrontBackend, config: dict[str, Any]) -> None:
    """What a behaviour refers to must exist: published functions, existing policies. Called
    under STATE_LOCK, held until the distribution is stored, so that a DeleteFunction cannot
    remove a function between this check and the write."""
    check_function_associations(backend, config)
    check_policy_ids(backend, config)


def aws_distribution_arn(arn: str) -> str:
    """CloudFront is global, so its ARNs have an empty region field:
    `arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE` (Service Authorization
    Reference, Amazon CloudFront, resource type `distribution`). moto writes the account where
    the region goes (`arn:aws:cloudfront:123456789012:distribution/...`); geoproxy reads the
    account from it (the edge function lives in the distribution's account)."""
    parts = arn.split(":", 5)
    if len(parts) == 5 and parts[3].isdigit():  # arn, partition, service, account, resource
        return ":".join([*parts[:3], "", *parts[3:]])
    return arn


def cloudfront_patches(registry: AliasRegistry) -> list[Any]:
    """Patchers (not yet started) for the backend; the server starts and stops them.

    Long on purpose: each replacement is a closure over `registry` and the moto original it
    wraps, and they are patched as one set, so they stay side by side."""
    original_update = CloudFrontBackend.update_distribution
    original_delete = CloudFrontBackend.delete_distribution
    original_create = CloudFrontBackend.create_distribution_with_tags

    def create_distribution_with_tags(
        self: CloudFrontBackend, distribution_config: dict[str, Any], tags: list[dict[str, str]]
    ) -> tuple[Distribution, str, str]:
        _check_aliases(self, registry, distribution_config, own_id=None)
        with STATE_LOCK:
            _check_edge(self, distribution_config)
            dist, location, etag = original_create(self, distribution_config, tags)
            dist.arn = aws_distribution_arn(dist.arn)
            return dist, location, etag

    def update_distribution(
        self: CloudFrontBackend, dist_config: dict[str, Any], _id: str, if_match: str | None
    ) -> tuple[Distribution, str, str]:
        dist = _current(self, _id, if_match)
        if (
            dist_config
            and dist_config.get("CallerReference") != dist.distribution_config.caller_reference
        ):
            raise IllegalUpdate()
        _check_aliases(self, registry, dist_config, own_id=_id)
        with STATE_LOCK:
            _check_edge(self, dist_config)
            # moto annotates if_match as bool; it is the IfMatch header (an ETag) or None.
            original_update(self, dist_config, _id, if_match)  # type: ignore[arg-type]
        dist.etag = random_id()  # every accepted update is a new version
        return dist, dist.location, dist.etag

    def delete_distribution(self: CloudFrontBackend, distribution_id: str, if_match: str) -> None:
        _current(self, distribution_id, if_match)
        # moto annotates if_match as bool; it is the IfMatch header (an ETag).
        original_delete(self, distribution_id, if_match)  # type: ignore[arg-type]

    return [
        # ListDistributions' summaries carry each distribution's Aliases in CloudFront; moto
        # leaves them out, which would hide "alias already used by another distribution".
        mock.patch.object(
            Distribution,
            "aliases",
            property(lambda self: self.distribution_config.Aliases),
            create=True,
        ),
        # ... and so do they carry its ViewerCertificate.
        mock.patch.object(
            Distribution,
            "viewer_certificate",
            property(lambda self: self.distribution_config.ViewerCertificate),
            create=True,
        ),
        # ... and its cache behaviours (botocore's DistributionSummary requires both), with the
        # functions and policies they use.
        mock.patch.object(
            Distribution,
            "default_cache_behavior",
            property(lambda self: self.distribution_config.DefaultCacheBehavior),
            create=True,
        ),
        mock.patch.object(
            Distribution,
            "cache_behaviors",
            property(lambda self: self.distribution_config.CacheBehaviors),
            create=True,
        ),
        mock.patch.object(
            DistributionConfig,
            "__init__",
            _edge_functions_kept(
                _viewer_certificate_kept(_group_targets_allowed(DistributionConfig.__init__))
            ),
        ),
        mock.patch.object(
            CloudFrontBackend, "create_distribution_with_tags", create_distribution_with_tags
        ),
        mock.patch.object(CloudFrontBackend, "update_distribution", update_distribution),
        mock.patch.object(CloudFrontBackend, "delete_distribution", delete_distribution),
    ]


# -- ListConflictingAliases ----------------------------------------------------------------------
# moto has no route for GET /2020-05-31/conflicting-alias (its server answers 404), so a WSGI
# layer in front of moto's app serves it from moto's CloudFront backend and the registry.
CONFLICTING_ALIAS_PATH = "/2020-05-31/conflicting-alias"
MAX_ITEMS = 100  # botocore's model: listConflictingAliasesMaxItemsInteger, max 100


def mask_account(account_id: str) -> str:
    """'123456789012' -> '******789012', as in the Developer Guide's example response
    ("Find the source standard distribution", list-conflicting-aliases)."""
    return "*" * 6 + account_id[-6:]


def mask_distribution(distribution_id: str) -> str:
    """'EDFDVBD6EXAMPLE' -> '*******EXAMPLE', as in the same example."""
    return "*" * 7 + distribution_id[-7:]


def foreign_distribution_id(alias: str) -> str:
    """A stable id for the other account's distribution that holds `alias`."""
    return "E" + hashlib.sha256(alias.encode()).hexdigest().upper()[:13]


def conflicting_aliases(
    registry: AliasRegistry, account_id: str, query: dict[str, str]
) -> dict[str, Any]:
    """ListConflictingAliases (API Reference): the aliases that equal or overlap `Alias`, each
    with its distribution and account ids partially hidden, in every account. The distribution
    named must be in this account and its certificate must cover `Alias`."""
    dist_id, alias = query.get("DistributionId", ""), query.get("Alias", "").lower()
    if not dist_id or not alias:
        raise InvalidArgument("DistributionId and Alias are required.")
    backend = cloudfront_backends[account_id]["aws"]
    dist = backend.distributions.get(dist_id)
    if dist is None:
        raise NoSuchDistribution()
    try:
        names = certificate_names(account_id, dist.distribution_config.ViewerCertificate)  # type: ignore[attr-defined]
    except InvalidViewerCertificate:
        names = None  # a certificate deleted since: it covers nothing
    if not any(certificate_covers(name, alias) for name in names or []):
        # Our wording: the API Reference documents the rule, not CloudFront's message.
        raise InvalidArgument(
            f"The SSL/TLS certificate attached to distribution {dist_id} "
            f"doesn't cover the alias {alias}."
        )
    try:
        max_items = int(query.get("MaxItems") or MAX_ITEMS)
        start = int(query.get("Marker") or 0)
    except ValueError:
        raise InvalidArgument("MaxItems and Marker must be the values this API returns.") from None
    if not 1 <= max_items <= MAX_ITEMS or start < 0:
        raise InvalidArgument(f"MaxItems must be between 1 and {MAX_ITEMS}.")
    found = [
        (theirs, other.distribution_id, account_id)
        for other in backend.distributions.values()
        for theirs in _aliases(other.distribution_config.Aliases)  # type: ignore[attr-defined]
        if aliases_overlap(alias, theirs)
    ]
    found += [
        (theirs, foreign_distribution_id(theirs), FOREIGN_ACCOUNT_ID)
        for theirs in registry.foreign()
        if aliases_overlap(alias, theirs)
    ]
    found.sort()
    page = found[start : start + max_items]
    result: dict[str, Any] = {
        "MaxItems": max_items,
        "Quantity": len(page),
        "Items": [
            {
                "Alias": theirs,
                "DistributionId": mask_distribution(owner_dist),
                "AccountId": mask_account(owner_account),
            }
            for theirs, owner_dist, owner_account in page
        ],
    }
    if start + max_items < len(found):
        result["NextMarker"] = str(start + max_items)  # opaque to clients, as CloudFront's is
    return result


def _xml(result: dict[str, Any]) -> bytes:
    """The rest-xml body botocore parses into ListConflictingAliasesResult."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ConflictingAliasesList xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">'
    ]
    if "NextMarker" in result:
        parts.append(f"<NextMarker>{escape(result['NextMarker'])}</NextMarker>")
    parts.append(
        f"<MaxItems>{result['MaxItems']}</MaxItems><Quantity>{result['Quantity']}</Quantity>"
    )
    if result["Items"]:  # CloudFront leaves Items out of an empty list
        parts.append("<Items>")
        parts += [
            f"<ConflictingAlias><Alias>{escape(item['Alias'])}</Alias>"
            f"<DistributionId>{item['DistributionId']}</DistributionId>"
            f"<AccountId>{item['AccountId']}</AccountId></ConflictingAlias>"
            for item in result["Items"]
        ]
        parts.append("</Items>")
    parts.append("</ConflictingAliasesList>")
    return "".join(parts).encode()


class ConflictingAliasesApp:
    """WSGI app: ListConflictingAliases here, every other request to moto's app."""

    def __init__(self, app: Callable[..., Iterable[bytes]], registry: AliasRegistry) -> None:
        self.app = app
        self.registry = registry

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if (
            environ["REQUEST_METHOD"] != "GET"
            or environ.get("PATH_INFO", "").rstrip("/") != CONFLICTING_ALIAS_PATH
            or service_from_auth(environ.get("HTTP_AUTHORIZATION", "")) != "cloudfront"
        ):
            return self.app(environ, start_response)
        query = {
            key: values[0]
            for key, values in parse_qs(
                environ.get("QUERY_STRING", ""), keep_blank_values=True
            ).items()
        }
        try:
            body = _xml(conflicting_aliases(self.registry, account_of(environ), query))
        except ServiceException as err:
            model = service_model("cloudfront")
            status = model.shape_for(err.code).metadata["error"]["httpStatusCode"] if model else 400
            status_line, headers, body = error_response("cloudfront", err.code, err.message, status)
            start_response(status_line, headers)
            return [body]
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/xml"),
                ("x-amzn-RequestId", str(uuid.uuid4())),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]
