"""What a saved plan may write, judged from its change set alone (core.saved_plan_checks)."""

from __future__ import annotations

import copy
from typing import Any

from geoproxy.core.changeset import ChangeSet, DistributionUpdate
from geoproxy.core.managed_fields import unmanaged_differences
from geoproxy.core.saved_plan_checks import (
    PlanApp,
    distribution_findings,
    mass_deletions_of,
    prose_findings,
    record_findings,
    review_lines,
    summary_of,
)

ZONE = "Z1"
RECORD = "origin.shop.example.com"
APPS = [PlanApp("shop", ZONE, RECORD, "E1")]


def latency(region: str, target: str = "lb.example.net.", owner: str = "default") -> dict[str, Any]:
    return {
        "Name": RECORD + ".",
        "Type": "A",
        "SetIdentifier": f"geoproxy:{region}@{owner}",
        "Region": region,
        "AliasTarget": {"DNSName": target, "HostedZoneId": "ZLB", "EvaluateTargetHealth": False},
    }


def plain(name: str) -> dict[str, Any]:
    return {"Name": name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]}


def changes_of(*changes: tuple[str, dict[str, Any]], zone: str = ZONE) -> ChangeSet:
    batch = [{"Action": action, "ResourceRecordSet": record} for action, record in changes]
    return ChangeSet(before_distributions={zone: [batch]})


def codes(found: list[Any]) -> list[str]:
    return [finding.code for finding in found]


def test_an_update_a_create_and_a_delete_are_counted_and_shown() -> None:
    changes = changes_of(
        ("DELETE", latency("eu-west-1")),
        ("CREATE", latency("eu-west-1", "other.example.net.")),
        ("CREATE", latency("us-east-1")),
        ("DELETE", latency("ap-south-1")),
    )
    assert summary_of(changes)["create"] == 1
    assert (summary_of(changes)["update"], summary_of(changes)["delete"]) == (1, 1)
    lines = review_lines(changes)
    assert any("lb.example.net -> alias other.example.net" in line for line in lines)
    assert lines[-1] == "Plan: 1 to create, 1 to update, 1 to delete."


def test_geoproxys_own_records_pass() -> None:
    changes = changes_of(("DELETE", latency("eu-west-1")), ("CREATE", latency("eu-west-1", "x.")))
    assert record_findings(changes, APPS, owner="default", adopt=False) == []


def test_a_foreign_record_is_never_deleted_alone() -> None:
    changes = changes_of(("DELETE", plain(RECORD + ".")))
    assert codes(record_findings(changes, APPS, owner="default", adopt=True)) == ["plan_not_owned"]


def test_a_foreign_record_is_replaced_only_with_adopt() -> None:
    foreign = {**latency("eu-west-1"), "SetIdentifier": "hand-made"}
    changes = changes_of(("DELETE", foreign), ("CREATE", latency("eu-west-1")))
    # Different keys (set identifiers differ): a plain deletion of the foreign record.
    assert codes(record_findings(changes, APPS, owner="default", adopt=True)) == ["plan_not_owned"]
    same_key = {**plain(RECORD + "."), "SetIdentifier": "geoproxy:eu-west-1@default"}
    changes = changes_of(("DELETE", same_key), ("CREATE", latency("eu-west-1")))
    assert record_findings(changes, APPS, owner="default", adopt=True) == []
    assert codes(record_findings(changes, APPS, owner="default", adopt=False)) == ["plan_not_owned"]


def test_another_owners_record_and_names_outside_the_apps_are_refused() -> None:
    other = changes_of(("CREATE", latency("eu-west-1", owner="team-b")))
    assert codes(record_findings(other, APPS, owner="default", adopt=False)) == ["plan_not_owned"]
    assert record_findings(other, APPS, owner=None, adopt=None) == []  # format 1: any owner
    www = changes_of(("CREATE", plain("www.example.com.")))
    assert codes(record_findings(www, APPS, owner="default", adopt=False)) == ["plan_not_owned"]
    elsewhere = changes_of(("CREATE", latency("eu-west-1")), zone="Z2")
    assert codes(record_findings(elsewhere, APPS, owner="default", adopt=False)) == [
        "plan_foreign_zone"
    ]


def test_the_summary_and_text_must_agree_with_the_changes() -> None:
    changes = changes_of(("CREATE", latency("us-east-1")))
    text = review_lines(changes)
    assert prose_findings(changes, {"create": 1, "update": 0, "delete": 0}, text) == []
    assert codes(prose_findings(changes, {"create": 0}, text)) == ["plan_prose_mismatch"]
    assert codes(prose_findings(changes, None, ["edited"])) == ["plan_prose_mismatch"]


def config() -> dict[str, Any]:
    return {
        "Comment": "shop",
        "WebACLId": "",
        "ViewerCertificate": {"ACMCertificateArn": "arn:cert", "SSLSupportMethod": "sni-only"},
        "Aliases": {"Quantity": 0},
        "Origins": {"Quantity": 1, "Items": [{"Id": "legacy", "DomainName": "legacy.example"}]},
        "DefaultCacheBehavior": {"TargetOriginId": "legacy"},
    }


def geoproxys_edit(old: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(old)
    new["Origins"] = {
        "Quantity": 2,
        "Items": [*new["Origins"]["Items"], {"Id": "geoproxy-shop", "DomainName": RECORD}],
    }
    new["DefaultCacheBehavior"]["TargetOriginId"] = "geoproxy-shop"
    new["Aliases"] = {"Quantity": 1, "Items": ["shop.example.com"]}
    new["Restrictions"] = {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}}
    return new


def test_geoproxys_fields_are_managed_and_the_rest_is_not() -> None:
    old = config()
    new = geoproxys_edit(old)
    assert unmanaged_differences(old, new, "geoproxy-shop") == []
    new["WebACLId"] = "arn:waf"
    new["ViewerCertificate"] = {"CloudFrontDefaultCertificate": True}
    new["Origins"]["Items"][0]["DomainName"] = "evil.example"
    assert unmanaged_differences(old, new, "geoproxy-shop") == [
        "Origins[legacy]",
        "ViewerCertificate",
        "WebACLId",
    ]


def test_a_distribution_must_be_the_apps_and_change_only_managed_fields() -> None:
    old = config()
    good = DistributionUpdate("shop", "E1", "ETAG", old, geoproxys_edit(old), [], origin_id="x")
    good.origin_id = "geoproxy-shop"
    assert distribution_findings(ChangeSet(distributions=[good]), APPS) == []
    bad = copy.deepcopy(good)
    bad.new_config["WebACLId"] = "arn:waf"
    assert codes(distribution_findings(ChangeSet(distributions=[bad]), APPS)) == [
        "plan_unmanaged_config"
    ]
    foreign = copy.deepcopy(good)
    foreign.distribution_id = "E2"
    assert codes(distribution_findings(ChangeSet(distributions=[foreign]), APPS)) == [
        "plan_foreign_distribution"
    ]


def test_mass_deletions_count_what_is_live() -> None:
    regions = [f"r-{n}" for n in range(12)]
    live = {ZONE: [latency(region) for region in regions]}
    deleting = changes_of(*(("DELETE", latency(region)) for region in regions[:5]))
    [guarded] = mass_deletions_of(deleting, APPS, live)
    assert (guarded.app, guarded.deleting, guarded.of) == ("shop", 5, 12)
    few = changes_of(("DELETE", latency(regions[0])))
    assert mass_deletions_of(few, APPS, live) == []
    # A re-run after the deletions landed deletes nothing again.
    assert mass_deletions_of(deleting, APPS, {ZONE: live[ZONE][5:]}) == []


def test_a_viewer_record_must_point_at_an_applications_distribution() -> None:
    apps = [PlanApp("shop", ZONE, RECORD, "E1", "d111.cloudfront.net")]

    def viewer(target: str) -> dict[str, Any]:
        return {
            "Name": "shop.example.com.",
            "Type": "A",
            "SetIdentifier": "geoproxy:viewer@default",
            "Weight": 1,
            "AliasTarget": {
                "DNSName": target,
                "HostedZoneId": "Z2FDTNDATAQYW2",
                "EvaluateTargetHealth": False,
            },
        }

    good = changes_of(("CREATE", viewer("d111.cloudfront.net.")))
    assert record_findings(good, apps, owner="default", adopt=False) == []
    evil = changes_of(("CREATE", viewer("evil.example.net.")))
    assert codes(record_findings(evil, apps, owner="default", adopt=False)) == ["plan_not_owned"]
