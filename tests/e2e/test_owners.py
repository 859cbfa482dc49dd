"""Owners and orphans, end to end: an application removed from the policy is listed, pruned
only on request and under the guard; another owner's records and unmarked ones never are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_POLICY, write_policy
from tests.e2e.conftest import API, API_APP, DR_POLICY, ORIGIN, TWO_APPS, RunCli, records_at

pytestmark = pytest.mark.e2e


def owned_by(records: list[dict[str, Any]]) -> set[str]:
    return {
        record["SetIdentifier"].partition("@")[2]
        for record in records
        if record.get("SetIdentifier", "").startswith("geoproxy:")
    }


@pytest.mark.slow
def test_an_application_removed_from_the_policy_is_an_orphan_pruned_only_with_force(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, TWO_APPS)
    assert run_cli("apply", "--yes").returncode == 0
    write_policy(tmp_path, EXAMPLE_POLICY)  # api leaves the policy

    planned = run_cli("plan", "--detailed-exitcode", "--output", "json")
    assert planned.returncode == 0, planned.stderr  # nothing `apply` would change by itself
    document = json.loads(planned.stdout)
    [orphan] = document["orphans"]
    # Its 34 latency records and its failover state record (format v2).
    assert (orphan["root"], orphan["kind"], len(orphan["records"])) == (
        "origin.api.example.com",
        "application",
        35,
    )
    assert document["summary"]["orphans"] == 35
    assert "give each its own `owner:`" in planned.stderr  # the policy sets none
    text = run_cli("plan").stdout
    assert "application origin.api.example.com" in text
    assert "35 orphaned record(s) listed above are left as they are" in text
    assert "No changes. Live records match the policy." not in text

    status = run_cli("status", "--detailed-exitcode", "--output", "json")
    assert status.returncode == 2
    assert [o["root"] for o in json.loads(status.stdout)["orphans"]] == ["origin.api.example.com"]

    refused = run_cli("apply", "--prune", "--yes")
    assert refused.returncode == 1
    assert "orphan origin.api.example.com: the plan deletes 34 of its 34 routing records" in (
        refused.stderr
    )
    assert len(records_at(aws, zone, API)) == 34

    pruned = run_cli("apply", "--prune", "--force", "--yes")
    assert pruned.returncode == 0, pruned.stderr
    assert records_at(aws, zone, API) == []
    assert len(records_at(aws, zone, ORIGIN)) == 34
    again = run_cli("plan", "--detailed-exitcode")
    assert again.returncode == 0 and "No changes. Live records match the policy." in again.stdout


def test_a_saved_prune_plan_is_applied_under_the_guard(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, TWO_APPS)
    assert run_cli("apply", "--yes").returncode == 0
    write_policy(tmp_path, EXAMPLE_POLICY)
    assert run_cli("plan", "--prune", "--out", "prune.json").returncode == 0

    assert (
        "--prune is decided when the plan is made"
        in run_cli("apply", "prune.json", "--prune", "--yes").stderr
    )
    refused = run_cli("apply", "prune.json", "--yes")
    assert refused.returncode == 1 and "deletes 34 of its 34" in refused.stderr
    applied = run_cli("apply", "prune.json", "--yes", "--force")
    assert applied.returncode == 0, applied.stderr
    assert records_at(aws, zone, API) == []


@pytest.mark.slow
def test_another_owners_records_and_unmarked_ones_are_never_orphans(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    team_a = write_policy(
        tmp_path,
        EXAMPLE_POLICY.replace("version: 1\n", "version: 1\nowner: team-a\n"),
        name="a.yaml",
    )
    team_b = write_policy(
        tmp_path, "version: 1\nowner: team-b\napplications:\n" + API_APP, name="b.yaml"
    )
    assert run_cli("apply", "-f", str(team_a), "--yes").returncode == 0
    assert run_cli("apply", "-f", str(team_b), "--yes").returncode == 0
    assert owned_by(records_at(aws, zone, ORIGIN)) == {"team-a"}
    assert owned_by(records_at(aws, zone, API)) == {"team-b"}
    # A record geoproxy wrote before owners existed, for an application no policy lists.
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": "origin.legacy.example.com",
                        "Type": "A",
                        "SetIdentifier": "geoproxy:eu-west-1",
                        "Region": "eu-west-1",
                        "AliasTarget": {
                            "HostedZoneId": "Z32O12XQLNTSW2",
                            "EvaluateTargetHealth": False,
                            "DNSName": "shop-euw1-456.eu-west-1.elb.amazonaws.com",
                        },
                    },
                }
            ]
        },
    )

    planned = run_cli("plan", "-f", str(team_a), "--prune", "--output", "json")
    assert planned.returncode == 0, planned.stderr
    document = json.loads(planned.stdout)
    assert document["orphans"] == [] and not document["has_changes"]
    assert run_cli("apply", "-f", str(team_a), "--prune", "--yes").returncode == 0
    assert len(records_at(aws, zone, API)) == 34
    assert len(records_at(aws, zone, "origin.legacy.example.com.")) == 1


@pytest.mark.slow
def test_records_written_before_owners_are_claimed_and_failover_works_on_them(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, DR_POLICY)
    assert run_cli("apply", "--yes").returncode == 0
    client = aws.client("route53")
    marked = [r for r in records_at(aws, zone, ORIGIN) if "Region" in r]
    client.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                change
                for record in marked
                for change in (
                    {"Action": "DELETE", "ResourceRecordSet": record},
                    {
                        "Action": "CREATE",
                        "ResourceRecordSet": {
                            **record,
                            "SetIdentifier": record["SetIdentifier"].split("@")[0],
                        },
                    },
                )
            ]
        },
    )
    assert owned_by(records_at(aws, zone, ORIGIN)) == {""}

    status = run_cli("status", "--detailed-exitcode")
    assert status.returncode == 0, status.stdout  # they answer as the policy says
    # A failover on unmarked records claims exactly the records it moves.
    failover = run_cli("failover", "--from", "eu-west-1", "--yes")
    assert failover.returncode == 0, failover.stderr
    owners = [
        r["SetIdentifier"].partition("@")[2] for r in records_at(aws, zone, ORIGIN) if "Region" in r
    ]
    assert 0 < owners.count("default") < 34

    planned = run_cli("plan", "--output", "json")
    changes = [c for app in json.loads(planned.stdout)["applications"] for c in app["changes"]]
    assert changes and {c["action"] for c in changes} == {"update"}
    assert all("claimed for owner 'default'" in c["note"] for c in changes)
    assert run_cli("apply", "--yes").returncode == 0
    assert owned_by(records_at(aws, zone, ORIGIN)) == {"default"}
    assert len([r for r in records_at(aws, zone, ORIGIN) if "Region" in r]) == 34


def test_pruning_an_auto_failover_application_deletes_its_pairs_then_its_health_check(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    from tests.e2e.conftest import CHECKED_POLICY

    checked_api = (
        CHECKED_POLICY.split("applications:\n", 1)[1]
        .replace("name: shop", "name: api")
        .replace("origin.shop.", "origin.api.")
    )
    write_policy(tmp_path, EXAMPLE_POLICY + checked_api)
    assert run_cli("apply", "--yes").returncode == 0
    route53 = aws.client("route53")
    [check] = route53.list_health_checks()["HealthChecks"]
    write_policy(tmp_path, EXAMPLE_POLICY)

    planned = json.loads(run_cli("plan", "--output", "json").stdout)
    [orphan] = planned["orphans"]
    assert [c["id"] for c in orphan["health_checks"]] == [check["Id"]]
    pair_records = [r for r in orphan["records"] if "._failover." in r["name"]]
    assert len(pair_records) == 2 * 4  # PRIMARY and SECONDARY for each of the 4 PoPs

    aws.reset_log()
    pruned = run_cli("apply", "--prune", "--force", "--yes")
    assert pruned.returncode == 0, pruned.stderr
    assert route53.list_health_checks()["HealthChecks"] == []
    # The records (which refer to the check) went before the check itself.
    operations = aws.operations()
    assert operations.index("ChangeResourceRecordSets") < operations.index("DeleteHealthCheck")
    names = {
        r["Name"]
        for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone)
        for r in page["ResourceRecordSets"]
    }
    assert not any(name.endswith(API) for name in names)


def _crowd(aws: Any, zone: str, count: int) -> None:
    """`count` records that are no one's business, listed before geoproxy's names."""
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": f"host{i:04d}.example.com",
                        "Type": "A",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": "192.0.2.1"}],
                    },
                }
                for i in range(count)
            ]
        },
    )


def test_a_large_zone_is_read_by_names_and_says_orphans_were_not_looked_for(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, TWO_APPS)
    assert run_cli("apply", "--yes").returncode == 0
    _crowd(aws, zone, 900)  # 970 records: 4 pages whole, 1 listing by shop's names
    write_policy(tmp_path, EXAMPLE_POLICY)
    aws.reset_log()
    planned = run_cli("plan", "--detailed-exitcode", "--output", "json")
    assert planned.returncode == 0, planned.stderr
    assert aws.operations() == ["ListHostedZonesByName", "ListResourceRecordSets"]
    assert json.loads(planned.stdout)["orphans"] == []
    assert "zone example.com is large next to the applications in it" in planned.stderr
    assert "`geoproxy plan --prune` reads it whole" in planned.stderr

    aws.reset_log()
    pruning = run_cli("plan", "--prune", "--output", "json")
    assert aws.count("ListResourceRecordSets") == 4  # ceil(970 / 300): the whole zone
    assert [o["root"] for o in json.loads(pruning.stdout)["orphans"]] == ["origin.api.example.com"]


def test_two_zones_are_read_once_each(aws: Any, zone: str, run_cli: RunCli, tmp_path: Path) -> None:
    aws.client("route53").create_hosted_zone(Name="example.org", CallerReference="org")
    org_app = API_APP.replace("zone: example.com", "zone: example.org").replace(
        "origin.api.example.com", "origin.api.example.org"
    )
    write_policy(tmp_path, TWO_APPS + org_app.replace("name: api", "name: api-org"))
    assert run_cli("apply", "--yes").returncode == 0
    aws.reset_log()
    planned = run_cli("plan", "--detailed-exitcode")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert (
        sorted(aws.operations()) == ["ListHostedZonesByName"] * 2 + ["ListResourceRecordSets"] * 2
    )
