"""Each test here pins a real-AWS behaviour that bare moto 5.2 gets wrong (so it fails there)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError

from tests.strictaws import StrictMotoServer

pytest_plugins = ["tests.strictaws.fixtures"]

# Note: botocore's retries "max_attempts" counts retries (1 => two requests); this is one request.
ROOT = Path(__file__).resolve().parents[2]
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"]


def latency(name: str, region: str, ip: str, action: str = "CREATE", ttl: int = 60) -> dict:
    rrset = {"Name": name, "Type": "A", "SetIdentifier": region, "Region": region, "TTL": ttl}
    return {"Action": action, "ResourceRecordSet": {**rrset, "ResourceRecords": [{"Value": ip}]}}


def simple(name: str, value: str, action: str = "CREATE", rtype: str = "A") -> dict:
    rrset = {"Name": name, "Type": rtype, "TTL": 60, "ResourceRecords": [{"Value": value}]}
    return {"Action": action, "ResourceRecordSet": rrset}


def alias(name: str, dns_name: str, action: str = "CREATE", evaluate: bool = False) -> dict:
    target = {
        "HostedZoneId": "Z2FDTNDATAQYW2",
        "DNSName": dns_name,
        "EvaluateTargetHealth": evaluate,
    }
    return {
        "Action": action,
        "ResourceRecordSet": {"Name": name, "Type": "A", "AliasTarget": target},
    }


@pytest.fixture
def r53(aws: StrictMotoServer) -> Any:
    return aws.client("route53", config=NO_RETRY)


@pytest.fixture
def zone(r53: Any) -> str:
    return r53.create_hosted_zone(Name="example.com", CallerReference="ref")["HostedZone"]["Id"]


def change(r53: Any, zone: str, *changes: dict) -> dict:
    batch = {"Changes": list(changes)}
    return r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch=batch)["ChangeInfo"]


def rejected(r53: Any, zone: str, *changes: dict) -> str:
    with pytest.raises(ClientError) as err:
        change(r53, zone, *changes)
    assert err.value.response["Error"]["Code"] == "InvalidChangeBatch"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return err.value.response["Error"]["Message"]


def records(r53: Any, zone: str) -> list[tuple[str, str, str | None]]:
    """(name, type, SetIdentifier) of every record but the zone's own NS and SOA."""
    listed = r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    return [
        (r["Name"], r["Type"], r.get("SetIdentifier"))
        for r in listed
        if r["Type"] not in ("NS", "SOA")
    ]


# -- ChangeResourceRecordSets
def test_batch_is_atomic(r53: Any, zone: str) -> None:
    message = rejected(
        r53,
        zone,
        latency("www.example.com", "us-east-1", "192.0.2.1"),
        simple("gone.example.com", "192.0.2.9", action="DELETE"),
    )
    assert message == (
        "[Tried to delete resource record set [name='gone.example.com.', type='A'] "
        "but it was not found]"
    )
    assert records(r53, zone) == []


def test_delete_must_match_live_values_and_removes_only_that_record(r53: Any, zone: str) -> None:
    change(
        r53,
        zone,
        latency("www.example.com", "us-east-1", "192.0.2.1"),
        latency("api.example.com", "us-east-1", "192.0.2.2"),
    )
    for wrong in (
        latency("www.example.com", "us-east-1", "192.0.2.99", action="DELETE"),
        latency("www.example.com", "us-east-1", "192.0.2.1", action="DELETE", ttl=300),
    ):
        assert "but the values provided do not match the current values" in rejected(
            r53, zone, wrong
        )
    change(r53, zone, latency("www.example.com", "us-east-1", "192.0.2.1", action="DELETE"))
    # moto deletes by SetIdentifier across the zone; AWS removes just the one record.
    assert records(r53, zone) == [("api.example.com.", "A", "us-east-1")]


def test_alias_delete_compares_dns_name_loosely_but_other_fields_exactly(
    r53: Any, zone: str
) -> None:
    change(r53, zone, alias("cdn.example.com", "d111.cloudfront.net"))
    listed = r53.list_resource_record_sets(
        HostedZoneId=zone, StartRecordName="cdn.example.com", MaxItems="1"
    )["ResourceRecordSets"][0]
    assert "TTL" not in listed  # alias records have no TTL of their own
    assert "do not match" in rejected(
        r53, zone, alias("cdn.example.com", "d111.cloudfront.net", "DELETE", evaluate=True)
    )
    change(r53, zone, alias("cdn.example.com", "D111.CloudFront.net.", "DELETE"))
    assert records(r53, zone) == []


def test_duplicate_create_refused_and_upsert_replaces(r53: Any, zone: str) -> None:
    change(r53, zone, latency("www.example.com", "us-east-1", "192.0.2.1"))
    assert rejected(r53, zone, latency("www.example.com", "us-east-1", "192.0.2.2")) == (
        "[Tried to create resource record set [name='www.example.com.', type='A', "
        "set-identifier='us-east-1'] but it already exists]"
    )
    change(r53, zone, latency("www.example.com", "us-east-1", "192.0.2.2", action="UPSERT"))
    listed = r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    assert [r["ResourceRecords"] for r in listed if r["Name"] == "www.example.com."] == [
        [{"Value": "192.0.2.2"}]
    ]


def test_two_latency_records_for_one_region_refused(r53: Any, zone: str) -> None:
    second = latency("www.example.com", "us-east-1", "192.0.2.2")
    second["ResourceRecordSet"]["SetIdentifier"] = "another-id"
    message = rejected(r53, zone, latency("www.example.com", "us-east-1", "192.0.2.1"), second)
    assert "Region us-east-1" in message


def test_routing_policies_cannot_mix_at_one_name_and_type(r53: Any, zone: str) -> None:
    change(r53, zone, simple("www.example.com", "192.0.2.1"))
    assert "non-latency set exists" in rejected(
        r53, zone, latency("www.example.com", "us-east-1", "192.0.2.2")
    )
    change(r53, zone, latency("api.example.com", "us-east-1", "192.0.2.3"))
    assert "other RRSets exist" in rejected(r53, zone, simple("api.example.com", "192.0.2.4"))
    weighted = {
        "Name": "api.example.com",
        "Type": "A",
        "SetIdentifier": "w",
        "Weight": 10,
        "TTL": 60,
        "ResourceRecords": [{"Value": "192.0.2.5"}],
    }
    assert "non-weighted" in rejected(
        r53, zone, {"Action": "CREATE", "ResourceRecordSet": weighted}
    )


def test_cname_cannot_sit_beside_another_type(r53: Any, zone: str) -> None:
    change(r53, zone, simple("www.example.com", "192.0.2.1"))
    assert "conflicting RRSet of type A" in rejected(
        r53, zone, simple("www.example.com", "origin.example.net", rtype="CNAME")
    )
    assert "not permitted at apex" in rejected(
        r53, zone, simple("example.com", "origin.example.net", rtype="CNAME")
    )


def test_a_cname_must_be_deleted_before_its_replacements_are_created(r53: Any, zone: str) -> None:
    change(r53, zone, simple("www.example.com", "origin.example.net", rtype="CNAME"))
    cname = simple("www.example.com", "origin.example.net", action="DELETE", rtype="CNAME")
    assert "conflicting RRSet of type CNAME" in rejected(
        r53, zone, latency("www.example.com", "us-east-1", "192.0.2.2"), cname
    )
    change(r53, zone, cname, latency("www.example.com", "us-east-1", "192.0.2.2"))
    assert records(r53, zone) == [("www.example.com.", "A", "us-east-1")]


def test_alias_into_the_same_zone_needs_its_target_first(r53: Any, zone: str) -> None:
    zone_id = zone.rpartition("/")[2]
    to_target = {
        "Action": "CREATE",
        "ResourceRecordSet": {
            "Name": "www.example.com",
            "Type": "A",
            "AliasTarget": {
                "HostedZoneId": zone_id,
                "DNSName": "lb.example.com",
                "EvaluateTargetHealth": False,
            },
        },
    }
    assert "that target was not found" in rejected(r53, zone, to_target)
    assert "that target was not found" in rejected(
        r53, zone, to_target, simple("lb.example.com", "192.0.2.1")
    )
    change(r53, zone, simple("lb.example.com", "192.0.2.1"), to_target)
    assert ("www.example.com.", "A", None) in records(r53, zone)


def test_create_health_check_is_idempotent_by_caller_reference(r53: Any) -> None:
    config = {
        "Type": "HTTPS",
        "FullyQualifiedDomainName": "lb.example.com",
        "Port": 443,
        "ResourcePath": "/health",
        "RequestInterval": 30,
        "FailureThreshold": 3,
    }
    first = r53.create_health_check(CallerReference="ref-1", HealthCheckConfig=config)
    again = r53.create_health_check(CallerReference="ref-1", HealthCheckConfig=config)
    assert again["HealthCheck"]["Id"] == first["HealthCheck"]["Id"]
    assert len(r53.list_health_checks()["HealthChecks"]) == 1
    with pytest.raises(ClientError) as error:
        r53.create_health_check(
            CallerReference="ref-1", HealthCheckConfig={**config, "ResourcePath": "/other"}
        )
    assert error.value.response["Error"]["Code"] == "HealthCheckAlreadyExists"


def test_a_deleted_checks_caller_reference_is_remembered(r53: Any) -> None:
    # CreateHealthCheck, API Reference: the reference of a deleted check is refused
    # "regardless of the settings" for a number of days.
    config = {
        "Type": "TCP",
        "FullyQualifiedDomainName": "lb.example.com",
        "Port": 443,
        "RequestInterval": 30,
        "FailureThreshold": 3,
    }
    created = r53.create_health_check(CallerReference="ref-2", HealthCheckConfig=config)
    r53.delete_health_check(HealthCheckId=created["HealthCheck"]["Id"])
    with pytest.raises(ClientError) as error:
        r53.create_health_check(CallerReference="ref-2", HealthCheckConfig=config)
    assert error.value.response["Error"]["Code"] == "HealthCheckAlreadyExists"
    assert r53.create_health_check(CallerReference="ref-3", HealthCheckConfig=config)


def test_conflicts_are_checked_on_the_final_state_of_the_batch(r53: Any, zone: str) -> None:
    change(r53, zone, simple("www.example.com", "192.0.2.1"))
    change(
        r53,
        zone,
        simple("www.example.com", "192.0.2.1", action="DELETE"),
        latency("www.example.com", "us-east-1", "192.0.2.2"),
        latency("www.example.com", "eu-west-1", "192.0.2.3"),
    )
    assert records(r53, zone) == [
        ("www.example.com.", "A", "eu-west-1"),
        ("www.example.com.", "A", "us-east-1"),
    ]


def test_upper_case_names_are_stored_lower_case(r53: Any, zone: str) -> None:
    change(r53, zone, latency("WWW.Example.COM", "us-east-1", "192.0.2.1"))
    assert records(r53, zone) == [("www.example.com.", "A", "us-east-1")]
    change(r53, zone, latency("www.example.com.", "us-east-1", "192.0.2.1", action="DELETE"))


# -- ListResourceRecordSets paging
def test_paging_a_latency_group_returns_each_record_once(r53: Any, zone: str) -> None:
    change(
        r53, zone, *(latency("www.example.com", r, f"192.0.2.{i}") for i, r in enumerate(REGIONS))
    )
    seen, kwargs, pages = [], {}, []
    for _ in range(10):  # bounded: bare moto would hand back the same page forever
        page = r53.list_resource_record_sets(HostedZoneId=zone, MaxItems="2", **kwargs)
        pages.append(page)
        seen += [(r["Name"], r.get("SetIdentifier")) for r in page["ResourceRecordSets"]]
        if not page["IsTruncated"]:
            break
        kwargs = {
            "StartRecordName": page["NextRecordName"],
            "StartRecordType": page["NextRecordType"],
        }
        if "NextRecordIdentifier" in page:
            kwargs["StartRecordIdentifier"] = page["NextRecordIdentifier"]
    assert seen == [("example.com.", None), ("example.com.", None)] + [
        ("www.example.com.", r) for r in sorted(REGIONS)
    ]
    assert [p.get("NextRecordIdentifier") for p in pages] == [*sorted(REGIONS)[::2], None]
    paginator = r53.get_paginator("list_resource_record_sets")
    listed = [
        r
        for p in paginator.paginate(HostedZoneId=zone, PaginationConfig={"PageSize": 2})
        for r in p["ResourceRecordSets"]
    ]
    assert len(listed) == 7


# -- GetChange
def test_change_is_pending_then_insync(aws: StrictMotoServer, r53: Any, zone: str) -> None:
    info = change(r53, zone, simple("www.example.com", "192.0.2.1"))
    assert info["Status"] == "PENDING"
    statuses = [r53.get_change(Id=info["Id"])["ChangeInfo"]["Status"] for _ in range(2)]
    assert statuses == ["PENDING", "INSYNC"]
    aws.pending_polls = 3
    info = change(r53, zone, simple("api.example.com", "192.0.2.1"))
    statuses = [r53.get_change(Id=info["Id"])["ChangeInfo"]["Status"] for _ in range(4)]
    assert statuses == ["PENDING"] * 3 + ["INSYNC"]
    with pytest.raises(ClientError) as err:
        r53.get_change(Id="/change/CNOTAREALCHANGE")
    assert err.value.response["Error"]["Code"] == "NoSuchChange"


# -- CloudFront
DISTRIBUTION = {
    "CallerReference": "geoproxy-test",
    "Comment": "test",
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
        "ViewerProtocolPolicy": "redirect-to-https",
        "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
    },
}


def test_cloudfront_etag_changes_and_stale_if_match_fails(aws: StrictMotoServer) -> None:
    cf = aws.client("cloudfront", config=NO_RETRY)
    created = cf.create_distribution(DistributionConfig=DISTRIBUTION)
    dist_id, first_etag = created["Distribution"]["Id"], created["ETag"]
    config = cf.get_distribution_config(Id=dist_id)
    assert config["ETag"] == first_etag
    updated = cf.update_distribution(
        Id=dist_id,
        IfMatch=first_etag,
        DistributionConfig={**config["DistributionConfig"], "Comment": "changed"},
    )
    assert updated["ETag"] != first_etag
    assert cf.get_distribution(Id=dist_id)["ETag"] == updated["ETag"]
    assert cf.get_distribution_config(Id=dist_id)["ETag"] == updated["ETag"]
    for if_match, code, status in (
        (first_etag, "PreconditionFailed", 412),
        (None, "InvalidIfMatchVersion", 400),
    ):
        kwargs = {"IfMatch": if_match} if if_match else {}
        with pytest.raises(ClientError) as err:
            cf.update_distribution(
                Id=dist_id, DistributionConfig=config["DistributionConfig"], **kwargs
            )
        assert err.value.response["Error"]["Code"] == code
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert cf.get_distribution_config(Id=dist_id)["DistributionConfig"]["Comment"] == "changed"


# -- request log and fault injection
def test_request_log_names_operations(aws: StrictMotoServer, r53: Any, zone: str) -> None:
    aws.reset_log()
    r53.list_hosted_zones_by_name(DNSName="example.com")
    r53.get_hosted_zone(Id=zone)
    info = change(r53, zone, simple("www.example.com", "192.0.2.1"))
    r53.get_change(Id=info["Id"])
    r53.list_resource_record_sets(HostedZoneId=zone)
    aws.client("sts").get_caller_identity()
    with pytest.raises(ClientError):
        aws.client("cloudfront", config=NO_RETRY).get_distribution_config(Id="ENOSUCHDIST")
    assert aws.operations() == [
        "ListHostedZonesByName",
        "GetHostedZone",
        "ChangeResourceRecordSets",
        "GetChange",
        "ListResourceRecordSets",
        "GetCallerIdentity",
        "GetDistributionConfig",
    ]
    assert [c.service for c in aws.calls][-2:] == ["sts", "cloudfront"]
    assert aws.count("GetChange") == 1 and aws.count() == 7
    aws.reset_log()
    assert aws.operations() == []


def test_injected_errors_are_shaped_per_protocol_and_consumed(
    aws: StrictMotoServer, r53: Any, zone: str
) -> None:
    aws.inject("ChangeResourceRecordSets", code="Throttling", status=400, times=2)
    for _ in range(2):
        with pytest.raises(ClientError) as err:
            change(r53, zone, simple("www.example.com", "192.0.2.1"))
        assert err.value.response["Error"]["Code"] == "Throttling"
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert records(r53, zone) == []  # the faults never reached moto
    change(r53, zone, simple("www.example.com", "192.0.2.1"))
    assert [c.injected for c in aws.calls if c.operation == "ChangeResourceRecordSets"] == [
        True,
        True,
        False,
    ]
    aws.inject("GetCallerIdentity", code="ServiceUnavailable", status=503, message="try later")
    with pytest.raises(ClientError) as err:
        aws.client("sts", config=NO_RETRY).get_caller_identity()
    assert err.value.response["Error"] == {
        "Code": "ServiceUnavailable",
        "Message": "try later",
        "Type": "Receiver",
    }


def test_injected_disconnect(aws: StrictMotoServer, r53: Any) -> None:
    aws.inject_disconnect("ListHostedZones")
    with pytest.raises(ConnectionClosedError):
        r53.list_hosted_zones()
    assert r53.list_hosted_zones()["HostedZones"] == []


def test_injected_lost_response_applies_then_drops(
    aws: StrictMotoServer, r53: Any, zone: str
) -> None:
    aws.inject_lost_response("ChangeResourceRecordSets")
    with pytest.raises(ConnectionClosedError):
        change(r53, zone, simple("www.example.com", "192.0.2.1"))
    assert records(r53, zone) == [("www.example.com.", "A", None)]  # it landed all the same


def test_hold_parks_a_request_until_released(aws: StrictMotoServer, r53: Any) -> None:
    hold = aws.hold("ListHostedZones")
    answers: list[Any] = []
    caller = threading.Thread(target=lambda: answers.append(r53.list_hosted_zones()))
    caller.start()
    assert hold.arrived.wait(10)
    assert answers == []  # parked
    hold.release()
    caller.join(10)
    assert answers and answers[0]["HostedZones"] == []


def txt(name: str, *values: str) -> dict:
    return {
        "Action": "CREATE",
        "ResourceRecordSet": {
            "Name": name,
            "Type": "TXT",
            "TTL": 60,
            "ResourceRecords": [{"Value": value} for value in values],
        },
    }


def test_txt_strings_are_at_most_255_characters(r53: Any, zone: str) -> None:
    # ResourceRecordTypes.html#TXTFormat: each string of a TXT value up to 255 characters.
    change(r53, zone, txt("ok.example.com", '"' + "a" * 255 + '" "' + "b" * 255 + '"'))
    message = rejected(r53, zone, txt("long.example.com", '"' + "a" * 256 + '"'))
    assert "CharacterStringTooLong" in message
    assert ("ok.example.com.", "TXT", None) in records(r53, zone)


def test_a_value_is_at_most_4000_characters(r53: Any, zone: str) -> None:
    # API_ResourceRecord.html: Value, "Length Constraints: Maximum length of 4000".
    value = " ".join('"' + "a" * 250 + '"' for _ in range(16))  # 4,047 characters
    with pytest.raises(ClientError) as err:
        change(r53, zone, txt("big.example.com", value))
    assert err.value.response["Error"]["Code"] == "InvalidInput"
    assert "less than or equal to 4000" in err.value.response["Error"]["Message"]


def test_a_request_holds_at_most_32000_value_characters(r53: Any, zone: str) -> None:
    # DNSLimitations.html, "Quotas on ChangeResourceRecordSets requests": 32,000 characters
    # in Value elements per request; an UPSERT's count double.
    def txt_of(name: str, size: int, action: str = "CREATE") -> dict:
        strings, left = [], size  # character-strings of at most 255 bytes, quotes included
        while left > 0:
            length = min(255, left - 4 if 255 < left < 259 else left)
            strings.append('"' + "a" * (length - 2) + '"')
            left -= length + 1  # and the space before the next one
        value = " ".join(strings)
        assert len(value) == size
        return {
            "Action": action,
            "ResourceRecordSet": {
                "Name": name,
                "Type": "TXT",
                "TTL": 60,
                "ResourceRecords": [{"Value": value}],
            },
        }

    eight = [txt_of(f"t{i}.example.com", 4000) for i in range(8)]  # exactly 32,000
    change(r53, zone, *eight)
    message = rejected(
        r53,
        zone,
        txt_of("over.example.com", 4000),
        *[txt_of(f"u{i}.example.com", 4000) for i in range(7)],
        txt_of("one.example.com", 3),
    )
    assert "Number of characters in Value elements 32003 exceeds the maximum of 32000" in message
    message = rejected(r53, zone, *[txt_of(f"t{i}.example.com", 2001, "UPSERT") for i in range(8)])
    assert "32016" in message


def test_aliases_count_toward_neither_request_quota(r53: Any, zone: str) -> None:
    # An alias has no ResourceRecord and no Value: 1,001 of them in one request are accepted.
    name = "d" * 40 + ".cloudfront.net"
    change(r53, zone, *[alias(f"a{i}.example.com", name) for i in range(1001)])


# -- server plumbing
def test_reset_clears_state_faults_and_settings(aws: StrictMotoServer, r53: Any, zone: str) -> None:
    aws.inject("ListHostedZones")
    aws.pending_polls = 5
    aws.reset()
    assert r53.list_hosted_zones()["HostedZones"] == []
    assert aws.operations() == ["ListHostedZones"] and aws.pending_polls == 1


def test_env_cannot_reach_real_aws(aws: StrictMotoServer) -> None:
    env = aws.env(
        {
            "AWS_PROFILE": "prod",
            "AWS_SESSION_TOKEN": "t",
            "AWS_ENDPOINT_URL_ROUTE53": "https://route53.amazonaws.com",
            "HTTPS_PROXY": "http://proxy:3128",
            "PATH": "/usr/bin",
        }
    )
    assert env == {
        "PATH": "/usr/bin",
        "AWS_ENDPOINT_URL": aws.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1",
        "no_proxy": "127.0.0.1",
    }
    assert aws.endpoint_url.startswith("http://127.0.0.1:")


def test_only_one_server_per_process(aws: StrictMotoServer) -> None:
    with pytest.raises(RuntimeError), StrictMotoServer():
        pass


def test_patches_and_environment_are_restored_on_stop() -> None:
    # A fresh interpreter: in this one the session's server holds the process-wide patches.
    script = textwrap.dedent("""
        import os
        from moto.cloudfront.models import CloudFrontBackend
        from moto.route53.responses import Route53
        from tests.strictaws import StrictMotoServer

        def snapshot():
            return (Route53.change_resource_record_sets, Route53.list_resource_record_sets,
                    Route53.get_change, CloudFrontBackend.update_distribution,
                    CloudFrontBackend.delete_distribution, dict(os.environ))

        before = snapshot()
        with StrictMotoServer() as aws:
            assert Route53.get_change is not before[2]
            assert "AWS_PROFILE" not in os.environ
            assert aws.client("route53").list_hosted_zones()["HostedZones"] == []
        assert snapshot() == before
    """)
    env = {**os.environ, "AWS_PROFILE": "no-such-profile", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True, timeout=120)


def test_cloudfront_lists_aliases_and_accepts_origin_group_targets(aws: StrictMotoServer) -> None:
    cloudfront = aws.client("cloudfront", config=NO_RETRY)
    origin = {
        "DomainName": "a.example.net",
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
        },
    }
    config = {
        "CallerReference": "groups",
        "Comment": "",
        "Enabled": True,
        "Aliases": {"Quantity": 1, "Items": ["www.example.com"]},
        "ViewerCertificate": {
            "ACMCertificateArn": aws.issue_certificate("www.example.com"),
            "SSLSupportMethod": "sni-only",
        },
        "Origins": {"Quantity": 2, "Items": [{"Id": "a", **origin}, {"Id": "b", **origin}]},
        "OriginGroups": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "ab",
                    "FailoverCriteria": {"StatusCodes": {"Quantity": 1, "Items": [503]}},
                    "Members": {"Quantity": 2, "Items": [{"OriginId": "a"}, {"OriginId": "b"}]},
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "ab",
            "ViewerProtocolPolicy": "allow-all",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    }
    created = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    stored = cloudfront.get_distribution_config(Id=created["Id"])["DistributionConfig"]
    assert stored["DefaultCacheBehavior"]["TargetOriginId"] == "ab"
    summary = cloudfront.list_distributions()["DistributionList"]["Items"][0]
    assert summary["Aliases"] == {"Quantity": 1, "Items": ["www.example.com"]}


def test_a_behaviour_on_an_origin_group_allows_only_get_head_options(
    aws: StrictMotoServer,
) -> None:
    cloudfront = aws.client("cloudfront", config=NO_RETRY)
    origin = {
        "DomainName": "a.example.net",
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
        },
    }
    behaviour = {
        "TargetOriginId": "ab",
        "ViewerProtocolPolicy": "allow-all",
        "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
    }
    config = {
        "CallerReference": "methods",
        "Comment": "",
        "Enabled": True,
        "Origins": {"Quantity": 2, "Items": [{"Id": "a", **origin}, {"Id": "b", **origin}]},
        "OriginGroups": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "ab",
                    "FailoverCriteria": {"StatusCodes": {"Quantity": 1, "Items": [503]}},
                    "Members": {"Quantity": 2, "Items": [{"OriginId": "a"}, {"OriginId": "b"}]},
                }
            ],
        },
        "DefaultCacheBehavior": {
            **behaviour,
            "AllowedMethods": {
                "Quantity": 7,
                "Items": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
                "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
            },
        },
    }
    with pytest.raises(ClientError) as err:
        cloudfront.create_distribution(DistributionConfig=config)
    assert err.value.response["Error"]["Code"] == "InvalidArgument"
    assert "AllowedMethods cannot include POST, PUT, PATCH, or DELETE" in str(err.value)
    config["DefaultCacheBehavior"] = {
        **behaviour,
        "AllowedMethods": {
            "Quantity": 3,
            "Items": ["GET", "HEAD", "OPTIONS"],
            "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
        },
    }
    assert cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def test_list_hosted_zones_by_name_pages(r53: Any) -> None:
    vpc = {"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"}
    for index in range(11):  # split horizon: many private zones of one name
        r53.create_hosted_zone(
            Name="example.com",
            CallerReference=f"private-{index}",
            HostedZoneConfig={"PrivateZone": True, "Comment": ""},
            VPC=vpc,
        )
    r53.create_hosted_zone(Name="example.com", CallerReference="public")
    r53.create_hosted_zone(Name="example.org", CallerReference="other")
    first = r53.list_hosted_zones_by_name(DNSName="example.com", MaxItems="10")
    assert len(first["HostedZones"]) == 10 and first["IsTruncated"] is True
    rest = r53.list_hosted_zones_by_name(
        DNSName=first["NextDNSName"], HostedZoneId=first["NextHostedZoneId"], MaxItems="10"
    )
    names = [z["Name"] for z in first["HostedZones"] + rest["HostedZones"]]
    assert names == ["example.com."] * 12 + ["example.org."]
    assert rest["IsTruncated"] is False
