"""`iam-policy --destroy` and `--all-zones`: what they add, judged by the strict layer's IAM
evaluator."""

from __future__ import annotations

from typing import Any

from geoproxy.core.iam import NAMES_KEY, iam_policy
from tests.unit.core.test_iam import ACCOUNT, DIST_ARN, FRONTED, ZONE, load

OTHER_ZONE = "arn:aws:route53:::hostedzone/ZOTHER"


def document(**options: Any) -> dict[str, Any]:
    return iam_policy(
        load(FRONTED), zone_ids={"example.com": ZONE}, account_id=ACCOUNT, **options
    ).document


def allowed(document: dict[str, Any], action: str, resource: str, **context: Any) -> bool:
    from tests.strictaws.iam import evaluate

    return evaluate(document, action, resource, context).allowed


def delete_at(name: str) -> dict[str, Any]:
    return {
        NAMES_KEY: [name],
        "route53:ChangeResourceRecordSetsRecordTypes": ["A"],
        "route53:ChangeResourceRecordSetsActions": ["DELETE"],
    }


def test_destroy_may_list_and_detach_any_distribution_and_nothing_else_new() -> None:
    plain, destroy = document(), document(destroy=True)
    other = f"arn:aws:cloudfront::{ACCOUNT}:distribution/EOTHER"
    assert not allowed(plain, "cloudfront:UpdateDistribution", other)
    assert allowed(destroy, "cloudfront:UpdateDistribution", other)
    assert allowed(destroy, "cloudfront:GetDistribution", other)
    assert allowed(destroy, "cloudfront:ListDistributions", "*")
    assert allowed(destroy, "cloudfront:UpdateDistribution", DIST_ARN)
    assert not allowed(destroy, "route53:ChangeResourceRecordSets", OTHER_ZONE)
    assert document(destroy=True, read_only=True) == document(read_only=True)


def test_all_zones_reads_any_zone_and_prunes_there_only_with_prune() -> None:
    reads = document(all_zones=True, read_only=True)
    assert allowed(reads, "route53:ListResourceRecordSets", OTHER_ZONE)
    assert allowed(reads, "route53:ListHostedZones", "*")
    assert not allowed(document(), "route53:ListResourceRecordSets", OTHER_ZONE)
    change = delete_at("origin.blog.example.org")
    assert not allowed(reads, "route53:ChangeResourceRecordSets", OTHER_ZONE, **change)
    pruning = document(all_zones=True, prune=True)
    assert allowed(pruning, "route53:ChangeResourceRecordSets", OTHER_ZONE, **change)
    creating = {**change, "route53:ChangeResourceRecordSetsActions": ["CREATE"]}
    assert not allowed(pruning, "route53:ChangeResourceRecordSets", OTHER_ZONE, **creating)
    named = document(all_zones=True, prune=True, prune_names=["origin.blog.example.org"])
    assert allowed(named, "route53:ChangeResourceRecordSets", OTHER_ZONE, **change)
    elsewhere = delete_at("www.example.org")
    assert not allowed(named, "route53:ChangeResourceRecordSets", OTHER_ZONE, **elsewhere)


def test_destroy_with_switches_may_delete_them() -> None:
    from tests import builders
    from tests.unit.core.test_switches import ARC, PAIRED

    switched = builders.policy(builders.application(pops=PAIRED), recovery=ARC)
    action = "route53-recovery-control-config:DeleteRoutingControl"
    with_destroy = iam_policy(switched, zone_ids={}, account_id=ACCOUNT, destroy=True).document
    assert allowed(with_destroy, action, "*")
    assert not allowed(iam_policy(switched, zone_ids={}, account_id=ACCOUNT).document, action, "*")
    assert not allowed(document(destroy=True), action, "*")  # no switches: none granted
