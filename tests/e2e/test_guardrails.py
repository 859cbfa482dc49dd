"""Route 53 Change Guardrails and record set protections, end to end (issue 28): with every
guardrail on, PoPs come and go, auto_failover turns off and orphans are pruned, in two runs
where a name is still queried; a protected name is explained and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_POLICY, write_policy
from tests.e2e.conftest import (
    API,
    AUTO_POLICY,
    ORIGIN,
    TARGETS,
    TOKYO_POP,
    TWO_APPS,
    RunCli,
    latency_map,
    records_at,
    start_cli,
)

pytestmark = pytest.mark.e2e

SINGAPORE = (
    f"      ap-southeast-1: {{target: {TARGETS['ap-southeast-1']}, failover_to: us-east-1}}\n"
)
PAIR = f"ap-southeast-1._failover.{ORIGIN}"


def guard_everything(aws: Any, zone: str) -> None:
    """The zone on the ADVANCED tier with every optional guardrail on (a test's knob:
    geoproxy never changes a tier)."""
    aws.guardrails.enable_all(zone)


def test_removing_a_pop_with_every_guardrail_on_drains_its_pair_in_two_runs(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, AUTO_POLICY)
    assert run_cli("apply", "--yes").returncode == 0
    guard_everything(aws, zone)
    write_policy(tmp_path, AUTO_POLICY.replace(SINGAPORE, ""))

    plan = run_cli("plan")
    assert plan.returncode == 0, plan.stderr
    assert f"drain pending: {PAIR[:-1]} A (PRIMARY)" in plan.stderr
    document = json.loads(run_cli("plan", "--output", "json").stdout)
    held = document["applications"][0]["drain_pending"]
    assert [(c["action"], c["name"]) for c in held] == [("delete", PAIR[:-1])] * 2
    aws.reset_log()
    first = run_cli("apply", "--yes")

    assert first.returncode == 0, first.stderr
    # One listing of the zone's protections before the write, and one batch.
    assert aws.count("ListResourceRecordSetProtections") == 1
    assert aws.count("ChangeResourceRecordSets") == 1
    assert not any(PAIR[:-1] in name for name, _ in latency_map(aws, zone).values())
    assert len(records_at(aws, zone, PAIR)) == 2  # still queried when the batch went: kept
    status = run_cli("status")
    assert f"drain pending: {PAIR[:-1]} A" in status.stderr
    assert "change guardrails on: ACTIVE_DELEGATION_CHECK, ACTIVE_RECORD_CHECK" in status.stdout

    second = run_cli("apply", "--yes")
    assert second.returncode == 0, second.stderr
    assert records_at(aws, zone, PAIR) == []
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


def test_turning_auto_failover_off_with_every_guardrail_on_takes_two_runs(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, AUTO_POLICY)
    assert run_cli("apply", "--yes").returncode == 0
    guard_everything(aws, zone)
    write_policy(tmp_path, AUTO_POLICY.replace("    auto_failover: true\n", ""))

    first = run_cli("apply", "--yes")
    assert first.returncode == 0, first.stderr
    assert "drain pending" in first.stderr
    assert {target for target, _ in latency_map(aws, zone).values()} <= {
        t + "." for t in TARGETS.values()
    }  # every latency record re-pointed straight at its PoP
    assert any(records_at(aws, zone, f"{pop}._failover.{ORIGIN}") for pop in TARGETS)

    second = run_cli("apply", "--yes")
    assert second.returncode == 0, second.stderr
    assert not any(records_at(aws, zone, f"{pop}._failover.{ORIGIN}") for pop in TARGETS)
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


def test_adding_a_pop_with_every_guardrail_on_is_one_run(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, EXAMPLE_POLICY)
    assert run_cli("apply", "--yes").returncode == 0
    guard_everything(aws, zone)
    write_policy(tmp_path, EXAMPLE_POLICY.replace("    force:\n", TOKYO_POP + "    force:\n", 1))
    aws.reset_log()
    result = run_cli("apply", "--yes")
    assert result.returncode == 0, result.stderr
    assert "drain pending" not in result.stderr
    assert aws.count("ChangeResourceRecordSets") == 1
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


def test_pruning_with_every_guardrail_on_and_a_name_cloudfront_still_queries(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, TWO_APPS)
    assert run_cli("apply", "--yes").returncode == 0
    guard_everything(aws, zone)
    write_policy(tmp_path, EXAMPLE_POLICY)
    # A distribution (not geoproxy's) still sends its origin requests to the orphan's name.
    from tests.strictaws.fixtures import distribution_config

    config = distribution_config("still-queries-api")
    config["Origins"]["Items"][0]["DomainName"] = API.rstrip(".")
    distribution = aws.client("cloudfront").create_distribution(DistributionConfig=config)
    aws.reset_log()

    refused = run_cli("apply", "--prune", "--force", "--yes")
    assert refused.returncode == 1
    assert "ACTIVE_RECORD_CHECK" in refused.stderr and API in refused.stderr
    assert "point them elsewhere" in refused.stderr and "Traceback" not in refused.stderr
    assert len(records_at(aws, zone, API)) == 34  # nothing of the batch written

    cloudfront = aws.client("cloudfront")
    identifier = distribution["Distribution"]["Id"]
    current = cloudfront.get_distribution_config(Id=identifier)
    current["DistributionConfig"]["Origins"]["Items"][0]["DomainName"] = "elsewhere.example.net"
    cloudfront.update_distribution(
        Id=identifier, IfMatch=current["ETag"], DistributionConfig=current["DistributionConfig"]
    )
    # CloudFront's edges keep resolving the name while the update deploys: still refused.
    early = run_cli("apply", "--prune", "--force", "--yes")
    assert early.returncode == 1 and "ACTIVE_RECORD_CHECK" in early.stderr
    assert len(records_at(aws, zone, API)) == 34
    aws.guardrails.settle()  # time passes: nothing queries the name any more
    pruned = run_cli("apply", "--prune", "--force", "--yes")
    assert pruned.returncode == 0, pruned.stderr
    assert records_at(aws, zone, API) == []


def test_a_protected_name_is_explained_and_nothing_is_written(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, EXAMPLE_POLICY)
    assert run_cli("apply", "--yes").returncode == 0
    aws.client("route53").create_resource_record_set_protections(
        HostedZoneId=zone,
        Protections=[{"RecordName": ORIGIN, "RecordType": "A", "Comment": "payments team: ask"}],
    )
    write_policy(tmp_path, EXAMPLE_POLICY.replace("    force:\n", TOKYO_POP + "    force:\n", 1))
    before = records_at(aws, zone)
    aws.reset_log()

    result = run_cli("apply", "--yes", "--output", "json")

    assert result.returncode == 1
    error = json.loads(result.stdout)["error"]
    assert error["kind"] == "refused"
    assert ORIGIN in error["message"] and "payments team: ask" in error["message"]
    assert "never deletes a protection" in error["message"]
    assert aws.operations().count("ListResourceRecordSetProtections") == 1
    assert aws.count("ChangeResourceRecordSets") == 0 and aws.count("CreateHealthCheck") == 0
    assert records_at(aws, zone) == before


def test_a_protection_created_after_the_listing_is_recognised(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    """The rejection itself, when a protection appears between the listing and the write."""
    write_policy(tmp_path, EXAMPLE_POLICY)
    assert run_cli("apply", "--yes").returncode == 0
    write_policy(tmp_path, EXAMPLE_POLICY.replace("    force:\n", TOKYO_POP + "    force:\n", 1))
    hold = aws.hold("ChangeResourceRecordSets")
    aws.reset_log()
    process = start_cli(aws, tmp_path, "apply", "--yes")
    assert hold.arrived.wait(60)
    aws.client("route53").create_resource_record_set_protections(
        HostedZoneId=zone,
        Protections=[{"RecordName": ORIGIN, "RecordType": "A", "Comment": "frozen"}],
    )
    hold.release()
    _, stderr = process.communicate(timeout=60)

    assert process.returncode == 1, stderr
    assert ORIGIN in stderr and "'frozen'" in stderr and "Traceback" not in stderr
    # The listing before the write, and the one that names what refused it.
    assert aws.count("ListResourceRecordSetProtections") == 2


def test_pruning_an_auto_failover_application_with_every_guardrail_on_takes_two_runs(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    api_app = (
        AUTO_POLICY.split("applications:\n", 1)[1]
        .replace("name: shop", "name: api")
        .replace("origin.shop.", "origin.api.")
    )
    write_policy(tmp_path, AUTO_POLICY + api_app)
    assert run_cli("apply", "--yes").returncode == 0
    guard_everything(aws, zone)
    write_policy(tmp_path, AUTO_POLICY)
    api_pairs = [f"{pop}._failover.{API}" for pop in TARGETS]

    first = run_cli("apply", "--prune", "--force", "--yes")
    assert first.returncode == 0, first.stderr
    assert "drain pending" in first.stderr
    assert records_at(aws, zone, API) == []  # the latency records went first
    assert all(records_at(aws, zone, pair) for pair in api_pairs)  # still queried then

    second = run_cli("apply", "--prune", "--force", "--yes")
    assert second.returncode == 0, second.stderr
    assert not any(records_at(aws, zone, pair) for pair in api_pairs)


def test_dropping_the_edge_fence_with_every_guardrail_on_drains_its_direct_names(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    # The function sent requests to the direct names until this run's UpdateDistribution;
    # CloudFront's edges keep resolving them while it deploys: ACTIVE_RECORD_CHECK refuses
    # deleting them in the same run.
    from tests.e2e.test_edge_fence import apply_fence, fenced_policy

    apply_fence(aws, distribution, run_cli, tmp_path)
    guard_everything(aws, zone)
    direct = [f"{pop}.{ORIGIN}" for pop in ("us-east-1", "eu-west-1", "eu-central-1")]
    write_policy(
        tmp_path,
        fenced_policy(distribution).replace("        viewer_countries: [EU, GB, CH]\n", ""),
    )

    first = run_cli("apply", "--yes")

    assert first.returncode == 0, first.stderr
    assert "drain pending" in first.stderr and direct[0].rstrip(".") in first.stderr
    assert all(records_at(aws, zone, name) for name in direct)
    status = run_cli("status", "--output", "json")
    assert "drain pending" in status.stdout
    aws.guardrails.settle()  # the update has deployed; nothing queries the names any more
    second = run_cli("apply", "--yes")
    assert second.returncode == 0, second.stderr
    assert not any(records_at(aws, zone, name) for name in direct)
    assert run_cli("plan", "--detailed-exitcode").returncode == 0
