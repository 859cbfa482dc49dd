"""destroy's pure parts: what an application owns, who uses its origin and function, and the
detached distribution config."""

from __future__ import annotations

import copy
from typing import Any

from geoproxy.core.batches import batches_for
from geoproxy.core.destroy import (
    DestroyTarget,
    DetachRebase,
    destroy_app_plan,
    detach_config,
    function_users,
    is_origin_name,
    origin_uses,
)
from geoproxy.core.healthchecks import LiveHealthCheck
from geoproxy.core.names import TAG_OWNER, TAG_POP, TAG_RECORD
from geoproxy.core.plan import Plan
from geoproxy.core.safety import mass_deletions
from geoproxy.policy.models import DEFAULT_OWNER
from tests import builders

NAME = builders.NAME
TARGET = DestroyTarget(
    "shop", builders.ZONE_ID, builders.ZONE, NAME, viewer_names=("www.example.com",)
)
FUNCTION = "geoproxy-default-shop-0123abcd"
ARN = f"arn:aws:cloudfront::123456789012:function/{FUNCTION}"


def state_record() -> dict[str, Any]:
    return {
        "Name": f"_geoproxy.{NAME}.",
        "Type": "TXT",
        "TTL": 60,
        "ResourceRecords": [{"Value": '"geoproxy=v2 t=0123456789ab"'}],
    }


def viewer_record(name: str) -> dict[str, Any]:
    return {
        "Name": name + ".",
        "Type": "A",
        "SetIdentifier": f"geoproxy:viewer@{DEFAULT_OWNER}",
        "Weight": 100,
        "AliasTarget": {
            "HostedZoneId": "Z2FDTNDATAQYW2",
            "DNSName": "d111111abcdef8.cloudfront.net.",
            "EvaluateTargetHealth": False,
        },
    }


def test_everything_of_the_owner_at_the_application_goes_and_nothing_else() -> None:
    ours = builders.in_sync({"us-east-1": "us-east-1", "eu-west-1": "eu-west-1"})
    other_owner = builders.latency_record(
        "ap-south-1", "us-east-1", set_identifier="geoproxy:ap-south-1@payments"
    )
    hand_made = {**builders.latency_record("sa-east-1", "us-east-1"), "SetIdentifier": "mine"}
    other_app = builders.latency_record("us-east-1", "us-east-1", name="origin.api.example.com")
    records = builders.live_records(
        [*ours, state_record(), other_owner, hand_made, other_app, viewer_record("www.example.com")]
    )
    check = LiveHealthCheck(
        "hc-1", "ref", {}, {TAG_OWNER: DEFAULT_OWNER, TAG_RECORD: NAME, TAG_POP: "eu-west-1"}
    )
    others = LiveHealthCheck("hc-2", "ref2", {}, {TAG_OWNER: "payments", TAG_RECORD: NAME})

    plan = destroy_app_plan(TARGET, DEFAULT_OWNER, records, [check, others])

    deleted = [change.old.raw for change in plan.changes if change.old is not None]
    assert {id(r) for r in deleted} == {
        id(records[i].raw) for i in (0, 1, 2, 6)
    }  # the two latency records, the state record, the viewer record: as read
    assert all(change.action == "delete" and change.after_distribution for change in plan.changes)
    assert plan.health_checks.delete == [check]
    # In the phase after the distributions, one batch: latency records before the rest.
    the_plan = Plan([plan])
    batches = batches_for(the_plan, select=lambda change: change.after_distribution)
    assert [len(batch) for batch in batches[builders.ZONE_ID]] == [4]
    assert batches_for(the_plan, select=lambda change: not change.after_distribution) == {}


def test_a_destroy_of_ten_records_or_more_is_under_the_mass_deletion_guard() -> None:
    sources = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1"]
    sources += ["eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1"]
    records = builders.live_records(builders.in_sync({source: "us-east-1" for source in sources}))
    plan = destroy_app_plan(TARGET, DEFAULT_OWNER, records)
    [guarded] = mass_deletions(Plan([plan]))
    assert (guarded.app, guarded.deleting, guarded.of) == ("shop", 10, 10)


CONFIG: dict[str, Any] = {
    "Origins": {
        "Quantity": 2,
        "Items": [
            {
                "Id": "geoproxy-shop",
                "DomainName": NAME,
                "CustomOriginConfig": {"HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
                "CustomHeaders": {
                    "Quantity": 1,
                    "Items": [{"HeaderName": "X", "HeaderValue": "1"}],
                },
            },
            {"Id": "geoproxy-shop-eu-west-1", "DomainName": f"eu-west-1.{NAME}"},
            {"Id": "legacy", "DomainName": "legacy.example.net"},
        ],
    },
    "DefaultCacheBehavior": {
        "TargetOriginId": "geoproxy-shop",
        "FunctionAssociations": {
            "Quantity": 2,
            "Items": [
                {"FunctionARN": ARN, "EventType": "viewer-request"},
                {
                    "FunctionARN": "arn:aws:cloudfront::1:function/theirs",
                    "EventType": "viewer-response",
                },
            ],
        },
    },
    "CacheBehaviors": {"Quantity": 0},
}


def test_the_origins_at_the_applications_names_are_found_in_any_distribution() -> None:
    summaries = [{"Id": "E1", **CONFIG}, {"Id": "E2", "Origins": {"Quantity": 0}}]
    assert [(u.distribution_id, u.origin_id) for u in origin_uses(summaries, NAME)] == [
        ("E1", "geoproxy-shop"),
        ("E1", "geoproxy-shop-eu-west-1"),
    ]
    assert origin_uses(summaries, "origin.api.example.com") == []
    assert function_users(summaries, FUNCTION) == ["E1"]
    assert function_users(summaries, "geoproxy-default-api-0") == []


def test_detaching_moves_only_the_domain_names_and_removes_only_geoproxys_function() -> None:
    before = copy.deepcopy(CONFIG)
    new, changes = detach_config(CONFIG, NAME, "legacy.example.net", None)
    new, more = detach_config(new, "", None, FUNCTION)
    assert before == CONFIG  # a copy: the config read is kept for IfMatch and the audit log
    origins = new["Origins"]["Items"]
    assert origins[0] == {**CONFIG["Origins"]["Items"][0], "DomainName": "legacy.example.net"}
    assert origins[1]["DomainName"] == "legacy.example.net"
    assert origins[2] == CONFIG["Origins"]["Items"][2]
    assert new["DefaultCacheBehavior"]["FunctionAssociations"] == {
        "Quantity": 1,
        "Items": [CONFIG["DefaultCacheBehavior"]["FunctionAssociations"]["Items"][1]],
    }
    assert [c.path for c in changes + more] == [
        "Origins[geoproxy-shop].DomainName",
        "Origins[geoproxy-shop-eu-west-1].DomainName",
        "DefaultCacheBehavior.FunctionAssociations",
    ]


def test_a_detach_someone_already_made_is_not_made_again() -> None:
    rebase = DetachRebase((NAME,), "legacy.example.net", (FUNCTION,))
    again = rebase({"DistributionConfig": CONFIG}, "E-NEW")
    assert again.outcome == "same" and again.etag == "E-NEW"
    assert rebase({"DistributionConfig": again.config}, "E-NEWER").outcome == "nothing"


def test_only_the_origin_name_and_its_direct_names_are_the_applications() -> None:
    assert is_origin_name("Origin.Example.com.", NAME)
    assert is_origin_name(f"eu-west-1.{NAME}", NAME)
    assert is_origin_name(f"us-gov-west-1.{NAME}", NAME)
    # An application at the apex does not own every origin in its zone.
    assert not is_origin_name("legacy.example.com", "example.com")
    assert not is_origin_name(f"static.{NAME}", NAME)
    assert not is_origin_name(f"a.eu-west-1.{NAME}", NAME)


def test_a_calculated_check_is_deleted_before_the_checks_it_combines() -> None:
    tags = {TAG_OWNER: DEFAULT_OWNER, TAG_RECORD: NAME}
    endpoint = LiveHealthCheck("hc-endpoint", "a", {"Type": "HTTPS"}, tags)
    calculated = LiveHealthCheck("hc-both", "b", {"Type": "CALCULATED"}, tags)
    plan = destroy_app_plan(TARGET, DEFAULT_OWNER, [], [endpoint, calculated])
    assert [check.id for check in plan.health_checks.delete] == ["hc-both", "hc-endpoint"]
