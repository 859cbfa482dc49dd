"""Disaster recovery end to end: failover, failback and status via the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_policy
from tests.e2e.conftest import (
    DR_POLICY,
    EU_WEST_1_SOURCES,
    EUC1,
    ORIGIN,
    STATE,
    USE1_NAME,
    RunCli,
    records_at,
    state_header,
    state_values,
    targets,
)

pytestmark = pytest.mark.e2e


def foreign_records(aws: Any, zone: str) -> list[dict[str, Any]]:
    return [
        r
        for page in aws.client("route53")
        .get_paginator("list_resource_record_sets")
        .paginate(HostedZoneId=zone)
        for r in page["ResourceRecordSets"]
        if r["Type"] not in ("NS", "SOA")
        and not r.get("SetIdentifier", "").startswith("geoproxy:")
        and not r["Name"].startswith("_geoproxy.")
    ]


@pytest.mark.slow
def test_failover_moves_exactly_the_right_regions_and_fails_back_exactly(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    foreign_before = foreign_records(aws, zone)
    aws.reset_log()

    result = run_cli(
        "failover",
        "--from",
        "eu-west-1",
        "--to",
        "eu-central-1",
        "--yes",
        "--reason",
        "Dublin outage",
        "--output",
        "json",
    )

    assert result.returncode == 0, result.stderr
    assert aws.count("ChangeResourceRecordSets") == 1
    after = targets(aws, zone)
    moved = {region for region in after if after[region] != applied[region]}
    assert moved == EU_WEST_1_SOURCES
    assert all(after[region] == EUC1 for region in moved)
    document = json.loads(result.stdout)
    assert document["applied"] is True and document["to"] == {"shop": "eu-central-1"}
    assert document["seconds_to_insync"] is not None
    assert len(state_values(aws, zone)) == 1

    aws.reset_log()
    assert run_cli("plan", "--detailed-exitcode").returncode == 0
    assert run_cli("apply", "--yes").returncode == 0
    assert aws.count("ChangeResourceRecordSets") == 0  # apply keeps the failover

    status = json.loads(run_cli("status", "--output", "json").stdout)["applications"][0]
    assert [(f["from"], f["to"], f["reason"]) for f in status["failovers"]] == [
        ("eu-west-1", "eu-central-1", "Dublin outage")
    ]
    assert status["failovers"][0]["by"] is None  # public DNS does not say who; see test_safety
    rows = {row["source_region"]: row for row in status["regions"]}
    assert {r for r, row in rows.items() if row["state"] == "failover"} == EU_WEST_1_SOURCES
    assert rows["eu-west-2"]["policy_pop"] == "eu-west-1"
    assert rows["eu-west-2"]["live_pop"] == "eu-central-1"
    assert status["healthy"] is True

    aws.reset_log()
    again = run_cli("failover", "--from", "eu-west-1", "--yes")  # --to from failover_to
    assert again.returncode == 0
    assert "Nothing to do" in again.stdout
    assert aws.count("ChangeResourceRecordSets") == 0

    back = run_cli("failback", "eu-west-1", "--yes")
    assert back.returncode == 0, back.stderr
    assert targets(aws, zone) == applied
    assert state_values(aws, zone) == []
    assert foreign_records(aws, zone) == foreign_before
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


def test_compliance_violating_failover_writes_nothing_and_names_the_rule(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    aws.reset_log()
    result = run_cli("failover", "--from", "eu-west-1", "--to", "us-east-1", "--yes")
    assert result.returncode == 1
    assert (
        "compliance rule 'gdpr' forbids PoP us-east-1 for source regions eu-south-2, "
        "eu-west-1, eu-west-2; a compliant alternative is eu-central-1"
    ) in result.stderr
    assert "--override-compliance" in result.stderr
    assert aws.count("ChangeResourceRecordSets") == 0
    assert targets(aws, zone) == applied


@pytest.mark.slow
def test_override_compliance_records_its_reason(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    result = run_cli(
        "failover",
        "--from",
        "eu-west-1",
        "--to",
        "us-east-1",
        "--yes",
        "--override-compliance",
        "legal approved ticket LEG-42",
    )
    assert result.returncode == 0, result.stderr
    assert "allowed by --override-compliance: legal approved ticket LEG-42" in result.stderr
    assert {targets(aws, zone)[region] for region in EU_WEST_1_SOURCES} == {USE1_NAME}
    status = json.loads(run_cli("status", "--output", "json").stdout)["applications"][0]
    assert status["failovers"][0]["override_compliance"] == "legal approved ticket LEG-42"
    # DNS is not an authority: the override read back from the state record allows nothing
    # in a later run; that run must give its own.
    refused = run_cli("plan", "--detailed-exitcode")
    assert refused.returncode == 1
    assert "through the failover eu-west-1 → us-east-1 (declared " in refused.stderr
    assert "its override read from DNS ('legal approved ticket LEG-42') allows nothing" in (
        refused.stderr
    )
    kept = run_cli("plan", "--detailed-exitcode", "--override-compliance", "LEG-42 still")
    assert kept.returncode == 0, kept.stderr


@pytest.mark.slow
def test_failovers_compose_and_fail_back_one_at_a_time(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    override = ("--override-compliance", "whole EU down")
    assert run_cli("failover", "--from", "eu-west-1", "--yes").returncode == 0
    assert (
        run_cli(
            "failover", "--from", "eu-central-1", "--to", "us-east-1", "--yes", *override
        ).returncode
        == 0
    )
    composed = targets(aws, zone)
    eu_central_1_sources = {r for r, target in applied.items() if target == EUC1}
    assert {composed[r] for r in EU_WEST_1_SOURCES | eu_central_1_sources} == {USE1_NAME}

    cycle = run_cli("failover", "--from", "us-east-1", "--to", "eu-west-1", "--yes")
    assert cycle.returncode == 1 and "cycle" in cycle.stderr

    assert run_cli("failback", "eu-central-1", "--yes").returncode == 0
    partly = targets(aws, zone)
    assert {partly[r] for r in EU_WEST_1_SOURCES | eu_central_1_sources} == {EUC1}
    assert len(state_values(aws, zone)) == 1
    assert run_cli("failback", "eu-west-1", "--yes").returncode == 0
    assert targets(aws, zone) == applied


@pytest.mark.slow
def test_one_call_for_every_application_in_the_zone(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    second = (
        DR_POLICY.split("applications:\n", 1)[1]
        .replace("name: shop", "name: api")
        .replace("origin.shop.", "origin.api.")
    )
    write_policy(tmp_path, DR_POLICY + second)
    assert run_cli("apply", "--yes").returncode == 0
    aws.reset_log()

    result = run_cli("failover", "--from", "eu-west-1", "--yes", "--output", "json")

    assert result.returncode == 0, result.stderr
    assert aws.count("ChangeResourceRecordSets") == 1
    for name in ("origin.shop.example.com.", "origin.api.example.com."):
        assert {targets(aws, zone, name)[r] for r in EU_WEST_1_SOURCES} == {EUC1}
    assert json.loads(result.stdout)["to"] == {"shop": "eu-central-1", "api": "eu-central-1"}


def test_failover_only_moves_what_it_moves_even_with_policy_drift(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    # A reviewed-but-unapplied policy change (Tokyo PoP) must not ride along with a failover.
    write_policy(
        tmp_path,
        DR_POLICY.replace(
            "    pops:\n",
            "    pops:\n      ap-northeast-1: {target: x.ap-northeast-1.elb.amazonaws.com}\n",
        ),
    )
    result = run_cli("failover", "--from", "eu-west-1", "--yes")
    assert result.returncode == 0, result.stderr
    after = targets(aws, zone)
    assert {r for r in after if after[r] != applied[r]} == EU_WEST_1_SOURCES
    merged = run_cli("apply", "--yes")  # now the policy change, with the failover kept
    assert merged.returncode == 0, merged.stderr
    final = targets(aws, zone)
    assert final["ap-northeast-1"] == "x.ap-northeast-1.elb.amazonaws.com"
    assert {final[r] for r in EU_WEST_1_SOURCES} == {EUC1}


@pytest.mark.slow
def test_dry_run_and_missing_confirmation_write_nothing(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    aws.reset_log()
    dry = run_cli("failover", "--from", "eu-west-1", "--dry-run", "--output", "json")
    assert dry.returncode == 0, dry.stderr
    document = json.loads(dry.stdout)
    assert document["dry_run"] is True and document["applied"] is False
    # The sources, and the state record (apply wrote it calm; format v2).
    assert document["plan"]["summary"]["update"] == len(EU_WEST_1_SOURCES) + 1
    assert "GetCallerIdentity" not in aws.operations()
    refused = run_cli("failover", "--from", "eu-west-1")
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert aws.count("ChangeResourceRecordSets") == 0
    assert targets(aws, zone) == applied


@pytest.mark.slow
def test_unusable_target_names_the_application(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    aws.reset_log()
    no_partner = run_cli("failover", "--from", "us-east-1", "--yes")
    assert no_partner.returncode == 1
    assert "shop (its PoP names no `failover_to` partner; pass --to)" in no_partner.stderr
    not_a_pop = run_cli("failover", "--from", "eu-west-1", "--to", "sa-east-1", "--yes")
    assert "shop (it has no PoP in sa-east-1)" in not_a_pop.stderr
    unknown_app = run_cli("failover", "--from", "eu-west-1", "--app", "nope", "--yes")
    assert "no application named 'nope'" in unknown_app.stderr
    nothing = run_cli("failback", "eu-west-1", "--yes")
    assert nothing.returncode == 0 and "no failover away from eu-west-1" in nothing.stdout
    assert aws.count("ChangeResourceRecordSets") == 0


@pytest.mark.slow
def test_audit_log_gets_one_line_per_write(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, DR_POLICY)
    log = tmp_path / "audit.jsonl"
    env = {"GEOPROXY_AUDIT_LOG": str(log)}
    assert run_cli("apply", "--yes", env=env).returncode == 0
    assert (
        run_cli("failover", "--from", "eu-west-1", "--yes", "--reason", "drill", env=env).returncode
        == 0
    )
    assert run_cli("failover", "--from", "eu-west-1", "--yes", env=env).returncode == 0  # no-op
    assert run_cli("failback", "eu-west-1", "--yes", "--audit-log", str(log)).returncode == 0
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["command"] for line in lines] == ["apply", "failover", "failback"]
    assert lines[1]["reason"] == "drill"
    assert lines[1]["who"] == "arn:aws:sts::123456789012:user/moto"
    assert {record["name"] for record in lines[1]["records"]} == {ORIGIN, STATE}
    assert all(line["change_id"] and line["zone_id"] == zone for line in lines)


def _foreign_txt_at_state_name(aws: Any, zone: str) -> None:
    # Over the calm state record apply wrote (format v2): someone else's TXT there instead.
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": STATE,
                        "Type": "TXT",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": '"not geoproxy"'}],
                    },
                }
            ]
        },
    )


def test_state_beside_the_record_is_a_conflict_when_foreign(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    _foreign_txt_at_state_name(aws, zone)
    aws.reset_log()
    result = run_cli("failover", "--from", "eu-west-1", "--yes")
    assert result.returncode == 1
    assert "geoproxy keeps its failover state here" in result.stderr
    assert aws.count("ChangeResourceRecordSets") == 0


def test_adopt_takes_over_a_foreign_record_at_the_state_name(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    _foreign_txt_at_state_name(aws, zone)
    refused = run_cli("failover", "--from", "eu-west-1", "--yes")
    assert "run the same command with --adopt" in refused.stderr
    aws.reset_log()
    result = run_cli("failover", "--from", "eu-west-1", "--yes", "--adopt")
    assert result.returncode == 0, result.stderr
    assert aws.count("ChangeResourceRecordSets") == 1
    [value] = state_values(aws, zone)
    assert "not geoproxy" not in value and state_header(aws, zone) is not None


def test_failback_of_a_region_that_is_no_pop_is_an_error(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    typo = run_cli("failback", "eu-west1", "--yes")
    assert typo.returncode == 1
    assert (
        "region 'eu-west1' is not a Route 53 latency region (did you mean 'eu-west-1'?)"
        in typo.stderr
    )
    result = run_cli("failback", "eu-north-1", "--yes")
    assert result.returncode == 1
    assert "no application has a PoP in 'eu-north-1'" in result.stderr


def test_a_partner_that_breaks_compliance_is_a_warning_without_auto_failover(
    aws: Any, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, DR_POLICY.replace("failover_to: eu-central-1", "failover_to: us-east-1"))
    result = run_cli("validate")
    assert result.returncode == 0
    # One line for the rule, the PoP and the partner, naming every source it concerns.
    [line] = [line for line in result.stderr.splitlines() if "failover partner" in line]
    assert (
        "source regions eu-south-2, eu-west-1, eu-west-2 reach PoP eu-west-1, whose "
        "failover partner us-east-1 the rule does not allow; `geoproxy failover` to it "
        "will need --override-compliance"
    ) in line
    quiet = run_cli("--quiet", "validate")
    assert quiet.returncode == 0 and quiet.stderr == ""


@pytest.mark.slow
def test_status_detailed_exitcode(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    assert run_cli("status", "--detailed-exitcode").returncode == 0
    assert run_cli("failover", "--from", "eu-west-1", "--yes").returncode == 0
    assert run_cli("status", "--detailed-exitcode").returncode == 4  # only the failover
    assert run_cli("status").returncode == 0  # without the flag: 0, as before
    record = next(r for r in records_at(aws, zone) if r.get("Region") == "us-west-2")
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": record}]},
    )
    assert run_cli("status", "--detailed-exitcode").returncode == 2  # a record is missing


@pytest.mark.slow
def test_the_dr_fast_path_is_one_lookup_one_list_one_change(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    aws.reset_log()
    moved = run_cli("failover", "--from", "eu-west-1", "--yes", "--no-wait")
    assert moved.returncode == 0, moved.stderr
    assert aws.operations() == [
        "ListHostedZonesByName",
        "ListResourceRecordSets",
        "ChangeResourceRecordSets",
    ]
    aws.reset_log()
    back = run_cli("failback", "eu-west-1", "--yes", "--no-wait")
    assert back.returncode == 0, back.stderr
    assert aws.operations() == [
        "ListHostedZonesByName",
        "ListResourceRecordSets",
        "ChangeResourceRecordSets",
    ]
    # STS only when its answer is kept: the audit log.
    aws.reset_log()
    logged = run_cli(
        "failover", "--from", "eu-west-1", "--yes", "--no-wait", "--audit-log", "audit.log"
    )
    assert logged.returncode == 0, logged.stderr
    assert sorted(aws.operations()) == sorted(
        [
            "GetCallerIdentity",
            "ListHostedZonesByName",
            "ListResourceRecordSets",
            "ChangeResourceRecordSets",
        ]
    )
    assert aws.operations()[-1] == "ChangeResourceRecordSets"
    [entry] = [json.loads(line) for line in (tmp_path / "audit.log").read_text().splitlines()]
    assert entry["who"].startswith("arn:aws:sts::123456789012:")


@pytest.mark.slow
def test_status_piped_prints_whole_rows_without_trailing_spaces(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    assert run_cli("failover", "--from", "eu-west-1", "--yes", "--reason", "drill").returncode == 0
    result = run_cli("status", env={"COLUMNS": "60"})
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert not [line for line in lines if line != line.rstrip()]
    row = next(line for line in lines if line.startswith("A     eu-west-2 "))
    assert row.split() == [
        "A",
        "eu-west-2",
        "eu-central-1",
        "eu-west-1",
        "failover",
        "failover",
        "eu-west-1",
        "→",
        "eu-central-1",
    ]
    routes = run_cli("routes", env={"COLUMNS": "40"}).stdout.splitlines()
    assert len(routes) == 1 + 34  # a header, then one whole line per source region


def test_status_names_the_field_that_drifted_and_sums_up(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    record = next(r for r in records_at(aws, zone) if r.get("Region") == "eu-west-2")
    edited = {**record, "AliasTarget": {**record["AliasTarget"], "EvaluateTargetHealth": True}}
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {"Action": "DELETE", "ResourceRecordSet": record},
                {"Action": "CREATE", "ResourceRecordSet": edited},
            ]
        },
    )
    result = run_cli("status")
    row = next(line for line in result.stdout.splitlines() if " eu-west-2 " in line)
    assert "drift" in row and "EvaluateTargetHealth is True, the policy says False" in row
    assert "(zone example.com, " in result.stdout
    assert result.stdout.rstrip().splitlines()[-1] == (
        "Status: 1 application(s), 34 record(s): 33 ok, 0 failover, 1 drift, 0 missing, 0 foreign."
    )
    document = json.loads(run_cli("status", "--output", "json").stdout)
    assert document["applications"][0]["counts"]["drift"] == 1
