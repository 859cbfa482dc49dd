"""Change Guardrails (guardrails.py) and record set protections (protections.py) in the strict
layer. Sources are cited in those modules."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.strictaws import StrictMotoServer
from tests.strictaws.fixtures import NO_RETRY, distribution_config, error_of

pytest_plugins = ["tests.strictaws.fixtures"]


@pytest.fixture
def r53(aws: StrictMotoServer) -> Any:
    return aws.client("route53", config=NO_RETRY)


def zone(r53: Any, name: str = "example.com") -> str:
    zone_id = r53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"]
    return str(zone_id).rpartition("/")[2]


def a_record(name: str, ip: str = "192.0.2.1") -> dict[str, Any]:
    return {"Name": name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": ip}]}


def alias(name: str, target: str, zone_id: str) -> dict[str, Any]:
    return {
        "Name": name,
        "Type": "A",
        "AliasTarget": {"HostedZoneId": zone_id, "DNSName": target, "EvaluateTargetHealth": False},
    }


def change(r53: Any, zone_id: str, *changes: tuple[str, dict[str, Any]]) -> None:
    r53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": a, "ResourceRecordSet": r} for a, r in changes]},
    )


def rejection(r53: Any, zone_id: str, *changes: tuple[str, dict[str, Any]]) -> str:
    with pytest.raises(ClientError) as err:
        change(r53, zone_id, *changes)
    assert err.value.response["Error"]["Code"] == "InvalidChangeBatch"
    return str(err.value.response["Error"]["Message"])


def names(r53: Any, zone_id: str) -> list[str]:
    sets = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return [r["Name"] for r in sets if r["Type"] == "A"]


@pytest.fixture
def aliased(aws: StrictMotoServer, r53: Any) -> str:
    """ADVANCED, ALIAS_TARGET_CHECK on: www aliases to pop."""
    z = zone(r53)
    aws.guardrails.set_tier(z, "ADVANCED")
    r53.update_hosted_zone_features(
        HostedZoneId=z, ChangeGuardrails=[{"Name": "ALIAS_TARGET_CHECK", "Status": "ENABLED"}]
    )
    change(r53, z, ("CREATE", a_record("pop.example.com")))
    change(r53, z, ("CREATE", alias("www.example.com", "pop.example.com", z)))
    return z


def test_features_report_the_tier_s_guardrails_and_the_tier_limits_them(
    aws: StrictMotoServer, r53: Any
) -> None:
    z = zone(r53)
    assert r53.get_hosted_zone(Id=z)["HostedZone"].get("Features") is None  # never touched
    on = [{"Name": "ALIAS_TARGET_CHECK", "Status": "ENABLED"}]
    assert error_of(r53.update_hosted_zone_features, HostedZoneId=z, ChangeGuardrails=on) == (
        "InvalidInput",
        400,
    )  # STANDARD does not offer it
    off = [{"Name": "NS_FORMAT_CHECK", "Status": "DISABLED"}]
    assert error_of(r53.update_hosted_zone_features, HostedZoneId=z, ChangeGuardrails=off) == (
        "InvalidInput",
        400,
    )  # always on
    aws.guardrails.set_tier(z, "ADVANCED")
    r53.update_hosted_zone_features(HostedZoneId=z, ChangeGuardrails=on)
    reported = r53.get_hosted_zone(Id=z)["HostedZone"]["Features"]["ChangeGuardrails"]
    assert {g["Name"]: g["Status"] for g in reported} == {
        "NS_FORMAT_CHECK": "ENABLED",
        "NS_DELEGATION_AUTHORITY_CHECK": "ENABLED",
        "NS_OCCLUSION_CHECK": "DISABLED",
        "ALIAS_TARGET_CHECK": "ENABLED",
        "ACTIVE_RECORD_CHECK": "DISABLED",
        "ACTIVE_DELEGATION_CHECK": "DISABLED",
    }
    listed = r53.list_hosted_zones_by_name(DNSName="example.com")["HostedZones"][0]
    assert listed["Features"]["ChangeGuardrails"] == reported  # the lookup by name carries it


def test_alias_target_check_per_change_refuses_a_target_deleted_before_its_alias(
    aws: StrictMotoServer, r53: Any, aliased: str
) -> None:
    message = rejection(r53, aliased, ("DELETE", a_record("pop.example.com")))
    assert message.startswith("[ALIAS_TARGET_CHECK: Tried to delete resource record set")
    assert "pop.example.com." in message and "www.example.com." in message
    # Per change: the target first, its alias after, is refused too (the alias still stood).
    rejection(
        r53,
        aliased,
        ("DELETE", a_record("pop.example.com")),
        ("DELETE", alias("www.example.com", "pop.example.com", aliased)),
    )
    assert names(r53, aliased) == ["pop.example.com.", "www.example.com."]  # nothing written
    # The alias first, then its target: passes.
    change(
        r53,
        aliased,
        ("DELETE", alias("www.example.com", "pop.example.com", aliased)),
        ("DELETE", a_record("pop.example.com")),
    )
    assert names(r53, aliased) == []


def test_alias_target_check_end_of_batch_judges_only_the_final_state(
    aws: StrictMotoServer, r53: Any, aliased: str
) -> None:
    aws.guardrails.alias_reading = "end_of_batch"
    rejection(r53, aliased, ("DELETE", a_record("pop.example.com")))
    change(
        r53,
        aliased,
        ("DELETE", a_record("pop.example.com")),
        ("DELETE", alias("www.example.com", "pop.example.com", aliased)),
    )
    assert names(r53, aliased) == []


def test_a_replacement_of_an_alias_target_is_not_a_deletion(r53: Any, aliased: str) -> None:
    change(
        r53,
        aliased,
        ("DELETE", a_record("pop.example.com")),
        ("CREATE", a_record("pop.example.com", "192.0.2.9")),
    )


def test_active_record_check_refuses_a_name_still_queried(aws: StrictMotoServer, r53: Any) -> None:
    z = zone(r53)
    aws.guardrails.enable_all(z)
    change(r53, z, ("CREATE", a_record("pop.example.com")), ("CREATE", a_record("new.example.com")))
    change(r53, z, ("CREATE", alias("www.example.com", "pop.example.com", z)))
    # Re-pointing the alias and deleting its old target in one batch: queries still arrive.
    message = rejection(
        r53,
        z,
        ("DELETE", alias("www.example.com", "pop.example.com", z)),
        ("CREATE", alias("www.example.com", "new.example.com", z)),
        ("DELETE", a_record("pop.example.com")),
    )
    assert message.startswith("[ACTIVE_RECORD_CHECK: Tried to delete resource record set")
    # Two phases: re-point, then delete in a later request.
    change(
        r53,
        z,
        ("DELETE", alias("www.example.com", "pop.example.com", z)),
        ("CREATE", alias("www.example.com", "new.example.com", z)),
    )
    change(r53, z, ("DELETE", a_record("pop.example.com")))
    # A CloudFront origin queries its name too.
    aws.client("cloudfront").create_distribution(
        DistributionConfig=distribution_config("origin-of-new")
        | {
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "origin",
                        "DomainName": "new.example.com",
                        "CustomOriginConfig": {
                            "HTTPPort": 80,
                            "HTTPSPort": 443,
                            "OriginProtocolPolicy": "https-only",
                        },
                    }
                ],
            }
        }
    )
    change(r53, z, ("DELETE", alias("www.example.com", "new.example.com", z)))
    assert "CloudFront" in rejection(r53, z, ("DELETE", a_record("new.example.com")))


def test_ns_occlusion_check_refuses_records_under_a_delegation(
    aws: StrictMotoServer, r53: Any
) -> None:
    z = zone(r53)
    aws.guardrails.set_tier(z, "STANDARD")
    r53.update_hosted_zone_features(
        HostedZoneId=z, ChangeGuardrails=[{"Name": "NS_OCCLUSION_CHECK", "Status": "ENABLED"}]
    )
    delegation = {
        "Name": "sub.example.com",
        "Type": "NS",
        "TTL": 60,
        "ResourceRecords": [{"Value": "ns.elsewhere.net"}],
    }
    change(r53, z, ("CREATE", delegation))
    message = rejection(r53, z, ("CREATE", a_record("www.sub.example.com")))
    assert message.startswith("[NS_OCCLUSION_CHECK:")


def test_protections_are_listed_and_refuse_the_whole_batch(r53: Any) -> None:
    z = zone(r53)
    change(r53, z, ("CREATE", a_record("pop.example.com")))
    r53.create_resource_record_set_protections(
        HostedZoneId=z,
        Protections=[
            {"RecordName": "pop.example.com", "RecordType": "A", "Comment": "team origin"},
            {"RecordName": "reserved.example.com", "RecordType": "A"},
        ],
    )
    listed = r53.list_resource_record_set_protections(HostedZoneId=z)
    assert listed["ResourceRecordSetProtections"] == [
        {"RecordName": "pop.example.com.", "RecordType": "A", "Comment": "team origin"},
        {"RecordName": "reserved.example.com.", "RecordType": "A"},
    ]
    message = rejection(
        r53,
        z,
        ("CREATE", a_record("free.example.com")),
        ("DELETE", a_record("pop.example.com")),
    )
    assert "pop.example.com." in message and "team origin" in message
    assert names(r53, z) == ["pop.example.com."]  # the free name was not written either
    rejection(r53, z, ("CREATE", a_record("reserved.example.com")))  # reserved before it exists
    again = [{"RecordName": "pop.example.com", "RecordType": "A"}]
    assert error_of(
        r53.create_resource_record_set_protections, HostedZoneId=z, Protections=again
    ) == ("ProtectionAlreadyExists", 400)
    r53.delete_resource_record_set_protections(HostedZoneId=z, Protections=again)
    change(r53, z, ("DELETE", a_record("pop.example.com")))
    assert error_of(
        r53.delete_resource_record_set_protections, HostedZoneId=z, Protections=again
    ) == ("InvalidResourceRecordSetProtectionBatch", 400)
