"""Safety on real AWS, end to end: what the review against AWS's documentation found."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_POLICY, write_policy
from tests.e2e.conftest import (
    STATE,
    RunCli,
    cloudfront_policy,
    edit_distribution,
    records_at,
    state_values,
)

pytestmark = pytest.mark.e2e


def test_a_reason_too_long_for_dns_is_refused_before_any_aws_call(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    aws.reset_log()
    result = run_cli("failover", "--from", "eu-west-1", "--yes", "--reason", "x" * 301)
    assert result.returncode == 1
    assert "--reason is 301 characters long; at most 300 are allowed" in result.stderr
    assert aws.count() == 0


def test_control_characters_in_a_reason_are_refused(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    result = run_cli("failover", "--from", "eu-west-1", "--yes", "--reason", "line one\nline 2")
    assert result.returncode == 1
    assert "control or invisible characters ('\\n')" in result.stderr
    assert state_values(aws, zone) == []


def test_non_ascii_text_that_would_overflow_a_txt_value_is_refused(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    # 300 emoji are 3,600 characters once percent-encoded; twice that cannot fit 4,000.
    result = run_cli(
        "failover",
        "--from",
        "eu-west-1",
        "--to",
        "us-east-1",
        "--yes",
        "--reason",
        "🔥" * 300,
        "--override-compliance",
        "🚨" * 300,
    )
    assert result.returncode == 1
    assert "over Route 53's 4000 per value" in result.stderr
    assert state_values(aws, zone) == []


def test_a_long_non_ascii_reason_within_the_limits_lands_in_dns(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    reason = "Störung im Rechenzentrum Dublin — 🔥 " * 8  # 296 characters, ~850 encoded
    result = run_cli("failover", "--from", "eu-west-1", "--yes", "--reason", reason)
    assert result.returncode == 0, result.stderr
    [value] = state_values(aws, zone)
    assert len(value) <= 4000
    assert all(len(part) <= 255 for part in value.split('"')[1::2])
    status = json.loads(run_cli("status", "-o", "json").stdout)
    assert [f["reason"] for app in status["applications"] for f in app["failovers"]] == [reason]


@pytest.mark.slow
def test_the_public_state_record_names_nobody(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "audit.jsonl"
    result = run_cli(
        "failover",
        "--from",
        "eu-west-1",
        "--yes",
        "--reason",
        "Dublin down",
        "--audit-log",
        str(log),
    )
    assert result.returncode == 0, result.stderr
    [value] = state_values(aws, zone)
    assert "by=" not in value and "moto" not in value and "123456789012" not in value
    assert "from=eu-west-1" in value and "reason=Dublin%20down" in value
    [write] = [json.loads(line) for line in log.read_text().splitlines()]
    assert write["who"].startswith("arn:aws:")  # the local audit log keeps the full caller
    with_log = json.loads(run_cli("status", "-o", "json", "--audit-log", str(log)).stdout)
    assert with_log["applications"][0]["failovers"][0]["by"] == write["who"]
    without = json.loads(run_cli("status", "-o", "json").stdout)
    assert without["applications"][0]["failovers"][0]["by"] is None
    assert "by arn:" in run_cli("status", "--audit-log", str(log)).stdout


@pytest.mark.slow
def test_a_state_record_that_names_its_caller_is_rewritten_by_apply(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str]
) -> None:
    # What geoproxy 0.1 wrote: the caller's role and session name, in public DNS.
    old = (
        '"geoproxy-failover=v1 from=eu-west-1 to=eu-central-1 at=2026-11-27T09%3A47%3A59Z '
        'by=assumed-role%2FOps%2Falice%40example.com reason=INC-4711"'
    )
    assert (
        run_cli("failover", "--from", "eu-west-1", "--yes", "--reason", "INC-4711").returncode == 0
    )
    route53 = aws.client("route53")
    [current] = records_at(aws, zone, STATE)
    route53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {"Action": "DELETE", "ResourceRecordSet": current},
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {**current, "ResourceRecords": [{"Value": old}]},
                },
            ]
        },
    )
    plan = run_cli("plan", "--detailed-exitcode")
    assert plan.returncode == 2
    assert "stops publishing who declared the failover" in plan.stdout
    assert "1 to update" in plan.stdout
    assert run_cli("apply", "--yes").returncode == 0
    [value] = state_values(aws, zone)
    assert "alice" not in value and "by=" not in value
    assert "at=2026-11-27T09%3A47%3A59Z" in value and "reason=INC-4711" in value
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


@pytest.mark.slow
def test_aaaa_aliases_to_an_alb_use_its_dualstack_name(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    # An ALB's own name answers only IPv4: an AAAA alias to it would answer nothing.
    write_policy(tmp_path, EXAMPLE_POLICY.replace("record_types: [A]", "record_types: [A, AAAA]"))
    plan = run_cli("plan")
    assert "dualstack.shop-euw1-456.eu-west-1.elb.amazonaws.com" in plan.stdout
    assert run_cli("apply", "--yes").returncode == 0
    names = {
        (r["Type"], r["AliasTarget"]["DNSName"])
        for r in records_at(aws, zone)
        if r.get("Region") == "eu-west-1"
    }
    assert names == {
        ("A", "shop-euw1-456.eu-west-1.elb.amazonaws.com."),
        ("AAAA", "dualstack.shop-euw1-456.eu-west-1.elb.amazonaws.com."),
    }
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


@pytest.mark.slow
def test_deleting_most_records_needs_force(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    assert run_cli("apply", "--yes").returncode == 0
    # A policy edit that drops most source regions: 34 records become 4 (with the forced one).
    narrowed = EXAMPLE_POLICY.replace(
        "source_regions: all", "source_regions: [us-east-1, eu-west-1, ap-southeast-1]"
    )
    write_policy(tmp_path, narrowed)
    plan = run_cli("plan")
    assert (
        "shop: the plan deletes 30 of its 34 routing records (88%, over the 30% guard); "
        "apply needs --force" in plan.stderr
    )
    aws.reset_log()
    refused = run_cli("apply", "--yes")
    assert refused.returncode == 1
    assert "refusing to delete most of an application's records; nothing was written" in (
        refused.stderr
    )
    assert "--force" in refused.stderr
    assert aws.count("ChangeResourceRecordSets") == 0
    assert run_cli("plan", "--out", "narrow.json").returncode == 0
    saved = run_cli("apply", "narrow.json", "--yes")  # the same guard on a saved plan
    assert saved.returncode == 1 and "--force" in saved.stderr
    assert aws.count("ChangeResourceRecordSets") == 0
    forced = run_cli("apply", "narrow.json", "--yes", "--force")
    assert forced.returncode == 0, forced.stderr
    assert len(records_at(aws, zone)) == 4


def test_the_public_zone_is_found_behind_a_page_of_private_ones(
    aws: Any, run_cli: RunCli, tmp_path: Path
) -> None:
    # Split horizon: more private zones of the name than one page holds, then the public one.
    route53 = aws.client("route53")
    vpc = {"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"}
    for index in range(12):
        route53.create_hosted_zone(
            Name="example.com",
            CallerReference=f"private-{index}",
            HostedZoneConfig={"PrivateZone": True, "Comment": ""},
            VPC=vpc,
        )
    public = route53.create_hosted_zone(Name="example.com", CallerReference="public")
    public_id = public["HostedZone"]["Id"].split("/")[-1]
    aws.changes.page_size_cap = 5  # pages of 5 zones, so the lookup must follow them
    write_policy(tmp_path)
    aws.reset_log()
    result = run_cli("apply", "--yes")
    assert result.returncode == 0, result.stderr
    assert aws.count("ListHostedZonesByName") == 3  # 13 zones of the name, 5 a page
    assert len(records_at(aws, public_id)) == 34


def test_a_record_below_a_delegation_is_refused_before_writing(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    # shop.example.com is served by other name servers: origin.shop.example.com written in
    # example.com would never be seen by a resolver.
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": "shop.example.com",
                        "Type": "NS",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": "ns-1.elsewhere.example.net."}],
                    },
                }
            ]
        },
    )
    write_policy(tmp_path)
    aws.reset_log()
    result = run_cli("apply", "--yes")
    assert result.returncode == 1
    assert (
        "shop.example.com is delegated to other name servers by an NS record in zone "
        "example.com" in result.stderr
    )
    assert aws.count("ChangeResourceRecordSets") == 0
    assert records_at(aws, zone) == []


def test_a_delegation_made_after_the_plan_stops_the_saved_plan(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    assert run_cli("plan", "--out", "first.json").returncode == 0
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": "shop.example.com",
                        "Type": "NS",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": "ns-1.elsewhere.example.net."}],
                    },
                }
            ]
        },
    )
    aws.reset_log()
    result = run_cli("apply", "first.json", "--yes")
    assert result.returncode == 1
    assert "refusing to write the saved plan" in result.stderr
    assert "shop.example.com is delegated to other name servers" in result.stderr
    assert aws.count("ChangeResourceRecordSets") == 0


def test_a_more_specific_zone_that_is_not_delegated_only_warns(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    aws.client("route53").create_hosted_zone(Name="shop.example.com", CallerReference="sub")
    write_policy(tmp_path)
    result = run_cli("apply", "--yes")
    assert result.returncode == 0, result.stderr
    assert "a public hosted zone shop.example.com" in result.stderr
    assert "is not delegated to from example.com" in result.stderr
    assert len(records_at(aws, zone)) == 34
    aws.reset_log()
    assert run_cli("plan", "--detailed-exitcode").returncode == 0
    assert aws.count("ListHostedZones") == 0  # a no-op plan pays nothing for the check


@pytest.mark.slow
def test_credentials_never_appear_in_output_logs_or_plan_files(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    key, secret = "AKIAGEOPROXYFAKE1234", "geoproxy/FAKE+secret/key/0123456789abcdefXYZ"
    token = "FAKE-session-token-geoproxy-0123456789"
    env = {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token}
    write_policy(tmp_path)
    log = tmp_path / "audit.jsonl"
    outputs = [
        run_cli("plan", "--out", "plan.json", env=env),
        run_cli("--debug", "apply", "plan.json", "--yes", "--audit-log", str(log), env=env),
        run_cli(
            "--debug",
            "failover",
            "--from",
            "eu-west-1",
            "--to",
            "us-east-1",
            "--yes",
            "--audit-log",
            str(log),
            env=env,
        ),  # refused: a traceback with --debug
        run_cli(
            "--debug",
            "plan",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--retry-deadline",
            "0",
            env=env,
        ),  # an AWS error, with --debug
        run_cli("status", "-o", "json", env=env),
    ]
    assert outputs[1].returncode == 0, outputs[1].stderr
    assert "Traceback" in outputs[3].stderr  # --debug did show its traceback
    texts = [o.stdout + o.stderr for o in outputs]
    texts += [(tmp_path / "plan.json").read_text(), log.read_text()]
    for text in texts:
        for value in (key, secret, token):
            assert value not in text


# --- CloudFront aliases: certificate coverage and aliases in other accounts -----------------


def _apply_refused(aws: Any, run_cli: RunCli, tmp_path: Path, distribution: str, *args: str) -> Any:
    """Apply the CloudFront policy (or a saved plan, `args`): refused, nothing written."""
    write_policy(tmp_path, cloudfront_policy(distribution))
    aws.reset_log()
    result = run_cli("apply", *(args or ()), "--yes")
    assert result.returncode == 1, result.stdout
    assert aws.count("ChangeResourceRecordSets") == 0
    assert aws.count("UpdateDistribution") == 0
    return result


def test_an_alias_on_the_default_certificate_is_refused_before_writing(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    edit_distribution(aws, distribution, ViewerCertificate={"CloudFrontDefaultCertificate": True})
    result = _apply_refused(aws, run_cli, tmp_path, distribution)
    assert (
        f"shop: distribution {distribution} uses CloudFront's default certificate, which "
        "cannot serve aliases (shop.example.com)"
    ) in result.stderr
    assert aws.count("DescribeCertificate") == 0


def test_a_certificate_that_does_not_cover_the_alias_is_refused_before_writing(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    narrow = aws.issue_certificate("www.example.com")
    edit_distribution(
        aws,
        distribution,
        ViewerCertificate={
            "ACMCertificateArn": narrow,
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        },
    )
    result = _apply_refused(aws, run_cli, tmp_path, distribution)
    assert (
        f"the viewer certificate {narrow} (www.example.com) does not cover shop.example.com"
    ) in result.stderr
    assert aws.count("DescribeCertificate") == 1
    assert aws.count("ListConflictingAliases") == 0  # CloudFront answers it only if covered


def test_an_alias_another_account_uses_is_refused_before_writing(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    aws.foreign_aliases.add("shop.example.com")
    result = _apply_refused(aws, run_cli, tmp_path, distribution)
    assert re.search(
        r"alias shop\.example\.com is already used by CloudFront distribution "
        r"\*+\w+ in account \*+\d+; CloudFront refuses it",
        result.stderr,
    )
    assert aws.count("ListConflictingAliases") == 1


def test_the_viewer_checks_run_again_when_a_saved_plan_is_applied(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    assert run_cli("plan", "--out", "cf.json").returncode == 0
    aws.foreign_aliases.add("shop.example.com")  # the distribution's ETag does not change
    result = _apply_refused(aws, run_cli, tmp_path, distribution, "cf.json")
    assert "refusing to write the saved plan" in result.stderr
    assert "alias shop.example.com is already used" in result.stderr


def test_a_no_op_plan_reads_no_certificate(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    assert run_cli("apply", "--yes").returncode == 0
    aws.reset_log()
    assert run_cli("plan", "--detailed-exitcode").returncode == 0
    assert aws.count("DescribeCertificate") == aws.count("ListConflictingAliases") == 0
