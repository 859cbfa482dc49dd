"""Pre-flight read before an edge fence is published or associated: will CloudFront put the
viewer's country in the request that the fence's viewer-request function sees?

CloudFront adds `CloudFront-Viewer-Country` only when a behaviour asks for it. Without it the
function finds no country, every viewer looks unfenced, and the fence silently lets everyone
through, so geoproxy refuses instead and says what to attach. Which settings ask for it, from
the CloudFront Developer Guide and API Reference (cited by short name below):

- [HDR] "Add CloudFront request headers": CloudFront adds these headers "to the requests that
  CloudFront receives from viewers and forwards on to your origin or edge function"; "To
  include these headers in the cache key, use a cache policy"; "To receive these headers at
  your origin but not include them in the cache key, use an origin request policy".
  aws-samples/amazon-cloudfront-functions, select-origin-based-on-country (a viewer-request
  function, as the fence is): "For the geolocation or device detection headers to appear in
  the request object within a function, you must allow these headers (or allow all viewer
  headers) in a CloudFront origin request policy or cache policy." The parenthesis is read as
  loose wording, not as "allViewer delivers it": see [ORP] and [MOR].
- [CP]  "Understand cache policies" and the API's CachePolicyHeadersConfig: HeaderBehavior is
  `none` or `whitelist` ("Include the following headers"); only a listed header is in the
  cache key and so in the request.
- [ORP] "Understand origin request policies" and the API's OriginRequestPolicyHeadersConfig:
  `whitelist` includes "Only the HTTP headers that are listed in the Headers type";
  `allViewerAndWhitelistCloudFront` includes "All HTTP headers in viewer requests and the
  additional CloudFront headers that are listed in the Headers type. The additional headers
  are added by CloudFront." `allViewer` and `allExcept` name viewer headers only, and the
  country header is not one the viewer sends (CloudFront derives it from the viewer's IP), so
  neither delivers it; `none` includes nothing beyond the cache policy's headers.
  AllViewerAndCloudFrontHeaders-2022-06 includes everything AllViewer does, so refusing
  AllViewer costs its user nothing but the switch, while accepting it wrongly would leave
  the fence open.
- [MOR] "Use managed origin request policies": AllViewerAndCloudFrontHeaders-2022-06
  (33f36d7e-f396-46d9-90e0-52428a34d9dc) has "All headers in the viewer request and all
  CloudFront headers that were released through June 2022", CloudFront-Viewer-Country among
  them; AllViewer (216adef6-...) has only "All headers in the viewer request".
  AllViewerExceptHostHeader (b689b0a8-53d0-40ab-baf2-68738e2966ac) has every viewer header
  except Host and, as the page describes it (issue 23's reading; the search tool's copies of
  the page stop before that section, so not confirmed here), CloudFront's viewer-location
  headers, CloudFront-Viewer-Country among them. Its API form is `allExcept` [Host], which
  by [ORP] would add no CloudFront header, so it is recognised by its id, not its settings:
  a custom `allExcept` policy still does not deliver the header.

Host. The edge fence sets a fenced request's Host and SNI to what unfenced requests of the
behaviour carry, as the policy's `cloudfront.host_header` says (geoproxy/core/edgefunction.py):
`viewer` where the behaviour forwards the viewer's Host, `origin` (the origin record) where it
does not. One function serves every fenced behaviour and cannot tell which one runs it, so
every fenced behaviour must agree with that key; `host_problems` refuses one that does not.
A behaviour forwards Host when its origin request policy includes viewer headers (`allViewer`,
`allViewerAndWhitelistCloudFront`, `allExcept` without Host, `whitelist` with Host: [ORP]),
when its cache policy lists Host ([CP]; [ORP]: headers "listed in a CachePolicy are included
in origin requests"), or when its legacy settings forward `*` or Host ([LEG]).
Certificates: with Host forwarded, CloudFront connects for the viewer's alias, so each PoP's
ALB must present a certificate for the aliases; without it, for the origin record (Developer
Guide, "Requiring HTTPS for communication between CloudFront and your custom origin": the
origin's certificate must match the origin domain name, or the Host header when CloudFront
forwards it; read from memory of that page, not confirmed through the search tool).
- [LEG] Legacy cache settings (ForwardedValues, no cache policy): the Developer Guide, "Cache
  content based on request headers" ("configure CloudFront to forward the
  CloudFront-Viewer-Country header to your origin"), and "Request and response behavior for
  custom origins", whose header table says of CloudFront-Viewer-Country that, unless
  configured to cache on it, "CloudFront does not add the header before forwarding the request
  to your origin". A header named in ForwardedValues.Headers is therefore added (those pages
  speak of the origin; [HDR]'s "origin or edge function" is taken to cover the function).
  `*` ("Forward all headers to your origin", API Reference, Headers) is read as NOT
  delivering it: no page says that `*` makes CloudFront add its own headers, and the newer
  origin request policies split exactly this case in two (allViewer without CloudFront's
  headers, allViewerAndWhitelistCloudFront naming them). A wrong "yes" would be a fence that
  silently does nothing; a wrong "no" asks the user to name the header, so geoproxy errs
  towards "no".

Header names are case-insensitive (RFC 9110, section 5.1; the Developer Guide, "How the case
of headers and header values affects caching": CloudFront "doesn't consider the case of the
header name"), so they are compared folded.

Reads: one GetOriginRequestPolicy or GetCachePolicy per distinct policy id per check object
(the pipeline makes one per run), and only the reads a behaviour needs: its origin request
policy first (where the fix usually lives), then its cache policy only if that did not
deliver the header.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from geoproxy.aws.session import AwsSettings, aws_errors
from geoproxy.core.edge.function import COUNTRY_HEADER

# [HDR]'s spelling, for messages; matching folds case (COUNTRY_HEADER is the folded name).
HEADER = "CloudFront-Viewer-Country"
# [MOR]: the managed origin request policy that includes the header (and every viewer value).
MANAGED_POLICY = "AllViewerAndCloudFrontHeaders-2022-06"
MANAGED_POLICY_ID = "33f36d7e-f396-46d9-90e0-52428a34d9dc"
# [MOR]: every viewer header but Host, and CloudFront's viewer-location headers.
EXCEPT_HOST_POLICY = "AllViewerExceptHostHeader"
EXCEPT_HOST_POLICY_ID = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
# Managed policies that deliver the header although their API settings alone would not.
DELIVER_BY_ID = frozenset({EXCEPT_HOST_POLICY_ID})
# [ORP]: the header behaviours that include viewer headers wholesale.
ORIGIN_BEHAVIOURS_ALL_VIEWER = frozenset({"allViewer", "allViewerAndWhitelistCloudFront"})
HOST = "host"
# "Use managed cache policies": CachingDisabled caches nothing, as forwarding all headers
# (legacy `*`) does, so it is the cache policy that replaces `*` without changing caching.
CACHING_DISABLED = "CachingDisabled"
CACHING_DISABLED_ID = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
# [ORP]: the header behaviours whose Headers list may name CloudFront's own headers.
ORIGIN_BEHAVIOURS_THAT_ADD = frozenset({"whitelist", "allViewerAndWhitelistCloudFront"})
FORWARDS = {
    "viewer": (
        f"the managed {MANAGED_POLICY} ({MANAGED_POLICY_ID}), which forwards every "
        "viewer header, Host included, and CloudFront's headers released through June "
        "2022 (the PoPs' certificates must then cover the viewer's aliases)"
    ),
    "origin": (
        f"the managed {EXCEPT_HOST_POLICY} ({EXCEPT_HOST_POLICY_ID}), which forwards "
        "every viewer header except Host, and CloudFront's viewer-location headers "
        "(the PoPs' certificates then cover the origin record)"
    ),
}
FIX = (
    f"attach an origin request policy that includes it: {FORWARDS['viewer']}; or, with "
    f"cloudfront.host_header: origin, {FORWARDS['origin']}; or add it to a custom origin "
    "request policy"
)


def names_header(names: Iterable[str] | None) -> bool:
    """Whether a header list names CloudFront-Viewer-Country, in any case."""
    return any(str(name).strip().lower() == COUNTRY_HEADER for name in names or ())


def _items(headers: dict[str, Any] | None) -> list[str]:
    """The Items of a {Quantity, Items} list, [] when absent (Quantity 0 omits Items)."""
    return list((headers or {}).get("Items") or [])


def cache_policy_delivers(config: dict[str, Any]) -> bool:
    """[CP]: a CachePolicyConfig puts the header in the request only when it lists it."""
    parameters = config.get("ParametersInCacheKeyAndForwardedToOrigin") or {}
    headers = parameters.get("HeadersConfig") or {}
    return headers.get("HeaderBehavior") == "whitelist" and names_header(
        _items(headers.get("Headers"))
    )


def origin_request_policy_delivers(config: dict[str, Any], policy_id: str | None = None) -> bool:
    """[ORP]: an OriginRequestPolicyConfig adds it only by naming it, under `whitelist` or
    `allViewerAndWhitelistCloudFront`; `allViewer` and `allExcept` cover viewer headers only.
    [MOR]: the managed AllViewerExceptHostHeader adds it too (by id)."""
    if policy_id in DELIVER_BY_ID:
        return True
    headers = config.get("HeadersConfig") or {}
    return headers.get("HeaderBehavior") in ORIGIN_BEHAVIOURS_THAT_ADD and names_header(
        _items(headers.get("Headers"))
    )


def _names(names: Iterable[str] | None, wanted: str) -> bool:
    return any(str(name).strip().lower() == wanted for name in names or ())


def origin_request_policy_forwards_host(config: dict[str, Any]) -> bool:
    """[ORP]: whether an OriginRequestPolicyConfig sends the viewer's Host to the origin."""
    headers = config.get("HeadersConfig") or {}
    behaviour = headers.get("HeaderBehavior")
    listed = _names(_items(headers.get("Headers")), HOST)
    if behaviour in ORIGIN_BEHAVIOURS_ALL_VIEWER:
        return True
    if behaviour == "allExcept":
        return not listed
    return behaviour == "whitelist" and listed


def cache_policy_forwards_host(config: dict[str, Any]) -> bool:
    """[CP]: a CachePolicyConfig sends Host only when it lists it."""
    parameters = config.get("ParametersInCacheKeyAndForwardedToOrigin") or {}
    headers = parameters.get("HeadersConfig") or {}
    return headers.get("HeaderBehavior") == "whitelist" and _names(
        _items(headers.get("Headers")), HOST
    )


def legacy_headers(behaviour: dict[str, Any]) -> list[str] | None:
    """[LEG]: the headers a behaviour's legacy cache settings forward, or None when it has no
    ForwardedValues (it uses a cache policy)."""
    forwarded = behaviour.get("ForwardedValues")
    if not forwarded:
        return None
    return _items(forwarded.get("Headers"))


@dataclass(frozen=True)
class _Policy:
    """What a read found: whether the policy exists and whether it delivers the header."""

    exists: bool
    delivers: bool = False
    forwards_host: bool = False


class CountryHeaderCheck:
    """One run's country-header pre-flight: each policy id is read once, whatever the number
    of behaviours and applications that use it."""

    def __init__(self, aws: AwsSettings) -> None:
        self._aws = aws
        self._read: dict[tuple[str, str], _Policy] = {}  # (kind, id) -> what the read found

    def problems(
        self, app: str, distribution_id: str, behaviours: list[tuple[str, dict[str, Any]]]
    ) -> list[str]:
        """For each (label, cache behaviour config as it will be after apply), e.g.
        ("the default behaviour", config["DefaultCacheBehavior"]) or ("cache behaviour
        /api/*", an item of config["CacheBehaviors"]["Items"]): one message for each behaviour
        on which CloudFront-Viewer-Country would not reach its viewer-request function."""
        found = []
        for label, behaviour in behaviours:
            problem = self._problem(app, distribution_id, label, behaviour)
            if problem:
                found.append(problem)
        return found

    def _problem(
        self, app: str, distribution_id: str, label: str, behaviour: dict[str, Any]
    ) -> str | None:
        where = f"{label} of distribution {distribution_id}"
        origin_id = behaviour.get("OriginRequestPolicyId") or None
        cache_id = behaviour.get("CachePolicyId") or None
        missing: list[str] = []
        if origin_id:
            origin = self._origin_request_policy(origin_id)
            if origin.delivers:
                return None
            if not origin.exists:
                missing.append(f"origin request policy {origin_id}")
        legacy = None if cache_id else legacy_headers(behaviour)
        if cache_id:
            cache = self._cache_policy(cache_id)
            if cache.delivers:
                return None
            if not cache.exists:
                missing.append(f"cache policy {cache_id}")
        elif legacy is not None and names_header(legacy):
            return None
        if missing:
            which = (
                f"{missing[0]}, which does not exist"
                if len(missing) == 1
                else f"{' and '.join(missing)}, neither of which exists"
            )
            return (
                f"{app}: {where} names {which}, so geoproxy cannot tell whether {HEADER} "
                f"reaches the edge fence there; name policies that exist, and {FIX}"
            )
        return (
            f"{app}: {HEADER} does not reach the edge fence on {where} "
            f"({_why(cache_id, origin_id, legacy)}), so every viewer would look unfenced; "
            f"{_fix(cache_id, legacy)}"
        )

    def _origin_request_policy(self, policy_id: str) -> _Policy:
        return self._policy("origin request", policy_id)

    def _cache_policy(self, policy_id: str) -> _Policy:
        return self._policy("cache", policy_id)

    def _policy(self, kind: str, policy_id: str) -> _Policy:
        """GetOriginRequestPolicy or GetCachePolicy, once per id and check object."""
        key = (kind, policy_id)
        if key not in self._read:
            client = self._aws.client("cloudfront")
            cache = kind == "cache"
            get, missing, shape = (
                (client.get_cache_policy, client.exceptions.NoSuchCachePolicy, "CachePolicy")
                if cache
                else (
                    client.get_origin_request_policy,
                    client.exceptions.NoSuchOriginRequestPolicy,
                    "OriginRequestPolicy",
                )
            )
            with aws_errors(f"read the {kind} policy {policy_id}"):
                try:
                    policy = get(Id=policy_id)
                except missing:
                    self._read[key] = _Policy(exists=False)
                else:
                    config = policy[shape][f"{shape}Config"]
                    self._read[key] = (
                        _Policy(
                            True, cache_policy_delivers(config), cache_policy_forwards_host(config)
                        )
                        if cache
                        else _Policy(
                            True,
                            origin_request_policy_delivers(config, policy_id),
                            origin_request_policy_forwards_host(config),
                        )
                    )
        return self._read[key]

    def host_problems(
        self,
        app: str,
        distribution_id: str,
        behaviours: list[tuple[str, dict[str, Any]]],
        host_header: str,
        record: str,
    ) -> list[str]:
        """One message for each fenced behaviour whose Host forwarding disagrees with the
        policy's `cloudfront.host_header` (see the module docstring: the fence gives fenced
        requests that Host, so every fenced behaviour must give unfenced ones the same).
        Reads only what the country check has not: the cache policy, when the origin
        request policy does not forward Host."""
        found = []
        for label, behaviour in behaviours:
            forwards, how = self._forwards_host(behaviour)
            if forwards is None or forwards == (host_header == "viewer"):
                continue  # None: a policy that does not exist, which `problems` reports
            where = f"{label} of distribution {distribution_id}"
            if forwards:
                found.append(
                    f"{app}: {where} forwards the viewer's Host ({how}), but "
                    f"cloudfront.host_header is `origin`: the edge fence would give fenced "
                    f"requests Host {record} while unfenced ones carry the viewer's; set "
                    "cloudfront.host_header: viewer (every fenced behaviour must then forward "
                    f"Host, as {FORWARDS['viewer']}), or attach {FORWARDS['origin']}"
                )
            else:
                found.append(
                    f"{app}: {where} does not forward the viewer's Host ({how}), but "
                    f"cloudfront.host_header is `viewer`: the edge fence would give fenced "
                    f"requests the viewer's Host while unfenced ones carry {record}; set "
                    "cloudfront.host_header: origin (every fenced behaviour must then not "
                    f"forward Host, as {FORWARDS['origin']}), or attach {FORWARDS['viewer']}"
                )
        return found

    def _forwards_host(self, behaviour: dict[str, Any]) -> tuple[bool | None, str]:
        """(whether the behaviour sends the viewer's Host to the origin, which setting says
        so); None when a policy it names does not exist."""
        origin_id = behaviour.get("OriginRequestPolicyId") or None
        cache_id = behaviour.get("CachePolicyId") or None
        if origin_id:
            origin = self._origin_request_policy(origin_id)
            if not origin.exists:
                return None, ""
            if origin.forwards_host:
                return True, f"its origin request policy {origin_id}"
        if cache_id:
            cache = self._cache_policy(cache_id)
            if not cache.exists:
                return None, ""
            if cache.forwards_host:
                return True, f"its cache policy {cache_id}"
        else:
            legacy = legacy_headers(behaviour) or []
            if "*" in legacy or _names(legacy, HOST):
                return True, "its legacy cache settings"
        cached = f"its cache policy {cache_id}" if cache_id else "its legacy cache settings"
        if origin_id:
            return False, f"neither {cached} nor its origin request policy {origin_id} includes it"
        return False, f"{cached} {'does' if cache_id else 'do'} not include it"


def _why(cache_id: str | None, origin_id: str | None, legacy: list[str] | None) -> str:
    """What the behaviour has, none of which includes the header."""
    if cache_id:
        cached = f"its cache policy {cache_id}"
    elif legacy is not None and "*" in legacy:
        cached = (
            "its legacy cache settings, which forward all viewer headers (*) but not "
            "the ones CloudFront adds,"
        )
    else:
        cached = "its legacy cache settings"
    if origin_id:
        return f"neither {cached} nor its origin request policy {origin_id} includes it"
    verb = "does" if cache_id else "do"  # "its cache policy does", "its ... settings do"
    return f"{cached} {verb} not include it, and it has no origin request policy"


def _fix(cache_id: str | None, legacy: list[str] | None) -> str:
    if cache_id or legacy is None:
        return FIX
    if "*" in legacy:
        # The API's Headers: `*` is the whole list (Quantity 1), so no header can be added to it.
        return (
            f"legacy cache settings that forward all headers cannot name it: move the "
            f"behaviour to a cache policy such as the managed {CACHING_DISABLED} "
            f"({CACHING_DISABLED_ID}, which caches nothing, as forwarding all headers "
            f"does), and {FIX}"
        )
    return (
        f"add {HEADER} to its forwarded headers (ForwardedValues), or move the behaviour "
        f"to a cache policy and {FIX}"
    )
