"""auto_failover end to end: Route 53 failover pairs behind the latency records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_policy
from tests.e2e.conftest import (
    AUTO_POLICY,
    CHECKED_POLICY,
    ORIGIN,
    PARTNERS,
    TARGETS,
    RunCli,
    records_at,
)

pytestmark = pytest.mark.e2e

PLAIN_POLICY = AUTO_POLICY.replace("    auto_failover: true\n", "")


def pair_name(pop: str) -> str:
    return f"{pop}._failover.{ORIGIN}"


def pairs(aws: Any, zone: str) -> dict[str, dict[str, tuple[str, bool]]]:
    """PoP -> role -> (alias DNS name, EvaluateTargetHealth) of the failover pairs."""
    found: dict[str, dict[str, tuple[str, bool]]] = {}
    for pop in TARGETS:
        for record in records_at(aws, zone, pair_name(pop)):
            alias = record["AliasTarget"]
            found.setdefault(pop, {})[record["Failover"]] = (
                alias["DNSName"].rstrip("."),
                alias["EvaluateTargetHealth"],
            )
    return found


def latency(aws: Any, zone: str) -> dict[str, dict[str, Any]]:
    return {record["Region"]: record for record in records_at(aws, zone)}


def test_apply_builds_pairs_and_latency_aliases_in_one_batch(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, AUTO_POLICY)
    aws.reset_log()

    result = run_cli("apply", "--yes")

    assert result.returncode == 0, result.stderr
    assert aws.count("ChangeResourceRecordSets") == 1
    assert pairs(aws, zone) == {
        pop: {"PRIMARY": (TARGETS[pop], True), "SECONDARY": (TARGETS[PARTNERS[pop]], False)}
        for pop in TARGETS
    }
    records = latency(aws, zone)
    assert len(records) == 34
    assert records["eu-west-2"]["AliasTarget"] == {
        "HostedZoneId": zone,
        "DNSName": pair_name("eu-west-1"),
        "EvaluateTargetHealth": False,
    }
    assert records["me-south-1"]["AliasTarget"]["DNSName"] == pair_name("us-east-1")
    assert run_cli("plan", "--detailed-exitcode").returncode == 0
    status = json.loads(run_cli("status", "--output", "json").stdout)["applications"][0]
    rows = {row["source_region"]: row for row in status["regions"]}
    assert rows["eu-west-2"]["live_pop"] == "eu-west-1" and rows["eu-west-2"]["state"] == "ok"


@pytest.mark.slow
def test_manual_failover_rewrites_only_the_pair(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, AUTO_POLICY)
    assert run_cli("apply", "--yes").returncode == 0
    latency_before = latency(aws, zone)
    aws.reset_log()

    result = run_cli("failover", "--from", "eu-west-1", "--yes", "--output", "json")

    assert result.returncode == 0, result.stderr
    assert latency(aws, zone) == latency_before
    changed = {
        c["name"]
        for app in json.loads(result.stdout)["plan"]["applications"]
        for c in app["changes"]
    }
    # The failed PoP's pair, and the pairs whose partner it was: a PoP declared down is no
    # one's SECONDARY any more (they answer with their own PoP instead).
    assert changed == {
        pair_name(pop).rstrip(".") for pop in ("eu-west-1", "eu-central-1", "us-east-1")
    } | {"_geoproxy." + ORIGIN.rstrip(".")}
    now = pairs(aws, zone)
    assert now["eu-west-1"] == {
        "PRIMARY": (TARGETS["eu-central-1"], True),
        "SECONDARY": (TARGETS["eu-central-1"], False),
    }
    for pop in ("eu-central-1", "us-east-1"):
        assert now[pop] == {"PRIMARY": (TARGETS[pop], True), "SECONDARY": (TARGETS[pop], False)}
    assert now["ap-southeast-1"]["SECONDARY"] == (TARGETS["us-east-1"], False)
    assert aws.count("ChangeResourceRecordSets") == 1
    assert run_cli("plan", "--detailed-exitcode").returncode == 0
    status = json.loads(run_cli("status", "--output", "json").stdout)["applications"][0]
    rows = {row["source_region"]: row for row in status["regions"]}
    assert (rows["eu-west-2"]["state"], rows["eu-west-2"]["live_pop"]) == (
        "failover",
        "eu-central-1",
    )

    assert run_cli("failback", "eu-west-1", "--yes").returncode == 0
    assert pairs(aws, zone) == {
        pop: {"PRIMARY": (TARGETS[pop], True), "SECONDARY": (TARGETS[PARTNERS[pop]], False)}
        for pop in TARGETS
    }


@pytest.mark.slow
def test_switching_auto_failover_on_and_off_never_leaves_a_dangling_alias(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, PLAIN_POLICY)
    assert run_cli("apply", "--yes").returncode == 0
    write_policy(tmp_path, AUTO_POLICY)
    aws.reset_log()
    on = run_cli("apply", "--yes")  # pairs must exist before the aliases to them
    assert on.returncode == 0, on.stderr
    assert aws.count("ChangeResourceRecordSets") == 1
    assert len(pairs(aws, zone)) == 4

    write_policy(tmp_path, PLAIN_POLICY)
    off = run_cli("apply", "--yes")  # and the aliases must go before the pairs
    assert off.returncode == 0, off.stderr
    assert pairs(aws, zone) == {}
    assert latency(aws, zone)["eu-west-2"]["AliasTarget"]["DNSName"] == TARGETS["eu-west-1"] + "."


def test_partner_that_breaks_compliance_is_invalid(
    aws: Any, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(
        tmp_path,
        AUTO_POLICY.replace(
            f"{TARGETS['eu-west-1']}, failover_to: eu-central-1",
            f"{TARGETS['eu-west-1']}, failover_to: us-east-1",
        ),
    )
    result = run_cli("validate")
    assert result.returncode == 1
    assert "applications[0].pops.eu-west-1.failover_to" in result.stderr
    assert (
        "compliance rule 'gdpr': source eu-west-1 reaches PoP eu-west-1, whose "
        "failover partner us-east-1 the rule does not allow"
    ) in result.stderr
    assert aws.count() == 0


def test_every_pop_needs_a_partner(aws: Any, run_cli: RunCli, tmp_path: Path) -> None:
    write_policy(tmp_path, AUTO_POLICY.replace(", failover_to: us-east-1}", "}"))
    result = run_cli("validate")
    assert result.returncode == 1
    assert (
        "applications[0].pops.ap-southeast-1: auto_failover needs a `failover_to` partner "
        "for every PoP"
    ) in result.stderr


def health_checks(aws: Any) -> list[dict[str, Any]]:
    return aws.client("route53").list_health_checks()["HealthChecks"]


def primary_check(aws: Any, zone: str, pop: str) -> str | None:
    primary = [r for r in records_at(aws, zone, pair_name(pop)) if r["Failover"] == "PRIMARY"]
    return primary[0].get("HealthCheckId")


@pytest.mark.slow
def test_health_check_is_created_once_tagged_and_used_by_the_primary(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, CHECKED_POLICY)
    aws.reset_log()

    result = run_cli("apply", "--yes", "--output", "json")

    assert result.returncode == 0, result.stderr
    checks = health_checks(aws)
    assert len(checks) == 1
    config = checks[0]["HealthCheckConfig"]
    assert (
        config["Type"],
        config["FullyQualifiedDomainName"],
        config["Port"],
        config["ResourcePath"],
    ) == ("HTTPS", TARGETS["eu-west-1"], 443, "/healthz")
    tags = aws.client("route53").list_tags_for_resource(
        ResourceType="healthcheck", ResourceId=checks[0]["Id"]
    )["ResourceTagSet"]["Tags"]
    assert {"Key": "geoproxy:pop", "Value": "eu-west-1"} in tags
    assert primary_check(aws, zone, "eu-west-1") == checks[0]["Id"]
    assert primary_check(aws, zone, "us-east-1") is None
    assert json.loads(result.stdout)["health_checks_created"] == [checks[0]["Id"]]

    aws.reset_log()
    noop = run_cli("plan", "--detailed-exitcode")
    assert noop.returncode == 0, noop.stdout
    assert aws.operations() == [
        "ListHostedZonesByName",
        "ListResourceRecordSets",
        "ListHealthChecks",
        "ListTagsForResources",
    ]  # budget: 4


@pytest.mark.slow
def test_changed_settings_make_a_new_check_before_the_old_one_goes(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, CHECKED_POLICY)
    assert run_cli("apply", "--yes").returncode == 0
    old_id = health_checks(aws)[0]["Id"]
    write_policy(tmp_path, CHECKED_POLICY.replace("/healthz", "/ready"))
    aws.reset_log()

    result = run_cli("apply", "--yes")

    assert result.returncode == 0, result.stderr
    operations = aws.operations()
    assert operations.index("CreateHealthCheck") < operations.index("ChangeResourceRecordSets")
    assert operations.index("DeleteHealthCheck") > operations.index("ChangeResourceRecordSets")
    checks = health_checks(aws)
    assert [c["HealthCheckConfig"]["ResourcePath"] for c in checks] == ["/ready"]
    assert checks[0]["Id"] != old_id
    assert primary_check(aws, zone, "eu-west-1") == checks[0]["Id"]

    write_policy(tmp_path, AUTO_POLICY)  # no health checks at all any more
    assert run_cli("apply", "--yes").returncode == 0
    assert health_checks(aws) == []
    assert primary_check(aws, zone, "eu-west-1") is None


def test_a_crash_after_creating_the_check_does_not_make_a_second_one(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, CHECKED_POLICY)
    # A refusal that no retry can fix stops the run between the two steps.
    aws.inject("ChangeResourceRecordSets", code="AccessDenied", status=403, times=1)
    failed = run_cli("apply", "--yes")
    assert failed.returncode == 1
    assert len(health_checks(aws)) == 1 and records_at(aws, zone) == []

    aws.reset_log()
    retried = run_cli("apply", "--yes")
    assert retried.returncode == 0, retried.stderr
    assert aws.count("CreateHealthCheck") == 0  # found by its CallerReference
    assert len(health_checks(aws)) == 1
    assert primary_check(aws, zone, "eu-west-1") == health_checks(aws)[0]["Id"]


def test_health_check_needs_auto_failover(aws: Any, run_cli: RunCli, tmp_path: Path) -> None:
    write_policy(tmp_path, CHECKED_POLICY.replace("    auto_failover: true\n", ""))
    result = run_cli("validate")
    assert result.returncode == 1
    assert (
        "applications[0].pops.eu-west-1.health_check: health_check is used by "
        "auto_failover's failover pairs" in result.stderr
    )


@pytest.mark.slow
def test_status_reports_a_pair_changed_outside_geoproxy(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, AUTO_POLICY)
    assert run_cli("apply", "--yes").returncode == 0
    primary = next(
        r for r in records_at(aws, zone, pair_name("eu-west-1")) if r["Failover"] == "PRIMARY"
    )
    edited = {
        **primary,
        "AliasTarget": {
            **primary["AliasTarget"],
            "DNSName": TARGETS["us-east-1"] + ".",
            "HostedZoneId": "Z35SXDOTRQ7X7K",
        },
    }
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {"Action": "DELETE", "ResourceRecordSet": primary},
                {"Action": "CREATE", "ResourceRecordSet": edited},
            ]
        },
    )

    status = json.loads(run_cli("status", "--output", "json").stdout)["applications"][0]

    rows = {row["source_region"]: row for row in status["regions"]}
    assert rows["eu-west-2"]["state"] == "drift"
    assert rows["eu-west-2"]["live_pop"] == "us-east-1"
    assert "PRIMARY record of its PoP pair" in rows["eu-west-2"]["detail"]
    assert rows["us-east-2"]["state"] == "ok"
    assert status["healthy"] is False
    assert run_cli("plan", "--detailed-exitcode").returncode == 2  # and apply would mend it


@pytest.mark.parametrize(
    "detour",
    [
        AUTO_POLICY,  # the health check removed, then added back
        CHECKED_POLICY.replace("path: /healthz", "path: /status"),  # a setting changed and back
        PLAIN_POLICY,  # auto_failover turned off and on
    ],
    ids=["check-off-and-on", "setting-and-back", "auto-failover-off-and-on"],
)
@pytest.mark.slow
def test_a_health_check_can_be_deleted_and_made_again(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path, detour: str
) -> None:
    # Route 53 refuses a deleted check's CallerReference for days, whatever the settings.
    for policy in (CHECKED_POLICY, detour, CHECKED_POLICY):
        write_policy(tmp_path, policy)
        result = run_cli("apply", "--yes")
        assert result.returncode == 0, result.stderr
    checks = health_checks(aws)
    assert len(checks) == 1
    assert primary_check(aws, zone, "eu-west-1") == checks[0]["Id"]
    assert run_cli("plan", "--detailed-exitcode").returncode == 0
