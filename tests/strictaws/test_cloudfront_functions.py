"""CloudFront Functions in the strict layer (moto 5.2 has none: its server answers 404).

Docs cited below (as in geoproxy/sandbox/strict/cloudfront_functions.py):
- [API] CloudFront API Reference: CreateFunction, DescribeFunction, GetFunction,
        UpdateFunction, PublishFunction, ListFunctions, DeleteFunction and their errors.
- [CRT] Developer Guide, "Create functions": DEVELOPMENT stage, Status UNPUBLISHED, the ARN
        and Location in the example answer.
- [PUB] Developer Guide, "Publish functions": DEVELOPMENT is copied to LIVE (Status
        UNASSOCIATED).
- [QUO] Developer Guide, "Quotas", #limits-functions: 100 functions per account, 10 KB each.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config

from tests.strictaws import StrictMotoServer
from tests.strictaws.fixtures import NO_RETRY, error_of

pytest_plugins = ["tests.strictaws.fixtures"]

# Without botocore's own checks, so a request can leave out what it requires (If-Match).
UNCHECKED = NO_RETRY.merge(Config(parameter_validation=False))
CODE = b"function handler(event) { return event.request; }"
JS2 = {"Comment": "edge fence", "Runtime": "cloudfront-js-2.0"}
ARN = "arn:aws:cloudfront::123456789012:function/"


def create(cf: Any, name: str = "fence", code: bytes = CODE, **config: str) -> str:
    """A new function; returns its DEVELOPMENT ETag."""
    return str(
        cf.create_function(Name=name, FunctionConfig={**JS2, **config}, FunctionCode=code)["ETag"]
    )


def code_of(cf: Any, name: str, stage: str = "DEVELOPMENT") -> bytes:
    return bytes(cf.get_function(Name=name, Stage=stage)["FunctionCode"].read())


# -- CreateFunction [API][CRT] ------------------------------------------------------------------


def test_create_function_answers_201_with_location_etag_and_a_development_summary(
    aws: StrictMotoServer,
    cf: Any,
) -> None:
    created = cf.create_function(Name="fence", FunctionConfig=JS2, FunctionCode=CODE)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["Location"] == f"https://cloudfront.amazonaws.com/2020-05-31/function/{ARN}fence"
    assert created["ETag"]
    summary = created["FunctionSummary"]
    assert (summary["Name"], summary["Status"], summary["FunctionConfig"]) == (
        "fence",
        "UNPUBLISHED",
        JS2,
    )
    metadata = summary["FunctionMetadata"]
    assert (metadata["FunctionARN"], metadata["Stage"]) == (f"{ARN}fence", "DEVELOPMENT")
    assert metadata["CreatedTime"] == metadata["LastModifiedTime"]
    assert aws.operations() == ["CreateFunction"]  # logged by its API name, like the rest


def test_both_runtimes_and_only_those(cf: Any) -> None:
    # [API] FunctionRuntime: cloudfront-js-1.0 | cloudfront-js-2.0 (botocore does not check it).
    create(cf, "one", Runtime="cloudfront-js-1.0")
    create(cf, "two", Runtime="cloudfront-js-2.0")
    assert error_of(
        cf.create_function,
        Name="three",
        FunctionCode=CODE,
        FunctionConfig={**JS2, "Runtime": "cloudfront-js-3.0"},
    ) == ("InvalidArgument", 400)


@pytest.mark.parametrize("name", ["a" * 65, "edge.fence", "edge fence", "fence/1"])
def test_the_name_pattern_and_length(cf: Any, name: str) -> None:
    # [API] FunctionName: [a-zA-Z0-9-_]{1,64}; botocore checks only the minimum length.
    assert error_of(cf.create_function, Name=name, FunctionConfig=JS2, FunctionCode=CODE) == (
        "InvalidArgument",
        400,
    )
    create(cf, "a" * 64)
    create(cf, "Edge_fence-2")


def test_a_name_is_unique_in_the_account(cf: Any) -> None:
    create(cf)
    assert error_of(cf.create_function, Name="fence", FunctionConfig=JS2, FunctionCode=CODE) == (
        "FunctionAlreadyExists",
        409,
    )


def test_the_10_kb_size_quota(cf: Any) -> None:
    # [QUO] "Maximum function size: 10 KB", read as 10,240 bytes of code.
    create(cf, "largest", b"x" * 10_240)
    assert error_of(
        cf.create_function, Name="larger", FunctionConfig=JS2, FunctionCode=b"x" * 10_241
    ) == ("FunctionSizeLimitExceeded", 413)
    etag = cf.describe_function(Name="largest")["ETag"]
    assert error_of(
        cf.update_function,
        Name="largest",
        IfMatch=etag,
        FunctionConfig=JS2,
        FunctionCode=b"x" * 10_241,
    ) == ("FunctionSizeLimitExceeded", 413)


def test_at_most_100_functions_per_account(cf: Any) -> None:
    for number in range(100):  # [QUO]
        create(cf, f"f{number}", b"1")
    assert error_of(cf.create_function, Name="f100", FunctionConfig=JS2, FunctionCode=b"1") == (
        "TooManyFunctions",
        400,
    )


# -- DescribeFunction, GetFunction [API] --------------------------------------------------------


def test_describe_and_get_the_development_stage(cf: Any) -> None:
    etag = create(cf)
    described = cf.describe_function(Name="fence")  # Stage defaults to DEVELOPMENT
    assert described["ETag"] == etag
    assert described["FunctionSummary"]["FunctionMetadata"]["Stage"] == "DEVELOPMENT"
    assert cf.describe_function(Name="fence", Stage="DEVELOPMENT")["ETag"] == etag
    got = cf.get_function(Name="fence")
    assert (got["FunctionCode"].read(), got["ETag"]) == (CODE, etag)
    assert got["ContentType"] == "application/octet-stream"


def test_an_unpublished_function_has_no_live_stage(cf: Any) -> None:
    create(cf)
    assert error_of(cf.describe_function, Name="fence", Stage="LIVE") == (
        "NoSuchFunctionExists",
        404,
    )
    assert error_of(cf.get_function, Name="fence", Stage="LIVE") == ("NoSuchFunctionExists", 404)


def test_an_unknown_function(cf: Any) -> None:
    for call, extra in (
        (cf.describe_function, {}),
        (cf.get_function, {}),
        (cf.publish_function, {"IfMatch": "E1"}),
        (cf.delete_function, {"IfMatch": "E1"}),
        (cf.update_function, {"IfMatch": "E1", "FunctionConfig": JS2, "FunctionCode": CODE}),
    ):
        assert error_of(call, Name="nosuch", **extra) == ("NoSuchFunctionExists", 404)


# -- UpdateFunction: the DEVELOPMENT stage, with its ETag [API] ---------------------------------


def test_update_function_needs_the_current_etag_and_issues_a_new_one(
    aws: StrictMotoServer, cf: Any
) -> None:
    etag = create(cf)
    updated = cf.update_function(
        Name="fence",
        IfMatch=etag,
        FunctionConfig={**JS2, "Comment": ""},
        FunctionCode=b"function handler(e) { return e.request }",
    )
    # botocore reads this ETag from the header its model spells "ETtag".
    assert updated["ETag"] and updated["ETag"] != etag
    assert updated["FunctionSummary"]["FunctionConfig"] == {**JS2, "Comment": ""}
    assert cf.describe_function(Name="fence")["ETag"] == updated["ETag"]
    assert code_of(cf, "fence") == b"function handler(e) { return e.request }"
    # The ETag it replaced is stale now: 412, and nothing changes.
    assert error_of(
        cf.update_function, Name="fence", IfMatch=etag, FunctionConfig=JS2, FunctionCode=CODE
    ) == ("PreconditionFailed", 412)
    unchecked = aws.client("cloudfront", config=UNCHECKED)
    assert error_of(
        unchecked.update_function, Name="fence", FunctionConfig=JS2, FunctionCode=CODE
    ) == ("InvalidIfMatchVersion", 400)
    assert code_of(cf, "fence") == b"function handler(e) { return e.request }"


# -- PublishFunction: DEVELOPMENT to LIVE [PUB] -------------------------------------------------


def test_publish_copies_development_to_live(aws: StrictMotoServer, cf: Any) -> None:
    etag = create(cf)
    published = cf.publish_function(Name="fence", IfMatch=etag)["FunctionSummary"]
    assert (published["Status"], published["FunctionMetadata"]["Stage"]) == ("UNASSOCIATED", "LIVE")
    assert code_of(cf, "fence", "LIVE") == CODE
    live = cf.describe_function(Name="fence", Stage="LIVE")
    assert live["FunctionSummary"]["FunctionConfig"] == JS2
    # An update changes DEVELOPMENT only: LIVE runs what was published until the next publish.
    new = cf.update_function(
        Name="fence",
        IfMatch=etag,
        FunctionConfig=JS2,
        FunctionCode=b"function handler(e) { return e.request }",
    )["ETag"]
    assert code_of(cf, "fence", "LIVE") == CODE
    assert cf.describe_function(Name="fence", Stage="LIVE")["ETag"] == live["ETag"]
    cf.publish_function(Name="fence", IfMatch=new)
    assert code_of(cf, "fence", "LIVE") == b"function handler(e) { return e.request }"
    assert cf.describe_function(Name="fence", Stage="LIVE")["ETag"] != live["ETag"]


def test_publish_needs_the_current_development_etag(aws: StrictMotoServer, cf: Any) -> None:
    etag = create(cf)
    new = cf.update_function(Name="fence", IfMatch=etag, FunctionConfig=JS2, FunctionCode=b"2")[
        "ETag"
    ]
    assert error_of(cf.publish_function, Name="fence", IfMatch=etag) == ("PreconditionFailed", 412)
    unchecked = aws.client("cloudfront", config=UNCHECKED)
    assert error_of(unchecked.publish_function, Name="fence") == ("InvalidIfMatchVersion", 400)
    assert error_of(cf.describe_function, Name="fence", Stage="LIVE")[0] == "NoSuchFunctionExists"
    cf.publish_function(Name="fence", IfMatch=new)
    live = cf.describe_function(Name="fence", Stage="LIVE")["ETag"]
    assert error_of(cf.publish_function, Name="fence", IfMatch=live) == ("PreconditionFailed", 412)


# -- ListFunctions [API] ------------------------------------------------------------------------


def test_list_functions_by_stage_and_by_page(cf: Any) -> None:
    cf.publish_function(Name="live", IfMatch=create(cf, "live"))
    create(cf, "draft")

    def listed(**kwargs: Any) -> list[tuple[str, str]]:
        items = cf.list_functions(**kwargs)["FunctionList"].get("Items", [])
        return [(item["Name"], item["FunctionMetadata"]["Stage"]) for item in items]

    assert listed(Stage="LIVE") == [("live", "LIVE")]
    assert listed(Stage="DEVELOPMENT") == [("live", "DEVELOPMENT"), ("draft", "DEVELOPMENT")]
    assert sorted(listed()) == [("draft", "DEVELOPMENT"), ("live", "DEVELOPMENT"), ("live", "LIVE")]
    first = cf.list_functions(Stage="DEVELOPMENT", MaxItems="1")["FunctionList"]
    assert (first["Quantity"], first["MaxItems"]) == (1, 1)
    rest = cf.list_functions(Stage="DEVELOPMENT", MaxItems="1", Marker=first["NextMarker"])[
        "FunctionList"
    ]
    assert [item["Name"] for item in first["Items"] + rest["Items"]] == ["live", "draft"]
    assert "NextMarker" not in rest


def test_an_empty_list(cf: Any) -> None:
    assert cf.list_functions()["FunctionList"] == {"MaxItems": 100, "Quantity": 0}


# -- DeleteFunction [API] -----------------------------------------------------------------------


def test_delete_function_needs_the_current_etag(aws: StrictMotoServer, cf: Any) -> None:
    etag = create(cf)
    new = cf.update_function(Name="fence", IfMatch=etag, FunctionConfig=JS2, FunctionCode=b"2")[
        "ETag"
    ]
    assert error_of(cf.delete_function, Name="fence", IfMatch=etag) == ("PreconditionFailed", 412)
    unchecked = aws.client("cloudfront", config=UNCHECKED)
    assert error_of(unchecked.delete_function, Name="fence") == ("InvalidIfMatchVersion", 400)
    deleted = cf.delete_function(Name="fence", IfMatch=new)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(cf.describe_function, Name="fence") == ("NoSuchFunctionExists", 404)
    create(cf)  # the name is free again


# -- the harness --------------------------------------------------------------------------------


def test_reset_forgets_functions_and_faults_reach_function_calls(
    aws: StrictMotoServer, cf: Any
) -> None:
    create(cf)
    aws.reset()
    assert cf.list_functions()["FunctionList"]["Quantity"] == 0
    aws.inject("PublishFunction", code="Throttling", status=400)
    etag = create(cf)
    assert error_of(cf.publish_function, Name="fence", IfMatch=etag) == ("Throttling", 400)
    cf.publish_function(Name="fence", IfMatch=etag)
    assert aws.operations()[-3:] == ["CreateFunction", "PublishFunction", "PublishFunction"]
