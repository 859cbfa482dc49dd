"""Cache policies and origin request policies in the strict layer (moto 5.2 has none).

geoproxy reads a behaviour's policies to know whether `CloudFront-Viewer-Country` reaches its
viewer-request function; these tests pin what the emulator serves for that.

Docs cited below (as in geoproxy/sandbox/strict/cloudfront_policies.py):
- [MCP] Developer Guide, "Use managed cache policies".
- [MOR] Developer Guide, "Use managed origin request policies".
- [API] API Reference: List/Get/GetConfig/Create/Update/Delete of both kinds, CachePolicyConfig,
        OriginRequestPolicyConfig, and CreateDistribution's NoSuchCachePolicy and
        NoSuchOriginRequestPolicy.
- [QUO] Developer Guide, "Quotas", #limits-policies.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.strictaws.fixtures import CACHING_OPTIMIZED, distribution_config, error_of

pytest_plugins = ["tests.strictaws.fixtures"]

OPTIMIZED = CACHING_OPTIMIZED
ALL_VIEWER_AND_CLOUDFRONT = "33f36d7e-f396-46d9-90e0-52428a34d9dc"
COUNTRY = "CloudFront-Viewer-Country"
BASE = distribution_config("policies")


def origin_config(
    name: str = "country", *headers: str, behaviour: str = "whitelist"
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "Name": name,
        "Comment": "",
        "HeadersConfig": {"HeaderBehavior": behaviour},
        "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "none"},
    }
    if headers:
        result["HeadersConfig"]["Headers"] = {"Quantity": len(headers), "Items": list(headers)}
    return result


def cache_config(name: str = "by-country", *headers: str) -> dict[str, Any]:
    header: dict[str, Any] = {"HeaderBehavior": "whitelist" if headers else "none"}
    if headers:
        header["Headers"] = {"Quantity": len(headers), "Items": list(headers)}
    return {
        "Name": name,
        "MinTTL": 0,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": True,
            "HeadersConfig": header,
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"},
        },
    }


def headers_of(config: dict[str, Any]) -> tuple[str, list[str]]:
    headers = config.get("ParametersInCacheKeyAndForwardedToOrigin", config)["HeadersConfig"]
    return headers["HeaderBehavior"], headers.get("Headers", {}).get("Items", [])


# -- the managed policies [MCP][MOR] -----------------------------------------------------------

MANAGED_CACHE = {
    "2e54312d-136d-493c-8eb9-b001f22f67d2": (
        "Managed-Amplify",
        (2, 600, 2),
        ["Authorization", COUNTRY, "Host"],
    ),
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": ("Managed-CachingDisabled", (0, 0, 0), []),
    OPTIMIZED: ("Managed-CachingOptimized", (1, 31_536_000, 86_400), []),
    "b2884449-e4de-46a7-ac36-70bc7f1ddd6d": (
        "Managed-CachingOptimizedForUncompressedObjects",
        (1, 31_536_000, 86_400),
        [],
    ),
    "08627262-05a9-4f76-9ded-b50ca2e3a84f": (
        "Managed-Elemental-MediaPackage",
        (0, 31_536_000, 86_400),
        ["Origin"],
    ),
    "83da9c7e-98b4-4e11-a168-04f0df8e2c65": (
        "Managed-UseOriginCacheControlHeaders",
        (0, 31_536_000, 0),
        ["Host", "Origin", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"],
    ),
    "4cc15a8a-d715-48a4-82b8-cc0b614638fe": (
        "Managed-UseOriginCacheControlHeaders-QueryStrings",
        (0, 31_536_000, 0),
        ["Host", "Origin", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"],
    ),
}
MANAGED_ORIGIN = {
    "216adef6-5c7f-47e4-b989-5492eafa07d3": ("Managed-AllViewer", "allViewer", []),
    "b689b0a8-53d0-40ab-baf2-68738e2966ac": (
        "Managed-AllViewerExceptHostHeader",
        "allExcept",
        ["Host"],
    ),
    "59781a5b-3903-41f3-afcb-af62929ccde1": ("Managed-CORS-CustomOrigin", "whitelist", ["Origin"]),
    "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": (
        "Managed-CORS-S3Origin",
        "whitelist",
        ["Origin", "Access-Control-Request-Headers", "Access-Control-Request-Method"],
    ),
    "775133bc-15f2-49f9-abea-afb2e0bf67d2": (
        "Managed-Elemental-MediaTailor-PersonalizedManifests",
        "whitelist",
        [
            "Origin",
            "Access-Control-Request-Headers",
            "Access-Control-Request-Method",
            "User-Agent",
            "X-Forwarded-For",
        ],
    ),
    "acba4595-bd28-49b8-b9fe-13317c0390fa": (
        "Managed-UserAgentRefererHeaders",
        "whitelist",
        ["User-Agent", "Referer"],
    ),
}


def test_the_managed_cache_policies(cf: Any) -> None:
    listed = cf.list_cache_policies(Type="managed")["CachePolicyList"]
    assert listed["Quantity"] == len(MANAGED_CACHE)
    assert {item["Type"] for item in listed["Items"]} == {"managed"}
    for item in listed["Items"]:
        policy = item["CachePolicy"]
        name, ttl, headers = MANAGED_CACHE[policy["Id"]]
        config = policy["CachePolicyConfig"]
        assert (config["Name"], (config["MinTTL"], config["MaxTTL"], config["DefaultTTL"])) == (
            name,
            ttl,
        )
        assert headers_of(config)[1] == headers
    got = cf.get_cache_policy(Id=OPTIMIZED)
    assert got["ETag"] and got["CachePolicy"]["Id"] == OPTIMIZED
    config = cf.get_cache_policy_config(Id=OPTIMIZED)
    assert config["CachePolicyConfig"] == got["CachePolicy"]["CachePolicyConfig"]
    assert config["ETag"] == got["ETag"]
    assert config["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"] == {
        "EnableAcceptEncodingGzip": True,
        "EnableAcceptEncodingBrotli": True,
        "HeadersConfig": {"HeaderBehavior": "none"},
        "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "none"},
    }


def test_the_managed_origin_request_policies(cf: Any) -> None:
    listed = cf.list_origin_request_policies(Type="managed")["OriginRequestPolicyList"]
    by_id = {
        item["OriginRequestPolicy"]["Id"]: item["OriginRequestPolicy"] for item in listed["Items"]
    }
    assert set(by_id) == {*MANAGED_ORIGIN, ALL_VIEWER_AND_CLOUDFRONT}
    for policy_id, (name, behaviour, headers) in MANAGED_ORIGIN.items():
        config = by_id[policy_id]["OriginRequestPolicyConfig"]
        assert (config["Name"], *headers_of(config)) == (name, behaviour, headers)


def test_all_viewer_and_cloudfront_headers_2022_06_sends_the_viewer_country(cf: Any) -> None:
    config = cf.get_origin_request_policy_config(Id=ALL_VIEWER_AND_CLOUDFRONT)[
        "OriginRequestPolicyConfig"
    ]
    behaviour, headers = headers_of(config)
    assert config["Name"] == "Managed-AllViewerAndCloudFrontHeaders-2022-06"
    assert behaviour == "allViewerAndWhitelistCloudFront"
    assert COUNTRY in headers and len(headers) == 21  # [MOR] lists 21 CloudFront headers
    assert (config["CookiesConfig"], config["QueryStringsConfig"]) == (
        {"CookieBehavior": "all"},
        {"QueryStringBehavior": "all"},
    )


def test_an_unknown_policy(cf: Any) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    for call in (cf.get_cache_policy, cf.get_cache_policy_config):
        assert error_of(call, Id=missing) == ("NoSuchCachePolicy", 404)
    for call in (cf.get_origin_request_policy, cf.get_origin_request_policy_config):
        assert error_of(call, Id=missing) == ("NoSuchOriginRequestPolicy", 404)


# -- custom policies [API][QUO] ----------------------------------------------------------------


def test_a_custom_origin_request_policy_with_the_viewer_country(cf: Any) -> None:
    created = cf.create_origin_request_policy(
        OriginRequestPolicyConfig=origin_config("country", COUNTRY)
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    policy_id = created["OriginRequestPolicy"]["Id"]
    assert created["Location"] == (
        f"https://cloudfront.amazonaws.com/2020-05-31/origin-request-policy/{policy_id}"
    )
    got = cf.get_origin_request_policy_config(Id=policy_id)
    assert headers_of(got["OriginRequestPolicyConfig"]) == ("whitelist", [COUNTRY])
    assert got["ETag"] == created["ETag"]
    custom = cf.list_origin_request_policies(Type="custom")["OriginRequestPolicyList"]
    assert [(i["Type"], i["OriginRequestPolicy"]["Id"]) for i in custom["Items"]] == [
        ("custom", policy_id)
    ]
    every = cf.list_origin_request_policies()["OriginRequestPolicyList"]
    assert every["Quantity"] == len(MANAGED_ORIGIN) + 2


def test_a_custom_cache_policy_fills_in_the_default_ttls(cf: Any) -> None:
    created = cf.create_cache_policy(CachePolicyConfig=cache_config("by-country", COUNTRY))
    config = cf.get_cache_policy_config(Id=created["CachePolicy"]["Id"])["CachePolicyConfig"]
    assert (config["MinTTL"], config["DefaultTTL"], config["MaxTTL"]) == (0, 86_400, 31_536_000)
    assert headers_of(config) == ("whitelist", [COUNTRY])
    assert [
        i["CachePolicy"]["Id"]
        for i in cf.list_cache_policies(Type="custom")["CachePolicyList"]["Items"]
    ] == [created["CachePolicy"]["Id"]]


def test_names_are_unique_per_kind(cf: Any) -> None:
    cf.create_cache_policy(CachePolicyConfig=cache_config("same"))
    assert error_of(cf.create_cache_policy, CachePolicyConfig=cache_config("same")) == (
        "CachePolicyAlreadyExists",
        409,
    )
    cf.create_origin_request_policy(OriginRequestPolicyConfig=origin_config("same"))
    assert error_of(
        cf.create_origin_request_policy, OriginRequestPolicyConfig=origin_config("same")
    ) == ("OriginRequestPolicyAlreadyExists", 409)


def test_at_most_10_headers_and_consistent_quantities(cf: Any) -> None:
    eleven = [f"X-Header-{number}" for number in range(11)]  # [QUO]
    assert error_of(cf.create_cache_policy, CachePolicyConfig=cache_config("c", *eleven)) == (
        "TooManyHeadersInCachePolicy",
        400,
    )
    assert error_of(
        cf.create_origin_request_policy, OriginRequestPolicyConfig=origin_config("o", *eleven)
    ) == ("TooManyHeadersInOriginRequestPolicy", 400)
    cf.create_origin_request_policy(OriginRequestPolicyConfig=origin_config("o", *eleven[:10]))
    wrong = origin_config("wrong", COUNTRY)
    wrong["HeadersConfig"]["Headers"]["Quantity"] = 2
    assert error_of(cf.create_origin_request_policy, OriginRequestPolicyConfig=wrong) == (
        "InconsistentQuantities",
        400,
    )


def test_at_most_20_custom_policies_of_each_kind(cf: Any) -> None:
    for number in range(20):  # [QUO] managed policies do not count
        cf.create_cache_policy(CachePolicyConfig=cache_config(f"c{number}"))
    assert error_of(cf.create_cache_policy, CachePolicyConfig=cache_config("c20")) == (
        "TooManyCachePolicies",
        400,
    )
    cf.create_origin_request_policy(OriginRequestPolicyConfig=origin_config("o"))


def test_a_comment_of_at_most_128_characters(cf: Any) -> None:
    config = {**origin_config("long"), "Comment": "x" * 129}  # [API]
    assert error_of(cf.create_origin_request_policy, OriginRequestPolicyConfig=config) == (
        "InvalidArgument",
        400,
    )
    cf.create_origin_request_policy(OriginRequestPolicyConfig={**config, "Comment": "x" * 128})


def test_update_and_delete_need_the_current_etag(cf: Any) -> None:
    created = cf.create_origin_request_policy(OriginRequestPolicyConfig=origin_config())
    policy_id, etag = created["OriginRequestPolicy"]["Id"], created["ETag"]
    updated = cf.update_origin_request_policy(
        Id=policy_id, IfMatch=etag, OriginRequestPolicyConfig=origin_config("country", COUNTRY)
    )
    assert updated["ETag"] != etag
    assert headers_of(updated["OriginRequestPolicy"]["OriginRequestPolicyConfig"])[1] == [COUNTRY]
    assert error_of(
        cf.update_origin_request_policy,
        Id=policy_id,
        IfMatch=etag,
        OriginRequestPolicyConfig=origin_config(),
    ) == ("PreconditionFailed", 412)
    assert error_of(cf.delete_origin_request_policy, Id=policy_id, IfMatch=etag) == (
        "PreconditionFailed",
        412,
    )
    cf.delete_origin_request_policy(Id=policy_id, IfMatch=updated["ETag"])
    assert error_of(cf.get_origin_request_policy, Id=policy_id)[0] == "NoSuchOriginRequestPolicy"


def test_managed_policies_cannot_be_changed(cf: Any) -> None:
    etag = cf.get_cache_policy(Id=OPTIMIZED)["ETag"]  # [API] IllegalDelete
    assert error_of(cf.delete_cache_policy, Id=OPTIMIZED, IfMatch=etag) == ("IllegalDelete", 400)
    # Which error an update of a managed policy gets is not documented: IllegalUpdate here.
    assert error_of(
        cf.update_cache_policy, Id=OPTIMIZED, IfMatch=etag, CachePolicyConfig=cache_config("mine")
    ) == ("IllegalUpdate", 400)
    assert cf.get_cache_policy(Id=OPTIMIZED)["CachePolicy"]["CachePolicyConfig"]["Name"] == (
        "Managed-CachingOptimized"
    )


# -- behaviours and policies [API] -------------------------------------------------------------


def test_a_behaviour_can_only_name_existing_policies(cf: Any) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    config = copy.deepcopy(BASE)
    config["DefaultCacheBehavior"]["CachePolicyId"] = missing
    assert error_of(cf.create_distribution, DistributionConfig=config) == ("NoSuchCachePolicy", 404)
    config["DefaultCacheBehavior"].update(CachePolicyId=OPTIMIZED, OriginRequestPolicyId=missing)
    assert error_of(cf.create_distribution, DistributionConfig=config) == (
        "NoSuchOriginRequestPolicy",
        404,
    )
    config["DefaultCacheBehavior"]["OriginRequestPolicyId"] = ALL_VIEWER_AND_CLOUDFRONT
    dist = cf.create_distribution(DistributionConfig=config)["Distribution"]["Id"]
    current = cf.get_distribution_config(Id=dist)
    stored = current["DistributionConfig"]
    assert stored["DefaultCacheBehavior"]["OriginRequestPolicyId"] == ALL_VIEWER_AND_CLOUDFRONT
    other = {**stored["DefaultCacheBehavior"], "PathPattern": "/api/*", "CachePolicyId": missing}
    assert error_of(
        cf.update_distribution,
        Id=dist,
        IfMatch=current["ETag"],
        DistributionConfig={**stored, "CacheBehaviors": {"Quantity": 1, "Items": [other]}},
    ) == ("NoSuchCachePolicy", 404)


def test_a_policy_in_use_cannot_be_deleted(cf: Any) -> None:
    created = cf.create_origin_request_policy(
        OriginRequestPolicyConfig=origin_config("country", COUNTRY)
    )
    policy_id, etag = created["OriginRequestPolicy"]["Id"], created["ETag"]
    config = copy.deepcopy(BASE)
    config["DefaultCacheBehavior"]["OriginRequestPolicyId"] = policy_id
    dist = cf.create_distribution(DistributionConfig=config)["Distribution"]["Id"]
    assert error_of(cf.delete_origin_request_policy, Id=policy_id, IfMatch=etag) == (
        "OriginRequestPolicyInUse",
        409,
    )
    current = cf.get_distribution_config(Id=dist)
    behaviour = {
        **current["DistributionConfig"]["DefaultCacheBehavior"],
        "OriginRequestPolicyId": "",
    }
    cf.update_distribution(
        Id=dist,
        IfMatch=current["ETag"],
        DistributionConfig={**current["DistributionConfig"], "DefaultCacheBehavior": behaviour},
    )
    cf.delete_origin_request_policy(Id=policy_id, IfMatch=etag)
