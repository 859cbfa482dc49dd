"""FunctionAssociations on cache behaviours, kept and checked by the strict layer.

moto 5.2 answers every behaviour with FunctionAssociations and LambdaFunctionAssociations
{"Quantity": 0} whatever was sent, and checks nothing about them.

Docs cited below (as in geoproxy/sandbox/strict/cloudfront_functions.py):
- [API] API Reference: FunctionAssociations ("Your functions must be published to the LIVE
        stage to associate them with a cache behavior"), CreateDistribution/UpdateDistribution's
        InvalidFunctionAssociation, DeleteFunction's FunctionInUse.
- [ASC] Developer Guide, "Associate functions with distributions": no origin-facing events.
- [RES] Developer Guide, "Restrictions on all edge functions", "Combining CloudFront
        Functions with Lambda@Edge".
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.strictaws.fixtures import BEHAVIOUR, distribution_config, error_of

pytest_plugins = ["tests.strictaws.fixtures"]

JS2 = {"Comment": "", "Runtime": "cloudfront-js-2.0"}
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:auth:3"
BASE = distribution_config("edge")


def function(cf: Any, name: str = "fence", publish: bool = True) -> str:
    """A function (published unless told otherwise); returns its ARN."""
    created = cf.create_function(Name=name, FunctionConfig=JS2, FunctionCode=b"x")
    if publish:
        cf.publish_function(Name=name, IfMatch=created["ETag"])
    return str(created["FunctionSummary"]["FunctionMetadata"]["FunctionARN"])


def uses(*pairs: tuple[str, str], lambdas: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """A behaviour with these (event, function ARN) and (event, Lambda ARN) associations."""
    behaviour = {
        **BEHAVIOUR,
        "FunctionAssociations": {
            "Quantity": len(pairs),
            "Items": [{"EventType": event, "FunctionARN": arn} for event, arn in pairs],
        },
    }
    if lambdas:
        behaviour["LambdaFunctionAssociations"] = {
            "Quantity": len(lambdas),
            "Items": [
                {"EventType": event, "LambdaFunctionARN": arn, "IncludeBody": False}
                for event, arn in lambdas
            ],
        }
    return behaviour


def config(default: dict[str, Any] | None = None, *others: dict[str, Any]) -> dict[str, Any]:
    result = {**copy.deepcopy(BASE), "DefaultCacheBehavior": default or BEHAVIOUR}
    if others:
        result["CacheBehaviors"] = {
            "Quantity": len(others),
            "Items": [
                {**behaviour, "PathPattern": f"/p{number}/*"}
                for number, behaviour in enumerate(others)
            ],
        }
    return result


def update(cf: Any, dist_id: str, **changes: Any) -> dict[str, Any]:
    current = cf.get_distribution_config(Id=dist_id)
    return {
        "Id": dist_id,
        "IfMatch": current["ETag"],
        "DistributionConfig": {**current["DistributionConfig"], **changes},
    }


# -- kept as sent -------------------------------------------------------------------------------


def test_associations_are_returned_as_sent(cf: Any) -> None:
    arn = function(cf)
    default = uses(("viewer-request", arn), lambdas=(("origin-request", LAMBDA),))
    other = uses(("viewer-response", arn))
    dist = cf.create_distribution(DistributionConfig=config(default, other))["Distribution"]
    expected_default = {
        "Quantity": 1,
        "Items": [{"EventType": "viewer-request", "FunctionARN": arn}],
    }
    expected_lambda = {
        "Quantity": 1,
        "Items": [
            {"EventType": "origin-request", "LambdaFunctionARN": LAMBDA, "IncludeBody": False}
        ],
    }
    for answer in (
        dist["DistributionConfig"],
        cf.get_distribution(Id=dist["Id"])["Distribution"]["DistributionConfig"],
        cf.get_distribution_config(Id=dist["Id"])["DistributionConfig"],
        cf.list_distributions()["DistributionList"]["Items"][0],
    ):
        assert answer["DefaultCacheBehavior"]["FunctionAssociations"] == expected_default
        assert answer["DefaultCacheBehavior"]["LambdaFunctionAssociations"] == expected_lambda
        behaviour = answer["CacheBehaviors"]["Items"][0]
        assert behaviour["FunctionAssociations"]["Items"] == [
            {"EventType": "viewer-response", "FunctionARN": arn}
        ]
        assert behaviour["LambdaFunctionAssociations"] == {"Quantity": 0}
    # An update keeps them too, and can take them away.
    cf.update_distribution(**update(cf, dist["Id"], DefaultCacheBehavior=BEHAVIOUR))
    stored = cf.get_distribution_config(Id=dist["Id"])["DistributionConfig"]
    assert stored["DefaultCacheBehavior"]["FunctionAssociations"] == {"Quantity": 0}
    assert stored["CacheBehaviors"]["Items"][0]["FunctionAssociations"]["Quantity"] == 1


# -- what a behaviour may use [API][ASC][RES] ---------------------------------------------------


def test_only_a_published_function(cf: Any) -> None:
    draft = function(cf, "draft", publish=False)
    refused = ("InvalidFunctionAssociation", 400)
    assert (
        error_of(cf.create_distribution, DistributionConfig=config(uses(("viewer-request", draft))))
        == refused
    )
    assert cf.list_distributions()["DistributionList"]["Quantity"] == 0
    dist = cf.create_distribution(DistributionConfig=config())["Distribution"]["Id"]
    assert (
        error_of(
            cf.update_distribution,
            **update(cf, dist, DefaultCacheBehavior=uses(("viewer-request", draft))),
        )
        == refused
    )
    cf.publish_function(Name="draft", IfMatch=cf.describe_function(Name="draft")["ETag"])
    cf.update_distribution(**update(cf, dist, DefaultCacheBehavior=uses(("viewer-request", draft))))


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:cloudfront::123456789012:function/nosuch",
        "arn:aws:cloudfront::111122223333:function/fence",  # [RES] same-account ownership
        "fence",
    ],
)
def test_only_a_function_of_this_account(cf: Any, arn: str) -> None:
    function(cf)
    assert error_of(
        cf.create_distribution, DistributionConfig=config(BEHAVIOUR, uses(("viewer-request", arn)))
    ) == ("InvalidFunctionAssociation", 400)


@pytest.mark.parametrize("event", ["origin-request", "origin-response"])
def test_only_viewer_events(cf: Any, event: str) -> None:
    arn = function(cf)  # [ASC] "You cannot use origin-facing event types"
    assert error_of(cf.create_distribution, DistributionConfig=config(uses((event, arn)))) == (
        "InvalidFunctionAssociation",
        400,
    )


def test_one_function_per_event(cf: Any) -> None:
    first, second = function(cf, "first"), function(cf, "second")
    # [RES] "Each event type ... can have only one edge function association."
    assert error_of(
        cf.create_distribution,
        DistributionConfig=config(uses(("viewer-request", first), ("viewer-request", second))),
    ) == ("InvalidFunctionAssociation", 400)
    cf.create_distribution(
        DistributionConfig=config(uses(("viewer-request", first), ("viewer-response", second)))
    )


@pytest.mark.parametrize(
    ("lambda_event", "allowed"),
    [
        ("viewer-request", False),
        ("viewer-response", False),  # [RES] "Not allowed"
        ("origin-request", True),
        ("origin-response", True),  # [RES] "Allowed"
    ],
)
def test_no_lambda_at_edge_on_a_viewer_event_beside_a_function(
    cf: Any, lambda_event: str, allowed: bool
) -> None:
    arn = function(cf)
    request = config(uses(("viewer-request", arn), lambdas=((lambda_event, LAMBDA),)))
    if allowed:
        cf.create_distribution(DistributionConfig=request)
        return
    assert error_of(cf.create_distribution, DistributionConfig=request) == (
        "InvalidFunctionAssociation",
        400,
    )
    # Lambda@Edge alone on a viewer event is none of this layer's business.
    cf.create_distribution(
        DistributionConfig=config(
            {
                **BEHAVIOUR,
                "LambdaFunctionAssociations": {
                    "Quantity": 1,
                    "Items": [{"EventType": lambda_event, "LambdaFunctionARN": LAMBDA}],
                },
            }
        )
    )


def test_quantity_must_match_the_items(cf: Any) -> None:
    arn = function(cf)  # [API] InconsistentQuantities
    behaviour = uses(("viewer-request", arn))
    behaviour["FunctionAssociations"]["Quantity"] = 2
    assert error_of(cf.create_distribution, DistributionConfig=config(behaviour)) == (
        "InconsistentQuantities",
        400,
    )


# -- a function in use cannot be deleted [API] --------------------------------------------------


def test_a_function_in_use_cannot_be_deleted(cf: Any) -> None:
    arn = function(cf)
    dist = cf.create_distribution(
        DistributionConfig=config(BEHAVIOUR, uses(("viewer-request", arn)))
    )["Distribution"]["Id"]
    etag = cf.describe_function(Name="fence")["ETag"]
    assert error_of(cf.delete_function, Name="fence", IfMatch=etag) == ("FunctionInUse", 409)
    # Publishing again is fine while in use: the behaviours follow the new LIVE copy ([API]).
    new = cf.update_function(Name="fence", IfMatch=etag, FunctionConfig=JS2, FunctionCode=b"y")[
        "ETag"
    ]
    cf.publish_function(Name="fence", IfMatch=new)
    current = cf.get_distribution_config(Id=dist)["DistributionConfig"]
    cf.update_distribution(
        **update(
            cf,
            dist,
            CacheBehaviors={
                "Quantity": 1,
                "Items": [
                    {
                        **current["CacheBehaviors"]["Items"][0],
                        "FunctionAssociations": {"Quantity": 0},
                    }
                ],
            },
        )
    )
    cf.delete_function(Name="fence", IfMatch=new)
