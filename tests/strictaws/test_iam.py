"""The IAM evaluator against AWS's documented examples, and the request mapper against real
botocore requests (serialized offline, and recorded by the strict server).

Every evaluator test encodes an outcome an AWS page documents, named by the short tags of
tests/strictaws/iam.py ([eval], [action], [res], [cond], [ops], [multi], [sets], [setops]); the
mapper tests cite the tags of tests/strictaws/iam_requests.py ([r53], [r53c], [dns], [cf], ...).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from geoproxy.sandbox.strict.opnames import UNKNOWN, operation_name, protocol
from tests.strictaws import Call, StrictMotoServer
from tests.strictaws.iam import UnsupportedPolicy, evaluate
from tests.strictaws.iam_requests import (
    MAPPED_OPERATIONS,
    Authorization,
    UnmappedRequest,
    authorization,
    normalize_record_name,
    unauthorized,
)

pytest_plugins = ["tests.strictaws.fixtures"]


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allowed(document: dict, action: str, resource: str = "*", **context: Any) -> bool:
    # Context keys with ":" cannot be keyword names: pass them as ctx={...}.
    ctx = context.pop("ctx", {})
    return evaluate(document, action, resource, {**ctx, **context}).allowed


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


# -- [eval] explicit and implicit denies ---------------------------------------------------------
# "The difference between explicit and implicit denies": AllowGetList allows iam:Get*/iam:List*,
# everything else in IAM is implicitly denied, DenyReports explicitly denies the *Report actions.
GET_LIST_NO_REPORTS = policy(
    {
        "Sid": "AllowGetList",
        "Effect": "Allow",
        "Action": ["iam:Get*", "iam:List*"],
        "Resource": "*",
    },
    {"Sid": "DenyReports", "Effect": "Deny", "Action": "iam:*Report", "Resource": "*"},
)


def test_allow_statement_allows_matching_action() -> None:
    decision = evaluate(GET_LIST_NO_REPORTS, "iam:ListUsers", "*", {})
    assert (decision.allowed, decision.effect) == (True, "Allow")
    assert decision.statement == "statement 'AllowGetList'"


def test_unlisted_action_is_implicitly_denied() -> None:
    decision = evaluate(GET_LIST_NO_REPORTS, "iam:CreatePolicy", "*", {})
    assert (decision.allowed, decision.effect, decision.statement) == (False, "ImplicitDeny", None)


def test_explicit_deny_beats_allow() -> None:
    # iam:GetOrganizationsAccessReport matches AllowGetList too: the Deny wins.
    decision = evaluate(GET_LIST_NO_REPORTS, "iam:GetOrganizationsAccessReport", "*", {})
    assert (decision.allowed, decision.effect) == (False, "Deny")
    assert decision.statement == "statement 'DenyReports'"
    assert "DenyReports" in decision.reason


def test_statement_order_does_not_matter() -> None:
    reversed_policy = policy(*reversed(GET_LIST_NO_REPORTS["Statement"]))
    assert not allowed(reversed_policy, "iam:GenerateCredentialReport")
    assert allowed(reversed_policy, "iam:GetUser")


def test_empty_policy_denies_everything() -> None:
    assert not allowed(policy(), "s3:GetObject", "arn:aws:s3:::b/k")


# -- [action] Action and NotAction ---------------------------------------------------------------
def test_action_prefix_and_name_are_case_insensitive() -> None:
    # [action]: "iam:ListAccessKeys is the same as IAM:listaccesskeys".
    document = policy({"Effect": "Allow", "Action": "IAM:listaccesskeys", "Resource": "*"})
    assert allowed(document, "iam:ListAccessKeys")
    assert not allowed(document, "iam:ListAccessKey")


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("iam:CreateAccessKey", True),
        ("iam:DeleteAccessKey", True),
        ("iam:ListAccessKeys", True),
        ("iam:UpdateAccessKey", True),
        ("iam:ChangePassword", False),
        ("s3:ListAccessKeys", False),
    ],
)
def test_wildcard_inside_action_name(action: str, expected: bool) -> None:
    # [action]: "iam:*AccessKey*" covers CreateAccessKey, DeleteAccessKey, ListAccessKeys and
    # UpdateAccessKey; the service prefix still has to match.
    document = policy({"Effect": "Allow", "Action": "iam:*AccessKey*", "Resource": "*"})
    assert allowed(document, action) is expected


def test_question_mark_matches_one_character_of_an_action() -> None:
    document = policy({"Effect": "Allow", "Action": "route53:Get?hange", "Resource": "*"})
    assert allowed(document, "route53:GetChange")
    assert not allowed(document, "route53:GetCChange")


def test_not_action_allow_within_a_resource_scope() -> None:
    # [action] NotAction with Allow: all S3 actions on S3 resources except DeleteBucket; not
    # ListAllMyBuckets ("that action requires the '*' resource"), nor other services' actions.
    document = policy(
        {"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "arn:aws:s3:::*"}
    )
    assert allowed(document, "s3:GetObject", "arn:aws:s3:::bucket/key")
    assert not allowed(document, "s3:DeleteBucket", "arn:aws:s3:::bucket")
    assert not allowed(document, "s3:ListAllMyBuckets", "*")
    assert not allowed(document, "ec2:RunInstances", "arn:aws:ec2:us-east-1:111122223333:*")


def test_not_action_allows_everything_outside_iam() -> None:
    # [action]: "allows users to access every action in every AWS service except for IAM".
    document = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert allowed(document, "route53:ChangeResourceRecordSets", "*")
    assert not allowed(document, "iam:CreateUser", "*")


# [action] NotAction with Deny: DenyAllUsersNotUsingMFA denies everything but IAM without MFA.
DENY_WITHOUT_MFA = policy(
    ALLOW_ALL,
    {
        "Sid": "DenyAllUsersNotUsingMFA",
        "Effect": "Deny",
        "NotAction": "iam:*",
        "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    },
)


@pytest.mark.parametrize(
    ("action", "mfa", "expected"),
    [
        ("s3:GetObject", "false", False),
        ("s3:GetObject", None, False),  # BoolIfExists: no key, the condition holds
        ("s3:GetObject", "true", True),  # "the Condition test fails and the final Deny has no
        ("iam:ChangePassword", "false", True),  # effect"; IAM actions are never denied here
    ],
)
def test_not_action_deny_with_bool_if_exists(action: str, mfa: str | None, expected: bool) -> None:
    ctx = {} if mfa is None else {"aws:MultiFactorAuthPresent": mfa}
    assert allowed(DENY_WITHOUT_MFA, action, "*", ctx=ctx) is expected


# -- [res] Resource and NotResource --------------------------------------------------------------
@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("arn:aws:iam::111122223333:user/accounting/bob", True),
        ("arn:aws:iam::111122223333:user/accounting/audit/bob", True),  # `*` spans `/`
        ("arn:aws:iam::111122223333:user/marketing/bob", False),
        ("arn:aws:iam::444455556666:user/accounting/bob", False),
    ],
)
def test_resource_wildcard_for_a_path(resource: str, expected: bool) -> None:
    # [res]: "refers to all IAM users whose path is /accounting".
    document = policy(
        {
            "Effect": "Allow",
            "Action": "iam:GetUser",
            "Resource": "arn:aws:iam::111122223333:user/accounting/*",
        }
    )
    assert allowed(document, "iam:GetUser", resource) is expected


def test_resource_is_case_sensitive() -> None:
    # [res]: "In the Resource element, the IAM user name is case sensitive".
    document = policy(
        {
            "Effect": "Allow",
            "Action": "iam:GetUser",
            "Resource": "arn:aws:iam::111122223333:user/Bob",
        }
    )
    assert allowed(document, "iam:GetUser", "arn:aws:iam::111122223333:user/Bob")
    assert not allowed(document, "iam:GetUser", "arn:aws:iam::111122223333:user/bob")


def test_resource_wildcards_span_colons_and_question_mark_is_one_character() -> None:
    document = policy(
        {"Effect": "Allow", "Action": "route53:*", "Resource": "arn:aws:route53:::hostedzone/Z?"},
        {"Effect": "Allow", "Action": "cloudfront:*", "Resource": "arn:aws:cloudfront::*"},
    )
    assert allowed(document, "route53:GetHostedZone", "arn:aws:route53:::hostedzone/Z1")
    assert not allowed(document, "route53:GetHostedZone", "arn:aws:route53:::hostedzone/Z12")
    assert allowed(
        document, "cloudfront:GetDistribution", "arn:aws:cloudfront::111122223333:distribution/E1"
    )


def test_list_action_needs_resource_star() -> None:
    # [res] note: actions without resource-level permissions take "*", which a zone ARN pattern
    # does not cover.
    document = policy(
        {"Effect": "Allow", "Action": "route53:*", "Resource": "arn:aws:route53:::hostedzone/*"}
    )
    assert not allowed(document, "route53:ListHostedZones", "*")
    assert allowed(document, "route53:GetHostedZone", "arn:aws:route53:::hostedzone/Z1")


def test_not_resource() -> None:
    document = policy(
        {
            "Effect": "Allow",
            "Action": "route53:*",
            "NotResource": "arn:aws:route53:::hostedzone/ZPROD",
        }
    )
    assert allowed(document, "route53:GetHostedZone", "arn:aws:route53:::hostedzone/ZTEST")
    assert not allowed(document, "route53:GetHostedZone", "arn:aws:route53:::hostedzone/ZPROD")


# -- [cond] names and values -----------------------------------------------------------------------
def test_condition_key_names_are_case_insensitive_values_are_not() -> None:
    # [cond]: only requests made by "johndoe" match StringEquals; "JohnDoe" is denied.
    document = policy({**ALLOW_ALL, "Condition": {"StringEquals": {"aws:username": "johndoe"}}})
    assert allowed(document, "s3:GetObject", ctx={"AWS:UserName": "johndoe"})
    assert not allowed(document, "s3:GetObject", ctx={"aws:username": "JohnDoe"})


def test_string_equals_ignore_case() -> None:
    # [cond]: StringEqualsIgnoreCase "to match users named johndoe or JohnDoe".
    document = policy(
        {**ALLOW_ALL, "Condition": {"StringEqualsIgnoreCase": {"aws:username": "johndoe"}}}
    )
    assert allowed(document, "s3:GetObject", ctx={"aws:username": "JohnDoe"})
    assert not allowed(document, "s3:GetObject", ctx={"aws:username": "janedoe"})


def test_missing_key_fails_a_positive_operator() -> None:
    # [ops]: a user without the aws:PrincipalTag/job-category tag is implicitly denied.
    document = policy(
        {
            "Effect": "Allow",
            "Action": "iam:*AccessKey*",
            "Resource": "arn:aws:iam::111122223333:user/*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}},
        }
    )
    user = "arn:aws:iam::111122223333:user/alice"
    tag = {"aws:PrincipalTag/job-category": "iamuser-admin"}
    assert allowed(document, "iam:CreateAccessKey", user, ctx=tag)
    decision = evaluate(document, "iam:CreateAccessKey", user, {})
    assert not decision.allowed
    assert "aws:PrincipalTag/job-category" in decision.reason and "absent" in decision.reason


# -- [ops] operators -----------------------------------------------------------------------------
RUN_T_INSTANCES = {
    "Sid": "RunInstance",
    "Effect": "Allow",
    "Action": "ec2:RunInstances",
    "Resource": "*",
}
TYPES = ["t1.*", "t2.*", "m3.*"]


def test_string_like_without_if_exists_denies_resources_lacking_the_key() -> None:
    # [ops] "THISPOLICYDOESNOTWORK": the image, key pair... have no ec2:InstanceType, so the
    # StringLike check fails for them and no instance can be launched.
    document = policy({**RUN_T_INSTANCES, "Condition": {"StringLike": {"ec2:InstanceType": TYPES}}})
    assert allowed(document, "ec2:RunInstances", ctx={"ec2:InstanceType": "t2.micro"})
    assert not allowed(document, "ec2:RunInstances", "arn:aws:ec2:us-east-1::image/ami-1")


@pytest.mark.parametrize(
    ("instance_type", "expected"),
    [("t2.micro", True), ("m3.large", True), (None, True), ("c5.large", False), ("t2", False)],
)
def test_string_like_if_exists(instance_type: str | None, expected: bool) -> None:
    # [ops] StringLikeIfExists: checked only where the key exists; `*` after "t2." needs the
    # period, so "t2" alone does not match.
    document = policy(
        {**RUN_T_INSTANCES, "Condition": {"StringLikeIfExists": {"ec2:InstanceType": TYPES}}}
    )
    ctx = {} if instance_type is None else {"ec2:InstanceType": instance_type}
    assert allowed(document, "ec2:RunInstances", ctx=ctx) is expected


def test_string_like_is_case_sensitive() -> None:
    document = policy({**RUN_T_INSTANCES, "Condition": {"StringLike": {"ec2:InstanceType": TYPES}}})
    assert not allowed(document, "ec2:RunInstances", ctx={"ec2:InstanceType": "T2.micro"})


def test_null_true_requires_the_key_to_be_absent() -> None:
    # [ops] Null: the user must not be using temporary credentials (aws:TokenIssueTime absent).
    document = policy(
        {
            "Action": "ec2:*",
            "Effect": "Allow",
            "Resource": "*",
            "Condition": {"Null": {"aws:TokenIssueTime": "true"}},
        }
    )
    assert allowed(document, "ec2:DescribeInstances")
    assert not allowed(
        document, "ec2:DescribeInstances", ctx={"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}
    )


def test_null_false_requires_the_key_to_be_present_and_not_empty() -> None:
    document = policy({**ALLOW_ALL, "Condition": {"Null": {"aws:TagKeys": "false"}}})
    assert allowed(document, "ec2:CreateTags", ctx={"aws:TagKeys": ["env"]})
    assert not allowed(document, "ec2:CreateTags")
    assert not allowed(document, "ec2:CreateTags", ctx={"aws:TagKeys": []})


@pytest.mark.parametrize(("secure", "expected"), [("false", False), ("true", True)])
def test_bool_deny_without_tls(secure: str, expected: bool) -> None:
    # [ops] BooleanExample: deny S3 actions on the bucket unless the request uses SSL.
    document = policy(
        ALLOW_ALL,
        {
            "Sid": "BooleanExample",
            "Action": "s3:*",
            "Effect": "Deny",
            "Resource": ["arn:aws:s3:::DOC-EXAMPLE-BUCKET", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )
    resource = "arn:aws:s3:::DOC-EXAMPLE-BUCKET/report.csv"
    assert allowed(document, "s3:GetObject", resource, ctx={"aws:SecureTransport": secure}) is (
        expected
    )


def test_bool_accepts_a_json_boolean() -> None:
    document = policy({**ALLOW_ALL, "Condition": {"Bool": {"aws:SecureTransport": True}}})
    assert allowed(document, "s3:GetObject", ctx={"aws:SecureTransport": "true"})
    assert not allowed(document, "s3:GetObject", ctx={"aws:SecureTransport": "false"})


def test_arn_like_matches_segment_by_segment_where_string_like_does_not() -> None:
    # [ops] ARN operators: the pattern against this value matches with StringLike (the first
    # `*` takes "us-east-2:999999999999:store/abc:") but not with ArnLike.
    pattern = "arn:aws:someservice:*:111122223333:finance/*"
    value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    for operator, expected in [("StringLike", True), ("ArnLike", False), ("ArnEquals", False)]:
        document = policy({**ALLOW_ALL, "Condition": {operator: {"aws:SourceArn": pattern}}})
        assert allowed(document, "sqs:SendMessage", ctx={"aws:SourceArn": value}) is expected
    matching = "arn:aws:someservice:us-east-2:111122223333:finance/document.txt"
    document = policy({**ALLOW_ALL, "Condition": {"ArnLike": {"aws:SourceArn": pattern}}})
    assert allowed(document, "sqs:SendMessage", ctx={"aws:SourceArn": matching})


def test_arn_equals_source_arn_absent_when_called_directly() -> None:
    # [ops]: aws:SourceArn is present only when a service calls on a resource's behalf; a user
    # calling directly gets false, an implicit deny.
    topic = "arn:aws:sns:us-east-2:123456789012:TOPIC-ID"
    document = policy(
        {
            "Effect": "Allow",
            "Action": "SQS:SendMessage",
            "Resource": "arn:aws:sqs:us-east-2:123456789012:QUEUE-ID",
            "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
        }
    )
    queue = "arn:aws:sqs:us-east-2:123456789012:QUEUE-ID"
    assert allowed(document, "sqs:SendMessage", queue, ctx={"aws:SourceArn": topic})
    assert not allowed(document, "sqs:SendMessage", queue)
    other = "arn:aws:sns:us-east-2:123456789012:OTHER"
    assert not allowed(document, "sqs:SendMessage", queue, ctx={"aws:SourceArn": other})


def test_arn_not_like_holds_on_a_missing_key() -> None:
    # [ops] Important box: a negated operator such as ArnNotLike is true when the key is absent.
    document = policy(
        {**ALLOW_ALL, "Condition": {"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:evil"}}}
    )
    assert allowed(document, "sqs:SendMessage")
    assert not allowed(document, "sqs:SendMessage", ctx={"aws:SourceArn": "arn:aws:sns:x:1:evil"})


# -- [multi] several operators, keys and values --------------------------------------------------
@pytest.mark.parametrize(
    ("data_class", "expected"),
    [("private", True), (None, True), ("public", False), ("internal", False)],
)
def test_negated_operator_values_are_nored(data_class: str | None, expected: bool) -> None:
    # [multi]: a negated operator's values are evaluated with NOR: allowed only if the request
    # value is none of them (and, [ops], a missing key satisfies the negated operator).
    document = policy(
        {
            **ALLOW_ALL,
            "Condition": {"StringNotEquals": {"aws:RequestTag/DataClass": ["public", "internal"]}},
        }
    )
    ctx = {} if data_class is None else {"aws:RequestTag/DataClass": data_class}
    assert allowed(document, "ec2:CreateVolume", ctx=ctx) is expected


def test_keys_and_operators_are_anded_values_ored() -> None:
    # [multi]: keys under one operator AND; several operators AND; one key's values OR.
    document = policy(
        {
            **ALLOW_ALL,
            "Condition": {
                "StringEquals": {
                    "aws:RequestTag/team": ["dns", "cdn"],
                    "aws:RequestTag/env": "prod",
                },
                "StringLike": {"aws:RequestTag/owner": "*@example.com"},
            },
        }
    )
    ok = {
        "aws:RequestTag/team": "cdn",
        "aws:RequestTag/env": "prod",
        "aws:RequestTag/owner": "ops@example.com",
    }
    assert allowed(document, "ec2:CreateVolume", ctx=ok)
    for key, bad in [
        ("aws:RequestTag/team", "web"),
        ("aws:RequestTag/env", "dev"),
        ("aws:RequestTag/owner", "ops@example.org"),
    ]:
        assert not allowed(document, "ec2:CreateVolume", ctx={**ok, key: bad}), key


# -- [setops] and [sets]: ForAllValues and ForAnyValue -------------------------------------------
THREAD = "arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread"
ATTRIBUTES = "dynamodb:requestedAttributes"


@pytest.mark.parametrize(
    ("requested", "expected"),
    [(["PostDateTime", "Message"], True), (["PostDateTime", "UserName"], False), (["ID"], False)],
)
def test_for_all_values_every_request_value_must_match(
    requested: list[str], expected: bool
) -> None:
    # [setops]: "allows a user to request only the attributes PostDateTime, Message, or Tags";
    # asking for UserName (or ID) too fails, since every requested value must match.
    document = policy(
        {
            "Effect": "Allow",
            "Action": "dynamodb:GetItem",
            "Resource": THREAD,
            "Condition": {
                "ForAllValues:StringLike": {ATTRIBUTES: ["PostDateTime", "Message", "Tags"]}
            },
        }
    )
    assert allowed(document, "dynamodb:GetItem", THREAD, ctx={ATTRIBUTES: requested}) is expected


@pytest.mark.parametrize(
    ("requested", "expected"),
    [(["UserName", "Message", "PostDateTime"], False), (["UserName"], True)],
)
def test_for_any_value_deny_one_matching_value_suffices(
    requested: list[str], expected: bool
) -> None:
    # [setops]: PutItem updating PostDateTime among others is denied; one with just UserName
    # "is not denied by this policy" (here an Allow statement then allows it).
    document = policy(
        {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": THREAD},
        {
            "Effect": "Deny",
            "Action": "dynamodb:PutItem",
            "Resource": THREAD,
            "Condition": {"ForAnyValue:StringLike": {ATTRIBUTES: ["ID", "PostDateTime"]}},
        },
    )
    assert allowed(document, "dynamodb:PutItem", THREAD, ctx={ATTRIBUTES: requested}) is expected


# [sets] "Deny a single policy condition value for a multivalued context key", with its table.
DENY_UNLESS_KEY1 = policy(
    ALLOW_ALL,
    {
        "Sid": "DenyRestrictedTags",
        "Effect": "Deny",
        "Action": ["iam:Tag*", "iam:UnTag*"],
        "Resource": ["*"],
        "Condition": {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}},
    },
)


@pytest.mark.parametrize(
    ("tag_keys", "denied"),
    [
        (["key1:legal"], False),  # "No match: may be allowed by another statement"
        (["key1:hr", "key1:personnel"], False),
        (["key2:audit"], True),  # "Match"
        (None, True),  # "No aws:TagKeys in the request context": "Match"
    ],
)
def test_for_all_values_string_not_like_table(tag_keys: list[str] | None, denied: bool) -> None:
    ctx = {} if tag_keys is None else {"aws:TagKeys": tag_keys}
    decision = evaluate(DENY_UNLESS_KEY1, "iam:TagUser", "*", ctx)
    assert (decision.effect == "Deny") is denied


def test_for_all_values_is_true_on_a_missing_key_unless_null_guards_it() -> None:
    # [sets]: ForAllValues "also returns true if there are no context keys in the request"; the
    # documented fix adds "Null": {"aws:TagKeys": "false"}.
    keys = ["key1*", "key2*", "key3*"]
    loose = policy({**ALLOW_ALL, "Condition": {"ForAllValues:StringLike": {"aws:TagKeys": keys}}})
    assert allowed(loose, "iam:TagUser")  # the pitfall: no tags at all passes
    assert allowed(loose, "iam:TagUser", ctx={"aws:TagKeys": []})
    guarded = policy(
        {
            **ALLOW_ALL,
            "Condition": {
                "Null": {"aws:TagKeys": "false"},
                "ForAllValues:StringLike": {"aws:TagKeys": keys},
            },
        }
    )
    assert not allowed(guarded, "iam:TagUser")
    assert allowed(guarded, "iam:TagUser", ctx={"aws:TagKeys": ["key2-x", "key3"]})
    assert not allowed(guarded, "iam:TagUser", ctx={"aws:TagKeys": ["key2-x", "other"]})


def test_for_any_value_is_false_on_a_missing_key() -> None:
    # [setops]: on an empty data set ForAnyValue returns false.
    document = policy(
        {**ALLOW_ALL, "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}}
    )
    assert not allowed(document, "ec2:CreateTags")
    assert not allowed(document, "ec2:CreateTags", ctx={"aws:TagKeys": []})
    assert allowed(document, "ec2:CreateTags", ctx={"aws:TagKeys": ["owner", "env"]})


def test_for_any_value_negated_needs_one_value_outside_the_list() -> None:
    document = policy(
        {
            **ALLOW_ALL,
            "Condition": {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["DataClass", "Owner"]}},
        }
    )
    assert not allowed(document, "ec2:CreateTags", ctx={"aws:TagKeys": ["DataClass", "Owner"]})
    assert allowed(document, "ec2:CreateTags", ctx={"aws:TagKeys": ["Dept", "DataClass"]})
    assert not allowed(document, "ec2:CreateTags")


# -- what the evaluator refuses rather than misread ---------------------------------------------
@pytest.mark.parametrize(
    "statement",
    [
        {**ALLOW_ALL, "Condition": {"NumericLessThanEquals": {"s3:max-keys": "10"}}},
        {**ALLOW_ALL, "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}},
        {**ALLOW_ALL, "Condition": {"NullIfExists": {"aws:TagKeys": "true"}}},
        {**ALLOW_ALL, "Condition": {"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": "a*"}}},
        {**ALLOW_ALL, "Condition": {"ForSomeValues:StringLike": {"aws:TagKeys": "a*"}}},
        {**ALLOW_ALL, "Condition": {"StringLike": {"s3:prefix": "home/${aws:username}/"}}},
        {**ALLOW_ALL, "Principal": {"AWS": "123456789012"}},
        {"Effect": "Allow", "Action": "*"},
        {"Effect": "Permit", "Action": "*", "Resource": "*"},
    ],
    ids=[
        "numeric",
        "ip",
        "null-if-exists",
        "any-if-exists",
        "bad-set",
        "variable",
        "principal",
        "no-resource",
        "bad-effect",
    ],
)
def test_unsupported_constructs_are_refused(statement: dict) -> None:
    with pytest.raises(UnsupportedPolicy):
        evaluate(policy(statement), "s3:ListBucket", "*", {})


def test_unsupported_construct_is_refused_even_after_a_deciding_deny() -> None:
    deny_all = {"Effect": "Deny", "Action": "*", "Resource": "*"}
    later = {**ALLOW_ALL, "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01"}}}
    with pytest.raises(UnsupportedPolicy):
        evaluate(policy(deny_all, later), "s3:ListBucket", "*", {})


def test_implicit_deny_names_the_condition_that_failed() -> None:
    document = policy(
        {
            "Sid": "Records",
            "Effect": "Allow",
            "Action": "route53:ChangeResourceRecordSets",
            "Resource": "*",
            "Condition": {
                "ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": ["A"]}
            },
        }
    )
    decision = evaluate(
        document,
        "route53:ChangeResourceRecordSets",
        "*",
        {"route53:ChangeResourceRecordSetsRecordTypes": ["A", "TXT"]},
    )
    assert not decision.allowed
    assert decision.near_misses and "statement 'Records'" in decision.near_misses[0]
    assert "ChangeResourceRecordSetsRecordTypes" in str(decision)


# -- [r53c] [dns] record-name normalization ------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("www.example.com", "www.example.com"),
        ("WWW.Example.COM.", "www.example.com"),  # lower case, no trailing dot
        ("*.example.com", "\\052.example.com"),  # [r53c]: "\052 is the octal code for *"
        ("\\052.example.com.", "\\052.example.com"),  # already escaped: the same value
        ("_acme-challenge.example.com", "_acme-challenge.example.com"),  # `_` and `-` stay
        ("f\\374bar.example.com", "f\\374bar.example.com"),  # [dns]'s fübar example
        ("\\101pi.example.com", "api.example.com"),  # [dns]: escaped letters are lower case too
        ("a\\056b.example.com", "a\\056b.example.com"),  # a period inside a label stays escaped
        ("a b.example.com", "a\\040b.example.com"),
        ("back\\slash.com", "back\\134slash.com"),  # "\" not before an octal code is itself
    ],
)
def test_normalized_record_names(name: str, normalized: str) -> None:
    assert normalize_record_name(name) == normalized


# -- the mapper on requests botocore serializes (sent nowhere) -----------------------------------
class _Sent(Exception):
    """Raised by the before-send hook: carries the request and stops the send."""

    def __init__(self, request: Any) -> None:
        super().__init__("captured")
        self.request = request


def sent(service: str, method: str, **params: Any) -> Call:
    """The Call the strict server would log for this botocore call, built without a network.

    The endpoint is a closed local port, and the `before-send` hook aborts before any send.
    """
    # No profile or config file of the developer's can reach in: only what is given here counts.
    session = botocore.session.Session(
        session_vars={
            "profile": (None, None, None, None),
            "config_file": (None, None, os.devnull, None),
            "credentials_file": (None, None, os.devnull, None),
        }
    )
    session.set_credentials("testing", "testing")
    client = session.create_client(
        service,
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
    )

    def capture(request: Any, **_: Any) -> None:
        raise _Sent(request)

    client.meta.events.register("before-send", capture)
    with pytest.raises(_Sent) as captured:
        getattr(client, method)(**params)
    request = captured.value.request
    url = urlsplit(request.url)
    body = request.body or b""
    body = body.encode() if isinstance(body, str) else body
    form = parse_qs(body.decode()) if protocol(service) == "query" else {}
    target = request.headers.get("X-Amz-Target", b"")
    target = target.decode() if isinstance(target, bytes) else target
    path = unquote(url.path)  # WSGI's PATH_INFO, as the middleware sees it, is unquoted
    operation = operation_name(service, request.method, path, url.query, target, form)
    if operation == UNKNOWN:  # ARNs in a URI label: %2F, not '/' (as the middleware does)
        operation = operation_name(service, request.method, url.path, url.query, target, form)
    agent = request.headers.get("User-Agent", b"")
    agent = agent.decode() if isinstance(agent, bytes) else agent
    return Call(service, operation, request.method, path, False, url.query, agent, body)


ACCOUNT = "111122223333"
ZONE = "arn:aws:route53:::hostedzone/Z0123"
HC = "arn:aws:route53:::healthcheck/hc-1"
DIST = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1"
CERT = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/1234abcd-12ab-34cd-56ef-1234567890ab"
HEALTH = {"IPAddress": "192.0.2.1", "Port": 443, "Type": "HTTPS"}
FUNCTION = f"arn:aws:cloudfront::{ACCOUNT}:function/fence"
CACHE = f"arn:aws:cloudfront::{ACCOUNT}:cache-policy/cp-1"
ORIGIN = f"arn:aws:cloudfront::{ACCOUNT}:origin-request-policy/orp-1"
FUNCTION_CONFIG = {"Comment": "", "Runtime": "cloudfront-js-2.0"}

# (service, botocore method, params, [(action, resource)]): the [r53], [cf], [acm], [iam], [sts]
# tables as they apply to each operation geoproxy may call.
ARC_CLUSTER = "arn:aws:route53-recovery-control::123456789012:cluster/abc"
ARC_PANEL = "arn:aws:route53-recovery-control::123456789012:controlpanel/abc"

MAPPING = [
    (
        "route53",
        "list_hosted_zones_by_name",
        {"DNSName": "example.com"},
        [("route53:ListHostedZonesByName", "*")],
    ),
    ("route53", "list_hosted_zones", {}, [("route53:ListHostedZones", "*")]),
    ("route53", "get_hosted_zone", {"Id": "/hostedzone/Z0123"}, [("route53:GetHostedZone", ZONE)]),
    (
        "route53",
        "list_resource_record_sets",
        {"HostedZoneId": "Z0123"},
        [("route53:ListResourceRecordSets", ZONE)],
    ),
    (
        "route53",
        "get_change",
        {"Id": "/change/C0456"},
        [("route53:GetChange", "arn:aws:route53:::change/C0456")],
    ),
    (
        "route53",
        "list_hosted_zone_change_batches",
        {"HostedZoneId": "Z0123"},
        [("route53:ListHostedZoneChangeBatches", ZONE)],
    ),
    (
        "route53",
        "test_dns_answer",
        {"HostedZoneId": "Z0123", "RecordName": "www.example.com", "RecordType": "A"},
        [("route53:TestDNSAnswer", "*")],
    ),
    (
        "route53",
        "create_health_check",
        {"CallerReference": "r", "HealthCheckConfig": HEALTH},
        [("route53:CreateHealthCheck", "*")],
    ),
    (
        "route53",
        "delete_health_check",
        {"HealthCheckId": "hc-1"},
        [("route53:DeleteHealthCheck", HC)],
    ),
    ("route53", "get_health_check", {"HealthCheckId": "hc-1"}, [("route53:GetHealthCheck", HC)]),
    (
        "route53",
        "update_health_check",
        {"HealthCheckId": "hc-1", "Port": 8443},
        [("route53:UpdateHealthCheck", HC)],
    ),
    (
        "route53",
        "get_health_check_status",
        {"HealthCheckId": "hc-1"},
        [("route53:GetHealthCheckStatus", HC)],
    ),
    ("route53", "list_health_checks", {}, [("route53:ListHealthChecks", "*")]),
    (
        "route53",
        "change_tags_for_resource",
        {
            "ResourceType": "healthcheck",
            "ResourceId": "hc-1",
            "AddTags": [{"Key": "geoproxy", "Value": "1"}],
        },
        [("route53:ChangeTagsForResource", HC)],
    ),
    (
        "route53",
        "list_tags_for_resource",
        {"ResourceType": "hostedzone", "ResourceId": "Z0123"},
        [("route53:ListTagsForResource", ZONE)],
    ),
    (
        "route53",
        "list_tags_for_resources",
        {"ResourceType": "healthcheck", "ResourceIds": ["hc-1", "hc-2"]},
        [
            ("route53:ListTagsForResources", HC),
            ("route53:ListTagsForResources", "arn:aws:route53:::healthcheck/hc-2"),
        ],
    ),
    ("cloudfront", "get_distribution", {"Id": "E1"}, [("cloudfront:GetDistribution", DIST)]),
    (
        "cloudfront",
        "get_distribution_config",
        {"Id": "E1"},
        [("cloudfront:GetDistributionConfig", DIST)],
    ),
    (
        "cloudfront",
        "update_distribution",
        {"Id": "E1", "IfMatch": "ETAG", "DistributionConfig": {"CallerReference": "r"}},
        [("cloudfront:UpdateDistribution", DIST)],
    ),
    ("cloudfront", "list_distributions", {}, [("cloudfront:ListDistributions", "*")]),
    (
        "cloudfront",
        "list_conflicting_aliases",
        {"DistributionId": "E1", "Alias": "www.example.com"},
        [("cloudfront:ListConflictingAliases", DIST)],
    ),
    (
        "cloudfront",
        "create_distribution",
        {"DistributionConfig": {"CallerReference": "r"}},
        [("cloudfront:CreateDistribution", f"arn:aws:cloudfront::{ACCOUNT}:distribution/*")],
    ),
    # CloudFront Functions: [cf] lists no resource type for CreateFunction and ListFunctions.
    (
        "cloudfront",
        "create_function",
        {"Name": "fence", "FunctionConfig": FUNCTION_CONFIG, "FunctionCode": b"code"},
        [("cloudfront:CreateFunction", "*")],
    ),
    ("cloudfront", "list_functions", {}, [("cloudfront:ListFunctions", "*")]),
    (
        "cloudfront",
        "describe_function",
        {"Name": "fence", "Stage": "LIVE"},
        [("cloudfront:DescribeFunction", FUNCTION)],
    ),
    (
        "cloudfront",
        "get_function",
        {"Name": "fence", "Stage": "DEVELOPMENT"},
        [("cloudfront:GetFunction", FUNCTION)],
    ),
    (
        "cloudfront",
        "update_function",
        {
            "Name": "fence",
            "IfMatch": "E1",
            "FunctionConfig": FUNCTION_CONFIG,
            "FunctionCode": b"code",
        },
        [("cloudfront:UpdateFunction", FUNCTION)],
    ),
    (
        "cloudfront",
        "publish_function",
        {"Name": "fence", "IfMatch": "E1"},
        [("cloudfront:PublishFunction", FUNCTION)],
    ),
    (
        "cloudfront",
        "test_function",
        {"Name": "fence", "IfMatch": "E1", "EventObject": b"{}"},
        [("cloudfront:TestFunction", FUNCTION)],
    ),
    (
        "cloudfront",
        "delete_function",
        {"Name": "fence", "IfMatch": "E1"},
        [("cloudfront:DeleteFunction", FUNCTION)],
    ),
    # Cache and origin request policies: [cf] lists none for Create and List.
    (
        "cloudfront",
        "create_cache_policy",
        {"CachePolicyConfig": {"Name": "p"}},
        [("cloudfront:CreateCachePolicy", "*")],
    ),
    (
        "cloudfront",
        "list_cache_policies",
        {"Type": "managed"},
        [("cloudfront:ListCachePolicies", "*")],
    ),
    ("cloudfront", "get_cache_policy", {"Id": "cp-1"}, [("cloudfront:GetCachePolicy", CACHE)]),
    (
        "cloudfront",
        "get_cache_policy_config",
        {"Id": "cp-1"},
        [("cloudfront:GetCachePolicyConfig", CACHE)],
    ),
    (
        "cloudfront",
        "update_cache_policy",
        {"Id": "cp-1", "IfMatch": "E1", "CachePolicyConfig": {"Name": "p"}},
        [("cloudfront:UpdateCachePolicy", CACHE)],
    ),
    (
        "cloudfront",
        "delete_cache_policy",
        {"Id": "cp-1", "IfMatch": "E1"},
        [("cloudfront:DeleteCachePolicy", CACHE)],
    ),
    (
        "cloudfront",
        "create_origin_request_policy",
        {"OriginRequestPolicyConfig": {"Name": "p"}},
        [("cloudfront:CreateOriginRequestPolicy", "*")],
    ),
    (
        "cloudfront",
        "list_origin_request_policies",
        {},
        [("cloudfront:ListOriginRequestPolicies", "*")],
    ),
    (
        "cloudfront",
        "get_origin_request_policy",
        {"Id": "orp-1"},
        [("cloudfront:GetOriginRequestPolicy", ORIGIN)],
    ),
    (
        "cloudfront",
        "get_origin_request_policy_config",
        {"Id": "orp-1"},
        [("cloudfront:GetOriginRequestPolicyConfig", ORIGIN)],
    ),
    (
        "cloudfront",
        "update_origin_request_policy",
        {"Id": "orp-1", "IfMatch": "E1", "OriginRequestPolicyConfig": {"Name": "p"}},
        [("cloudfront:UpdateOriginRequestPolicy", ORIGIN)],
    ),
    (
        "cloudfront",
        "delete_origin_request_policy",
        {"Id": "orp-1", "IfMatch": "E1"},
        [("cloudfront:DeleteOriginRequestPolicy", ORIGIN)],
    ),
    ("acm", "describe_certificate", {"CertificateArn": CERT}, [("acm:DescribeCertificate", CERT)]),
    ("acm", "list_certificates", {}, [("acm:ListCertificates", "*")]),
    (
        "iam",
        "get_server_certificate",
        {"ServerCertificateName": "edge"},
        [("iam:GetServerCertificate", f"arn:aws:iam::{ACCOUNT}:server-certificate/edge")],
    ),
    ("iam", "list_server_certificates", {}, [("iam:ListServerCertificates", "*")]),
    ("sts", "get_caller_identity", {}, []),  # [sts]: needs no permission
    (
        "sts",
        "assume_role",
        {"RoleArn": "arn:aws:iam::111111111111:role/geoproxy-dns", "RoleSessionName": "g"},
        [("sts:AssumeRole", "arn:aws:iam::111111111111:role/geoproxy-dns")],
    ),
    (
        "route53",
        "change_resource_record_sets",
        {
            "HostedZoneId": "Z0123",
            "ChangeBatch": {
                "Changes": [
                    {
                        "Action": "UPSERT",
                        "ResourceRecordSet": {
                            "Name": "www.example.com",
                            "Type": "A",
                            "TTL": 60,
                            "ResourceRecords": [{"Value": "192.0.2.1"}],
                        },
                    }
                ]
            },
        },
        [("route53:ChangeResourceRecordSets", ZONE)],
    ),
    # Accelerated recovery (issue 25): on the hosted zone.
    (
        "route53",
        "update_hosted_zone_features",
        {"HostedZoneId": "Z0123", "EnableAcceleratedRecovery": True},
        [("route53:UpdateHostedZoneFeatures", ZONE)],
    ),
    # Record set protections, listed before a write (issue 28): on the hosted zone.
    (
        "route53",
        "list_resource_record_set_protections",
        {"HostedZoneId": "Z0123"},
        [("route53:ListResourceRecordSetProtections", ZONE)],
    ),
    # ARC's configuration API (data-plane switches, issue 25): geoproxy grants these on "*"
    # (core/iam_switches.py), so each maps to its action on "*".
    *(
        (
            "route53-recovery-control-config",
            method,
            params,
            [(f"route53-recovery-control-config:{action}", "*")],
        )
        for method, action, params in (
            ("describe_cluster", "DescribeCluster", {"ClusterArn": ARC_CLUSTER}),
            ("list_control_panels", "ListControlPanels", {"ClusterArn": ARC_CLUSTER}),
            (
                "list_routing_controls",
                "ListRoutingControls",
                {"ControlPanelArn": ARC_PANEL},
            ),
            ("list_safety_rules", "ListSafetyRules", {"ControlPanelArn": ARC_PANEL}),
            (
                "create_control_panel",
                "CreateControlPanel",
                {"ClusterArn": ARC_CLUSTER, "ControlPanelName": "geoproxy"},
            ),
            (
                "create_routing_control",
                "CreateRoutingControl",
                {"ClusterArn": ARC_CLUSTER, "RoutingControlName": "geoproxy-default-eu-west-1"},
            ),
            (
                "create_safety_rule",
                "CreateSafetyRule",
                {
                    "AssertionRule": {
                        "AssertedControls": [f"{ARC_PANEL}/routingcontrol/abc"],
                        "ControlPanelArn": ARC_PANEL,
                        "Name": "geoproxy-gdpr",
                        "RuleConfig": {"Inverted": False, "Threshold": 1, "Type": "ATLEAST"},
                        "WaitPeriodMs": 5000,
                    }
                },
            ),
            (
                "delete_safety_rule",
                "DeleteSafetyRule",
                {"SafetyRuleArn": f"{ARC_PANEL}/safetyrule/r"},
            ),
            (
                "delete_routing_control",
                "DeleteRoutingControl",
                {"RoutingControlArn": f"{ARC_PANEL}/routingcontrol/abc"},
            ),
            ("delete_control_panel", "DeleteControlPanel", {"ControlPanelArn": ARC_PANEL}),
        )
    ),
]


@pytest.mark.parametrize(
    ("service", "method", "params", "expected"), MAPPING, ids=[m[1] for m in MAPPING]
)
def test_mapping_of_each_operation(
    service: str, method: str, params: dict, expected: list[tuple[str, str]]
) -> None:
    call = sent(service, method, **params)
    auths = authorization(call, ACCOUNT)
    assert [(a.action, a.resource) for a in auths] == expected
    if call.operation != "ChangeResourceRecordSets":
        assert all(a.context == {} for a in auths)


@pytest.mark.slow
def test_every_mapped_operation_is_tested_above() -> None:
    tested = {
        (service, sent(service, method, **params).operation)
        for service, method, params, _ in MAPPING
    }
    assert tested == MAPPED_OPERATIONS


def test_change_batch_context_keys() -> None:
    # [r53]: ChangeResourceRecordSets carries the three multivalued keys; [r53c] normalizes
    # their values: names lower case without the trailing dot, `*` as \052; types and actions
    # upper case. Each distinct value once.
    def rrset(name: str, rtype: str) -> dict:
        return {"Name": name, "Type": rtype, "TTL": 60, "ResourceRecords": [{"Value": "x"}]}

    changes = [
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                **rrset("WWW.Example.com.", "A"),
                "SetIdentifier": "us-east-1",
                "Region": "us-east-1",
            },
        },
        {"Action": "UPSERT", "ResourceRecordSet": rrset("*.example.com", "TXT")},
        {"Action": "DELETE", "ResourceRecordSet": rrset("www.example.com", "A")},
    ]
    call = sent(
        "route53",
        "change_resource_record_sets",
        HostedZoneId="/hostedzone/Z0123",
        ChangeBatch={"Comment": "c", "Changes": changes},
    )
    [auth] = authorization(call)
    assert auth == Authorization(
        "route53:ChangeResourceRecordSets",
        ZONE,
        {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
                "www.example.com",
                "\\052.example.com",
            ],
            "route53:ChangeResourceRecordSetsRecordTypes": ["A", "TXT"],
            "route53:ChangeResourceRecordSetsActions": ["CREATE", "UPSERT", "DELETE"],
        },
    )


def test_server_certificate_path_comes_from_the_caller() -> None:
    # [iam]: the ARN is server-certificate/${CertificateNameWithPath}; the request has no path.
    call = sent("iam", "get_server_certificate", ServerCertificateName="edge")
    [auth] = authorization(call, ACCOUNT, certificate_paths={"edge": "/cloudfront/"})
    assert auth.resource == f"arn:aws:iam::{ACCOUNT}:server-certificate/cloudfront/edge"


def test_a_function_created_with_tags_is_unmapped_not_guessed() -> None:
    # [cf]: tags on CreateFunction also need cloudfront:TagResource and bring the tag keys.
    call = sent(
        "cloudfront",
        "create_function",
        Name="fence",
        FunctionConfig=FUNCTION_CONFIG,
        FunctionCode=b"code",
        Tags={"Items": [{"Key": "owner", "Value": "geoproxy"}]},
    )
    with pytest.raises(UnmappedRequest, match="CreateFunction with Tags"):
        authorization(call, ACCOUNT)


def test_unmapped_operation_is_refused_and_reported() -> None:
    call = sent("route53", "delete_hosted_zone", Id="Z0123")
    with pytest.raises(UnmappedRequest):
        authorization(call)
    assert unauthorized([call], policy(ALLOW_ALL)) == [
        "DeleteHostedZone: no IAM mapping for route53 DeleteHostedZone"
    ]


def test_a_request_without_its_body_is_unmapped_not_guessed() -> None:
    # The middleware keeps no body past 1 MiB: the context keys cannot be built then.
    call = sent(
        "route53", "change_resource_record_sets", HostedZoneId="Z0123", ChangeBatch={"Changes": []}
    )
    for body in (b"", b"<ChangeResourceRecordSetsRequest"):
        with pytest.raises(UnmappedRequest, match="unreadable XML body"):
            authorization(dataclasses.replace(call, body=body))
    listing = sent("acm", "list_certificates")  # a JSON body without CertificateArn
    with pytest.raises(UnmappedRequest, match="no CertificateArn"):
        authorization(dataclasses.replace(listing, operation="DescribeCertificate"))


# -- end to end: what the strict server records --------------------------------------------------
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
RECORDS_ONLY_WWW = {
    "Sid": "Records",
    "Effect": "Allow",
    "Action": "route53:ChangeResourceRecordSets",
    "Resource": "arn:aws:route53:::hostedzone/*",
    "Condition": {
        "Null": {"route53:ChangeResourceRecordSetsNormalizedRecordNames": "false"},
        "ForAllValues:StringEquals": {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["www.example.com"],
            "route53:ChangeResourceRecordSetsRecordTypes": ["A", "AAAA"],
            "route53:ChangeResourceRecordSetsActions": ["CREATE", "UPSERT", "DELETE"],
        },
    },
}
E2E_POLICY = policy(
    {
        "Sid": "Lists",
        "Effect": "Allow",
        "Resource": "*",
        "Action": [
            "route53:ListHostedZonesByName",
            "route53:ListHostedZones",
            "route53:ListHealthChecks",
            "route53:CreateHealthCheck",
            "route53:TestDNSAnswer",
            "cloudfront:ListDistributions",
            "acm:ListCertificates",
            "iam:ListServerCertificates",
        ],
    },
    {
        "Sid": "Zones",
        "Effect": "Allow",
        "Resource": "arn:aws:route53:::hostedzone/*",
        "Action": [
            "route53:GetHostedZone",
            "route53:ListResourceRecordSets",
            "route53:ListHostedZoneChangeBatches",
            "route53:ListResourceRecordSetProtections",
        ],
    },
    RECORDS_ONLY_WWW,
    {
        "Sid": "Changes",
        "Effect": "Allow",
        "Action": "route53:GetChange",
        "Resource": "arn:aws:route53:::change/*",
    },
    {
        "Sid": "HealthChecks",
        "Effect": "Allow",
        "Resource": "arn:aws:route53:::healthcheck/*",
        "Action": [
            "route53:GetHealthCheck",
            "route53:UpdateHealthCheck",
            "route53:DeleteHealthCheck",
            "route53:GetHealthCheckStatus",
            "route53:ChangeTagsForResource",
            "route53:ListTagsForResources",
        ],
    },
    {
        "Sid": "Distribution",
        "Effect": "Allow",
        "Resource": "arn:aws:cloudfront::123456789012:distribution/*",
        "Action": [
            "cloudfront:GetDistribution",
            "cloudfront:GetDistributionConfig",
            "cloudfront:UpdateDistribution",
            "cloudfront:ListConflictingAliases",
        ],
    },
    {
        "Sid": "FunctionsAndPolicies",
        "Effect": "Allow",
        "Resource": "*",
        "Action": [
            "cloudfront:CreateFunction",
            "cloudfront:ListFunctions",
            "cloudfront:CreateCachePolicy",
            "cloudfront:ListCachePolicies",
            "cloudfront:CreateOriginRequestPolicy",
            "cloudfront:ListOriginRequestPolicies",
        ],
    },
    {
        "Sid": "Function",
        "Effect": "Allow",
        "Resource": "arn:aws:cloudfront::123456789012:function/fence",
        "Action": [
            "cloudfront:DescribeFunction",
            "cloudfront:GetFunction",
            "cloudfront:UpdateFunction",
            "cloudfront:PublishFunction",
            "cloudfront:DeleteFunction",
        ],
    },
    {
        "Sid": "Policies",
        "Effect": "Allow",
        "Resource": [
            "arn:aws:cloudfront::123456789012:cache-policy/*",
            "arn:aws:cloudfront::123456789012:origin-request-policy/*",
        ],
        "Action": [
            "cloudfront:GetCachePolicy",
            "cloudfront:GetCachePolicyConfig",
            "cloudfront:UpdateCachePolicy",
            "cloudfront:DeleteCachePolicy",
            "cloudfront:GetOriginRequestPolicy",
            "cloudfront:GetOriginRequestPolicyConfig",
            "cloudfront:UpdateOriginRequestPolicy",
            "cloudfront:DeleteOriginRequestPolicy",
        ],
    },
    {
        "Sid": "Certificates",
        "Effect": "Allow",
        "Action": "acm:DescribeCertificate",
        "Resource": "arn:aws:acm:us-east-1:123456789012:certificate/*",
    },
    {
        "Sid": "ServerCertificates",
        "Effect": "Allow",
        "Action": "iam:GetServerCertificate",
        "Resource": "arn:aws:iam::123456789012:server-certificate/cloudfront/*",
    },
)


DISTRIBUTION = {
    "CallerReference": "iam",
    "Comment": "",
    "Enabled": True,
    "Origins": {
        "Quantity": 1,
        "Items": [
            {
                "Id": "origin",
                "DomainName": "origin.example.com",
                "CustomOriginConfig": {
                    "HTTPPort": 80,
                    "HTTPSPort": 443,
                    "OriginProtocolPolicy": "https-only",
                },
            }
        ],
    },
    "DefaultCacheBehavior": {
        "TargetOriginId": "origin",
        "ViewerProtocolPolicy": "https-only",
        "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
    },
}


def _latency(name: str, region: str, action: str = "CREATE") -> dict:
    return {
        "Action": action,
        "ResourceRecordSet": {
            "Name": name,
            "Type": "A",
            "SetIdentifier": region,
            "Region": region,
            "TTL": 60,
            "ResourceRecords": [{"Value": "192.0.2.10"}],
        },
    }


_NO_VALUES = {
    "CookiesConfig": {"CookieBehavior": "none"},
    "QueryStringsConfig": {"QueryStringBehavior": "none"},
}
_CACHE_POLICY = {
    "Name": "iam",
    "MinTTL": 0,
    "ParametersInCacheKeyAndForwardedToOrigin": {
        "EnableAcceptEncodingGzip": True,
        "HeadersConfig": {"HeaderBehavior": "none"},
        **_NO_VALUES,
    },
}
_ORIGIN_POLICY = {"Name": "iam", "HeadersConfig": {"HeaderBehavior": "none"}, **_NO_VALUES}


def _exercise(aws: StrictMotoServer) -> dict[str, str]:
    """Make one call of each mapped operation (setup calls are dropped from the log)."""
    r53 = aws.client("route53", config=NO_RETRY)
    cf = aws.client("cloudfront", config=NO_RETRY)
    acm = aws.client("acm", config=NO_RETRY)
    iam = aws.client("iam", config=NO_RETRY)
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="iam")["HostedZone"]["Id"]
    dist = cf.create_distribution(DistributionConfig=DISTRIBUTION)["Distribution"]["Id"]
    cert = acm.request_certificate(DomainName="www.example.com")["CertificateArn"]
    aws.change_history.enable(zone.rpartition("/")[2])  # status reads it where it is on
    aws.reset_log()

    r53.list_hosted_zones_by_name(DNSName="example.com")
    r53.list_hosted_zones()
    r53.get_hosted_zone(Id=zone)
    info = r53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                _latency("WWW.example.com.", "us-east-1"),
                _latency("www.example.com", "eu-west-1"),
            ]
        },
    )
    r53.get_change(Id=info["ChangeInfo"]["Id"])
    r53.list_hosted_zone_change_batches(HostedZoneId=zone)
    r53.list_resource_record_sets(HostedZoneId=zone)
    r53.list_resource_record_set_protections(HostedZoneId=zone)  # before a write (issue 28)
    check = r53.create_health_check(CallerReference="iam-hc", HealthCheckConfig=HEALTH)
    hc = check["HealthCheck"]["Id"]
    r53.get_health_check(HealthCheckId=hc)
    r53.update_health_check(HealthCheckId=hc, Port=8443)
    r53.get_health_check_status(HealthCheckId=hc)
    r53.change_tags_for_resource(
        ResourceType="healthcheck", ResourceId=hc, AddTags=[{"Key": "geoproxy", "Value": "1"}]
    )
    r53.list_tags_for_resources(ResourceType="healthcheck", ResourceIds=[hc])
    r53.list_health_checks()
    r53.delete_health_check(HealthCheckId=hc)
    config = cf.get_distribution_config(Id=dist)
    cf.get_distribution(Id=dist)
    cf.update_distribution(
        Id=dist,
        IfMatch=config["ETag"],
        DistributionConfig={**config["DistributionConfig"], "Comment": "iam"},
    )
    cf.list_distributions()
    with contextlib.suppress(ClientError):  # the request is what counts, not moto's answer
        cf.list_conflicting_aliases(DistributionId=dist, Alias="www.example.com")
    created = cf.create_function(
        Name="fence",
        FunctionConfig=FUNCTION_CONFIG,
        FunctionCode=b"function handler(event) { return event.request; }",
    )
    cf.describe_function(Name="fence", Stage="DEVELOPMENT")
    cf.get_function(Name="fence", Stage="DEVELOPMENT")
    updated = cf.update_function(
        Name="fence",
        IfMatch=created["ETag"],
        FunctionConfig=FUNCTION_CONFIG,
        FunctionCode=b"function handler(event) { return event.request }",
    )
    cf.publish_function(Name="fence", IfMatch=updated["ETag"])  # DEVELOPMENT keeps its ETag
    cf.list_functions()
    cf.delete_function(Name="fence", IfMatch=updated["ETag"])
    ids = {}
    for label, config in (("CachePolicy", _CACHE_POLICY), ("OriginRequestPolicy", _ORIGIN_POLICY)):
        snake = "cache_policy" if label == "CachePolicy" else "origin_request_policy"
        made = getattr(cf, f"create_{snake}")(**{f"{label}Config": config})
        policy_id = made[label]["Id"]
        getattr(cf, f"get_{snake}")(Id=policy_id)
        config_etag = getattr(cf, f"get_{snake}_config")(Id=policy_id)["ETag"]
        changed = getattr(cf, f"update_{snake}")(
            Id=policy_id, IfMatch=config_etag, **{f"{label}Config": {**config, "Comment": "iam"}}
        )
        getattr(cf, f"delete_{snake}")(Id=policy_id, IfMatch=changed["ETag"])
        ids[label] = policy_id
    cf.list_cache_policies(Type="managed")
    cf.list_origin_request_policies()
    aws.client("route53", config=NO_RETRY).test_dns_answer(
        HostedZoneId=zone, RecordName="www.example.com", RecordType="A"
    )
    acm.describe_certificate(CertificateArn=cert)
    acm.list_certificates()
    iam.list_server_certificates()
    with contextlib.suppress(ClientError):  # NoSuchEntity: the request still needs permission
        iam.get_server_certificate(ServerCertificateName="edge")
    aws.client("sts", config=NO_RETRY).get_caller_identity()
    return {
        "zone": zone.rpartition("/")[2],
        "change": info["ChangeInfo"]["Id"].rpartition("/")[2],
        "hc": hc,
        "dist": dist,
        "cert": cert,
        "cache": ids["CachePolicy"],
        "origin": ids["OriginRequestPolicy"],
    }


def _exercise_recovery(aws: StrictMotoServer) -> None:
    """One call of each operation only a `recovery` policy makes (issue 25): accelerated
    recovery and ARC's configuration API; a policy without `recovery` grants none of them."""
    r53 = aws.client("route53", config=NO_RETRY)
    arc = aws.client("route53-recovery-control-config", region_name="us-west-2", config=NO_RETRY)
    zone = r53.create_hosted_zone(Name="example.org", CallerReference="iam-recovery")["HostedZone"][
        "Id"
    ]
    cluster = arc.create_cluster(ClusterName="iam")["Cluster"]["ClusterArn"]
    aws.reset_log()
    r53.update_hosted_zone_features(HostedZoneId=zone, EnableAcceleratedRecovery=True)
    arc.describe_cluster(ClusterArn=cluster)
    arc.list_control_panels(ClusterArn=cluster)
    panel = arc.create_control_panel(ClusterArn=cluster, ControlPanelName="iam")["ControlPanel"]
    control = arc.create_routing_control(
        ClusterArn=cluster,
        ControlPanelArn=panel["ControlPanelArn"],
        RoutingControlName="geoproxy-iam-eu-west-1",
    )["RoutingControl"]
    arc.list_routing_controls(ControlPanelArn=panel["ControlPanelArn"])
    arc.create_safety_rule(
        AssertionRule={
            "AssertedControls": [control["RoutingControlArn"]],
            "ControlPanelArn": panel["ControlPanelArn"],
            "Name": "iam",
            "RuleConfig": {"Inverted": False, "Threshold": 1, "Type": "ATLEAST"},
            "WaitPeriodMs": 5000,
        }
    )
    rules = arc.list_safety_rules(ControlPanelArn=panel["ControlPanelArn"])["SafetyRules"]
    # destroy's removals (pipeline/destroy_switches.py), in the order ARC allows
    arc.delete_safety_rule(SafetyRuleArn=rules[0]["ASSERTION"]["SafetyRuleArn"])
    arc.delete_routing_control(RoutingControlArn=control["RoutingControlArn"])
    arc.delete_control_panel(ControlPanelArn=panel["ControlPanelArn"])


def test_recorded_calls_map_to_actions_resources_and_context(aws: StrictMotoServer) -> None:
    ids = _exercise(aws)
    calls = list(aws.calls)
    _exercise_recovery(aws)
    # Only a policy with `accounts:` (issue 26) assumes roles: the base credentials' call.
    aws.client("sts", config=NO_RETRY).assume_role(
        RoleArn="arn:aws:iam::111111111111:role/geoproxy-dns", RoleSessionName="iam"
    )
    calls += aws.calls
    # The emulator has no TestFunction (geoproxy never tests a function in CloudFront).
    assert {(c.service, c.operation) for c in calls} == MAPPED_OPERATIONS - {
        ("cloudfront", "CreateDistribution"),
        ("route53", "ListTagsForResource"),
        ("cloudfront", "TestFunction"),
    }
    assert all("Botocore" in c.user_agent for c in calls)
    by_operation = {c.operation: authorization(c) for c in calls}
    account = "123456789012"  # moto's account, and authorization()'s default
    assert by_operation["GetHostedZone"] == [
        Authorization("route53:GetHostedZone", f"arn:aws:route53:::hostedzone/{ids['zone']}")
    ]
    assert by_operation["GetChange"] == [
        Authorization("route53:GetChange", f"arn:aws:route53:::change/{ids['change']}")
    ]
    for operation in (
        "GetHealthCheck",
        "UpdateHealthCheck",
        "GetHealthCheckStatus",
        "ChangeTagsForResource",
        "ListTagsForResources",
        "DeleteHealthCheck",
    ):
        [auth] = by_operation[operation]
        assert auth.resource == f"arn:aws:route53:::healthcheck/{ids['hc']}", operation
    for operation in (
        "GetDistribution",
        "GetDistributionConfig",
        "UpdateDistribution",
        "ListConflictingAliases",
    ):
        [auth] = by_operation[operation]
        assert auth.resource == f"arn:aws:cloudfront::{account}:distribution/{ids['dist']}"
    for operation in (
        "DescribeFunction",
        "GetFunction",
        "UpdateFunction",
        "PublishFunction",
        "DeleteFunction",
    ):
        [auth] = by_operation[operation]
        assert auth == Authorization(
            f"cloudfront:{operation}", f"arn:aws:cloudfront::{account}:function/fence"
        )
    for operation in (
        "CreateFunction",
        "ListFunctions",
        "CreateCachePolicy",
        "ListCachePolicies",
        "CreateOriginRequestPolicy",
        "ListOriginRequestPolicies",
    ):
        assert by_operation[operation] == [Authorization(f"cloudfront:{operation}", "*")]
    for label, kind, key in (
        ("CachePolicy", "cache-policy", "cache"),
        ("OriginRequestPolicy", "origin-request-policy", "origin"),
    ):
        for operation in (f"Get{label}", f"Get{label}Config", f"Update{label}", f"Delete{label}"):
            assert by_operation[operation] == [
                Authorization(
                    f"cloudfront:{operation}", f"arn:aws:cloudfront::{account}:{kind}/{ids[key]}"
                )
            ]
    assert by_operation["DescribeCertificate"] == [
        Authorization("acm:DescribeCertificate", ids["cert"])
    ]
    assert by_operation["GetCallerIdentity"] == []
    assert by_operation["AssumeRole"] == [
        Authorization("sts:AssumeRole", "arn:aws:iam::111111111111:role/geoproxy-dns")
    ]
    [change] = by_operation["ChangeResourceRecordSets"]
    assert change.context == {
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["www.example.com"],
        "route53:ChangeResourceRecordSetsRecordTypes": ["A"],
        "route53:ChangeResourceRecordSetsActions": ["CREATE"],
    }


def test_recording_the_body_leaves_it_for_moto(aws: StrictMotoServer) -> None:
    r53 = aws.client("route53", config=NO_RETRY)
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="body")["HostedZone"]["Id"]
    r53.change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch={"Changes": [_latency("api.example.com", "us-east-1")]}
    )
    [call] = [c for c in aws.calls if c.operation == "ChangeResourceRecordSets"]
    assert b"<Name>api.example.com</Name>" in call.body
    listed = r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    assert "api.example.com." in {r["Name"] for r in listed}  # moto read the same body


def test_policy_allows_every_recorded_call(aws: StrictMotoServer) -> None:
    _exercise(aws)
    paths = {"edge": "/cloudfront/"}
    assert unauthorized(aws.calls, E2E_POLICY, certificate_paths=paths) == []


def test_policy_check_reports_each_refused_call(aws: StrictMotoServer) -> None:
    ids = _exercise(aws)
    r53 = aws.client("route53", config=NO_RETRY)
    zone = r53.list_hosted_zones_by_name(DNSName="example.com")["HostedZones"][0]["Id"]
    r53.change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch={"Changes": [_latency("api.example.com", "us-east-1")]}
    )  # a name the policy does not cover
    lines = unauthorized(aws.calls, E2E_POLICY, certificate_paths={"edge": "/cloudfront/"})
    [line] = lines
    assert line.startswith(
        f"ChangeResourceRecordSets: route53:ChangeResourceRecordSets on "
        f"arn:aws:route53:::hostedzone/{ids['zone']} with context "
    )
    assert '"api.example.com"' in line and "implicitly denied" in line and "'Records'" in line
    # Without the certificate's path its ARN falls outside server-certificate/cloudfront/*.
    refused = unauthorized(aws.calls, E2E_POLICY)
    assert len(refused) == 2 and any("iam:GetServerCertificate" in r for r in refused)
    denied = json.loads(json.dumps(E2E_POLICY))
    denied["Statement"].append(
        {"Sid": "NoDeletes", "Effect": "Deny", "Action": "route53:Delete*", "Resource": "*"}
    )
    refused = unauthorized(aws.calls, denied, certificate_paths={"edge": "/cloudfront/"})
    deletes = [r for r in refused if r.startswith("DeleteHealthCheck")]
    assert len(deletes) == 1 and "explicitly denied by statement 'NoDeletes'" in deletes[0]


def test_assume_role_with_external_id_and_source_identity_needs_set_source_identity() -> None:
    # [stsa]: ExternalId is the sts:ExternalId condition key; a SourceIdentity also needs
    # sts:SetSourceIdentity on the role, with sts:SourceIdentity in its context.
    role = "arn:aws:iam::111111111111:role/geoproxy-dns"
    call = sent(
        "sts",
        "assume_role",
        RoleArn=role,
        RoleSessionName="geoproxy-apply",
        ExternalId="shop-dns",
        SourceIdentity="alice",
    )
    assert authorization(call, ACCOUNT) == [
        Authorization("sts:AssumeRole", role, {"sts:ExternalId": "shop-dns"}),
        Authorization(
            "sts:SetSourceIdentity",
            role,
            {"sts:ExternalId": "shop-dns", "sts:SourceIdentity": "alice"},
        ),
    ]
