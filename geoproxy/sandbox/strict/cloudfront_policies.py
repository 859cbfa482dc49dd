"""Cache policies and origin request policies, which moto 5.2 does not have (404).

Why they matter to geoproxy: CloudFront adds its `CloudFront-Viewer-Country` header to a request
only when the cache behaviour's cache policy or origin request policy includes it, and a
viewer-request function sees the header only then. Without it every viewer looks unfenced and
the edge fence silently does nothing, so geoproxy reads the behaviour's policies before it
publishes a fence. The emulator serves AWS's managed policies with their documented ids and
settings, lets tests create custom ones (with or without the header), and refuses a behaviour
that names a policy that does not exist.

Docs cited below:
- [HDR]  Developer Guide, "Add CloudFront request headers" (adding-cloudfront-headers.html):
         CloudFront adds these headers to the requests it forwards "to your origin or edge
         function"; a cache policy puts them in the cache key, an origin request policy sends
         them without. aws-samples/amazon-cloudfront-functions, select-origin-based-on-country:
         "For the geolocation or device detection headers to appear in the request object
         within a function, you must allow these headers ... in a CloudFront origin request
         policy or cache policy."
- [MCP]  Developer Guide, "Use managed cache policies" (using-managed-cache-policies.html).
- [MOR]  Developer Guide, "Use managed origin request policies"
         (using-managed-origin-request-policies.html). Earlier versions of both pages give the
         API names with a "Managed-" prefix ("Name: Managed-UserAgentRefererHeaders").
- [API]  API Reference: CachePolicyConfig ("The comment cannot be longer than 128
         characters"; DefaultTTL defaults to 86400, MaxTTL to 31536000),
         OriginRequestPolicyConfig, List/Get/Create/Update/DeleteCachePolicy and
         ...OriginRequestPolicy, and their error shapes.
- [QUO]  Developer Guide, "Quotas", #limits-policies: 20 custom cache policies and 20 custom
         origin request policies per account (managed ones do not count); 10 headers per
         cache policy and per origin request policy.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from moto.cloudfront.models import CloudFrontBackend
from moto.core.exceptions import ServiceException

from .cloudfront_api import (
    API,
    Handler,
    InvalidArgument,
    backend_state,
    check_if_match,
    cloudfront_error,
    listed,
    new_etag,
    page,
    quantity,
)
from .cloudfront_functions import behaviours, stored_behaviours

MAX_CUSTOM = 20  # [QUO]
MAX_HEADERS = 10  # [QUO]
MAX_COMMENT = 128  # [API]
# The pages give no dates or ETags for managed policies: any fixed values do.
MANAGED_MODIFIED = datetime.datetime(2020, 7, 24, tzinfo=datetime.timezone.utc)
MANAGED_ETAG = "E23ZP02F085DFQ"


def _names(behaviour: str, names: list[str] | None = None, key: str = "Headers") -> dict[str, Any]:
    """A HeadersConfig/CookiesConfig/QueryStringsConfig: {XBehavior, Xs: {Quantity, Items}}."""
    result: dict[str, Any] = {f"{key[:-1]}Behavior": behaviour}  # Headers -> HeaderBehavior
    if names:
        result[key] = quantity(names)
    return result


def _cache(
    name: str,
    comment: str,
    ttl: tuple[int, int, int],
    headers: list[str] | None = None,
    cookies: str = "none",
    queries: str | list[str] = "none",
    gzip: bool = True,
    brotli: bool = True,
) -> dict[str, Any]:
    minimum, maximum, default = ttl
    query = (
        _names("whitelist", queries, "QueryStrings")
        if isinstance(queries, list)
        else _names(queries, key="QueryStrings")
    )
    return {
        "Name": f"Managed-{name}",
        "Comment": comment,
        "MinTTL": minimum,
        "MaxTTL": maximum,
        "DefaultTTL": default,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": gzip,
            "EnableAcceptEncodingBrotli": brotli,
            "HeadersConfig": _names("whitelist" if headers else "none", headers),
            "CookiesConfig": _names(cookies, key="Cookies"),
            "QueryStringsConfig": query,
        },
    }


YEAR, DAY = 31_536_000, 86_400
ORIGIN_CACHE_HEADERS = [
    "Host",
    "Origin",
    "X-HTTP-Method-Override",
    "X-HTTP-Method",
    "X-Method-Override",
]
# [MCP], every managed cache policy on the page: id -> settings. Comments are our summaries.
MANAGED_CACHE: dict[str, dict[str, Any]] = {
    "2e54312d-136d-493c-8eb9-b001f22f67d2": _cache(
        "Amplify",
        "For an AWS Amplify web app origin.",
        (2, 600, 2),
        ["Authorization", "CloudFront-Viewer-Country", "Host"],
        cookies="all",
        queries="all",
    ),
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": _cache(
        "CachingDisabled", "Caching disabled.", (0, 0, 0), gzip=False, brotli=False
    ),
    "658327ea-f89d-4fab-a63d-7e88639e58f6": _cache(
        "CachingOptimized",
        "Minimal cache key: no query strings, cookies or headers.",
        (1, YEAR, DAY),
    ),
    "b2884449-e4de-46a7-ac36-70bc7f1ddd6d": _cache(
        "CachingOptimizedForUncompressedObjects",
        "CachingOptimized without compression.",
        (1, YEAR, DAY),
        gzip=False,
        brotli=False,
    ),
    "08627262-05a9-4f76-9ded-b50ca2e3a84f": _cache(
        "Elemental-MediaPackage",
        "For an AWS Elemental MediaPackage origin.",
        (0, YEAR, DAY),
        ["Origin"],
        queries=["aws.manifestfilter", "start", "end", "m"],
        brotli=False,
    ),
    "83da9c7e-98b4-4e11-a168-04f0df8e2c65": _cache(
        "UseOriginCacheControlHeaders",
        "Honours the origin's Cache-Control.",
        (0, YEAR, 0),
        ORIGIN_CACHE_HEADERS,
        cookies="all",
    ),
    "4cc15a8a-d715-48a4-82b8-cc0b614638fe": _cache(
        "UseOriginCacheControlHeaders-QueryStrings",
        "Honours the origin's Cache-Control; query strings in the cache key.",
        (0, YEAR, 0),
        ORIGIN_CACHE_HEADERS,
        cookies="all",
        queries="all",
    ),
}


def _origin(
    name: str,
    comment: str,
    headers: str | list[str],
    cloudfront: list[str] | None = None,
    cookies: str = "none",
    queries: str = "none",
) -> dict[str, Any]:
    header = (
        _names("whitelist", headers) if isinstance(headers, list) else _names(headers, cloudfront)
    )
    return {
        "Name": f"Managed-{name}",
        "Comment": comment,
        "HeadersConfig": header,
        "CookiesConfig": _names(cookies, key="Cookies"),
        "QueryStringsConfig": _names(queries, key="QueryStrings"),
    }


# [MOR]: "all CloudFront headers that were released through June 2022", as the page lists them.
CLOUDFRONT_2022_06 = [
    "CloudFront-Forwarded-Proto",
    "CloudFront-Is-Android-Viewer",
    "CloudFront-Is-Desktop-Viewer",
    "CloudFront-Is-IOS-Viewer",
    "CloudFront-Is-Mobile-Viewer",
    "CloudFront-Is-SmartTV-Viewer",
    "CloudFront-Is-Tablet-Viewer",
    "CloudFront-Viewer-Address",
    "CloudFront-Viewer-ASN",
    "CloudFront-Viewer-City",
    "CloudFront-Viewer-Country",
    "CloudFront-Viewer-Country-Name",
    "CloudFront-Viewer-Country-Region",
    "CloudFront-Viewer-Country-Region-Name",
    "CloudFront-Viewer-Http-Version",
    "CloudFront-Viewer-Latitude",
    "CloudFront-Viewer-Longitude",
    "CloudFront-Viewer-Metro-Code",
    "CloudFront-Viewer-Postal-Code",
    "CloudFront-Viewer-Time-Zone",
    "CloudFront-Viewer-TLS",
]
CORS = ["Origin", "Access-Control-Request-Headers", "Access-Control-Request-Method"]
# [MOR], id -> settings; "All headers in the viewer request" is HeaderBehavior allViewer, "...
# and the following CloudFront headers" allViewerAndWhitelistCloudFront, "except for the Host
# header" allExcept [Host] ([API] OriginRequestPolicyHeadersConfig). HostHeaderOnly (added
# in 2025) is left out: its settings could not be read from the page.
MANAGED_ORIGIN: dict[str, dict[str, Any]] = {
    "216adef6-5c7f-47e4-b989-5492eafa07d3": _origin(
        "AllViewer", "All values in the viewer request.", "allViewer", cookies="all", queries="all"
    ),
    "33f36d7e-f396-46d9-90e0-52428a34d9dc": _origin(
        "AllViewerAndCloudFrontHeaders-2022-06",
        "All viewer values and the CloudFront headers released through June 2022.",
        "allViewerAndWhitelistCloudFront",
        CLOUDFRONT_2022_06,
        cookies="all",
        queries="all",
    ),
    "b689b0a8-53d0-40ab-baf2-68738e2966ac": _origin(
        "AllViewerExceptHostHeader",
        "All viewer values except the Host header.",
        "allExcept",
        ["Host"],
        cookies="all",
        queries="all",
    ),
    "59781a5b-3903-41f3-afcb-af62929ccde1": _origin(
        "CORS-CustomOrigin", "CORS requests to a custom origin.", ["Origin"]
    ),
    "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": _origin(
        "CORS-S3Origin", "CORS requests to an Amazon S3 origin.", CORS
    ),
    "775133bc-15f2-49f9-abea-afb2e0bf67d2": _origin(
        "Elemental-MediaTailor-PersonalizedManifests",
        "For an AWS Elemental MediaTailor origin.",
        [*CORS, "User-Agent", "X-Forwarded-For"],
        queries="all",
    ),
    "acba4595-bd28-49b8-b9fe-13317c0390fa": _origin(
        "UserAgentRefererHeaders",
        "Only the User-Agent and Referer headers.",
        ["User-Agent", "Referer"],
    ),
}


# [MOR], what each managed origin request policy puts in the requests CloudFront sends on (and
# so, by [HDR], in what a viewer-request function sees), as the page describes it rather than
# as the API's HeadersConfig spells it: whether the viewer's Host goes, and which of
# CloudFront's own headers are added. The two differ for AllViewerExceptHostHeader: its API
# form is `allExcept` [Host], which by the API Reference adds no CloudFront header, while the
# page says it includes the CloudFront headers for protocol, HTTP and TLS version, device type
# and viewer location. (That section is taken from issue 23's reading of the page and the
# page as remembered: the search tool's copies stop before it. Its list is modelled as the
# June 2022 one.) geoproxy's pre-flight must agree with this table (tests/e2e/
# test_edge_preflight.py checks it for every entry).
@dataclass(frozen=True)
class Forwarded:
    host: bool  # the viewer's Host header reaches the origin
    cloudfront: tuple[str, ...] = ()  # CloudFront's headers added

    def includes(self, header: str) -> bool:
        return header.lower() in {name.lower() for name in self.cloudfront}


DOCUMENTED_ORIGIN: dict[str, Forwarded] = {
    "216adef6-5c7f-47e4-b989-5492eafa07d3": Forwarded(True),  # AllViewer
    "33f36d7e-f396-46d9-90e0-52428a34d9dc": Forwarded(True, tuple(CLOUDFRONT_2022_06)),
    "b689b0a8-53d0-40ab-baf2-68738e2966ac": Forwarded(False, tuple(CLOUDFRONT_2022_06)),
    "59781a5b-3903-41f3-afcb-af62929ccde1": Forwarded(False),  # CORS-CustomOrigin
    "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": Forwarded(False),  # CORS-S3Origin
    "775133bc-15f2-49f9-abea-afb2e0bf67d2": Forwarded(False),  # MediaTailor
    "acba4595-bd28-49b8-b9fe-13317c0390fa": Forwarded(False),  # UserAgentRefererHeaders
}
# [MCP]: the managed cache policies' headers are their API lists, Host and the country
# header included where listed (Amplify; UseOriginCacheControlHeaders*: Host).
DOCUMENTED_CACHE: dict[str, Forwarded] = {
    policy_id: Forwarded(
        any(
            h.lower() == "host"
            for h in (
                config["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"].get("Headers")
                or {}
            ).get("Items", [])
        ),
        tuple(
            h
            for h in (
                config["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"].get("Headers")
                or {}
            ).get("Items", [])
            if h.lower().startswith("cloudfront-")
        ),
    )
    for policy_id, config in MANAGED_CACHE.items()
}


@dataclass
class Policy:
    id: str
    config: dict[str, Any]
    etag: str
    modified: datetime.datetime
    managed: bool = False


@dataclass(frozen=True)
class Kind:
    """What differs between cache policies and origin request policies."""

    label: str  # "CachePolicy" / "OriginRequestPolicy": the shapes' and errors' stem
    plural: str  # "CachePolicies": ListCachePolicies, TooManyCachePolicies
    path: str  # "cache-policy": the Location's path
    managed: dict[str, dict[str, Any]]

    def error(self, suffix: str, message: str, prefix: str = "") -> ServiceException:
        return cloudfront_error(f"{prefix}{self.label}{suffix}", message)

    def store(self, backend: CloudFrontBackend) -> dict[str, Policy]:
        def seeded() -> dict[str, Policy]:
            return {
                pid: Policy(pid, config, MANAGED_ETAG, MANAGED_MODIFIED, True)
                for pid, config in self.managed.items()
            }

        return backend_state(backend, self.path, seeded)

    def get(self, backend: CloudFrontBackend, policy_id: str) -> Policy:
        found = self.store(backend).get(policy_id)
        if found is None:  # [API] NoSuchCachePolicy / NoSuchOriginRequestPolicy, 404
            raise self.error("", f"The {self.path.replace('-', ' ')} does not exist.", "NoSuch")
        return found

    def view(self, policy: Policy) -> dict[str, Any]:
        return {
            "Id": policy.id,
            "LastModifiedTime": policy.modified,
            f"{self.label}Config": policy.config,
        }

    def checked(
        self, backend: CloudFrontBackend, config: dict[str, Any], own_id: str | None
    ) -> dict[str, Any]:
        """A custom policy's config as stored, after [API]'s and [QUO]'s rules."""
        config = dict(config)
        if len(config.get("Comment") or "") > MAX_COMMENT:
            raise InvalidArgument(f"The comment cannot be longer than {MAX_COMMENT} characters.")
        parts = config.get("ParametersInCacheKeyAndForwardedToOrigin") or config
        for key, names in (
            ("HeadersConfig", "Headers"),
            ("CookiesConfig", "Cookies"),
            ("QueryStringsConfig", "QueryStrings"),
        ):
            items = listed((parts.get(key) or {}).get(names), f"{key}.{names}")
            if names == "Headers" and len(items) > MAX_HEADERS:
                raise self.error("", f"At most {MAX_HEADERS} headers.", "TooManyHeadersIn")
        if self.label == "CachePolicy":  # [API] defaults of the optional TTLs
            config.setdefault("DefaultTTL", 86_400)
            config.setdefault("MaxTTL", 31_536_000)
        name = config.get("Name")
        if any(
            p.config.get("Name") == name and not p.managed and p.id != own_id
            for p in self.store(backend).values()
        ):
            raise self.error(
                "AlreadyExists", f"A {self.path.replace('-', ' ')} named {name} already exists."
            )
        return config

    def in_use(self, backend: CloudFrontBackend, policy_id: str) -> bool:
        key = "cache_policy_id" if self.label == "CachePolicy" else "origin_request_policy_id"
        return any(
            getattr(behaviour, key, None) == policy_id
            for dist in backend.distributions.values()
            for behaviour in stored_behaviours(dist.distribution_config)
        )

    # -- the six operations ----------------------------------------------------------------
    def list(self, backend: CloudFrontBackend, params: dict[str, Any]) -> dict[str, Any]:
        wanted = params.get("Type")
        if wanted not in (None, "", "managed", "custom"):
            raise InvalidArgument("Type must be managed or custom.")
        items = [
            {"Type": "managed" if p.managed else "custom", self.label: self.view(p)}
            for p in self.store(backend).values()
            if not wanted or (wanted == "managed") == p.managed
        ]
        return {f"{self.label}List": page(items, params)}

    def read(self, backend: CloudFrontBackend, params: dict[str, Any]) -> dict[str, Any]:
        policy = self.get(backend, str(params.get("Id") or ""))
        return {self.label: self.view(policy), "ETag": policy.etag}

    def read_config(self, backend: CloudFrontBackend, params: dict[str, Any]) -> dict[str, Any]:
        policy = self.get(backend, str(params.get("Id") or ""))
        return {f"{self.label}Config": policy.config, "ETag": policy.etag}

    def create(self, backend: CloudFrontBackend, params: dict[str, Any]) -> dict[str, Any]:
        config = self.checked(backend, params.get(f"{self.label}Config") or {}, None)
        store = self.store(backend)
        if sum(not p.managed for p in store.values()) >= MAX_CUSTOM:  # [QUO]
            raise cloudfront_error(
                f"TooMany{self.plural}", f"At most {MAX_CUSTOM} custom policies."
            )
        policy = Policy(
            str(uuid.uuid4()), config, new_etag(), datetime.datetime.now(datetime.timezone.utc)
        )
        store[policy.id] = policy
        return {
            self.label: self.view(policy),
            "ETag": policy.etag,
            "Location": f"{API}/{self.path}/{policy.id}",
        }

    def update(self, backend: CloudFrontBackend, params: dict[str, Any]) -> dict[str, Any]:
        policy = self.get(backend, str(params.get("Id") or ""))
        check_if_match(params.get("IfMatch"), policy.etag)
        if policy.managed:  # the code CloudFront uses here is not documented
            raise cloudfront_error("IllegalUpdate", "A managed policy cannot be updated.")
        policy.config = self.checked(backend, params.get(f"{self.label}Config") or {}, policy.id)
        policy.etag, policy.modified = new_etag(), datetime.datetime.now(datetime.timezone.utc)
        return {self.label: self.view(policy), "ETag": policy.etag}

    def delete(self, backend: CloudFrontBackend, params: dict[str, Any]) -> dict[str, Any]:
        policy = self.get(backend, str(params.get("Id") or ""))
        if policy.managed:  # [API] IllegalDelete: "Deletion is not allowed for this entity."
            raise cloudfront_error("IllegalDelete", "Deletion is not allowed for this entity.")
        check_if_match(params.get("IfMatch"), policy.etag)
        if self.in_use(backend, policy.id):  # [API] "You cannot delete a ... policy if it's
            raise self.error(
                "InUse", "The policy is attached to one or more cache behaviors."
            )  # attached to a cache behavior"
        del self.store(backend)[policy.id]
        return {}


CACHE = Kind("CachePolicy", "CachePolicies", "cache-policy", MANAGED_CACHE)
ORIGIN = Kind(
    "OriginRequestPolicy", "OriginRequestPolicies", "origin-request-policy", MANAGED_ORIGIN
)


def _handlers(kind: Kind) -> dict[str, Handler]:
    label = kind.label
    return {
        f"List{kind.plural}": kind.list,
        f"Get{label}": kind.read,
        f"Get{label}Config": kind.read_config,
        f"Create{label}": kind.create,
        f"Update{label}": kind.update,
        f"Delete{label}": kind.delete,
    }


HANDLERS: dict[str, Handler] = {**_handlers(CACHE), **_handlers(ORIGIN)}


def check_policy_ids(backend: CloudFrontBackend, config: dict[str, Any]) -> None:
    """CreateDistribution/UpdateDistribution: a behaviour's CachePolicyId and
    OriginRequestPolicyId must name a policy ([API]: NoSuchCachePolicy,
    NoSuchOriginRequestPolicy)."""
    for behaviour in behaviours(config):
        for kind, key in ((CACHE, "CachePolicyId"), (ORIGIN, "OriginRequestPolicyId")):
            if behaviour.get(key):
                kind.get(backend, str(behaviour[key]))
