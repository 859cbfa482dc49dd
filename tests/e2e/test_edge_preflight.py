"""The country-header pre-flight (geoproxy/aws/edge/preflight.py) against the strict emulator's
cache and origin request policies, called directly through geoproxy's own AWS settings: which
behaviours let CloudFront-Viewer-Country reach the edge fence, the messages for those that do
not, and how many reads a run makes (each policy id once).

The settings that deliver the header are the module's [HDR], [CP], [ORP], [MOR] and [LEG]."""

from __future__ import annotations

from typing import Any

import pytest

from geoproxy.aws.edge.preflight import CountryHeaderCheck
from geoproxy.aws.session import USER_AGENT, AwsSettings
from geoproxy.errors import AwsError
from tests.strictaws import StrictMotoServer

pytestmark = pytest.mark.e2e

DIST = "E2EXAMPLE"
OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # managed CachingOptimized: no headers
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"  # managed AllViewer: viewer headers only
ALL_VIEWER_AND_CLOUDFRONT = "33f36d7e-f396-46d9-90e0-52428a34d9dc"
EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # managed AllViewerExceptHostHeader
AMPLIFY = "2e54312d-136d-493c-8eb9-b001f22f67d2"  # managed Amplify: lists the header
UNKNOWN = "00000000-0000-4000-8000-000000000000"
# The fix names each managed policy and what it forwards (Host, and so the certificates).
FIX = (
    "attach an origin request policy that includes it: the managed "
    "AllViewerAndCloudFrontHeaders-2022-06 (33f36d7e-f396-46d9-90e0-52428a34d9dc), which "
    "forwards every viewer header, Host included, and CloudFront's headers released through "
    "June 2022 (the PoPs' certificates must then cover the viewer's aliases); or, with "
    "cloudfront.host_header: origin, the managed AllViewerExceptHostHeader "
    "(b689b0a8-53d0-40ab-baf2-68738e2966ac), which forwards every viewer header except "
    "Host, and CloudFront's viewer-location headers (the PoPs' certificates then cover the "
    "origin record); or add it to a custom origin request policy"
)


@pytest.fixture
def check(aws: StrictMotoServer, monkeypatch: pytest.MonkeyPatch) -> CountryHeaderCheck:
    # The server already fakes this process's credentials; keep any proxy away from it.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    return CountryHeaderCheck(AwsSettings(endpoint_url=aws.endpoint_url, retry_deadline_s=5))


def behaviour(
    cache: str | None = OPTIMIZED, origin: str | None = None, **extra: Any
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "TargetOriginId": "geoproxy",
        "ViewerProtocolPolicy": "https-only",
        **extra,
    }
    if cache:
        found["CachePolicyId"] = cache
    if origin:
        found["OriginRequestPolicyId"] = origin
    return found


def legacy(*headers: str) -> dict[str, Any]:
    """A behaviour with legacy cache settings forwarding `headers`."""
    listed: dict[str, Any] = {"Quantity": len(headers)}
    if headers:
        listed["Items"] = list(headers)
    return behaviour(
        None,
        ForwardedValues={"QueryString": False, "Cookies": {"Forward": "none"}, "Headers": listed},
        MinTTL=0,
    )


def origin_policy(
    aws: StrictMotoServer, name: str, *headers: str, behaviour: str = "whitelist"
) -> str:
    config: dict[str, Any] = {
        "Name": name,
        "HeadersConfig": {"HeaderBehavior": behaviour},
        "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "none"},
    }
    if headers:
        config["HeadersConfig"]["Headers"] = {"Quantity": len(headers), "Items": list(headers)}
    created = aws.client("cloudfront").create_origin_request_policy(
        OriginRequestPolicyConfig=config
    )
    return str(created["OriginRequestPolicy"]["Id"])


def cache_policy(aws: StrictMotoServer, name: str, *headers: str) -> str:
    header: dict[str, Any] = {"HeaderBehavior": "whitelist" if headers else "none"}
    if headers:
        header["Headers"] = {"Quantity": len(headers), "Items": list(headers)}
    created = aws.client("cloudfront").create_cache_policy(
        CachePolicyConfig={
            "Name": name,
            "MinTTL": 0,
            "ParametersInCacheKeyAndForwardedToOrigin": {
                "EnableAcceptEncodingGzip": True,
                "HeadersConfig": header,
                "CookiesConfig": {"CookieBehavior": "none"},
                "QueryStringsConfig": {"QueryStringBehavior": "none"},
            },
        }
    )
    return str(created["CachePolicy"]["Id"])


def default(config: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [("the default behaviour", config)]


# -- what delivers the header ------------------------------------------------------------------


def test_the_managed_all_viewer_and_cloudfront_headers_policy_passes_in_one_read(
    aws: StrictMotoServer, check: CountryHeaderCheck
) -> None:
    # [MOR]: AllViewerAndCloudFrontHeaders-2022-06 lists it among CloudFront's headers; the
    # cache policy need not be read once the origin request policy delivers.
    aws.reset_log()
    assert (
        check.problems("shop", DIST, default(behaviour(OPTIMIZED, ALL_VIEWER_AND_CLOUDFRONT))) == []
    )
    assert aws.operations() == ["GetOriginRequestPolicy"]
    assert all(USER_AGENT in call.user_agent for call in aws.calls)  # geoproxy's own client


def test_caching_optimized_without_an_origin_request_policy_fails_with_the_fix(
    aws: StrictMotoServer, check: CountryHeaderCheck
) -> None:
    aws.reset_log()
    assert check.problems("shop", DIST, default(behaviour(OPTIMIZED))) == [
        f"shop: CloudFront-Viewer-Country does not reach the edge fence on the default "
        f"behaviour of distribution {DIST} (its cache policy {OPTIMIZED} does not include it, "
        f"and it has no origin request policy), so every viewer would look unfenced; {FIX}"
    ]
    assert aws.operations() == ["GetCachePolicy"]


def test_a_custom_origin_request_policy_passes_with_the_header_in_any_case_and_fails_without(
    aws: StrictMotoServer, check: CountryHeaderCheck
) -> None:
    # [ORP]: whitelist and allViewerAndWhitelistCloudFront add what they name; header names
    # are case-insensitive.
    named = origin_policy(aws, "country", "Accept-Language", "cloudfront-viewer-country")
    alongside = origin_policy(
        aws,
        "all-and-country",
        "CLOUDFRONT-VIEWER-COUNTRY",
        behaviour="allViewerAndWhitelistCloudFront",
    )
    other = origin_policy(aws, "no-country", "CloudFront-Viewer-City")
    assert check.problems("shop", DIST, default(behaviour(OPTIMIZED, named))) == []
    assert check.problems("shop", DIST, default(behaviour(OPTIMIZED, alongside))) == []
    assert check.problems(
        "shop", DIST, [("cache behaviour /api/*", behaviour(OPTIMIZED, other))]
    ) == [
        f"shop: CloudFront-Viewer-Country does not reach the edge fence on cache behaviour "
        f"/api/* of distribution {DIST} (neither its cache policy {OPTIMIZED} nor its origin "
        f"request policy {other} includes it), so every viewer would look unfenced; {FIX}"
    ]


@pytest.mark.parametrize("header_behaviour", ["allViewer", "allExcept"])
def test_all_viewer_headers_are_not_cloudfront_headers(
    aws: StrictMotoServer, check: CountryHeaderCheck, header_behaviour: str
) -> None:
    # [ORP]/[MOR]: allViewer and allExcept cover what the viewer sent; CloudFront's own
    # headers are added only by name. The header named under allExcept is excluded, not added.
    custom = origin_policy(
        aws,
        "all",
        *(["Host"] if header_behaviour == "allExcept" else []),
        behaviour=header_behaviour,
    )
    for policy_id in (custom, ALL_VIEWER):
        [problem] = check.problems("shop", DIST, default(behaviour(OPTIMIZED, policy_id)))
        assert f"nor its origin request policy {policy_id} includes it" in problem


def test_a_custom_cache_policy_with_the_header_passes_and_one_without_fails(
    aws: StrictMotoServer, check: CountryHeaderCheck
) -> None:
    # [CP]: a header listed in the cache key is in the request the function sees.
    by_country = cache_policy(aws, "by-country", "CloudFront-Viewer-Country")
    plain = cache_policy(aws, "plain")
    assert check.problems("shop", DIST, default(behaviour(by_country))) == []
    assert check.problems("shop", DIST, default(behaviour(AMPLIFY))) == []  # managed, lists it
    [problem] = check.problems("shop", DIST, default(behaviour(plain)))
    assert f"its cache policy {plain} does not include it" in problem


def test_legacy_cache_settings_pass_when_they_forward_the_header(
    aws: StrictMotoServer, check: CountryHeaderCheck
) -> None:
    # [LEG]: a header named in ForwardedValues is added; no policy to read.
    aws.reset_log()
    assert (
        check.problems("shop", DIST, default(legacy("Accept", "CloudFront-Viewer-Country"))) == []
    )
    assert aws.operations() == []


def test_legacy_cache_settings_without_the_header_fail_and_say_how_to_add_it(
    aws: StrictMotoServer, check: CountryHeaderCheck
) -> None:
    assert check.problems("shop", DIST, default(legacy("Accept"))) == [
        f"shop: CloudFront-Viewer-Country does not reach the edge fence on the default "
        f"behaviour of distribution {DIST} (its legacy cache settings do not include it, and "
        f"it has no origin request policy), so every viewer would look unfenced; add "
        f"CloudFront-Viewer-Country to its forwarded headers (ForwardedValues), or move the "
        f"behaviour to a cache policy and {FIX}"
    ]


def test_legacy_forwarding_of_all_headers_is_not_taken_to_add_cloudfront_headers(
    aws: StrictMotoServer, check: CountryHeaderCheck
) -> None:
    # [LEG]: no page says `*` adds CloudFront's own headers, so geoproxy refuses, with the
    # policy pair that replaces it: CachingDisabled caches nothing, as `*` did.
    assert check.problems("shop", DIST, default(legacy("*"))) == [
        f"shop: CloudFront-Viewer-Country does not reach the edge fence on the default "
        f"behaviour of distribution {DIST} (its legacy cache settings, which forward all "
        f"viewer headers (*) but not the ones CloudFront adds, do not include it, and it has "
        f"no origin request policy), so every viewer would look unfenced; legacy cache "
        f"settings that forward all headers cannot name it: move the behaviour to a cache "
        f"policy such as the managed CachingDisabled (4135ea2d-6df8-44a3-9df3-4b5a84be39ad, "
        f"which caches nothing, as forwarding all headers does), and {FIX}"
    ]


# -- policies that do not exist, failures, and the number of reads -----------------------------


def test_a_policy_id_that_does_not_exist_is_named(
    aws: StrictMotoServer, check: CountryHeaderCheck
) -> None:
    assert check.problems("shop", DIST, default(behaviour(UNKNOWN))) == [
        f"shop: the default behaviour of distribution {DIST} names cache policy {UNKNOWN}, "
        f"which does not exist, so geoproxy cannot tell whether CloudFront-Viewer-Country "
        f"reaches the edge fence there; name policies that exist, and {FIX}"
    ]
    [both] = check.problems("shop", DIST, default(behaviour(UNKNOWN, UNKNOWN)))
    assert (
        f"names origin request policy {UNKNOWN} and cache policy {UNKNOWN}, neither of "
        "which exists" in both
    )
    # A missing origin request policy does not hide a cache policy that delivers the header.
    by_country = cache_policy(aws, "by-country", "CloudFront-Viewer-Country")
    assert check.problems("shop", DIST, default(behaviour(by_country, UNKNOWN))) == []


def test_each_policy_id_is_read_once_per_check(
    aws: StrictMotoServer, check: CountryHeaderCheck
) -> None:
    custom = origin_policy(aws, "country", "CloudFront-Viewer-Country")
    aws.reset_log()
    shop = [
        ("the default behaviour", behaviour(OPTIMIZED, custom)),
        ("cache behaviour /api/*", behaviour(OPTIMIZED, custom)),
        ("cache behaviour /static/*", behaviour(OPTIMIZED)),
        ("cache behaviour /old/*", behaviour(UNKNOWN)),
        ("cache behaviour /all/*", behaviour(OPTIMIZED, ALL_VIEWER)),
    ]
    api = [
        ("the default behaviour", behaviour(OPTIMIZED)),
        ("cache behaviour /v2/*", behaviour(OPTIMIZED, ALL_VIEWER)),
        ("cache behaviour /old/*", behaviour(UNKNOWN)),
    ]
    first = check.problems("shop", DIST, shop)
    second = check.problems("api", "E2OTHER", api)
    assert [p.split(" (")[0] for p in first + second] == [
        f"shop: CloudFront-Viewer-Country does not reach the edge fence on cache behaviour "
        f"/static/* of distribution {DIST}",
        f"shop: cache behaviour /old/* of distribution {DIST} names cache policy {UNKNOWN}, "
        "which does not exist, so geoproxy cannot tell whether CloudFront-Viewer-Country "
        "reaches the edge fence there; name policies that exist, and attach an origin request "
        "policy that includes it: the managed AllViewerAndCloudFrontHeaders-2022-06",
        f"shop: CloudFront-Viewer-Country does not reach the edge fence on cache behaviour "
        f"/all/* of distribution {DIST}",
        "api: CloudFront-Viewer-Country does not reach the edge fence on the default behaviour "
        "of distribution E2OTHER",
        "api: CloudFront-Viewer-Country does not reach the edge fence on cache behaviour /v2/* "
        "of distribution E2OTHER",
        "api: cache behaviour /old/* of distribution E2OTHER names cache policy "
        f"{UNKNOWN}, which does not exist, so geoproxy cannot tell whether "
        "CloudFront-Viewer-Country reaches the edge fence there; name policies that exist, and "
        "attach an origin request policy that includes it: the managed "
        "AllViewerAndCloudFrontHeaders-2022-06",
    ]
    # Three origin request policies and two cache policies, each read once, in first use's order;
    # the missing id too (its NoSuchCachePolicy is remembered, not asked again).
    assert [(c.operation, c.path.rsplit("/", 1)[-1]) for c in aws.calls] == [
        ("GetOriginRequestPolicy", custom),
        ("GetCachePolicy", OPTIMIZED),
        ("GetCachePolicy", UNKNOWN),
        ("GetOriginRequestPolicy", ALL_VIEWER),
    ]


def test_a_failed_read_is_an_aws_error_that_names_the_policy(
    aws: StrictMotoServer, check: CountryHeaderCheck
) -> None:
    aws.inject("GetCachePolicy", "AccessDenied", 403, message="not allowed")
    with pytest.raises(AwsError, match=f"cannot read the cache policy {OPTIMIZED}: access denied"):
        check.problems("shop", DIST, default(behaviour(OPTIMIZED)))


def test_the_pre_flight_agrees_with_the_managed_policies_documented_headers(
    aws: StrictMotoServer,
) -> None:
    """For every managed policy, what geoproxy decides from GetOriginRequestPolicy or
    GetCachePolicy (country header delivered, viewer's Host forwarded) is what the strict
    layer's table of the documented lists says."""
    from geoproxy.aws.edge.preflight import (
        cache_policy_delivers,
        cache_policy_forwards_host,
        origin_request_policy_delivers,
        origin_request_policy_forwards_host,
    )
    from geoproxy.sandbox.strict.cloudfront_policies import DOCUMENTED_CACHE, DOCUMENTED_ORIGIN

    client = aws.client("cloudfront")
    for policy_id, documented in DOCUMENTED_ORIGIN.items():
        config = client.get_origin_request_policy(Id=policy_id)["OriginRequestPolicy"][
            "OriginRequestPolicyConfig"
        ]
        assert origin_request_policy_delivers(config, policy_id) == documented.includes(
            "CloudFront-Viewer-Country"
        ), config["Name"]
        assert origin_request_policy_forwards_host(config) == documented.host, config["Name"]
    for policy_id, documented in DOCUMENTED_CACHE.items():
        config = client.get_cache_policy(Id=policy_id)["CachePolicy"]["CachePolicyConfig"]
        assert cache_policy_delivers(config) == documented.includes("CloudFront-Viewer-Country"), (
            config["Name"]
        )
        assert cache_policy_forwards_host(config) == documented.host, config["Name"]


def test_all_viewer_except_host_header_delivers_the_country_in_one_read(
    aws: StrictMotoServer, check: CountryHeaderCheck
) -> None:
    aws.reset_log()
    assert check.problems("shop", DIST, default(behaviour(OPTIMIZED, EXCEPT_HOST))) == []
    assert aws.operations() == ["GetOriginRequestPolicy"]
