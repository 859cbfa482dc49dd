"""`geoproxy destroy`, end to end: everything geoproxy owns for an application goes, in a safe
order, and nothing else in the zone moves; `plan --prune --all-zones` finds what a removed
zone's policy left behind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_POLICY, write_policy
from tests.e2e.conftest import (
    API,
    ORIGIN,
    TWO_APPS,
    RunCli,
    config_of,
    records_at,
    run_on_terminal,
)

pytestmark = pytest.mark.e2e

FOREIGN = [
    # Records geoproxy does not own, at and beside shop's names: never touched.
    {
        "Name": ORIGIN,
        "Type": "TXT",
        "TTL": 300,
        "ResourceRecords": [{"Value": '"site-verification=abc"'}],
    },
    {
        "Name": "www.example.com",
        "Type": "A",
        "TTL": 60,
        "ResourceRecords": [{"Value": "192.0.2.10"}],
    },
    {
        "Name": "eu-west-1." + ORIGIN,
        "Type": "CNAME",
        "TTL": 60,
        "ResourceRecords": [{"Value": "hand-made.example.net"}],
    },
]


def snapshot(aws: Any, zone: str) -> list[dict[str, Any]]:
    pages = aws.client("route53").get_paginator("list_resource_record_sets")
    return [
        record
        for page in pages.paginate(HostedZoneId=zone)
        for record in page["ResourceRecordSets"]
    ]


def is_shops(record: dict[str, Any]) -> bool:
    """One of geoproxy's records of shop (latency records, state record)."""
    name = record["Name"]
    owned = record.get("SetIdentifier", "").startswith("geoproxy:")
    return (name == ORIGIN and owned) or name == "_geoproxy." + ORIGIN


def add_foreign(aws: Any, zone: str) -> None:
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": r} for r in FOREIGN]},
    )


@pytest.mark.slow
def test_destroy_of_one_application_leaves_the_zone_exactly_as_it_was_otherwise(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, TWO_APPS)
    add_foreign(aws, zone)
    assert run_cli("apply", "--yes").returncode == 0
    before = snapshot(aws, zone)
    api_before = records_at(aws, zone, API)
    shops = [record for record in before if is_shops(record)]
    assert len(shops) == 35  # 34 latency records and the state record

    # A dry run reads, and writes nothing: its requests are exactly these.
    aws.reset_log()
    dry = run_cli("destroy", "--app", "shop", "--dry-run", "--detailed-exitcode")
    assert dry.returncode == 2, dry.stderr
    assert aws.operations() == [
        "ListHostedZonesByName",
        "ListResourceRecordSets",
        "ListDistributions",
    ]
    assert "shop: the plan deletes 34 of its 34 routing records" in dry.stderr
    assert "Dry run: nothing was written." in dry.stdout
    assert snapshot(aws, zone) == before

    refused = run_cli("destroy", "--app", "shop", "--yes")
    assert refused.returncode == 1
    assert "--force" in refused.stderr
    assert snapshot(aws, zone) == before

    aws.reset_log()
    done = run_cli("destroy", "--app", "shop", "--yes", "--force", "--output", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["applied"] is True
    assert document["plan"]["summary"]["delete"] == 35
    assert aws.count("ChangeResourceRecordSets") == 1
    after = snapshot(aws, zone)
    # Exactly the zone as it was, minus shop's owned records: foreign records at and below
    # shop's names, api's records and the zone's own all stay, byte for byte.
    assert after == [record for record in before if record not in shops]
    assert records_at(aws, zone, API) == api_before

    again = run_cli("destroy", "--app", "shop", "--dry-run", "--detailed-exitcode")
    assert again.returncode == 0, again.stderr
    assert again.stdout == "Nothing to destroy: geoproxy owns nothing of them.\n"


def test_a_wrongly_typed_name_writes_nothing(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, EXAMPLE_POLICY)
    assert run_cli("apply", "--yes").returncode == 0
    before = snapshot(aws, zone)
    aws.reset_log()
    code, _, stderr = run_on_terminal(
        aws, tmp_path, "shopp", "destroy", "--force", wait_for="ListDistributions"
    )
    assert code == 1
    assert "destroy cancelled: 'shop' was not typed; nothing was written" in stderr
    assert aws.count("ChangeResourceRecordSets") == 0
    assert snapshot(aws, zone) == before

    code, _, stderr = run_on_terminal(
        aws, tmp_path, "shop", "destroy", "--force", wait_for="ListDistributions"
    )
    assert code == 0, stderr
    assert [r for r in snapshot(aws, zone) if is_shops(r)] == []


def second_distribution(aws: Any, first: str, function_arn: str) -> str:
    """Another distribution of the account, on the user's own origins, that runs the same
    edge function: the function must outlive shop's destroy."""
    config = config_of(aws, first)
    legacy = next(o for o in config["Origins"]["Items"] if o["Id"] == "legacy")
    behaviour = {
        **config["CacheBehaviors"]["Items"][0],
        "TargetOriginId": "legacy",
        "FunctionAssociations": {
            "Quantity": 1,
            "Items": [{"FunctionARN": function_arn, "EventType": "viewer-request"}],
        },
    }
    behaviour.pop("PathPattern")
    created = aws.client("cloudfront").create_distribution(
        DistributionConfig={
            **config,
            "CallerReference": "other",
            "Comment": "another site",
            "Aliases": {"Quantity": 0},
            "Origins": {"Quantity": 1, "Items": [legacy]},
            "OriginGroups": {"Quantity": 0},
            "DefaultCacheBehavior": behaviour,
            "CacheBehaviors": {"Quantity": 0},
        }
    )
    return str(created["Distribution"]["Id"])


@pytest.mark.slow
def test_destroy_is_refused_while_a_distribution_uses_the_origin_then_detaches_it(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    from tests.e2e.test_edge_fence import apply_fence, viewer_function

    arn = apply_fence(aws, distribution, run_cli, tmp_path)
    function = arn.rsplit("/", 1)[1]
    other = second_distribution(aws, distribution, arn)
    before = config_of(aws, distribution)
    records_before = snapshot(aws, zone)

    aws.reset_log()
    dry = run_cli("destroy", "--dry-run", "--detach-origin", "legacy.example.net", "-o", "json")
    assert dry.returncode == 0, dry.stderr
    assert aws.operations() == [  # reads only, each once
        "GetDistribution",
        "GetFunction",  # DEVELOPMENT: the ETag DeleteFunction would need
        "GetFunction",  # LIVE
        "ListHostedZonesByName",
        "ListResourceRecordSets",
        "ListDistributions",
    ]
    planned = json.loads(dry.stdout)
    assert (planned["format_version"], planned["kind"]) == (1, "destroy")
    assert any("destroy needs --force" in w for w in planned["plan"]["warnings"])
    assert planned["functions"] == [
        {"app": "shop", "name": function, "action": "keep", "used_by": [other]}
    ]
    [update] = planned["distributions"]
    assert update["distribution_id"] == distribution
    assert {c["field"]: c["after"] for c in update["changes"]} == {
        "Origins[geoproxy-shop].DomainName": "legacy.example.net",
        "DefaultCacheBehavior.FunctionAssociations": None,
    }

    unsaved = run_cli(
        "destroy", "--dry-run", "--detach-origin", "legacy.example.net", "--out", "d.json"
    )
    assert unsaved.returncode == 1 and "which a saved plan does not hold" in unsaved.stderr
    assert not (tmp_path / "d.json").exists()

    refused = run_cli("destroy", "--yes", "--force")
    assert refused.returncode == 1
    assert (
        f"CloudFront distribution {distribution} uses origin.shop.example.com as its origin "
        "geoproxy-shop" in refused.stderr
    )
    assert "--detach-origin DOMAIN" in refused.stderr
    assert snapshot(aws, zone) == records_before and config_of(aws, distribution) == before

    aws.reset_log()
    # Someone else's edit lands between the read and the update (a 412): the distribution
    # is read again and the same detach made on what is live, once.
    aws.inject("UpdateDistribution", code="PreconditionFailed", status=412, times=1)
    done = run_cli("destroy", "--yes", "--force", "--detach-origin", "legacy.example.net")
    assert done.returncode == 0, done.stderr
    writes = [
        op
        for op in aws.operations()
        if op
        in ("ChangeResourceRecordSets", "UpdateDistribution", "DeleteFunction", "GetDistribution")
    ]
    # The distribution leaves the names before they go; the function stays: `other` runs it.
    assert writes == [
        "GetDistribution",  # the plan's read
        "UpdateDistribution",  # 412
        "GetDistribution",
        "UpdateDistribution",
        "ChangeResourceRecordSets",
    ], aws.operations()
    after = config_of(aws, distribution)
    origin = next(o for o in after["Origins"]["Items"] if o["Id"] == "geoproxy-shop")
    was = next(o for o in before["Origins"]["Items"] if o["Id"] == "geoproxy-shop")
    assert origin == {**was, "DomainName": "legacy.example.net"}  # other settings kept
    assert viewer_function(after["DefaultCacheBehavior"]) is None
    assert after["Aliases"] == before["Aliases"]  # the user's distribution, otherwise as it was
    assert viewer_function(config_of(aws, other)["DefaultCacheBehavior"]) == arn
    assert f"edge function {function} is kept" in done.stderr
    assert "its viewer records (shop.example.com) are deleted too" in done.stderr
    assert aws.client("cloudfront").get_function(Name=function, Stage="LIVE")["ETag"]
    # Every record of geoproxy's is gone: latency, direct names, state, viewer records.
    left = snapshot(aws, zone)
    assert [r for r in left if r.get("SetIdentifier", "").startswith("geoproxy:")] == []
    assert [r for r in left if r["Name"].startswith("_geoproxy.")] == []
    assert left == [r for r in records_before if r in left]

    # Once no other distribution runs it, the function goes too (and only it).
    behaviour = {**config_of(aws, other)["DefaultCacheBehavior"]}
    behaviour["FunctionAssociations"] = {"Quantity": 0}
    from tests.e2e.conftest import edit_distribution

    edit_distribution(aws, other, DefaultCacheBehavior=behaviour)
    aws.reset_log()
    last = run_cli("destroy", "--yes", "--detach-origin", "legacy.example.net")
    assert last.returncode == 0, last.stderr
    assert aws.count("DeleteFunction") == 1 and aws.count("UpdateDistribution") == 0
    assert last.stdout.splitlines()[0] == f"- cloudfront function {function}"
    assert f"Deleted CloudFront function {function}." in last.stdout
    assert aws.count("ChangeResourceRecordSets") == 0
    cloudfront = aws.client("cloudfront")
    with pytest.raises(cloudfront.exceptions.NoSuchFunctionExists):
        cloudfront.get_function(Name=function, Stage="LIVE")


BLOG = """\
  - name: blog
    zone: example.org
    record: origin.blog.example.org
    pops:
      us-east-1: {target: a-1.us-east-1.elb.amazonaws.com}
      eu-west-1: {target: b-2.eu-west-1.elb.amazonaws.com}
"""


def test_plan_prune_all_zones_finds_an_orphan_in_a_zone_the_policy_no_longer_names(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    route53 = aws.client("route53")
    org = route53.create_hosted_zone(Name="example.org", CallerReference="org")
    org_id = org["HostedZone"]["Id"].split("/")[-1]
    # A private zone is never listed for orphans: CloudFront resolves origins in public DNS.
    route53.create_hosted_zone(
        Name="example.net",
        CallerReference="net",
        HostedZoneConfig={"PrivateZone": True},
        VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"},
    )
    write_policy(tmp_path, EXAMPLE_POLICY + BLOG)
    assert run_cli("apply", "--yes").returncode == 0
    org_before = snapshot(aws, org_id)
    blogs = [r for r in org_before if "blog" in r["Name"]]
    assert len(blogs) == 35  # 34 latency records and the state record
    write_policy(tmp_path, EXAMPLE_POLICY)  # blog leaves the policy, with its zone

    plain = run_cli("plan", "--prune", "--detailed-exitcode", "--output", "json")
    assert plain.returncode == 0, plain.stderr
    assert json.loads(plain.stdout)["orphans"] == []  # example.org is not searched

    aws.reset_log()
    found = run_cli("plan", "--prune", "--all-zones", "--detailed-exitcode", "--output", "json")
    assert found.returncode == 2, found.stderr
    # The policy's zone as always, then one listing of the account's zones and one of each
    # public zone not already read (records / 300, rounded up): the private one is skipped.
    assert aws.operations() == [
        "ListHostedZonesByName",
        "ListResourceRecordSets",
        "ListHostedZones",
        "ListResourceRecordSets",
    ]
    document = json.loads(found.stdout)
    [orphan] = document["orphans"]
    assert (orphan["root"], len(orphan["records"])) == ("origin.blog.example.org", 35)
    assert document["summary"]["delete"] == 35

    scoped = run_cli("plan", "--all-zones", "--app", "shop")
    assert scoped.returncode == 1 and "cannot be scoped with --app" in scoped.stderr

    applied = run_cli("apply", "--prune", "--all-zones", "--force", "--yes")
    assert applied.returncode == 0, applied.stderr
    assert snapshot(aws, org_id) == [r for r in org_before if r not in blogs]
    again = run_cli("plan", "--prune", "--all-zones", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr


def test_destroy_deletes_the_pairs_then_the_health_checks_and_a_rerun_finishes_the_job(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    from tests.e2e.conftest import CHECKED_POLICY

    route53 = aws.client("route53")
    write_policy(tmp_path, CHECKED_POLICY)
    add_foreign(aws, zone)
    assert run_cli("apply", "--yes").returncode == 0
    assert len(route53.list_health_checks()["HealthChecks"]) == 1
    before = snapshot(aws, zone)
    ours = [
        r
        for r in before
        if r.get("SetIdentifier", "").startswith("geoproxy:") or r["Name"].startswith("_geoproxy.")
    ]
    assert any("._failover." in r["Name"] for r in ours)  # PoP pairs behind the records

    # The health check's deletion fails: the records are gone, and the message says so.
    aws.inject("DeleteHealthCheck", code="AccessDenied", status=403, times=1)
    aws.reset_log()
    failed = run_cli("destroy", "--yes", "--force")
    assert failed.returncode == 1
    assert "health check" in failed.stderr
    writes = [o for o in aws.operations() if o in ("ChangeResourceRecordSets", "DeleteHealthCheck")]
    assert writes == ["ChangeResourceRecordSets", "DeleteHealthCheck"]
    assert snapshot(aws, zone) == [r for r in before if r not in ours]

    aws.reset_log()
    again = run_cli("destroy", "--yes")  # nothing of the guard's left: no --force needed
    assert again.returncode == 0, again.stderr
    assert aws.count("DeleteHealthCheck") == 1 and aws.count("ChangeResourceRecordSets") == 0
    assert route53.list_health_checks()["HealthChecks"] == []
    assert snapshot(aws, zone) == [r for r in before if r not in ours]


def test_a_saved_all_zones_prune_plan_deletes_the_orphan_elsewhere(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    org = aws.client("route53").create_hosted_zone(Name="example.org", CallerReference="org")
    org_id = org["HostedZone"]["Id"].split("/")[-1]
    write_policy(tmp_path, EXAMPLE_POLICY + BLOG)
    assert run_cli("apply", "--yes").returncode == 0
    org_before = snapshot(aws, org_id)
    write_policy(tmp_path, EXAMPLE_POLICY)
    saved = run_cli("plan", "--prune", "--all-zones", "--out", "prune.json")
    assert saved.returncode == 0, saved.stderr
    refused = run_cli("apply", "prune.json", "--all-zones", "--yes")
    assert refused.returncode == 1 and "--all-zones is decided when the plan is made" in (
        refused.stderr
    )
    applied = run_cli("apply", "prune.json", "--force", "--yes")
    assert applied.returncode == 0, applied.stderr
    assert snapshot(aws, org_id) == [r for r in org_before if "blog" not in r["Name"]]


def test_a_saved_destroy_plan_is_applied_exactly_and_under_the_guard(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, TWO_APPS)
    assert run_cli("apply", "--yes").returncode == 0
    before = snapshot(aws, zone)
    api_before = records_at(aws, zone, API)
    assert run_cli("destroy", "--app", "shop", "--out", "d.json").returncode == 1  # no --dry-run
    saved = run_cli("destroy", "--app", "shop", "--dry-run", "--out", "d.json")
    assert saved.returncode == 0, saved.stderr
    assert snapshot(aws, zone) == before
    shown = run_cli("show", "d.json", "--output", "json")
    assert shown.returncode == 0, shown.stderr

    refused = run_cli("apply", "d.json", "--yes")
    assert refused.returncode == 1 and "--force" in refused.stderr
    applied = run_cli("apply", "d.json", "--yes", "--force")
    assert applied.returncode == 0, applied.stderr
    assert snapshot(aws, zone) == [r for r in before if not is_shops(r)]
    assert records_at(aws, zone, API) == api_before


def test_with_switches_destroy_removes_those_no_application_needs_any_more(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    from tests.e2e.test_switches import PLAIN, recovery

    arc = aws.client("route53-recovery-control-config", region_name="us-west-2")
    arn = arc.create_cluster(ClusterName="geoproxy-test")["Cluster"]["ClusterArn"]
    described = dict(arc.describe_cluster(ClusterArn=arn)["Cluster"])
    api = PLAIN.split("applications:\n", 1)[1].replace("name: shop", "name: api")
    two = PLAIN + api.replace("origin.shop.", "origin.api.")
    write_policy(tmp_path, two + recovery(described))
    assert run_cli("apply", "--yes").returncode == 0
    route53 = aws.client("route53")
    checks = route53.list_health_checks()["HealthChecks"]
    assert checks and all(c["HealthCheckConfig"]["Type"] == "RECOVERY_CONTROL" for c in checks)
    [panel] = [
        p
        for p in arc.list_control_panels(ClusterArn=arn)["ControlPanels"]
        if p["Name"] == "geoproxy-test"
    ]

    def controls() -> list[str]:
        listed = arc.list_routing_controls(ControlPanelArn=panel["ControlPanelArn"])
        return sorted(c["Name"] for c in listed["RoutingControls"])

    before = controls()
    # api shares every switch with shop: destroying shop alone removes none of them.
    shop = run_cli("destroy", "--app", "shop", "--yes", "--force")
    assert shop.returncode == 0, shop.stderr
    assert controls() == before and route53.list_health_checks()["HealthChecks"] == checks
    assert records_at(aws, zone, ORIGIN) == [] and records_at(aws, zone, API)

    aws.reset_log()
    last = run_cli("destroy", "--yes", "--force")
    assert last.returncode == 0, last.stderr
    assert route53.list_health_checks()["HealthChecks"] == []
    arc_writes = [
        o for o in aws.operations() if o.startswith("Delete") and o != "DeleteHealthCheck"
    ]
    assert arc_writes[-1] == "DeleteControlPanel"
    assert arc_writes.count("DeleteRoutingControl") == len(before)
    assert "DeleteSafetyRule" in arc_writes
    assert "geoproxy-test" not in {
        p["Name"] for p in arc.list_control_panels(ClusterArn=arn)["ControlPanels"]
    }
    left = snapshot(aws, zone)
    assert [r for r in left if r.get("SetIdentifier", "").startswith("geoproxy:")] == []


def test_destroy_after_the_distribution_was_deleted_removes_the_rest(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    # Teardown in the other order (Terraform deleted the distribution first): nothing to
    # detach; the records and the edge function, which no distribution runs, still go.
    from tests.e2e.test_edge_fence import apply_fence

    arn = apply_fence(aws, distribution, run_cli, tmp_path)
    cloudfront = aws.client("cloudfront")
    current = cloudfront.get_distribution_config(Id=distribution)
    current["DistributionConfig"]["Enabled"] = False
    disabled = cloudfront.update_distribution(
        Id=distribution, IfMatch=current["ETag"], DistributionConfig=current["DistributionConfig"]
    )
    cloudfront.delete_distribution(Id=distribution, IfMatch=disabled["ETag"])

    done = run_cli("destroy", "--yes", "--force")

    assert done.returncode == 0, done.stderr
    assert f"CloudFront distribution {distribution} no longer exists" in done.stderr
    assert [r for r in snapshot(aws, zone) if is_shops(r)] == []
    functions = cloudfront.list_functions()["FunctionList"].get("Items") or []
    assert arn.rsplit("/", 1)[1] not in {f["Name"] for f in functions}
