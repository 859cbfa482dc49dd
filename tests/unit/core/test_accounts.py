"""Which account each call goes to (core/accounts.py), the caller's SourceIdentity
(aws/accounts.py) and the per-account IAM documents (core/iam_accounts.py): pure."""

from __future__ import annotations

from typing import Any

import pytest

from geoproxy.aws.accounts import source_identity_of, sts_region, sts_regions
from geoproxy.core.accounts import AccountAccess, routes_of
from geoproxy.core.iam import iam_policy
from geoproxy.core.iam_accounts import accounts_iam, trust_policy
from geoproxy.core.names import function_name
from geoproxy.policy.models import Policy
from tests.builders import application, document

DNS_ROLE = "arn:aws:iam::111111111111:role/geoproxy-dns"
EDGE_ROLE = "arn:aws:iam::222222222222:role/geoproxy-edge"


def two_accounts(**cloudfront: Any) -> Policy:
    app = application(
        account="dns",
        zone_id="ZDNS123",
        cloudfront={
            "account": "edge",
            "distribution_id": "E2EXAMPLE123",
            "aliases": ["shop.example.com"],
            **cloudfront,
        },
    )
    return Policy.model_validate(
        {
            **document(app),
            "accounts": {
                "dns": {"role_arn": DNS_ROLE, "external_id": "shop-dns"},
                "edge": {"role_arn": EDGE_ROLE},
            },
        }
    )


def test_routes_send_the_zone_to_its_account_and_the_distribution_to_the_edge() -> None:
    policy = two_accounts()
    routes = routes_of(policy)
    assert routes.zone("example.com") == routes.zone("ZDNS123") == "dns"
    assert routes.distributions == {"E2EXAMPLE123": "edge"}
    assert routes.functions == {function_name(policy.owner, "shop"): "edge"}
    assert routes.zone("other.com") is None  # the base credentials
    routes.learn_zone("example.com", "ZLOOKEDUP")
    assert routes.zone("ZLOOKEDUP") == "dns"
    assert sorted(routes.used()) == ["dns", "edge"]


def test_an_account_round_trips_through_a_plan_file() -> None:
    access = AccountAccess("dns", DNS_ROLE, "shop-dns")
    assert AccountAccess.from_json("dns", access.to_json()) == access
    assert access.label == f"dns (role {DNS_ROLE})"
    with pytest.raises(ValueError):
        AccountAccess.from_json("dns", {"role_arn": DNS_ROLE, "profile": "p"})


@pytest.mark.parametrize(
    ("arn", "identity"),
    [
        ("arn:aws:sts::123456789012:assumed-role/Ops/alice@example.com", "alice@example.com"),
        ("arn:aws:iam::123456789012:user/team/bob", "bob"),
        ("arn:aws:sts::123456789012:federated-user/carol", "carol"),
        ("arn:aws:iam::123456789012:root", None),
        ("arn:aws:sts::123456789012:assumed-role/Ops/a b", "a_b"),
        (None, None),
    ],
)
def test_the_source_identity_is_the_person_in_the_caller_arn(
    arn: str | None, identity: str | None
) -> None:
    assert source_identity_of(arn) == identity


def test_sts_is_always_regional() -> None:
    assert sts_region("eu-west-1") == "eu-west-1"
    assert sts_region(None) == "us-west-2"  # never the global endpoint in us-east-1


@pytest.mark.parametrize(
    ("configured", "order"),
    [
        ("eu-west-1", ["eu-west-1", "us-west-2"]),
        (None, ["us-west-2", "us-east-2"]),
        ("us-west-2", ["us-west-2", "us-east-2"]),
        # us-east-1 is down in the event a failover is for: asked only if us-west-2 is not.
        ("us-east-1", ["us-west-2", "us-east-1"]),
    ],
)
def test_sts_regions_put_us_east_1_last(configured: str | None, order: list[str]) -> None:
    assert sts_regions(configured) == order


def test_each_account_gets_only_what_it_holds() -> None:
    result = accounts_iam(two_accounts(), zone_ids={}, base_account_id="333333333333")
    by_name = {account.name: account for account in result.accounts}
    assert list(by_name) == [None, "dns", "edge"]

    def actions(name: str | None) -> set[str]:
        return {
            action
            for statement in by_name[name].policy.document["Statement"]
            for action in statement["Action"]
        }

    assert actions(None) == {"sts:AssumeRole", "sts:SetSourceIdentity"}
    assert "route53:ChangeResourceRecordSets" in actions("dns")
    assert not any(action.startswith("cloudfront:") for action in actions("dns"))
    assert "cloudfront:UpdateDistribution" in actions("edge")
    assert not any(action.startswith("route53:") for action in actions("edge"))
    assert by_name["edge"].account_id == "222222222222"
    distributions = [
        s["Resource"]
        for s in by_name["edge"].policy.document["Statement"]
        if s["Sid"] == "UpdateDistributions"
    ]
    assert distributions == ["arn:aws:cloudfront::222222222222:distribution/E2EXAMPLE123"]


def test_each_role_trusts_the_base_account_with_its_external_id() -> None:
    result = accounts_iam(two_accounts(), zone_ids={}, base_account_id="333333333333")
    trusts = {a.name: a.trust_policy for a in result.accounts}
    assert trusts[None] is None
    assert trusts["dns"] == trust_policy("333333333333", "shop-dns")
    [assume, source] = trusts["dns"]["Statement"] if trusts["dns"] else []
    assert assume["Principal"] == {"AWS": "arn:aws:iam::333333333333:root"}
    assert assume["Condition"] == {"StringEquals": {"sts:ExternalId": "shop-dns"}}
    assert source["Action"] == "sts:SetSourceIdentity"
    edge = trusts["edge"]
    assert edge is not None and "Condition" not in edge["Statement"][0]


def test_a_policy_without_accounts_keeps_its_one_document() -> None:
    policy = Policy.model_validate(document(application(zone_id="ZDNS123")))
    whole = iam_policy(policy, zone_ids={}, account_id="123456789012")
    scoped = iam_policy(policy, zone_ids={}, account_id="123456789012", only=(None,))
    assert whole.document == scoped.document
