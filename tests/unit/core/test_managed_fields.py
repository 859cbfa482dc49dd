"""The fields geoproxy manages on a distribution: "is my write live?" must hold for a config
CloudFront returns with every documented default filled in, and fail for anyone else's
change to those fields."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from geoproxy.core.cloudfront import apply_settings
from geoproxy.core.managed_fields import FieldChange, differences, origin_id_of, written
from geoproxy.core.names import origin_id
from geoproxy.policy.models import Application

ARN = "arn:aws:cloudfront::123456789012:function/geoproxy-default-shop-aaed7988"


def application(**cloudfront: Any) -> Application:
    return Application.model_validate(
        {
            "name": "shop",
            "zone": "example.com",
            "record": "origin.shop.example.com",
            "pops": {
                "us-east-1": {"target": "a.us-east-1.elb.amazonaws.com"},
                "eu-west-1": {"target": "b.eu-west-1.elb.amazonaws.com"},
            },
            "cloudfront": {
                "distribution_id": "E2EXAMPLE123",
                "aliases": ["shop.example.com", "www.example.com"],
                "geo_restriction": {"type": "blacklist", "countries": ["KP", "CU"]},
                **cloudfront,
            },
        }
    )


def sent_config(app: Application) -> dict[str, Any]:
    """What geoproxy sends for a minimal live config: only the fields UpdateDistribution
    requires, as a user's Terraform might have made it."""
    live = {
        "CallerReference": "tf-1",
        "Comment": "",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "legacy",
                    "DomainName": "old.example.com",
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                    },
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "legacy",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
        "CacheBehaviors": {
            "Quantity": 1,
            "Items": [
                {
                    "PathPattern": "/api/*",
                    "TargetOriginId": "geoproxy-shop",
                    "ViewerProtocolPolicy": "https-only",
                    "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
                }
            ],
        },
    }
    return apply_settings(live, app, ("geoproxy-default-shop-aaed7988", ARN))


def origin_defaults(origin: dict[str, Any]) -> None:
    """Every default the CloudFront API Reference documents for a custom origin (Origin,
    CustomOriginConfig, OriginShield), as GetDistribution returns them."""
    origin.setdefault("OriginPath", "")
    origin.setdefault("CustomHeaders", {"Quantity": 0})
    origin.setdefault("OriginShield", {"Enabled": False})
    origin.setdefault("OriginAccessControlId", "")
    origin.setdefault("ConnectionAttempts", 3)
    origin.setdefault("ConnectionTimeout", 10)
    custom = origin.setdefault("CustomOriginConfig", {})
    custom.setdefault("OriginReadTimeout", 30)
    custom.setdefault("OriginKeepaliveTimeout", 5)
    custom.setdefault("OriginSslProtocols", {"Quantity": 1, "Items": ["TLSv1.2"]})
    custom.setdefault("IpAddressType", "ipv4")


def behaviour_defaults(behaviour: dict[str, Any]) -> None:
    behaviour.setdefault("TrustedSigners", {"Enabled": False, "Quantity": 0})
    behaviour.setdefault("TrustedKeyGroups", {"Enabled": False, "Quantity": 0})
    behaviour.setdefault(
        "AllowedMethods",
        {
            "Quantity": 2,
            "Items": ["HEAD", "GET"],
            "CachedMethods": {"Quantity": 2, "Items": ["HEAD", "GET"]},
        },
    )
    behaviour.setdefault("SmoothStreaming", False)
    behaviour.setdefault("Compress", False)
    behaviour.setdefault("LambdaFunctionAssociations", {"Quantity": 0})
    behaviour.setdefault("FunctionAssociations", {"Quantity": 0})
    behaviour.setdefault("FieldLevelEncryptionId", "")
    behaviour.setdefault("RealtimeLogConfigArn", "")
    behaviour.setdefault("GrpcConfig", {"Enabled": False})


def as_cloudfront_returns(config: dict[str, Any]) -> dict[str, Any]:
    """`config` as CloudFront stores it: defaults filled in, lists re-ordered, empty lists as
    bare `{"Quantity": 0}`."""
    returned = copy.deepcopy(config)
    for origin in returned["Origins"]["Items"]:
        origin_defaults(origin)
    behaviour_defaults(returned["DefaultCacheBehavior"])
    for behaviour in returned.get("CacheBehaviors", {}).get("Items", []):
        behaviour_defaults(behaviour)
    returned["Origins"]["Items"].reverse()
    returned["Aliases"]["Items"] = [
        alias.upper() for alias in reversed(returned["Aliases"]["Items"])
    ]
    returned["Restrictions"]["GeoRestriction"]["Items"].reverse()
    returned.setdefault("OriginGroups", {"Quantity": 0})
    returned.setdefault("DefaultRootObject", "")
    returned.setdefault("PriceClass", "PriceClass_All")
    returned.setdefault("WebACLId", "")
    returned.setdefault("HttpVersion", "http2")
    returned.setdefault("IsIPV6Enabled", True)
    returned.setdefault("Staging", False)
    returned.setdefault("ContinuousDeploymentPolicyId", "")
    returned.setdefault(
        "Logging", {"Enabled": False, "IncludeCookies": False, "Bucket": "", "Prefix": ""}
    )
    returned.setdefault(
        "ViewerCertificate",
        {
            "CloudFrontDefaultCertificate": True,
            "MinimumProtocolVersion": "TLSv1",
            "CertificateSource": "cloudfront",
        },
    )
    returned.setdefault("CustomErrorResponses", {"Quantity": 0})
    return returned


@pytest.mark.parametrize(
    "cloudfront",
    [{}, {"origin_failover": {"secondary_pop": "us-east-1"}}],
    ids=["one origin", "origin group"],
)
def test_a_landed_write_is_recognised_with_every_documented_default(
    cloudfront: dict[str, Any],
) -> None:
    app = application(**cloudfront)
    sent = sent_config(app)
    returned = as_cloudfront_returns(sent)
    assert returned != sent  # the old `==` called this someone else's change
    assert written(returned, sent, origin_id(app))
    assert origin_id_of(sent) == origin_id(app) == "geoproxy-shop"


def test_an_edit_outside_geoproxys_fields_still_counts_as_landed() -> None:
    app = application()
    sent = sent_config(app)
    returned = as_cloudfront_returns(sent)
    returned["Comment"] = "changed by someone else"
    returned["Origins"]["Items"][0]["CustomHeaders"] = {
        "Quantity": 1,
        "Items": [{"HeaderName": "X-Secret", "HeaderValue": "s"}],
    }
    assert written(returned, sent, origin_id(app))


@pytest.mark.parametrize(
    "edit, path",
    [
        (
            lambda c: c["DefaultCacheBehavior"].update(TargetOriginId="legacy"),
            "DefaultCacheBehavior.TargetOriginId",
        ),
        (lambda c: c["Aliases"].update(Quantity=1, Items=["shop.example.com"]), "Aliases"),
        (
            lambda c: c["Restrictions"]["GeoRestriction"].update(
                RestrictionType="none", Quantity=0, Items=[]
            ),
            "Restrictions.GeoRestriction",
        ),
        (
            lambda c: next(o for o in c["Origins"]["Items"] if o["Id"] == "geoproxy-shop").update(
                DomainName="elsewhere.example.com"
            ),
            "Origins[geoproxy-shop]",
        ),
        (
            lambda c: next(o for o in c["Origins"]["Items"] if o["Id"] == "geoproxy-shop")[
                "CustomOriginConfig"
            ].update(OriginReadTimeout=60),
            "Origins[geoproxy-shop]",
        ),
        (
            lambda c: c["CacheBehaviors"]["Items"][0].update(FunctionAssociations={"Quantity": 0}),
            "CacheBehaviors[/api/*].FunctionAssociations",
        ),
    ],
    ids=["target", "aliases", "geo", "origin domain", "origin timeout", "association"],
)
def test_someone_elses_change_to_a_managed_field_is_not_my_write(edit: Any, path: str) -> None:
    app = application()
    sent = sent_config(app)
    returned = as_cloudfront_returns(sent)
    edit(returned)
    assert not written(returned, sent, origin_id(app))
    assert [change.path for change in differences(returned, sent, origin_id(app))] == [path]


def test_a_group_member_change_is_seen_and_the_primary_comes_first() -> None:
    app = application(origin_failover={"secondary_pop": "us-east-1"})
    sent = sent_config(app)
    returned = as_cloudfront_returns(sent)
    group = returned["OriginGroups"]["Items"][0]
    group["Members"]["Items"].reverse()
    assert differences(returned, sent, origin_id(app)) == [
        FieldChange(
            "OriginGroups[geoproxy-shop-group]",
            {
                "StatusCodes": [500, 502, 503, 504],
                "Members": ["geoproxy-shop-us-east-1", "geoproxy-shop"],
            },
            {
                "StatusCodes": [500, 502, 503, 504],
                "Members": ["geoproxy-shop", "geoproxy-shop-us-east-1"],
            },
        )
    ]


def test_an_origin_id_of_the_users_choice_is_inferred_from_what_geoproxy_wrote() -> None:
    app = application(origin_id="edge-shop", origin_failover={"secondary_pop": "us-east-1"})
    assert origin_id_of(sent_config(app)) == "edge-shop"
    assert origin_id_of(sent_config(application(origin_id="edge-shop"))) == "edge-shop"
