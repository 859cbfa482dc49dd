"""End to end: the real `geoproxy` CLI in a subprocess against the strict moto server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from geoproxy.policy.catalog import Catalog
from tests.conftest import EXAMPLE_POLICY, write_policy
from tests.e2e.conftest import (
    APNE1,
    APSE1,
    EUW1,
    ORIGIN,
    TOKYO_POP,
    USE1,
    RunCli,
    latency_map,
    records_at,
)

pytestmark = pytest.mark.e2e

WRITES = ("ChangeResourceRecordSets",)


def expected_example_map() -> dict[str, tuple[str, str]]:
    """The example policy's mapping, worked out independently of geoproxy's routing code:
    every commercial latency region, nearest of three PoPs by round trip (so Cape Town
    reaches Ireland, 158 ms, not Singapore, 316 ms, though Singapore is nearer on the
    map), me-south-1 forced to the US."""
    alb = {
        "us-east-1": (USE1, "Z35SXDOTRQ7X7K"),
        "eu-west-1": (EUW1, "Z32O12XQLNTSW2"),
        "ap-southeast-1": (APSE1, "Z1LMS91P8CMLE5"),
    }
    americas = {
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "ca-west-1",
        "mx-central-1",
        "sa-east-1",
        "me-south-1",
    }
    europe = {
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "il-central-1",
        "af-south-1",
    }
    sources = [
        r for r in Catalog.load().latency_regions if not r.startswith(("cn-", "us-gov-", "eusc-"))
    ]
    return {
        source: alb[
            "us-east-1"
            if source in americas
            else "eu-west-1"
            if source in europe
            else "ap-southeast-1"
        ]
        for source in sources
    }


@pytest.mark.slow
def test_apply_creates_exactly_the_expected_records_in_one_call(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    route53 = aws.client("route53")
    # Records geoproxy does not own: same zone, and at the same name with another type.
    route53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": "www.example.com",
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "192.0.2.10"}],
                    },
                },
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": ORIGIN,
                        "Type": "TXT",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": '"owned-by-someone-else"'}],
                    },
                },
            ]
        },
    )
    foreign_before = [r for r in records_at(aws, zone) if r["Type"] == "TXT"]
    write_policy(tmp_path)
    aws.reset_log()

    result = run_cli("apply", "--yes")

    assert result.returncode == 0, result.stderr
    assert latency_map(aws, zone) == expected_example_map()
    assert len(latency_map(aws, zone)) == 34
    assert aws.count("ChangeResourceRecordSets") == 1
    # pending_polls=1: the first GetChange says PENDING, the second INSYNC.
    assert aws.count("GetChange") == 2
    assert "INSYNC" in result.stdout
    assert [r for r in records_at(aws, zone) if r["Type"] == "TXT"] == foreign_before
    www = [
        r
        for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone)
        for r in page["ResourceRecordSets"]
        if r["Name"] == "www.example.com."
    ]
    assert www[0]["ResourceRecords"] == [{"Value": "192.0.2.10"}]

    aws.reset_log()
    second = run_cli("plan", "--detailed-exitcode")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "No changes" in second.stdout
    assert aws.operations() == ["ListHostedZonesByName", "ListResourceRecordSets"]

    aws.reset_log()
    again = run_cli("apply", "--yes")
    assert again.returncode == 0
    assert aws.count("ChangeResourceRecordSets") == 0


def test_every_record_carries_the_right_region_alias_and_zone(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    assert run_cli("apply", "--yes").returncode == 0
    for record in records_at(aws, zone):
        assert record["SetIdentifier"] == f"geoproxy:{record['Region']}@default"
        assert record["AliasTarget"]["EvaluateTargetHealth"] is False
        assert "TTL" not in record and "ResourceRecords" not in record


@pytest.mark.slow
def test_adding_a_pop_moves_only_the_regions_that_move_in_one_batch(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    assert run_cli("apply", "--yes").returncode == 0
    before = latency_map(aws, zone)
    write_policy(tmp_path, EXAMPLE_POLICY.replace("    pops:\n", "    pops:\n" + TOKYO_POP))
    aws.reset_log()

    planned = run_cli("plan", "--detailed-exitcode", "--output", "json")
    assert planned.returncode == 2
    document = json.loads(planned.stdout)
    assert document["summary"] == {
        "create": 0,
        "update": 4,
        "delete": 0,
        "unchanged": 30,
        "conflicts": 0,
        "health_checks_to_create": 0,
        "health_checks_to_delete": 0,
        "distribution_fields": 0,
        "functions": 0,
        "orphans": 0,
    }

    aws.reset_log()
    applied = run_cli("apply", "--yes")
    assert applied.returncode == 0, applied.stderr
    after = latency_map(aws, zone)
    moved = {region for region in after if after[region] != before[region]}
    assert moved == {"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-east-2"}
    assert all(after[region] == (APNE1, "Z14GRHDCWA56QT") for region in moved)
    assert set(after) == set(before)
    assert aws.count("ChangeResourceRecordSets") == 1
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


def test_region_leaving_the_policy_is_deleted_but_foreign_latency_records_stay(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    policy = EXAMPLE_POLICY.replace(
        "source_regions: all", "source_regions: [us-east-1, eu-west-1, sa-east-1]"
    )
    write_policy(tmp_path, policy)
    assert run_cli("apply", "--yes").returncode == 0
    # Someone else's latency record for a region geoproxy does not manage here.
    foreign = {
        "Name": ORIGIN,
        "Type": "A",
        "SetIdentifier": "manual-tokyo",
        "Region": "ap-northeast-1",
        "AliasTarget": {
            "HostedZoneId": "Z14GRHDCWA56QT",
            "DNSName": APNE1,
            "EvaluateTargetHealth": False,
        },
    }
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": foreign}]},
    )
    write_policy(tmp_path, policy.replace(", sa-east-1", ""))

    result = run_cli("apply", "--yes")

    assert result.returncode == 0, result.stderr
    assert set(latency_map(aws, zone)) == {"us-east-1", "eu-west-1", "me-south-1"}
    assert [
        r["SetIdentifier"]
        for r in records_at(aws, zone)
        if not r["SetIdentifier"].startswith("geoproxy:")
    ] == ["manual-tokyo"]


def _simple_record(
    aws: Any, zone: str, record_type: str = "A", value: str = "192.0.2.1"
) -> dict[str, Any]:
    record = {"Name": ORIGIN, "Type": record_type, "TTL": 60, "ResourceRecords": [{"Value": value}]}
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": record}]},
    )
    return record


def test_simple_record_at_the_name_is_a_conflict_and_nothing_is_written(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    _simple_record(aws, zone)
    write_policy(tmp_path)
    aws.reset_log()

    planned = run_cli("plan")
    applied = run_cli("apply", "--yes")

    for result in (planned, applied):
        assert result.returncode == 1
        assert "origin.shop.example.com A (simple)" in result.stderr
        assert "--adopt" in result.stderr
        assert "Traceback" not in result.stderr
    assert aws.count("ChangeResourceRecordSets") == 0
    assert [r["Type"] for r in records_at(aws, zone)] == ["A"]
    assert records_at(aws, zone)[0]["ResourceRecords"] == [{"Value": "192.0.2.1"}]


def test_adopt_replaces_a_simple_record_in_one_atomic_batch(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    _simple_record(aws, zone)
    write_policy(tmp_path)
    aws.reset_log()

    result = run_cli("apply", "--yes", "--adopt")

    assert result.returncode == 0, result.stderr
    assert aws.count("ChangeResourceRecordSets") == 1
    assert latency_map(aws, zone) == expected_example_map()
    assert all("Region" in record for record in records_at(aws, zone))
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


@pytest.mark.slow
def test_foreign_latency_record_for_a_wanted_region_and_cname_are_conflicts(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    route53 = aws.client("route53")
    route53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": ORIGIN,
                        "Type": "A",
                        "SetIdentifier": "hand-made",
                        "Region": "eu-west-1",
                        "AliasTarget": {
                            "HostedZoneId": "Z32O12XQLNTSW2",
                            "DNSName": EUW1,
                            "EvaluateTargetHealth": False,
                        },
                    },
                }
            ]
        },
    )
    write_policy(tmp_path)

    result = run_cli("plan", "--output", "json")

    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["error"]["kind"] == "conflict"
    assert "set identifier 'hand-made', region eu-west-1" in document["error"]["message"]

    route53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {"Action": "DELETE", "ResourceRecordSet": records_at(aws, zone)[0]},
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": ORIGIN,
                        "Type": "CNAME",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "elsewhere.example.net"}],
                    },
                },
            ]
        },
    )
    cname = run_cli("apply", "--yes")
    assert cname.returncode == 1
    assert "CNAME cannot share its name" in cname.stderr
    assert [r["Type"] for r in records_at(aws, zone)] == ["CNAME"]


@pytest.mark.slow
def test_no_op_plan_costs_two_requests_and_json_is_pure(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    assert run_cli("apply", "--yes").returncode == 0
    aws.reset_log()

    result = run_cli("plan", "--output", "json", "--detailed-exitcode")

    assert result.returncode == 0
    document = json.loads(result.stdout)  # stdout holds JSON and nothing else
    assert document["has_changes"] is False
    assert document["summary"]["unchanged"] == 34
    assert aws.count() == 2  # the budget is 4


def test_apply_without_terminal_or_yes_refuses_and_writes_nothing(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    aws.reset_log()

    result = run_cli("apply")

    assert result.returncode == 1
    assert "no terminal" in result.stderr and "--yes" in result.stderr
    assert aws.count("ChangeResourceRecordSets") == 0
    assert records_at(aws, zone) == []


def test_no_wait_skips_get_change(aws: Any, zone: str, run_cli: RunCli, tmp_path: Path) -> None:
    write_policy(tmp_path)
    aws.reset_log()
    result = run_cli("apply", "--yes", "--no-wait", "--output", "json")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert document["applied"] is True
    assert document["batches"][0]["status"] == "PENDING"
    assert aws.count("GetChange") == 0


def test_two_applications_in_one_zone_share_the_zone_lookup(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    second_app = (
        EXAMPLE_POLICY.split("applications:\n", 1)[1]
        .replace("name: shop", "name: api")
        .replace("origin.shop.", "origin.api.")
    )
    write_policy(tmp_path, EXAMPLE_POLICY + second_app)
    aws.reset_log()

    result = run_cli("apply", "--yes")

    assert result.returncode == 0, result.stderr
    assert aws.count("ListHostedZonesByName") == 1
    # One listing of the zone for both applications, the orphan search and the delegation
    # pre-flight (the NS record sets at shop.example.com and api.example.com are in it);
    # the pre-flight's one ListHostedZones.
    assert aws.count("ListResourceRecordSets") == 1
    assert aws.count("ListHostedZones") == 1
    assert aws.count("ChangeResourceRecordSets") == 1  # one call per hosted zone
    assert len(latency_map(aws, zone)) == 34
    assert len(records_at(aws, zone, "origin.api.example.com.")) == 34


def test_plan_pages_through_a_latency_group_that_spans_pages(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, EXAMPLE_POLICY.replace("record_types: [A]", "record_types: [A, AAAA]"))
    assert run_cli("apply", "--yes").returncode == 0
    # The 68 records at the name, and the state record below it (format v2), span 8 pages.
    aws.changes.page_size_cap = 10
    aws.reset_log()

    result = run_cli("plan", "--detailed-exitcode", "--output", "json")

    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["summary"]["unchanged"] == 68
    assert aws.operations() == ["ListHostedZonesByName"] + ["ListResourceRecordSets"] * 8


def test_adopt_replaces_a_cname_deleting_it_first(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    _simple_record(aws, zone, "CNAME", "elsewhere.example.net")
    write_policy(tmp_path)
    result = run_cli("apply", "--yes", "--adopt")
    assert result.returncode == 0, result.stderr
    assert latency_map(aws, zone) == expected_example_map()
    assert {record["Type"] for record in records_at(aws, zone)} == {"A"}
