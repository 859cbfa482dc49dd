"""Accounts (issue 26) end to end: the zone in one account, the distribution and its edge
function in another, reached by assuming a role in each; plan, apply, failover, failback
and status, each request checked against the IAM policy of the account it lands in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from geoproxy.core.names import function_name
from geoproxy.sandbox.local import DistributionSeed, ZoneSeed, _distribution, _zone
from tests.conftest import write_policy
from tests.e2e.conftest import DR_POLICY, EUC1, ORIGIN, RunCli

pytestmark = pytest.mark.e2e

DNS, EDGE = "111111111111", "222222222222"
DISTRIBUTION = "E2EXAMPLE123"
ACCOUNTS = (
    "accounts:\n"
    f'  dns: {{role_arn: "arn:aws:iam::{DNS}:role/geoproxy-dns", external_id: "shop-dns"}}\n'
    f'  edge: {{role_arn: "arn:aws:iam::{EDGE}:role/geoproxy-edge"}}\n'
)
TWO_ACCOUNTS = (
    DR_POLICY.replace("applications:\n", ACCOUNTS + "applications:\n", 1).replace(
        "    zone: example.com\n", "    zone: example.com\n    account: dns\n", 1
    )
    + "    cloudfront:\n"
    "      account: edge\n"
    f"      distribution_id: {DISTRIBUTION}\n"
    "      aliases: [shop.example.com]\n"
)


@pytest.fixture
def two_accounts(aws: Any, tmp_path: Path) -> str:
    """The zone in account dns, the distribution (and its certificate) in account edge,
    seeded as `geoproxy sandbox` seeds them; returns the zone id."""
    zone_id = _zone(aws, ZoneSeed("example.com", None, DNS))
    _distribution(aws, DistributionSeed(DISTRIBUTION, ("shop.example.com",), False, EDGE))
    write_policy(tmp_path, TWO_ACCOUNTS)
    return zone_id


def _records(aws: Any, zone_id: str, name: str = ORIGIN) -> list[dict[str, Any]]:
    client = aws.client_in_account("route53", DNS)
    pages = client.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id)
    return [r for page in pages for r in page["ResourceRecordSets"] if r["Name"] == name]


def _targets(aws: Any, zone_id: str, name: str = ORIGIN) -> dict[str, str]:
    return {
        r["Region"]: r["AliasTarget"]["DNSName"].rstrip(".")
        for r in _records(aws, zone_id, name)
        if "Region" in r
    }


def test_two_accounts_plan_apply_failover_failback_status(
    aws: Any, two_accounts: str, run_cli: RunCli, tmp_path: Path
) -> None:
    zone_id = two_accounts
    plan = run_cli("plan", "--detailed-exitcode")
    assert plan.returncode == 2, plan.stderr
    aws.reset_log()

    applied = run_cli("apply", "--yes", "--audit-log", "audit.jsonl")
    assert applied.returncode == 0, applied.stderr
    # The records are in the dns account's zone, the distribution in the edge account: the
    # base account (moto's default) holds neither.
    assert _targets(aws, zone_id)["eu-west-1"].startswith("shop-euw1-456")
    assert aws.client("route53").list_hosted_zones()["HostedZones"] == []
    config = aws.client_in_account("cloudfront", EDGE).get_distribution_config(Id=DISTRIBUTION)
    origins = {o["Id"]: o["DomainName"] for o in config["DistributionConfig"]["Origins"]["Items"]}
    assert origins["geoproxy-shop"] == ORIGIN.rstrip(".")
    viewer = _records(aws, zone_id, "shop.example.com.")
    assert {r["Type"] for r in viewer} >= {"A"}
    # One AssumeRole per account per run, through the sandbox's (regional) endpoint.
    roles = [c for c in aws.calls if c.operation == "AssumeRole" and "geoproxy/" in c.user_agent]
    assert len(roles) == 2
    lines = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    # Each audit line names the account its write is in.
    assert {(line["action"], line.get("account")) for line in lines} == {
        ("ChangeResourceRecordSets", "dns"),
        ("UpdateDistribution", "edge"),
    }

    assert run_cli("plan", "--detailed-exitcode").returncode == 0
    # verify asks Route 53 (TestDNSAnswer) in the zone's account.
    verified = run_cli("verify", "-o", "json")
    assert verified.returncode == 0, verified.stderr
    assert {row["verdict"] for row in json.loads(verified.stdout)["rows"]} <= {"match", "unknown"}

    over = run_cli("failover", "--from", "eu-west-1", "--yes")
    assert over.returncode == 0, over.stderr
    assert _targets(aws, zone_id)["eu-west-1"] == EUC1

    status = run_cli("status", "--output", "json", "--detailed-exitcode")
    assert status.returncode == 4, status.stderr
    [app] = json.loads(status.stdout)["applications"]
    assert app["accounts"] == {"zone": "dns", "distribution": "edge"}
    assert [r["state"] for r in app["regions"] if r["source_region"] == "eu-west-1"] == ["failover"]
    text = run_cli("status")
    assert "(zone in account dns, distribution in account edge)" in text.stdout

    back = run_cli("failback", "eu-west-1", "--yes")
    assert back.returncode == 0, back.stderr
    assert _targets(aws, zone_id)["eu-west-1"].startswith("shop-euw1-456")
    assert run_cli("status", "--detailed-exitcode").returncode == 0


def test_a_role_that_cannot_be_assumed_names_account_and_role_and_writes_nothing(
    aws: Any, two_accounts: str, run_cli: RunCli
) -> None:
    # Twice: with SourceIdentity, then the fallback without it. The distribution is read
    # first, so the edge account's role is the first assumed.
    aws.inject("AssumeRole", "AccessDenied", 403, times=2, message="not authorized")

    result = run_cli("apply", "--yes")

    assert result.returncode == 1
    assert (
        "cannot assume role arn:aws:iam::222222222222:role/geoproxy-edge for account 'edge': "
        "access denied (not authorized)" in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert _records(aws, two_accounts) == []
    assert not [
        c for c in aws.calls if c.operation in ("ChangeResourceRecordSets", "UpdateDistribution")
    ]


def test_a_trust_policy_without_set_source_identity_is_said_once_and_the_run_goes_on(
    aws: Any, two_accounts: str, run_cli: RunCli
) -> None:
    aws.inject("AssumeRole", "AccessDenied", 403, message="not authorized")

    result = run_cli("apply", "--yes")

    assert result.returncode == 0, result.stderr
    assert result.stderr.count("does not allow sts:SetSourceIdentity") == 1
    sent = [c for c in aws.calls if c.operation == "AssumeRole" and "geoproxy/" in c.user_agent]
    # edge: refused with SourceIdentity, then without it; dns: with it.
    assert [b"SourceIdentity=" in c.body for c in sent] == [True, False, True]


def test_a_saved_plan_carries_its_accounts_and_applies_in_them(
    aws: Any, two_accounts: str, run_cli: RunCli, tmp_path: Path
) -> None:
    made = run_cli("plan", "--out", "shop.plan")
    assert made.returncode == 0, made.stderr
    document = json.loads((tmp_path / "shop.plan").read_text())
    assert document["accounts"] == {
        "dns": {
            "role_arn": f"arn:aws:iam::{DNS}:role/geoproxy-dns",
            "external_id": "shop-dns",
            "profile": None,
        },
        "edge": {
            "role_arn": f"arn:aws:iam::{EDGE}:role/geoproxy-edge",
            "external_id": None,
            "profile": None,
        },
    }
    changes = document["changes"]
    batches = [*changes["before_distributions"].values(), *changes["after_distributions"].values()]
    assert {change["account"] for zone in batches for batch in zone for change in batch} == {"dns"}
    assert [d["account"] for d in changes["distributions"]] == ["edge"]
    (tmp_path / "routing.yaml").unlink()  # apply PLANFILE reads no policy

    applied = run_cli("apply", "shop.plan", "--yes")

    assert applied.returncode == 0, applied.stderr
    assert _targets(aws, two_accounts)["eu-west-1"].startswith("shop-euw1-456")


def test_a_saved_plan_whose_role_was_edited_is_refused(
    aws: Any, two_accounts: str, run_cli: RunCli, tmp_path: Path
) -> None:
    assert run_cli("plan", "--out", "shop.plan").returncode == 0
    path = tmp_path / "shop.plan"
    path.write_text(path.read_text().replace(":role/geoproxy-dns", ":role/someone-else"))
    aws.reset_log()

    result = run_cli("apply", "shop.plan", "--yes")

    assert result.returncode == 1
    assert "checksum" in result.stderr
    assert aws.calls == []


def test_iam_policy_prints_the_documents_the_iam_check_holds_each_account_to(
    aws: Any, two_accounts: str, run_cli: RunCli, tmp_path: Path
) -> None:
    from geoproxy.core.iam_accounts import accounts_iam
    from geoproxy.policy.catalog import Catalog
    from geoproxy.policy.loader import load_policy
    from tests.e2e.conftest import IAM_ACCOUNT, emulator_zone_ids

    result = run_cli("iam-policy")

    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)["accounts"]
    assert [(a["account"], a["account_id"]) for a in printed] == [
        (None, IAM_ACCOUNT),  # from STS: the base credentials
        ("dns", DNS),
        ("edge", EDGE),
    ]
    dns = printed[1]["trust_policy"]["Statement"][0]
    assert dns["Condition"] == {"StringEquals": {"sts:ExternalId": "shop-dns"}}
    # The zone id was looked up in the dns account: the documents are those run_cli's IAM
    # check held plan, apply, failover, failback and status to.
    policy = load_policy(tmp_path / "routing.yaml", Catalog.load()).policy
    checked = accounts_iam(policy, zone_ids=emulator_zone_ids(), base_account_id=IAM_ACCOUNT)
    assert {a["account_id"]: a["policy"] for a in printed} == checked.by_account_id()


def test_auto_failovers_health_checks_live_in_the_zones_account(
    aws: Any, run_cli: RunCli, tmp_path: Path
) -> None:
    from tests.e2e.conftest import CHECKED_POLICY

    _zone(aws, ZoneSeed("example.com", None, DNS))
    policy = CHECKED_POLICY.replace(
        "applications:\n",
        f'accounts:\n  dns: {{role_arn: "arn:aws:iam::{DNS}:role/geoproxy-dns"}}\napplications:\n',
        1,
    ).replace("    zone: example.com\n", "    zone: example.com\n    account: dns\n", 1)
    write_policy(tmp_path, policy)

    result = run_cli("apply", "--yes")

    assert result.returncode == 0, result.stderr
    in_dns = aws.client_in_account("route53", DNS).list_health_checks()["HealthChecks"]
    assert len(in_dns) == 1  # eu-west-1's, which its failover pair's record refers to
    assert aws.client("route53").list_health_checks()["HealthChecks"] == []


def test_the_edge_fence_function_is_published_in_the_distributions_account(
    aws: Any, run_cli: RunCli, tmp_path: Path
) -> None:
    _zone(aws, ZoneSeed("example.com", None, DNS))
    _distribution(aws, DistributionSeed(DISTRIBUTION, ("shop.example.com",), True, EDGE))
    fenced = TWO_ACCOUNTS.replace(
        '        allowed_pops: ["eu-*"]\n',
        '        allowed_pops: ["eu-*"]\n        viewer_countries: [EU]\n',
        1,
    )
    assert fenced != TWO_ACCOUNTS
    write_policy(tmp_path, fenced)

    applied = run_cli("apply", "--yes")

    assert applied.returncode == 0, applied.stderr
    listed = aws.client_in_account("cloudfront", EDGE).list_functions()["FunctionList"]
    # One function, listed per stage (DEVELOPMENT and LIVE).
    assert {f["Name"] for f in listed.get("Items") or []} == {function_name("default", "shop")}
    base = aws.client("cloudfront").list_functions()["FunctionList"]
    assert (base.get("Items") or []) == []
    status = run_cli("status", "--output", "json")
    edge = json.loads(status.stdout)["applications"][0]["edge_function"]
    assert (edge["published"], edge["in_sync"]) == (True, True)


# --- ARC in the zones' account ------------------------------------------------------------


def _states(aws: Any, cluster: dict[str, Any]) -> dict[str, str]:
    endpoint = next(e for e in cluster["ClusterEndpoints"] if e["Region"] == "us-west-2")
    client = aws.client_in_account(
        "route53-recovery-cluster", DNS, region_name="us-west-2", endpoint_url=endpoint["Endpoint"]
    )
    return {
        c["RoutingControlName"]: c["RoutingControlState"]
        for c in client.list_routing_controls()["RoutingControls"]
    }


def test_switches_in_the_arc_account_and_a_saved_switch_plan_carries_it(
    aws: Any, run_cli: RunCli, tmp_path: Path
) -> None:
    from tests.e2e.test_switches import PLAIN, recovery

    arc = aws.client_in_account("route53-recovery-control-config", DNS, region_name="us-west-2")
    arn = arc.create_cluster(ClusterName="shared")["Cluster"]["ClusterArn"]
    cluster = dict(arc.describe_cluster(ClusterArn=arn)["Cluster"])
    zone_id = _zone(aws, ZoneSeed("example.com", None, DNS))
    policy = PLAIN.replace(
        "applications:\n",
        f'accounts:\n  dns: {{role_arn: "arn:aws:iam::{DNS}:role/geoproxy-dns"}}\napplications:\n',
        1,
    ).replace("    zone: example.com\n", "    zone: example.com\n    account: dns\n", 1) + recovery(
        cluster
    ).replace("  arc:\n", "  arc:\n    account: dns\n")
    write_policy(tmp_path, policy)

    applied = run_cli("apply", "--yes")

    assert applied.returncode == 0, applied.stderr
    assert set(_states(aws, cluster).values()) == {"On"}
    # The RECOVERY_CONTROL health checks are the zone's account's, as its records need.
    checks = aws.client_in_account("route53", DNS).list_health_checks()["HealthChecks"]
    assert checks and all(c["HealthCheckConfig"]["Type"] == "RECOVERY_CONTROL" for c in checks)
    made = run_cli("failover", "--from", "eu-west-1", "--dry-run", "--out", "dr.plan")
    assert made.returncode == 0, made.stderr
    document = json.loads((tmp_path / "dr.plan").read_text())
    assert document["changes"]["account"] == "dns"
    assert document["accounts"]["dns"]["role_arn"] == f"arn:aws:iam::{DNS}:role/geoproxy-dns"
    (tmp_path / "routing.yaml").unlink()  # apply PLANFILE reads no policy

    flipped = run_cli("apply", "dr.plan", "--yes")

    assert flipped.returncode == 0, flipped.stderr
    assert _states(aws, cluster)["geoproxy-default-eu-west-1"] == "Off"
    assert _records(aws, zone_id) != []


# --- orphans in any zone and destroy, across accounts ------------------------------------

BLOG = """\
  - name: blog
    zone: example.org
    account: dns
    record: origin.blog.example.org
    pops:
      us-east-1: {target: a-1.us-east-1.elb.amazonaws.com}
      eu-west-1: {target: b-2.eu-west-1.elb.amazonaws.com}
"""


def test_all_zones_and_destroy_look_in_the_accounts_that_hold_zones_and_distributions(
    aws: Any, two_accounts: str, run_cli: RunCli, tmp_path: Path
) -> None:
    zone_id = two_accounts
    org_id = _zone(aws, ZoneSeed("example.org", None, DNS))
    write_policy(tmp_path, TWO_ACCOUNTS + BLOG)
    assert run_cli("apply", "--yes").returncode == 0
    assert _targets(aws, org_id, "origin.blog.example.org.")
    write_policy(tmp_path, TWO_ACCOUNTS)  # blog leaves the policy, with its zone

    # example.org is in the dns account, which the base credentials cannot list.
    found = run_cli("plan", "--prune", "--all-zones", "--detailed-exitcode", "--output", "json")
    assert found.returncode == 2, found.stderr
    [orphan] = json.loads(found.stdout)["orphans"]
    assert orphan["root"] == "origin.blog.example.org"
    pruned = run_cli("apply", "--prune", "--all-zones", "--force", "--yes")
    assert pruned.returncode == 0, pruned.stderr
    assert _records(aws, org_id, "origin.blog.example.org.") == []

    # The distribution in the edge account uses the origin name: destroy sees it there.
    refused = run_cli("destroy", "--yes", "--force")
    assert refused.returncode == 1
    assert f"CloudFront distribution {DISTRIBUTION} uses {ORIGIN.rstrip('.')}" in refused.stderr
    assert _targets(aws, zone_id)

    done = run_cli("destroy", "--yes", "--force", "--detach-origin", "legacy.example.net")
    assert done.returncode == 0, done.stderr
    assert _records(aws, zone_id) == []
    config = aws.client_in_account("cloudfront", EDGE).get_distribution_config(Id=DISTRIBUTION)
    origins = {o["Id"]: o["DomainName"] for o in config["DistributionConfig"]["Origins"]["Items"]}
    assert origins["geoproxy-shop"] == "legacy.example.net"
