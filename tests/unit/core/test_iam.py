"""The generated IAM policy, judged by the strict layer's IAM evaluator (moto judges nothing)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from geoproxy.core.iam import NAMES_KEY, iam_policy
from geoproxy.policy.models import DEFAULT_OWNER, Application, Policy
from tests import builders
from tests.builders import GDPR, example_application
from tests.strictaws.iam import evaluate

ZONE = "ZSHOP1"
ZONE_ARN = f"arn:aws:route53:::hostedzone/{ZONE}"
ACCOUNT = "111122223333"
DIST_ARN = f"arn:aws:cloudfront::{ACCOUNT}:distribution/EDFDVBD6EXAMPLE"
CLOUDFRONT = {
    "distribution_id": "EDFDVBD6EXAMPLE",
    "aliases": ["shop.example.com", "www.elsewhere.org"],
}
# The example policy's application, in front of a distribution.
FRONTED = example_application(cloudfront=CLOUDFRONT)


def load(*apps: Application, owner: str = DEFAULT_OWNER) -> Policy:
    """The policy of `apps` (default: the example's application), validated as loaded."""
    return builders.policy(*apps or (example_application(),), owner=owner)


def change(
    names: list[str], types: list[str] | None = None, actions: list[str] | None = None
) -> dict[str, Any]:
    return {
        NAMES_KEY: names,
        "route53:ChangeResourceRecordSetsRecordTypes": types or ["A"] * len(names),
        "route53:ChangeResourceRecordSetsActions": actions or ["CREATE"] * len(names),
    }


def allowed(
    document: dict[str, Any], action: str, resource: str, context: dict[str, Any] | None = None
) -> bool:
    return evaluate(document, action, resource, context or {}).allowed


@pytest.fixture
def document() -> dict[str, Any]:
    return iam_policy(load(), zone_ids={"example.com": ZONE}, account_id=ACCOUNT).document


def test_record_changes_only_at_the_applications_names(document: dict[str, Any]) -> None:
    change_rrsets = "route53:ChangeResourceRecordSets"
    state = "_geoproxy.origin.shop.example.com"
    pair = "eu-west-1._failover.origin.shop.example.com"
    assert allowed(
        document,
        change_rrsets,
        ZONE_ARN,
        change(
            ["origin.shop.example.com", state, pair],
            ["A", "TXT", "A"],
            ["DELETE", "CREATE", "CREATE"],
        ),
    )
    # A name outside the application's subtree, even in one batch with its own.
    assert not allowed(
        document, change_rrsets, ZONE_ARN, change(["origin.shop.example.com", "www.example.com"])
    )
    assert not allowed(
        document, change_rrsets, ZONE_ARN, change(["origin.shop.example.com"], actions=["UPSERT"])
    )
    assert not allowed(
        document, change_rrsets, ZONE_ARN, change(["origin.shop.example.com"], types=["MX"])
    )
    assert not allowed(
        document,
        change_rrsets,
        "arn:aws:route53:::hostedzone/ZOTHER",
        change(["origin.shop.example.com"]),
    )


def test_no_action_wildcards_and_no_cloudfront_without_a_distribution(
    document: dict[str, Any],
) -> None:
    actions = [a for s in document["Statement"] for a in s["Action"]]
    assert "*" not in actions and not any(a.endswith(":*") for a in actions)
    assert not any(a.startswith(("cloudfront:", "acm:", "iam:")) for a in actions)
    assert not any("HealthCheck" in a for a in actions)
    assert allowed(document, "route53:GetChange", "arn:aws:route53:::change/C1")
    assert allowed(document, "route53:ListResourceRecordSets", ZONE_ARN)


def test_read_only_covers_reads_and_allows_no_write() -> None:
    policy = load(FRONTED)
    document = iam_policy(
        policy, zone_ids={"example.com": ZONE}, account_id=ACCOUNT, read_only=True
    ).document
    assert allowed(document, "route53:ListResourceRecordSets", ZONE_ARN)
    assert allowed(document, "cloudfront:GetDistribution", DIST_ARN)
    assert allowed(document, "cloudfront:ListConflictingAliases", DIST_ARN)
    for action, resource in (
        ("route53:ChangeResourceRecordSets", ZONE_ARN),
        ("cloudfront:UpdateDistribution", DIST_ARN),
        ("route53:GetChange", "arn:aws:route53:::change/C1"),
    ):
        assert not allowed(document, action, resource, change(["origin.shop.example.com"]))


def test_viewer_aliases_in_the_zone_are_writable_and_the_distribution_updatable() -> None:
    policy = load(FRONTED)
    document = iam_policy(policy, zone_ids={"example.com": ZONE}, account_id=ACCOUNT).document
    assert allowed(
        document,
        "route53:ChangeResourceRecordSets",
        ZONE_ARN,
        change(["shop.example.com", "shop.example.com"], ["A", "AAAA"]),
    )
    assert not allowed(
        document, "route53:ChangeResourceRecordSets", ZONE_ARN, change(["www.elsewhere.org"])
    )  # not in the zone: no record for it
    assert allowed(document, "cloudfront:UpdateDistribution", DIST_ARN)
    assert not allowed(
        document, "cloudfront:UpdateDistribution", DIST_ARN.replace("EDFDVBD6EXAMPLE", "EOTHER")
    )
    assert allowed(
        document, "acm:DescribeCertificate", f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/abc"
    )
    assert not allowed(
        document, "acm:DescribeCertificate", "arn:aws:acm:us-east-1:999999999999:certificate/abc"
    )


def test_health_check_actions_only_with_a_health_check() -> None:
    from tests.e2e.conftest import PARTNERS, TARGETS

    pops = {
        pop: {"target": target, "failover_to": PARTNERS[pop]} for pop, target in TARGETS.items()
    }
    pops["eu-west-1"]["health_check"] = {"path": "/healthz"}
    checked = example_application(auto_failover=True, pops=pops)
    assert checked.pops["eu-west-1"].health_check is not None
    document = iam_policy(
        load(checked), zone_ids={"example.com": ZONE}, account_id=ACCOUNT
    ).document
    assert allowed(document, "route53:CreateHealthCheck", "*")
    assert allowed(document, "route53:DeleteHealthCheck", "arn:aws:route53:::healthcheck/h1")
    assert allowed(document, "route53:ListTagsForResources", "arn:aws:route53:::healthcheck/h1")


def test_prune_adds_deletes_anywhere_in_the_zone_and_nothing_else() -> None:
    document = iam_policy(
        load(), zone_ids={"example.com": ZONE}, account_id=ACCOUNT, prune=True
    ).document
    orphan = ["origin.old.example.com", "eu-west-1._failover.origin.old.example.com"]
    assert allowed(
        document,
        "route53:ChangeResourceRecordSets",
        ZONE_ARN,
        change(orphan, actions=["DELETE", "DELETE"]),
    )
    assert not allowed(
        document,
        "route53:ChangeResourceRecordSets",
        ZONE_ARN,
        change(orphan, actions=["DELETE", "CREATE"]),
    )
    assert allowed(document, "route53:DeleteHealthCheck", "arn:aws:route53:::healthcheck/h1")


def test_prune_never_deletes_the_apex_or_underscore_names_and_says_what_is_open() -> None:
    """Issue 23: the orphans are not known offline, but the apex (the site, SPF) and other
    systems' names (ACM validation CNAMEs, DMARC, DKIM) are never geoproxy's."""
    result = iam_policy(load(), zone_ids={"example.com": ZONE}, account_id=ACCOUNT, prune=True)
    delete = "route53:ChangeResourceRecordSets"
    for name, rtype in (
        ("example.com", "TXT"),
        ("example.com", "A"),
        ("_a79865eb4cd1a6ab990a45779b4e0b96.www.example.com", "CNAME"),
        ("_dmarc.example.com", "TXT"),
        ("s1._domainkey.example.com", "TXT"),
    ):
        assert not allowed(
            result.document, delete, ZONE_ARN, change([name], [rtype], ["DELETE"])
        ), name
    orphan = [
        "origin.old.example.com",
        "eu-west-1._failover.origin.old.example.com",
        "_geoproxy.origin.old.example.com",
    ]
    assert allowed(
        result.document, delete, ZONE_ARN, change(orphan, ["A", "A", "TXT"], ["DELETE"] * 3)
    )
    [warning] = [w for w in result.warnings if w.startswith("--prune")]
    assert (
        "lets it DELETE any A/CNAME/TXT record in example.com, except at the apex (example.com)"
    ) in warning
    assert "--prune-name ROOT" in warning


def test_prune_names_limit_deletes_to_the_orphans_named() -> None:
    result = iam_policy(
        load(),
        zone_ids={"example.com": ZONE},
        account_id=ACCOUNT,
        prune=True,
        prune_names=["Origin.Old.example.com."],
    )
    delete = "route53:ChangeResourceRecordSets"
    orphan = ["origin.old.example.com", "eu-west-1._failover.origin.old.example.com"]
    assert allowed(result.document, delete, ZONE_ARN, change(orphan, actions=["DELETE"] * 2))
    assert not allowed(
        result.document, delete, ZONE_ARN, change(["www.example.com"], ["A"], ["DELETE"])
    )
    assert not [w for w in result.warnings if w.startswith("--prune")]


def test_prune_with_an_unknown_zone_says_every_zone() -> None:
    result = iam_policy(load(), zone_ids={}, account_id=ACCOUNT, prune=True)
    [warning] = [w for w in result.warnings if w.startswith("--prune")]
    assert "in every hosted zone of the account (its id is unknown)" in warning


def test_unknown_zone_and_account_are_wildcards_with_warnings() -> None:
    result = iam_policy(load(FRONTED), zone_ids={}, account_id=None)
    assert [w.split(":")[0] for w in result.warnings] == [
        "no hosted zone id for example.com",
        "no account id (--account-id, or credentials for STS)",
    ]
    assert allowed(
        result.document, "route53:ListResourceRecordSets", "arn:aws:route53:::hostedzone/ANY"
    )
    assert allowed(
        result.document,
        "cloudfront:GetDistribution",
        "arn:aws:cloudfront::444455556666:distribution/EDFDVBD6EXAMPLE",
    )


def test_a_zone_id_in_the_policy_needs_get_hosted_zone_not_the_lookup() -> None:
    result = iam_policy(
        load(example_application(zone_id="ZFROMPOLICY")), zone_ids={}, account_id=ACCOUNT
    )
    assert result.warnings == []
    arn = "arn:aws:route53:::hostedzone/ZFROMPOLICY"
    assert allowed(result.document, "route53:GetHostedZone", arn)
    assert not allowed(result.document, "route53:ListHostedZonesByName", "*")


def test_a_policy_too_big_for_one_managed_policy_says_so() -> None:
    copies = [
        example_application(name=f"app{i}", record=f"origin.app{i}.example.com") for i in range(200)
    ]
    result = iam_policy(
        load(example_application(), *copies), zone_ids={"example.com": ZONE}, account_id=ACCOUNT
    )
    size = len(json.dumps(result.document, separators=(",", ":")))
    assert size > 6144
    assert any("past the 6,144" in warning for warning in result.warnings)


# -- the edge fence: its CloudFront Function and the pre-flight's policy reads -------------------
FENCED = example_application(
    compliance=[{**GDPR, "viewer_countries": ["EU", "GB", "CH"]}], cloudfront=CLOUDFRONT
)
FUNCTION_ACTIONS = (
    "cloudfront:DescribeFunction",
    "cloudfront:GetFunction",
    "cloudfront:UpdateFunction",
    "cloudfront:PublishFunction",
)
POLICY_READS = (
    ("cloudfront:GetCachePolicy", "cache-policy/658327ea-f89d-4fab-a63d-7e88639e58f6"),
    (
        "cloudfront:GetOriginRequestPolicy",
        "origin-request-policy/33f36d7e-f396-46d9-90e0-52428a34d9dc",
    ),
)


def function_arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:cloudfront::{account}:function/{name}"


def test_a_fenced_application_may_manage_exactly_its_own_function() -> None:
    from geoproxy.core.names import function_name

    assert FENCED.compliance[0].viewer_countries
    document = iam_policy(load(FENCED), zone_ids={"example.com": ZONE}, account_id=ACCOUNT).document
    own = function_arn(function_name("default", "shop"))
    for action in FUNCTION_ACTIONS:
        assert allowed(document, action, own), action
        assert not allowed(document, action, function_arn("geoproxy-default-blog-0000abcd"))
        assert not allowed(document, action, own.replace(ACCOUNT, "444455556666"))
    # The reference gives CreateFunction no resource type: "*" is the only way to allow it.
    assert allowed(document, "cloudfront:CreateFunction", "*")
    for action in (
        "cloudfront:DeleteFunction",
        "cloudfront:TestFunction",
        "cloudfront:ListFunctions",
    ):
        assert not allowed(document, action, own) and not allowed(document, action, "*")
    assert allowed(document, "cloudfront:UpdateDistribution", DIST_ARN)


def test_the_country_header_pre_flight_may_read_any_cache_and_origin_request_policy() -> None:
    document = iam_policy(load(FENCED), zone_ids={"example.com": ZONE}, account_id=ACCOUNT).document
    for action, resource in POLICY_READS:
        # The caller's own policies, and AWS's managed ones whatever account their ARN names.
        for account in (ACCOUNT, "aws", "999999999999"):
            assert allowed(document, action, f"arn:aws:cloudfront::{account}:{resource}")
    for action in (
        "cloudfront:UpdateCachePolicy",
        "cloudfront:DeleteOriginRequestPolicy",
        "cloudfront:CreateOriginRequestPolicy",
        "cloudfront:ListCachePolicies",
    ):
        assert not any(
            allowed(document, action, resource)
            for resource in (
                "*",
                f"arn:aws:cloudfront::{ACCOUNT}:cache-policy/p",
                f"arn:aws:cloudfront::{ACCOUNT}:origin-request-policy/p",
            )
        )


def test_read_only_keeps_the_fence_s_reads_and_drops_its_writes() -> None:
    from geoproxy.core.names import function_name

    document = iam_policy(
        load(FENCED), zone_ids={"example.com": ZONE}, account_id=ACCOUNT, read_only=True
    ).document
    own = function_arn(function_name("default", "shop"))
    assert allowed(document, "cloudfront:GetFunction", own)
    assert allowed(document, "cloudfront:DescribeFunction", own)
    for action, resource in POLICY_READS:
        assert allowed(document, action, f"arn:aws:cloudfront::{ACCOUNT}:{resource}")
    assert not allowed(document, "cloudfront:CreateFunction", "*")
    for action in ("cloudfront:UpdateFunction", "cloudfront:PublishFunction"):
        assert not allowed(document, action, own)


def test_an_unfenced_policy_gets_no_function_or_policy_actions() -> None:
    for read_only in (False, True):
        document = iam_policy(
            load(FRONTED), zone_ids={"example.com": ZONE}, account_id=ACCOUNT, read_only=read_only
        ).document
        actions = {a for s in document["Statement"] for a in s["Action"]}
        assert not any("Function" in a or "Policy" in a for a in actions), actions


def test_the_function_is_named_for_the_owner_and_any_account_without_one() -> None:
    from geoproxy.core.names import function_name

    result = iam_policy(
        load(FENCED, owner="team-shop"), zone_ids={"example.com": ZONE}, account_id=None
    )
    name = function_name("team-shop", "shop")
    assert name != function_name("default", "shop")
    assert allowed(
        result.document, "cloudfront:PublishFunction", function_arn(name, "444455556666")
    )
    assert not allowed(
        result.document,
        "cloudfront:PublishFunction",
        function_arn(function_name("default", "shop"), "444455556666"),
    )
    assert any(w.startswith("no account id") for w in result.warnings)
