"""Unit tests of the CloudFront side: geoproxy.cloudfront (apply_settings, diff,
plan_distribution), the viewer and direct records it implies (geoproxy.desired) and how they
enter a plan (geoproxy.plan). Pure: no AWS, no network."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from geoproxy.core.cloudfront import (
    DistributionPlan,
    apply_settings,
    diff,
    live_aliases,
    plan_distribution,
)
from geoproxy.core.desired import DesiredApp, desired_app
from geoproxy.core.diff import calculate_app
from geoproxy.core.live import LiveApp
from geoproxy.core.managed_fields import PATH_ALIASES, PATH_GEO, PATH_TARGET, FieldChange
from geoproxy.core.names import direct_name, origin_id
from geoproxy.core.plan import AppPlan, Plan, RecordChange
from geoproxy.core.records import AliasTarget, LiveRecord, OwnedAliasRecord
from geoproxy.pipeline import Compiled
from geoproxy.policy.catalog import CLOUDFRONT_HOSTED_ZONE_ID, Catalog
from geoproxy.policy.models import Application
from tests import builders
from tests.builders import application, pops
from tests.unit.conftest import EUW1_ELB, EUW1_ZONE, USE1_ELB, USE1_ZONE, ZONE_ID

RECORD = "origin.example.com"
DIST_ID = "E2EXAMPLE123"
DIST_DOMAIN = "d111111abcdef8.cloudfront.net"
CACHE_POLICY = "658327ea-f89d-4fab-a63d-7e88639e58f6"

DEFAULT_CLOUDFRONT: dict[str, Any] = {
    "distribution_id": DIST_ID,
    "aliases": ["www.example.com", "shop.example.com"],
    "geo_restriction": {"type": "blacklist", "countries": ["KP", "CU"]},
}

WITH_FAILOVER: dict[str, Any] = {
    **DEFAULT_CLOUDFRONT,
    "origin_failover": {"secondary_pop": "us-east-1"},
}
WITH_FAILOVER_TO_EUW1: dict[str, Any] = {
    **DEFAULT_CLOUDFRONT,
    "origin_failover": {"secondary_pop": "eu-west-1"},
}


def shop(
    cloudfront: dict[str, Any],
    record_types: list[str] | None = None,
    regions: tuple[str, ...] = ("us-east-1", "eu-west-1"),
) -> Application:
    """The application of these tests: its PoPs are its only source regions."""
    return application(
        record=RECORD,
        record_types=record_types or ["A"],
        source_regions=list(regions),
        pops=pops(*regions),
        cloudfront=cloudfront,
    )


@pytest.fixture
def compile_app() -> Any:
    """compile_app(cloudfront settings, record_types=["A"]) -> the compiled policy."""

    def build(
        cloudfront: dict[str, Any] = DEFAULT_CLOUDFRONT, record_types: list[str] | None = None
    ) -> Compiled:
        return builders.compiled(shop(cloudfront, record_types))

    return build


@pytest.fixture
def make_app(compile_app: Any) -> Any:
    def build(cloudfront: dict[str, Any] = DEFAULT_CLOUDFRONT) -> Application:
        app: Application = compile_app(cloudfront).routing.applications[0].app
        return app

    return build


# --- a distribution as GetDistribution returns it (shape taken from moto) ---------------------


def user_origin(origin_id: str, domain: str) -> dict[str, Any]:
    return {
        "Id": origin_id,
        "DomainName": domain,
        "OriginPath": "",
        "CustomHeaders": {"Quantity": 0, "Items": []},
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
            "OriginSslProtocols": {"Quantity": 0, "Items": []},
            "OriginReadTimeout": 30,
            "OriginKeepaliveTimeout": 5,
        },
        "ConnectionAttempts": 3,
        "ConnectionTimeout": 10,
        "OriginShield": {"Enabled": False},
    }


def behaviour(target: str, path_pattern: str | None = None) -> dict[str, Any]:
    cache = {
        "TargetOriginId": target,
        "TrustedSigners": {"Enabled": False, "Quantity": 0, "Items": []},
        "TrustedKeyGroups": {"Enabled": False, "Quantity": 0, "Items": []},
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": {
            "Quantity": 2,
            "Items": ["HEAD", "GET"],
            "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
        },
        "SmoothStreaming": False,
        "Compress": True,
        "LambdaFunctionAssociations": {"Quantity": 0},
        "FunctionAssociations": {"Quantity": 0},
        "FieldLevelEncryptionId": "",
        "RealtimeLogConfigArn": "",
        "CachePolicyId": CACHE_POLICY,
    }
    return {"PathPattern": path_pattern, **cache} if path_pattern else cache


def distribution_config() -> dict[str, Any]:
    """A distribution the user made: two origins, a static behaviour, their error pages,
    logging, a certificate, a WAF; no aliases and no geo restriction yet."""
    return {
        "CallerReference": "shop-2024",
        "Aliases": {"Quantity": 0},
        "DefaultRootObject": "",
        "Origins": {
            "Quantity": 2,
            "Items": [
                user_origin("legacy", "legacy.example.net"),
                user_origin("assets", "assets.example.net"),
            ],
        },
        "OriginGroups": {"Quantity": 0},
        "DefaultCacheBehavior": behaviour("legacy"),
        "CacheBehaviors": {"Quantity": 1, "Items": [behaviour("assets", "/static/*")]},
        "CustomErrorResponses": {
            "Quantity": 2,
            "Items": [
                {
                    "ErrorCode": 404,
                    "ResponsePagePath": "/404.html",
                    "ResponseCode": "404",
                    "ErrorCachingMinTTL": 10,
                },
                {
                    "ErrorCode": 503,
                    "ResponsePagePath": "/busy.html",
                    "ResponseCode": "503",
                    "ErrorCachingMinTTL": 0,
                },
            ],
        },
        "Comment": "shop storefront",
        "Logging": {
            "Enabled": True,
            "IncludeCookies": False,
            "Bucket": "logs.s3.amazonaws.com",
            "Prefix": "cf/shop/",
        },
        "PriceClass": "PriceClass_100",
        "Enabled": True,
        "ViewerCertificate": {
            "CloudFrontDefaultCertificate": False,
            "ACMCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
            "Certificate": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
            "CertificateSource": "acm",
        },
        "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
        "WebACLId": "arn:aws:wafv2:us-east-1:123456789012:global/webacl/shop/1",
        "HttpVersion": "http2and3",
        "IsIPV6Enabled": True,
    }


def live_distribution(
    config: dict[str, Any] | None = None, *, status: str = "Deployed"
) -> dict[str, Any]:
    return {
        "Id": DIST_ID,
        "ARN": f"arn:aws:cloudfront::123456789012:distribution/{DIST_ID}",
        "Status": status,
        "DomainName": DIST_DOMAIN + ".",
        "InProgressInvalidationBatches": 0,
        "DistributionConfig": config if config is not None else distribution_config(),
    }


DEFAULT_GEO_ORIGIN = {
    "Id": "geoproxy-shop",
    "OriginPath": "",
    "CustomHeaders": {"Quantity": 0},
    "OriginShield": {"Enabled": False},
    "DomainName": RECORD,
    "CustomOriginConfig": {
        "HTTPPort": 80,
        "HTTPSPort": 443,
        "OriginProtocolPolicy": "https-only",
        "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]},
        "OriginReadTimeout": 30,
        "OriginKeepaliveTimeout": 5,
    },
    "ConnectionAttempts": 3,
    "ConnectionTimeout": 10,
}

DEFAULT_VIEW = {
    "DomainName": RECORD,
    "HTTPPort": 80,
    "HTTPSPort": 443,
    "OriginProtocolPolicy": "https-only",
    "OriginSslProtocols": ["TLSv1.2"],
    "OriginReadTimeout": 30,
    "OriginKeepaliveTimeout": 5,
    "ConnectionAttempts": 3,
    "ConnectionTimeout": 10,
}


def origins_of(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {origin["Id"]: origin for origin in config["Origins"]["Items"]}


def without_managed(config: dict[str, Any], origin_prefix: str = "geoproxy-shop") -> dict[str, Any]:
    """The config without geoproxy's parts: must come back from apply exactly as read."""
    rest = copy.deepcopy(config)
    for key in ("Aliases", "OriginGroups"):
        rest.pop(key, None)
    rest["Restrictions"].pop("GeoRestriction", None)
    rest["DefaultCacheBehavior"].pop("TargetOriginId")
    rest["Origins"] = [
        origin
        for origin in config["Origins"]["Items"]
        if origin["Id"] != origin_prefix and not origin["Id"].startswith(origin_prefix + "-")
    ]
    return rest


# --- direct_name and apply_settings ---------------------------------------------------------


def test_direct_name() -> None:
    assert direct_name("us-east-1", RECORD) == "us-east-1.origin.example.com"


def test_apply_settings_on_a_fresh_distribution(make_app: Any) -> None:
    app = make_app()
    config = distribution_config()
    pristine = copy.deepcopy(config)

    new = apply_settings(config, app)

    assert config == pristine  # the input is not mutated
    expected = copy.deepcopy(pristine)
    expected["Origins"] = {
        "Quantity": 3,
        "Items": [
            user_origin("legacy", "legacy.example.net"),
            user_origin("assets", "assets.example.net"),
            DEFAULT_GEO_ORIGIN,
        ],
    }
    expected["DefaultCacheBehavior"]["TargetOriginId"] = "geoproxy-shop"
    expected["Aliases"] = {"Quantity": 2, "Items": ["www.example.com", "shop.example.com"]}
    expected["Restrictions"]["GeoRestriction"] = {
        "RestrictionType": "blacklist",
        "Quantity": 2,
        "Items": ["KP", "CU"],
    }
    assert new == expected
    assert list(new) == list(pristine)  # keys in the order CloudFront gave them
    assert without_managed(new) == without_managed(pristine)
    # The user's cache behaviour still targets their origin.
    assert new["CacheBehaviors"] == pristine["CacheBehaviors"]


def test_apply_settings_with_origin_settings_and_an_origin_id(make_app: Any) -> None:
    app = make_app(
        {
            "distribution_id": DIST_ID,
            "origin_id": "web-geo",
            "origin": {
                "protocol_policy": "match-viewer",
                "https_port": 8443,
                "http_port": 8080,
                "read_timeout": 60,
                "keepalive_timeout": 10,
                "ssl_protocols": ["TLSv1.2", "TLSv1.1"],
                "connection_attempts": 2,
                "connection_timeout": 5,
            },
            "geo_restriction": {"type": "whitelist", "countries": ["DE", "FR"]},
        }
    )
    assert origin_id(app) == "web-geo"

    new = apply_settings(distribution_config(), app)

    assert origins_of(new)["web-geo"] == {
        "Id": "web-geo",
        "OriginPath": "",
        "CustomHeaders": {"Quantity": 0},
        "OriginShield": {"Enabled": False},
        "DomainName": RECORD,
        "CustomOriginConfig": {
            "HTTPPort": 8080,
            "HTTPSPort": 8443,
            "OriginProtocolPolicy": "match-viewer",
            "OriginSslProtocols": {"Quantity": 2, "Items": ["TLSv1.2", "TLSv1.1"]},
            "OriginReadTimeout": 60,
            "OriginKeepaliveTimeout": 10,
        },
        "ConnectionAttempts": 2,
        "ConnectionTimeout": 5,
    }
    assert [o["Id"] for o in new["Origins"]["Items"]] == ["legacy", "assets", "web-geo"]
    assert new["Origins"]["Quantity"] == 3
    assert new["DefaultCacheBehavior"]["TargetOriginId"] == "web-geo"
    assert new["Aliases"] == {"Quantity": 0}  # none declared: none kept
    assert new["Restrictions"]["GeoRestriction"] == {
        "RestrictionType": "whitelist",
        "Quantity": 2,
        "Items": ["DE", "FR"],
    }
    assert without_managed(new, "web-geo") == without_managed(distribution_config(), "web-geo")


def test_apply_settings_replaces_aliases_and_geo_exactly(make_app: Any) -> None:
    config = distribution_config()
    config["Aliases"] = {"Quantity": 2, "Items": ["old.example.com", "www.example.com"]}
    config["Restrictions"]["GeoRestriction"] = {
        "RestrictionType": "whitelist",
        "Quantity": 1,
        "Items": ["US"],
    }
    new = apply_settings(config, make_app({"distribution_id": DIST_ID}))
    assert new["Aliases"] == {"Quantity": 0}
    assert new["Restrictions"]["GeoRestriction"] == {"RestrictionType": "none", "Quantity": 0}


def test_an_existing_geo_origin_keeps_its_unmanaged_fields(make_app: Any) -> None:
    config = distribution_config()
    existing = {
        "Id": "geoproxy-shop",
        "DomainName": "old-origin.example.com",
        "OriginPath": "/v1",
        "CustomHeaders": {
            "Quantity": 1,
            "Items": [{"HeaderName": "X-Origin-Verify", "HeaderValue": "s3cret"}],
        },
        "CustomOriginConfig": {
            "HTTPPort": 81,
            "HTTPSPort": 444,
            "OriginProtocolPolicy": "http-only",
            "OriginSslProtocols": {"Quantity": 2, "Items": ["TLSv1", "TLSv1.1"]},
            "OriginReadTimeout": 90,
            "OriginKeepaliveTimeout": 60,
        },
        "ConnectionAttempts": 1,
        "ConnectionTimeout": 2,
        "OriginShield": {"Enabled": True, "OriginShieldRegion": "eu-west-1"},
    }
    config["Origins"] = {
        "Quantity": 3,
        "Items": [
            user_origin("legacy", "legacy.example.net"),
            existing,
            user_origin("assets", "assets.example.net"),
        ],
    }
    pristine = copy.deepcopy(config)

    new = apply_settings(config, make_app())

    assert config == pristine
    assert [o["Id"] for o in new["Origins"]["Items"]] == ["legacy", "geoproxy-shop", "assets"]
    assert new["Origins"]["Quantity"] == 3
    assert origins_of(new)["geoproxy-shop"] == {
        "Id": "geoproxy-shop",
        "DomainName": RECORD,
        "OriginPath": "/v1",
        "CustomHeaders": {
            "Quantity": 1,
            "Items": [{"HeaderName": "X-Origin-Verify", "HeaderValue": "s3cret"}],
        },
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
            "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]},
            "OriginReadTimeout": 30,
            "OriginKeepaliveTimeout": 5,
        },
        "ConnectionAttempts": 3,
        "ConnectionTimeout": 10,
        "OriginShield": {"Enabled": True, "OriginShieldRegion": "eu-west-1"},
    }


def test_an_s3_origin_at_geoproxys_id_becomes_a_custom_origin(make_app: Any) -> None:
    config = distribution_config()
    config["Origins"]["Items"].append(
        {
            "Id": "geoproxy-shop",
            "DomainName": "bucket.s3.amazonaws.com",
            "OriginPath": "",
            "CustomHeaders": {"Quantity": 0},
            "S3OriginConfig": {"OriginAccessIdentity": ""},
            "ConnectionAttempts": 3,
            "ConnectionTimeout": 10,
            "OriginShield": {"Enabled": False},
        }
    )
    config["Origins"]["Quantity"] = 3
    origin = origins_of(apply_settings(config, make_app()))["geoproxy-shop"]
    assert "S3OriginConfig" not in origin
    assert origin == DEFAULT_GEO_ORIGIN


def test_apply_settings_with_origin_failover(make_app: Any) -> None:
    app = make_app(
        {
            **DEFAULT_CLOUDFRONT,
            "origin_failover": {"secondary_pop": "us-east-1", "status_codes": [504, 500, 403]},
        }
    )
    config = distribution_config()
    pristine = copy.deepcopy(config)

    new = apply_settings(config, app)

    assert config == pristine
    assert [o["Id"] for o in new["Origins"]["Items"]] == [
        "legacy",
        "assets",
        "geoproxy-shop",
        "geoproxy-shop-us-east-1",
    ]
    assert new["Origins"]["Quantity"] == 4
    assert origins_of(new)["geoproxy-shop"] == DEFAULT_GEO_ORIGIN
    assert origins_of(new)["geoproxy-shop-us-east-1"] == {
        **DEFAULT_GEO_ORIGIN,
        "Id": "geoproxy-shop-us-east-1",
        "DomainName": "us-east-1.origin.example.com",
    }
    assert new["OriginGroups"] == {
        "Quantity": 1,
        "Items": [
            {
                "Id": "geoproxy-shop-group",
                "FailoverCriteria": {"StatusCodes": {"Quantity": 3, "Items": [403, 500, 504]}},
                "Members": {
                    "Quantity": 2,
                    "Items": [
                        {"OriginId": "geoproxy-shop"},
                        {"OriginId": "geoproxy-shop-us-east-1"},
                    ],
                },
            }
        ],
    }
    assert new["DefaultCacheBehavior"]["TargetOriginId"] == "geoproxy-shop-group"
    assert without_managed(new) == without_managed(pristine)


USER_GROUP = {
    "Id": "static-group",
    "FailoverCriteria": {"StatusCodes": {"Quantity": 1, "Items": [503]}},
    "Members": {"Quantity": 2, "Items": [{"OriginId": "assets"}, {"OriginId": "legacy"}]},
}


def test_switching_origin_failover_off_keeps_user_origin_groups(make_app: Any) -> None:
    with_failover = apply_settings(distribution_config(), make_app(WITH_FAILOVER))
    with_failover["OriginGroups"] = {
        "Quantity": 2,
        "Items": [copy.deepcopy(USER_GROUP), *with_failover["OriginGroups"]["Items"]],
    }

    new = apply_settings(with_failover, make_app())

    assert [o["Id"] for o in new["Origins"]["Items"]] == ["legacy", "assets", "geoproxy-shop"]
    assert new["Origins"]["Quantity"] == 3
    assert new["OriginGroups"] == {"Quantity": 1, "Items": [USER_GROUP]}
    assert new["DefaultCacheBehavior"]["TargetOriginId"] == "geoproxy-shop"
    assert diff(with_failover, new, make_app()) == [
        FieldChange(
            "Origins[geoproxy-shop-us-east-1]",
            {**DEFAULT_VIEW, "DomainName": "us-east-1.origin.example.com"},
            None,
        ),
        FieldChange(
            "OriginGroups[geoproxy-shop-group]",
            {
                "StatusCodes": [500, 502, 503, 504],
                "Members": ["geoproxy-shop", "geoproxy-shop-us-east-1"],
            },
            None,
        ),
        FieldChange(PATH_TARGET, "geoproxy-shop-group", "geoproxy-shop"),
    ]


def test_changing_the_secondary_pop_replaces_the_direct_origin(make_app: Any) -> None:
    before = apply_settings(distribution_config(), make_app(WITH_FAILOVER))
    app = make_app(WITH_FAILOVER_TO_EUW1)

    new = apply_settings(before, app)

    assert [o["Id"] for o in new["Origins"]["Items"]] == [
        "legacy",
        "assets",
        "geoproxy-shop",
        "geoproxy-shop-eu-west-1",
    ]
    assert origins_of(new)["geoproxy-shop-eu-west-1"]["DomainName"] == (
        "eu-west-1.origin.example.com"
    )
    group = new["OriginGroups"]["Items"]
    assert [g["Id"] for g in group] == ["geoproxy-shop-group"]
    assert group[0]["Members"]["Items"] == [
        {"OriginId": "geoproxy-shop"},
        {"OriginId": "geoproxy-shop-eu-west-1"},
    ]
    assert new["DefaultCacheBehavior"]["TargetOriginId"] == "geoproxy-shop-group"
    assert [change.path for change in diff(before, new, app)] == [
        "Origins[geoproxy-shop-eu-west-1]",
        "Origins[geoproxy-shop-us-east-1]",
        "OriginGroups[geoproxy-shop-group]",
    ]


def test_a_user_origin_named_like_a_direct_origin_of_another_prefix_is_kept(make_app: Any) -> None:
    config = distribution_config()
    config["Origins"]["Items"].append(
        user_origin("geoproxy-shopping-us-east-1", "shopping.example.net")
    )
    config["Origins"]["Quantity"] = 3
    new = apply_settings(config, make_app())
    assert [o["Id"] for o in new["Origins"]["Items"]] == [
        "legacy",
        "assets",
        "geoproxy-shopping-us-east-1",
        "geoproxy-shop",
    ]


def test_the_direct_origin_of_a_removed_pop_is_removed(compile_app: Any) -> None:
    before = apply_settings(
        distribution_config(), compile_app(WITH_FAILOVER).routing.applications[0].app
    )
    # The us-east-1 PoP leaves the policy, and the fallback moves to eu-west-1.
    without_use1 = shop(WITH_FAILOVER_TO_EUW1, regions=("eu-west-1",))
    app = builders.compiled(without_use1).routing.applications[0].app
    assert list(app.pops) == ["eu-west-1"]

    new = apply_settings(before, app)

    assert [o["Id"] for o in new["Origins"]["Items"]] == [
        "legacy",
        "assets",
        "geoproxy-shop",
        "geoproxy-shop-eu-west-1",
    ]


# --- diff ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cloudfront",
    [
        DEFAULT_CLOUDFRONT,
        WITH_FAILOVER,
        {
            "distribution_id": DIST_ID,
            "origin_id": "web",
            "origin": {"ssl_protocols": ["TLSv1.1", "TLSv1.2"]},
            "geo_restriction": {"type": "whitelist", "countries": ["US", "CA"]},
        },
    ],
)
def test_apply_settings_is_idempotent(make_app: Any, cloudfront: dict[str, Any]) -> None:
    app = make_app(cloudfront)
    once = apply_settings(distribution_config(), app)
    twice = apply_settings(once, app)
    assert diff(once, twice, app) == []
    assert twice == once


def test_diff_on_a_fresh_distribution(make_app: Any) -> None:
    app = make_app()
    config = distribution_config()
    assert diff(config, apply_settings(config, app), app) == [
        FieldChange("Origins[geoproxy-shop]", None, DEFAULT_VIEW),
        FieldChange(PATH_TARGET, "legacy", "geoproxy-shop"),
        FieldChange(PATH_ALIASES, [], ["shop.example.com", "www.example.com"]),
        FieldChange(
            PATH_GEO,
            {"type": "none", "countries": []},
            {"type": "blacklist", "countries": ["CU", "KP"]},
        ),
    ]
    assert (PATH_ALIASES, PATH_GEO, PATH_TARGET) == (
        "Aliases",
        "Restrictions.GeoRestriction",
        "DefaultCacheBehavior.TargetOriginId",
    )


def test_diff_with_origin_failover(make_app: Any) -> None:
    app = make_app(WITH_FAILOVER)
    config = apply_settings(distribution_config(), make_app())  # in sync, without failover
    assert diff(config, apply_settings(config, app), app) == [
        FieldChange(
            "Origins[geoproxy-shop-us-east-1]",
            None,
            {**DEFAULT_VIEW, "DomainName": "us-east-1.origin.example.com"},
        ),
        FieldChange(
            "OriginGroups[geoproxy-shop-group]",
            None,
            {
                "StatusCodes": [500, 502, 503, 504],
                "Members": ["geoproxy-shop", "geoproxy-shop-us-east-1"],
            },
        ),
        FieldChange(PATH_TARGET, "geoproxy-shop", "geoproxy-shop-group"),
    ]


def test_diff_names_each_changed_origin_setting(make_app: Any) -> None:
    app = make_app()
    live = apply_settings(distribution_config(), app)
    geo = origins_of(live)["geoproxy-shop"]
    geo["CustomOriginConfig"]["OriginReadTimeout"] = 60
    geo["DomainName"] = "old.example.com"
    geo["OriginPath"] = "/unmanaged"  # not geoproxy's: no change for it

    assert diff(live, apply_settings(live, app), app) == [
        FieldChange(
            "Origins[geoproxy-shop]",
            {**DEFAULT_VIEW, "DomainName": "old.example.com", "OriginReadTimeout": 60},
            DEFAULT_VIEW,
        )
    ]


def test_diff_of_a_changed_origin_group(make_app: Any) -> None:
    app = make_app(WITH_FAILOVER)
    live = apply_settings(distribution_config(), app)
    group = live["OriginGroups"]["Items"][0]
    group["FailoverCriteria"]["StatusCodes"] = {"Quantity": 1, "Items": [500]}
    group["Members"]["Items"].reverse()  # the order of members matters to CloudFront
    assert diff(live, apply_settings(live, app), app) == [
        FieldChange(
            "OriginGroups[geoproxy-shop-group]",
            {"StatusCodes": [500], "Members": ["geoproxy-shop-us-east-1", "geoproxy-shop"]},
            {
                "StatusCodes": [500, 502, 503, 504],
                "Members": ["geoproxy-shop", "geoproxy-shop-us-east-1"],
            },
        )
    ]


def test_diff_ignores_the_order_of_aliases_protocols_countries_and_codes(make_app: Any) -> None:
    app = make_app(
        {
            "distribution_id": DIST_ID,
            "aliases": ["www.example.com", "shop.example.com", "api.example.com"],
            "origin": {"ssl_protocols": ["TLSv1.2", "TLSv1.1", "TLSv1"]},
            "geo_restriction": {"type": "whitelist", "countries": ["US", "CA", "MX"]},
            "origin_failover": {"secondary_pop": "eu-west-1", "status_codes": [502, 500]},
        }
    )
    live = apply_settings(distribution_config(), app)
    live["Aliases"]["Items"].reverse()
    origins_of(live)["geoproxy-shop"]["CustomOriginConfig"]["OriginSslProtocols"]["Items"].reverse()
    live["Restrictions"]["GeoRestriction"]["Items"].reverse()
    live["OriginGroups"]["Items"][0]["FailoverCriteria"]["StatusCodes"]["Items"].reverse()

    assert diff(live, apply_settings(live, app), app) == []
    plan = plan_distribution(app, live_distribution(live), "ETAG1")
    assert (plan.changes, plan.new_config) == ([], {})


def test_diff_never_shows_user_origins(make_app: Any) -> None:
    app = make_app()
    old = distribution_config()
    old["Origins"]["Items"].append(user_origin("geoproxy-shopping", "other.example.net"))
    new = copy.deepcopy(old)
    for origin in new["Origins"]["Items"]:
        origin["DomainName"] = "changed.example.net"
        origin["ConnectionTimeout"] = 1
    new["Origins"]["Items"].append(user_origin("brand-new", "new.example.net"))
    new["Origins"]["Items"].pop(0)  # legacy removed
    assert diff(old, new, app) == []


def test_diff_of_a_config_without_restrictions(make_app: Any) -> None:
    app = make_app({"distribution_id": DIST_ID})
    config = distribution_config()
    del config["Restrictions"]
    del config["Aliases"]
    new = apply_settings(config, app)
    assert new["Restrictions"] == {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}}
    assert new["Aliases"] == {"Quantity": 0}
    assert [change.path for change in diff(config, new, app)] == [
        "Origins[geoproxy-shop]",
        PATH_TARGET,
    ]


# --- plan_distribution -----------------------------------------------------------------------


def test_plan_distribution(make_app: Any) -> None:
    app = make_app()
    config = distribution_config()
    config["Aliases"] = {"Quantity": 2, "Items": ["Old.Example.com", "WWW.example.com."]}
    distribution = live_distribution(config, status="InProgress")
    pristine = copy.deepcopy(distribution)

    plan = plan_distribution(app, distribution, "E3ETAG")

    assert distribution == pristine
    assert (plan.app, plan.distribution_id, plan.etag) == ("shop", DIST_ID, "E3ETAG")
    assert plan.domain_name == DIST_DOMAIN  # without the trailing dot
    assert plan.ipv6 is True
    assert plan.status == "InProgress"
    assert plan.live_aliases == ["old.example.com", "www.example.com"]
    assert plan.aliases_added == ["shop.example.com"]
    assert plan.application is app
    assert plan.new_config == apply_settings(config, app)
    assert plan.changes == diff(config, plan.new_config, app)
    assert [change.path for change in plan.changes] == [
        "Origins[geoproxy-shop]",
        PATH_TARGET,
        PATH_ALIASES,
        PATH_GEO,
    ]
    assert live_aliases(distribution) == ["old.example.com", "www.example.com"]


def test_plan_distribution_in_sync(make_app: Any) -> None:
    app = make_app()
    config = apply_settings(distribution_config(), app)
    config["IsIPV6Enabled"] = False
    plan = plan_distribution(app, live_distribution(config), "E3ETAG")
    assert plan.changes == []
    assert plan.new_config == {}
    assert plan.ipv6 is False
    assert plan.status == "Deployed"
    assert plan.aliases_added == []
    assert plan.live_aliases == ["www.example.com", "shop.example.com"]


def test_plan_distribution_without_ipv6_or_status(make_app: Any) -> None:
    config = distribution_config()
    del config["IsIPV6Enabled"]
    distribution = live_distribution(config)
    del distribution["Status"]
    plan = plan_distribution(make_app(), distribution, "E3ETAG")
    assert (plan.ipv6, plan.status) == (False, "")


# --- desired viewer and direct records -------------------------------------------------------


def dist_plan(
    *, ipv6: bool = True, live: tuple[str, ...] = (), changes: list[FieldChange] | None = None
) -> DistributionPlan:
    return DistributionPlan(
        "shop",
        DIST_ID,
        "E3ETAG",
        DIST_DOMAIN,
        ipv6,
        "Deployed",
        changes=list(changes or []),
        live_aliases=list(live),
    )


def desired_for(
    compiled: Compiled, catalog: Catalog, distribution: DistributionPlan | None
) -> DesiredApp:
    return desired_app(compiled.routing.applications[0], catalog, distribution=distribution)


VIEWER_TARGET = {
    "HostedZoneId": CLOUDFRONT_HOSTED_ZONE_ID,
    "DNSName": DIST_DOMAIN + ".",
    "EvaluateTargetHealth": False,
}


def viewer_raw(
    name: str,
    record_type: str = "A",
    dns_name: str = DIST_DOMAIN + ".",
    set_id: str = "geoproxy:viewer@default",
) -> dict[str, Any]:
    return {
        "Name": name + ".",
        "Type": record_type,
        "SetIdentifier": set_id,
        "Weight": 1,
        "AliasTarget": {
            "HostedZoneId": CLOUDFRONT_HOSTED_ZONE_ID,
            "DNSName": dns_name,
            "EvaluateTargetHealth": False,
        },
    }


def test_viewer_records_a_and_aaaa_with_ipv6(compile_app: Any, catalog: Catalog) -> None:
    desired = desired_for(compile_app(), catalog, dist_plan(ipv6=True))
    assert [record.record.to_route53() for record in desired.viewers] == [
        {
            "Name": "www.example.com.",
            "Type": "A",
            "SetIdentifier": "geoproxy:viewer@default",
            "Weight": 1,
            "AliasTarget": VIEWER_TARGET,
        },
        {
            "Name": "www.example.com.",
            "Type": "AAAA",
            "SetIdentifier": "geoproxy:viewer@default",
            "Weight": 1,
            "AliasTarget": VIEWER_TARGET,
        },
        {
            "Name": "shop.example.com.",
            "Type": "A",
            "SetIdentifier": "geoproxy:viewer@default",
            "Weight": 1,
            "AliasTarget": VIEWER_TARGET,
        },
        {
            "Name": "shop.example.com.",
            "Type": "AAAA",
            "SetIdentifier": "geoproxy:viewer@default",
            "Weight": 1,
            "AliasTarget": VIEWER_TARGET,
        },
    ]
    assert desired.viewers[0].record == OwnedAliasRecord(
        "www.example.com",
        "A",
        "viewer",
        AliasTarget(DIST_DOMAIN, CLOUDFRONT_HOSTED_ZONE_ID, False),
        "default",
    )
    assert desired.viewers[0].route is None
    assert desired.viewer_names == ("shop.example.com", "www.example.com")
    assert desired.directs == ()
    assert desired.all_records()[-4:] == desired.viewers


def test_viewer_records_a_only_without_ipv6(compile_app: Any, catalog: Catalog) -> None:
    # The application's record types do not matter to viewers: the distribution's do.
    compiled = compile_app(record_types=["A", "AAAA"])
    desired = desired_for(compiled, catalog, dist_plan(ipv6=False))
    assert [(d.record.name, d.record.record_type) for d in desired.viewers] == [
        ("www.example.com", "A"),
        ("shop.example.com", "A"),
    ]


def test_an_alias_outside_the_zone_gets_no_record(compile_app: Any, catalog: Catalog) -> None:
    compiled = compile_app(
        {
            "distribution_id": DIST_ID,
            "aliases": ["cdn.example.net", "example.com", "notexample.com", "shop.example.com"],
        }
    )
    desired = desired_for(
        compiled, catalog, dist_plan(ipv6=False, live=("gone.example.com", "old.example.org"))
    )
    assert [d.record.name for d in desired.viewers] == ["example.com", "shop.example.com"]
    # Live aliases being removed are read too (to delete their records), if in the zone.
    assert desired.viewer_names == ("example.com", "gone.example.com", "shop.example.com")
    assert desired.manages("gone.example.com")
    assert desired.manages("us-east-1.origin.example.com")
    assert not desired.manages("cdn.example.net")
    assert not desired.manages("old.example.org")


def test_no_cloudfront_records_without_a_distribution_plan(
    compile_app: Any, catalog: Catalog
) -> None:
    desired = desired_for(compile_app(WITH_FAILOVER), catalog, None)
    assert (desired.directs, desired.viewers, desired.viewer_names) == ((), (), ())


def test_direct_records_per_record_type(compile_app: Any, catalog: Catalog) -> None:
    compiled = compile_app(WITH_FAILOVER_TO_EUW1, record_types=["AAAA", "A"])
    desired = desired_for(compiled, catalog, dist_plan(ipv6=False))
    assert [d.record.to_route53() for d in desired.directs] == [
        {
            "Name": "eu-west-1.origin.example.com.",
            "Type": record_type,
            "SetIdentifier": "geoproxy:direct@default",
            "Weight": 1,
            "AliasTarget": {
                "HostedZoneId": EUW1_ZONE,
                "DNSName": ("dualstack." if record_type == "AAAA" else "") + EUW1_ELB + ".",
                "EvaluateTargetHealth": False,
            },
        }
        for record_type in ("AAAA", "A")
    ]
    assert all(d.record.role == "direct" for d in desired.directs)


@pytest.mark.parametrize(
    ("raw", "owned"),
    [
        (viewer_raw("shop.example.com"), True),
        (viewer_raw("us-east-1.origin.example.com", set_id="geoproxy:direct@default"), True),
        (viewer_raw("shop.example.com", set_id="geoproxy:other"), False),
        (viewer_raw("shop.example.com", set_id="geoproxy:us-east-1"), False),
        (viewer_raw("shop.example.com", set_id="geoproxy:primary"), False),
        (viewer_raw("shop.example.com", set_id="viewer"), False),
        (viewer_raw("shop.example.com", set_id="GEOPROXY:viewer"), False),
        # Values instead of an alias: not geoproxy's.
        (
            {
                "Name": "shop.example.com.",
                "Type": "A",
                "SetIdentifier": "geoproxy:viewer@default",
                "Weight": 1,
                "TTL": 60,
                "ResourceRecords": [{"Value": "192.0.2.1"}],
            },
            False,
        ),
        # A simple alias (no Weight) carrying the identifier is no weighted record.
        (
            {
                "Name": "shop.example.com.",
                "Type": "A",
                "SetIdentifier": "geoproxy:viewer@default",
                "AliasTarget": VIEWER_TARGET,
            },
            False,
        ),
    ],
)
def test_live_weighted_records_owned(raw: dict[str, Any], owned: bool) -> None:
    record = LiveRecord(raw)
    assert record.routing_policy == ("weighted" if "Weight" in raw else "simple")
    assert record.owned is owned


# --- plans with a distribution ---------------------------------------------------------------


def latency_raw(region: str, dns_name: str, zone_id: str, record_type: str = "A") -> dict[str, Any]:
    return {
        "Name": RECORD + ".",
        "Type": record_type,
        "SetIdentifier": f"geoproxy:{region}@default",
        "Region": region,
        "AliasTarget": {
            "HostedZoneId": zone_id,
            "DNSName": dns_name + ".",
            "EvaluateTargetHealth": False,
        },
    }


LATENCY_IN_SYNC = (
    latency_raw("us-east-1", USE1_ELB, USE1_ZONE),
    latency_raw("eu-west-1", EUW1_ELB, EUW1_ZONE),
)


def live_app(*raws: dict[str, Any]) -> LiveApp:
    return LiveApp(ZONE_ID, "example.com", tuple(LiveRecord(raw) for raw in raws))


def plan_of(desired: DesiredApp, live: LiveApp, distribution: DistributionPlan) -> Plan:
    app_plan: AppPlan = calculate_app(desired, live)
    app_plan.distribution = distribution
    return Plan([app_plan])


def set_identifier(change: RecordChange) -> str:
    if change.new is not None:
        return str(change.new.record.to_route53().get("SetIdentifier", ""))
    assert change.old is not None
    return change.old.set_identifier or ""


def summary_of(changes: list[RecordChange]) -> list[tuple[str, str, str, str, bool]]:
    return [
        (c.action, c.name, c.record_type, set_identifier(c), c.after_distribution) for c in changes
    ]


def test_distribution_changes_alone_make_a_plan_with_changes(
    compile_app: Any, catalog: Catalog
) -> None:
    compiled = compile_app()
    app = compiled.routing.applications[0].app
    distribution = plan_distribution(app, live_distribution(), "E3ETAG")
    assert len(distribution.changes) == 4
    desired = desired_for(compiled, catalog, distribution)
    live = live_app(
        *LATENCY_IN_SYNC,
        *(
            viewer_raw(name, record_type)
            for name in ("www.example.com", "shop.example.com")
            for record_type in ("A", "AAAA")
        ),
    )

    plan = plan_of(desired, live, distribution)

    assert plan.changes == []
    assert plan.distributions == [distribution]
    assert plan.has_changes is True
    summary = plan.summary()
    assert {
        key: summary[key]
        for key in ("create", "update", "delete", "unchanged", "conflicts", "distribution_fields")
    } == {
        "create": 0,
        "update": 0,
        "delete": 0,
        "unchanged": 6,
        "conflicts": 0,
        "distribution_fields": 4,
    }


def test_a_distribution_in_sync_adds_nothing_to_the_plan(
    compile_app: Any, catalog: Catalog
) -> None:
    compiled = compile_app()
    app = compiled.routing.applications[0].app
    in_sync = apply_settings(distribution_config(), app)
    in_sync["IsIPV6Enabled"] = False
    distribution = plan_distribution(app, live_distribution(in_sync), "E3ETAG")
    desired = desired_for(compiled, catalog, distribution)
    live = live_app(*LATENCY_IN_SYNC, viewer_raw("www.example.com"), viewer_raw("shop.example.com"))

    plan = plan_of(desired, live, distribution)

    assert plan.distributions == []
    assert plan.has_changes is False
    assert plan.summary()["distribution_fields"] == 0
    assert plan.summary()["unchanged"] == 4


def test_after_distribution_only_for_viewer_creates_and_updates(
    compile_app: Any, catalog: Catalog
) -> None:
    compiled = compile_app(WITH_FAILOVER)
    distribution = dist_plan(
        ipv6=False,
        live=("old.example.com", "www.example.com"),
        changes=[
            FieldChange(PATH_ALIASES, ["old.example.com"], ["shop.example.com", "www.example.com"])
        ],
    )
    desired = desired_for(compiled, catalog, distribution)
    live = live_app(
        latency_raw("us-east-1", USE1_ELB, USE1_ZONE),  # eu-west-1's is missing
        viewer_raw("www.example.com", dns_name="dold.cloudfront.net."),  # points elsewhere
        viewer_raw("old.example.com"),  # an alias being removed
        viewer_raw("old.example.com", "AAAA"),
    )

    plan = plan_of(desired, live, distribution)

    assert sorted(summary_of(plan.changes)) == [
        ("create", "origin.example.com", "A", "geoproxy:eu-west-1@default", False),
        ("create", "shop.example.com", "A", "geoproxy:viewer@default", True),
        ("create", "us-east-1.origin.example.com", "A", "geoproxy:direct@default", False),
        ("delete", "old.example.com", "A", "geoproxy:viewer@default", False),
        ("delete", "old.example.com", "AAAA", "geoproxy:viewer@default", False),
        ("update", "www.example.com", "A", "geoproxy:viewer@default", True),
    ]
    deletes = [change for change in plan.changes if change.action == "delete"]
    assert {change.note for change in deletes} == {"no longer an alias of the distribution"}
    update = next(change for change in plan.changes if change.action == "update")
    assert update.route53_changes() == [
        {
            "Action": "DELETE",
            "ResourceRecordSet": viewer_raw("www.example.com", dns_name="dold.cloudfront.net."),
        },
        {"Action": "CREATE", "ResourceRecordSet": viewer_raw("www.example.com")},
    ]
    assert plan.summary()["distribution_fields"] == 1


def test_an_owned_direct_record_no_longer_needed_is_deleted(
    compile_app: Any, catalog: Catalog
) -> None:
    compiled = compile_app()  # origin failover switched off
    distribution = dist_plan(ipv6=False, live=("www.example.com", "shop.example.com"))
    desired = desired_for(compiled, catalog, distribution)
    direct = viewer_raw("us-east-1.origin.example.com", set_id="geoproxy:direct@default")
    direct["AliasTarget"] = {
        "HostedZoneId": USE1_ZONE,
        "DNSName": USE1_ELB + ".",
        "EvaluateTargetHealth": False,
    }
    live = live_app(
        *LATENCY_IN_SYNC, viewer_raw("www.example.com"), viewer_raw("shop.example.com"), direct
    )

    plan = plan_of(desired, live, distribution)

    assert [(c.action, c.name, c.note, c.after_distribution) for c in plan.changes] == [
        # Deleted only after the distribution update: its origin group may still use it.
        ("delete", "us-east-1.origin.example.com", "origin failover no longer uses this PoP", True)
    ]
    assert plan.has_changes is True
    assert plan.distributions == []


def test_a_simple_record_at_a_viewer_alias_is_a_conflict(
    compile_app: Any, catalog: Catalog
) -> None:
    compiled = compile_app()
    distribution = dist_plan(ipv6=False)
    desired = desired_for(compiled, catalog, distribution)
    cname = {
        "Name": "shop.example.com.",
        "Type": "CNAME",
        "TTL": 300,
        "ResourceRecords": [{"Value": "old.cloudfront.net"}],
    }
    alias_a = {"Name": "www.example.com.", "Type": "A", "AliasTarget": VIEWER_TARGET}
    live = live_app(*LATENCY_IN_SYNC, cname, alias_a)

    app_plan = calculate_app(desired, live)

    assert sorted((c.record.name, c.record.record_type, c.reason) for c in app_plan.conflicts) == [
        ("shop.example.com", "CNAME", "a CNAME cannot share its name with geoproxy's records"),
        (
            "www.example.com",
            "A",
            "a simple record; Route 53 cannot mix it with weighted "
            "records at the same name and type",
        ),
    ]

    adopted = calculate_app(desired, live, adopt=True)
    assert sorted((c.action, c.name, c.record_type, c.note) for c in adopted.changes) == [
        ("create", "shop.example.com", "A", ""),
        ("create", "www.example.com", "A", ""),
        (
            "delete",
            "shop.example.com",
            "CNAME",
            "adopted: a CNAME cannot share its name with geoproxy's records",
        ),
        (
            "delete",
            "www.example.com",
            "A",
            "adopted: a simple record; Route 53 cannot mix "
            "it with weighted records at the same name and type",
        ),
    ]


def test_a_foreign_weighted_record_at_a_viewer_alias_is_a_conflict(
    compile_app: Any, catalog: Catalog
) -> None:
    desired = desired_for(compile_app(), catalog, dist_plan(ipv6=False))
    foreign = viewer_raw("shop.example.com", dns_name="dother.cloudfront.net.", set_id="blue")
    foreign["Weight"] = 100
    live = live_app(*LATENCY_IN_SYNC, viewer_raw("www.example.com"), foreign)

    app_plan = calculate_app(desired, live)

    assert [(c.record.name, c.record.set_identifier) for c in app_plan.conflicts] == [
        ("shop.example.com", "blue")
    ]


def test_the_delete_note_of_a_viewer_aaaa_after_ipv6_is_turned_off(
    compile_app: Any, catalog: Catalog
) -> None:
    desired = desired_for(
        compile_app(), catalog, dist_plan(ipv6=False, live=("www.example.com", "shop.example.com"))
    )
    live = live_app(
        *LATENCY_IN_SYNC,
        viewer_raw("www.example.com"),
        viewer_raw("shop.example.com"),
        viewer_raw("shop.example.com", "AAAA"),
    )

    changes = calculate_app(desired, live).changes

    assert [(c.action, c.name, c.record_type) for c in changes] == [
        ("delete", "shop.example.com", "AAAA")
    ]
    assert changes[0].note != "no longer an alias of the distribution"
