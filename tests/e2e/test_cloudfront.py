"""CloudFront end to end: the one distribution follows the geo-routed origin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_POLICY, write_policy
from tests.e2e.conftest import (
    CACHE_POLICY,
    ORIGIN,
    VIEWER,
    RunCli,
    cloudfront_policy,
    config_of,
    edit_distribution,
    records_at,
    run_on_terminal,
)

pytestmark = pytest.mark.e2e


def unmanaged(config: dict[str, Any]) -> dict[str, Any]:
    """The config without the parts geoproxy manages."""
    rest = {
        key: value
        for key, value in config.items()
        if key not in ("Aliases", "Restrictions", "OriginGroups")
    }
    rest["Origins"] = [o for o in config["Origins"]["Items"] if not o["Id"].startswith("geoproxy-")]
    rest["DefaultCacheBehavior"] = {
        k: v for k, v in config["DefaultCacheBehavior"].items() if k != "TargetOriginId"
    }
    return rest


@pytest.mark.slow
def test_apply_points_the_distribution_at_the_geo_origin_in_order(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    before = config_of(aws, distribution)
    domain = aws.client("cloudfront").get_distribution(Id=distribution)["Distribution"][
        "DomainName"
    ]
    write_policy(tmp_path, cloudfront_policy(distribution))
    aws.reset_log()

    result = run_cli("apply", "--yes")

    assert result.returncode == 0, result.stderr
    after = config_of(aws, distribution)
    origins = {o["Id"]: o for o in after["Origins"]["Items"]}
    assert origins["geoproxy-shop"]["DomainName"] == ORIGIN.rstrip(".")
    assert origins["geoproxy-shop"]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert after["DefaultCacheBehavior"]["TargetOriginId"] == "geoproxy-shop"
    assert after["Aliases"]["Items"] == ["shop.example.com"]
    geo = after["Restrictions"]["GeoRestriction"]
    assert (geo["RestrictionType"], geo["Items"]) == ("blacklist", ["KP"])
    assert unmanaged(after) == unmanaged(before)
    viewers = {r["Type"]: r for r in records_at(aws, zone, VIEWER)}
    assert set(viewers) == {"A", "AAAA"}  # the distribution has IPv6 enabled
    for record in viewers.values():
        assert record["AliasTarget"] == {
            "HostedZoneId": "Z2FDTNDATAQYW2",
            "DNSName": domain + ".",
            "EvaluateTargetHealth": False,
        }
    writes = [
        op
        for op in aws.operations()
        if op in ("ChangeResourceRecordSets", "GetChange", "UpdateDistribution")
    ]
    # Latency records, INSYNC, the distribution, then the viewer records.
    assert writes[:3] == ["ChangeResourceRecordSets", "GetChange", "GetChange"]
    assert writes[3] == "UpdateDistribution"
    assert writes[4] == "ChangeResourceRecordSets"
    assert aws.count("UpdateDistribution") == 1

    aws.reset_log()
    assert run_cli("plan", "--detailed-exitcode").returncode == 0
    # The viewer alias lies outside the record's subtree, but one listing of the zone
    # reads both.
    assert aws.operations() == [
        "GetDistribution",
        "ListHostedZonesByName",
        "ListResourceRecordSets",
    ]  # 3
    again = run_cli("apply", "--yes")
    assert again.returncode == 0
    assert aws.count("UpdateDistribution") == 0
    assert aws.count("ChangeResourceRecordSets") == 0


def test_plan_shows_the_distribution_diff_field_by_field(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    result = run_cli("plan", "--output", "json", "--detailed-exitcode")
    assert result.returncode == 2
    app = json.loads(result.stdout)["applications"][0]
    fields = {change["field"]: change for change in app["cloudfront"]["changes"]}
    assert set(fields) == {
        "Origins[geoproxy-shop]",
        "DefaultCacheBehavior.TargetOriginId",
        "Aliases",
        "Restrictions.GeoRestriction",
    }
    assert fields["DefaultCacheBehavior.TargetOriginId"]["before"] == "legacy"
    assert fields["Aliases"]["after"] == ["shop.example.com"]
    text = run_cli("plan").stdout
    assert f"cloudfront {distribution} DefaultCacheBehavior.TargetOriginId" in text
    assert "legacy → geoproxy-shop" in text


def _apply_on_terminal(aws: Any, cwd: Path, edit: Any) -> tuple[int, str]:
    """Run apply with a terminal, make `edit` while it waits at the prompt, then say yes."""
    code, out, err = run_on_terminal(
        aws, cwd, "y", "apply", wait_for="GetDistribution", at_prompt=edit, seconds_at_prompt=1.0
    )
    return code, out + err


def test_an_edit_between_plan_and_apply_is_kept(
    aws: Any, zone: str, distribution: str, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    code, output = _apply_on_terminal(
        aws, tmp_path, lambda: edit_distribution(aws, distribution, Comment="edited by ops")
    )
    assert code == 0, output
    after = config_of(aws, distribution)
    assert after["Comment"] == "edited by ops"  # their edit survived
    assert after["DefaultCacheBehavior"]["TargetOriginId"] == "geoproxy-shop"  # and ours landed
    assert aws.count("UpdateDistribution") == 3  # theirs, ours refused (stale), ours again


def test_an_edit_to_geoproxys_fields_stops_the_apply(
    aws: Any, zone: str, distribution: str, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    code, output = _apply_on_terminal(
        aws,
        tmp_path,
        lambda: edit_distribution(
            aws, distribution, Aliases={"Quantity": 1, "Items": ["other.example.com"]}
        ),
    )
    assert code == 1
    assert "changed since the plan" in output
    after = config_of(aws, distribution)
    assert after["Aliases"]["Items"] == ["other.example.com"]  # never overwritten
    assert after["DefaultCacheBehavior"]["TargetOriginId"] == "legacy"


@pytest.mark.slow
def test_a_failure_between_steps_is_completed_by_a_rerun(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    # A refusal no retry can fix (a 503 would be retried until it passes).
    aws.inject("UpdateDistribution", code="AccessDenied", status=403, times=1)
    failed = run_cli("apply", "--yes")
    assert failed.returncode == 1
    assert "already applied: change" in failed.stderr
    assert f"not written: change batch 2 of 2 (zone {zone}), distribution {distribution}" in (
        failed.stderr
    )
    assert len(records_at(aws, zone)) == 34  # step one landed
    assert records_at(aws, zone, VIEWER) == []  # step three did not
    assert config_of(aws, distribution)["DefaultCacheBehavior"]["TargetOriginId"] == "legacy"

    aws.reset_log()
    rerun = run_cli("apply", "--yes")
    assert rerun.returncode == 0, rerun.stderr
    assert aws.count("UpdateDistribution") == 1
    assert config_of(aws, distribution)["DefaultCacheBehavior"]["TargetOriginId"] == (
        "geoproxy-shop"
    )
    assert len(records_at(aws, zone, VIEWER)) == 2
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


@pytest.mark.slow
def test_failover_never_touches_the_distribution(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    assert run_cli("apply", "--yes").returncode == 0
    aws.reset_log()
    result = run_cli("failover", "--from", "us-east-1", "--to", "eu-west-1", "--yes")
    assert result.returncode == 0, result.stderr
    assert not [op for op in aws.operations() if "Distribution" in op]
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


@pytest.mark.slow
def test_origin_failover_adds_a_direct_origin_and_an_origin_group(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(
        tmp_path,
        cloudfront_policy(distribution, "      origin_failover: {secondary_pop: eu-west-1}\n"),
    )
    result = run_cli("apply", "--yes")
    assert result.returncode == 0, result.stderr
    after = config_of(aws, distribution)
    origins = {o["Id"]: o["DomainName"] for o in after["Origins"]["Items"]}
    assert origins["geoproxy-shop-eu-west-1"] == "eu-west-1.origin.shop.example.com"
    group = after["OriginGroups"]["Items"][0]
    assert group["Id"] == "geoproxy-shop-group"
    assert [m["OriginId"] for m in group["Members"]["Items"]] == [
        "geoproxy-shop",
        "geoproxy-shop-eu-west-1",
    ]
    assert sorted(group["FailoverCriteria"]["StatusCodes"]["Items"]) == [500, 502, 503, 504]
    assert after["DefaultCacheBehavior"]["TargetOriginId"] == "geoproxy-shop-group"
    direct = records_at(aws, zone, "eu-west-1." + ORIGIN)
    assert [r["AliasTarget"]["DNSName"] for r in direct] == [
        "shop-euw1-456.eu-west-1.elb.amazonaws.com."
    ]
    assert run_cli("plan", "--detailed-exitcode").returncode == 0

    write_policy(tmp_path, cloudfront_policy(distribution))  # and off again
    assert run_cli("apply", "--yes").returncode == 0
    after = config_of(aws, distribution)
    assert [o["Id"] for o in after["Origins"]["Items"]] == ["legacy", "assets", "geoproxy-shop"]
    assert after["DefaultCacheBehavior"]["TargetOriginId"] == "geoproxy-shop"
    assert records_at(aws, zone, "eu-west-1." + ORIGIN) == []


def test_wait_deployed(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    result = run_cli("apply", "--yes", "--wait-deployed", "--output", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["deployed"] is True
    assert document["distributions_updated"] == [distribution]


def test_a_distribution_that_does_not_exist(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy("E0NOSUCHDIST1"))
    result = run_cli("apply", "--yes")
    assert result.returncode == 1
    assert "CloudFront distribution E0NOSUCHDIST1 does not exist" in result.stderr
    assert aws.count("ChangeResourceRecordSets") == 0


def test_an_alias_another_distribution_uses(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    other = config_of(aws, distribution)
    other.update(CallerReference="other", Aliases={"Quantity": 1, "Items": ["shop.example.com"]})
    other_id = aws.client("cloudfront").create_distribution(DistributionConfig=other)[
        "Distribution"
    ]["Id"]
    write_policy(tmp_path, cloudfront_policy(distribution))
    aws.reset_log()
    result = run_cli("apply", "--yes")
    assert result.returncode == 1
    assert f"alias shop.example.com is already used by CloudFront distribution {other_id}" in (
        result.stderr
    )
    assert aws.count("ChangeResourceRecordSets") == 0
    assert aws.count("UpdateDistribution") == 0


@pytest.mark.parametrize(
    ("countries", "message"),
    [
        ("[KP, XX]", "not ISO 3166-1 alpha-2 country codes: XX"),
        ("[NO]", "YAML reads NO, YES, ON and OFF as booleans"),
    ],
)
def test_bad_country_codes(
    aws: Any, run_cli: RunCli, tmp_path: Path, countries: str, message: str
) -> None:
    write_policy(tmp_path, cloudfront_policy("E2EXAMPLE123").replace("[KP]", countries))
    result = run_cli("validate")
    assert result.returncode == 1
    assert "cloudfront.geo_restriction.countries" in result.stderr
    assert message in result.stderr


def test_every_write_is_in_the_audit_log(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    log = tmp_path / "audit.jsonl"
    assert run_cli("apply", "--yes", "--audit-log", str(log)).returncode == 0
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(line["service"], line["action"]) for line in lines] == [
        ("route53", "ChangeResourceRecordSets"),
        ("cloudfront", "UpdateDistribution"),
        ("route53", "ChangeResourceRecordSets"),
    ]
    assert lines[1]["distribution_id"] == distribution
    assert "Aliases" in lines[1]["fields"]
    assert {record["name"] for record in lines[2]["records"]} == {VIEWER}


@pytest.mark.slow
def test_a_user_behaviour_on_an_origin_geoproxy_would_remove_is_refused(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(
        tmp_path,
        cloudfront_policy(distribution, "      origin_failover: {secondary_pop: eu-west-1}\n"),
    )
    assert run_cli("apply", "--yes").returncode == 0
    edit_distribution(
        aws,
        distribution,
        CacheBehaviors={
            "Quantity": 1,
            "Items": [
                {
                    "PathPattern": "/api/*",
                    "TargetOriginId": "geoproxy-shop-group",
                    "ViewerProtocolPolicy": "https-only",
                    "CachePolicyId": CACHE_POLICY,
                }
            ],
        },
    )
    write_policy(tmp_path, cloudfront_policy(distribution))  # origin failover off
    aws.reset_log()
    result = run_cli("apply", "--yes")
    assert result.returncode == 1
    assert (
        "cache behaviour /api/* targets geoproxy-shop-group, which geoproxy would remove"
        in result.stderr
    )
    assert aws.count("UpdateDistribution") == 0
    assert aws.count("ChangeResourceRecordSets") == 0


def test_origin_failover_to_a_pop_the_fence_forbids_is_invalid(
    aws: Any, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(
        tmp_path,
        cloudfront_policy("E2EXAMPLE123", "      origin_failover: {secondary_pop: us-east-1}\n"),
    )
    result = run_cli("validate")
    assert result.returncode == 1
    assert "applications[0].cloudfront.origin_failover.secondary_pop" in result.stderr
    assert "compliance rule 'gdpr': origin failover would send requests from" in result.stderr


def test_adopting_a_record_at_an_alias_replaces_it_in_the_viewer_batch(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": VIEWER,
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "192.0.2.80"}],
                    },
                }
            ]
        },
    )
    write_policy(tmp_path, cloudfront_policy(distribution))
    assert run_cli("apply", "--yes").returncode == 1  # a conflict without --adopt
    log = tmp_path / "audit.jsonl"
    result = run_cli("apply", "--yes", "--adopt", "--audit-log", str(log))
    assert result.returncode == 0, result.stderr
    batches = [
        json.loads(line)
        for line in log.read_text().splitlines()
        if json.loads(line)["action"] == "ChangeResourceRecordSets"
    ]
    # The old answer stays until the viewer record replaces it, atomically, after the
    # distribution carries the alias: never a moment without an answer.
    assert [
        (r["action"], r["set_identifier"])
        for r in batches[-1]["records"]
        if r["name"] == VIEWER and r["type"] == "A"
    ] == [("DELETE", None), ("CREATE", "geoproxy:viewer@default")]


@pytest.mark.slow
def test_dropping_the_cloudfront_section_keeps_the_fallback_name(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(
        tmp_path,
        cloudfront_policy(distribution, "      origin_failover: {secondary_pop: eu-west-1}\n"),
    )
    assert run_cli("apply", "--yes").returncode == 0
    write_policy(tmp_path, EXAMPLE_POLICY)
    result = run_cli("apply", "--yes")
    assert result.returncode == 0, result.stderr
    # The distribution, no longer managed, still falls back to it.
    assert len(records_at(aws, zone, "eu-west-1." + ORIGIN)) == 1
    assert config_of(aws, distribution)["DefaultCacheBehavior"]["TargetOriginId"] == (
        "geoproxy-shop-group"
    )


def test_origin_failover_onto_a_behaviour_allowing_writes_is_refused_before_writing(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    # CloudFront would refuse the update after the Route 53 phase had been written.
    edit_distribution(
        aws,
        distribution,
        DefaultCacheBehavior={
            **config_of(aws, distribution)["DefaultCacheBehavior"],
            "AllowedMethods": {
                "Quantity": 7,
                "Items": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
                "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
            },
        },
    )
    write_policy(
        tmp_path,
        cloudfront_policy(distribution, "      origin_failover: {secondary_pop: eu-west-1}\n"),
    )
    aws.reset_log()
    result = run_cli("apply", "--yes")
    assert result.returncode == 1
    assert "origin_failover puts the default behaviour on an origin group" in result.stderr
    assert "allows PUT, POST, PATCH, DELETE too" in result.stderr
    assert aws.count("ChangeResourceRecordSets") == 0 and aws.count("UpdateDistribution") == 0
    assert records_at(aws, zone) == []


# --- Origin Shield (issue 23) ----------------------------------------------------------------


def shield_geoproxys_origin(aws: Any, distribution: str, region: str = "eu-west-1") -> None:
    config = config_of(aws, distribution)
    origins = [
        {**origin, "OriginShield": {"Enabled": True, "OriginShieldRegion": region}}
        if origin["Id"] == "geoproxy-shop"
        else origin
        for origin in config["Origins"]["Items"]
    ]
    edit_distribution(aws, distribution, Origins={"Quantity": len(origins), "Items": origins})


def test_origin_shield_on_geoproxys_origin_is_refused_with_the_reason(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    """With Origin Shield, CloudFront asks for the origin from the shield's region only: one
    PoP would serve everyone. geoproxy keeps the origin's other settings, so it must look."""
    write_policy(tmp_path, cloudfront_policy(distribution))
    assert run_cli("apply", "--yes").returncode == 0
    shield_geoproxys_origin(aws, distribution)
    write_policy(
        tmp_path,
        cloudfront_policy(distribution).replace("countries: [KP]}", "countries: [KP, CU]}"),
    )  # a change for apply to make
    aws.reset_log()

    result = run_cli("apply", "--yes")

    assert result.returncode == 1
    assert (
        "Origin Shield is enabled on geoproxy's origin geoproxy-shop (Origin Shield in eu-west-1)"
    ) in result.stderr
    assert "one PoP serves all viewers" in result.stderr
    assert "cloudfront.origin_shield: allow" in result.stderr
    assert aws.count("UpdateDistribution") == 0
    assert aws.count("ChangeResourceRecordSets") == 0
    planned = run_cli("plan")
    assert planned.returncode != 0 and "Origin Shield is enabled" in (
        planned.stdout + planned.stderr
    )


def test_origin_shield_allowed_by_the_policy_applies_with_a_warning(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    assert run_cli("apply", "--yes").returncode == 0
    shield_geoproxys_origin(aws, distribution)
    write_policy(
        tmp_path,
        cloudfront_policy(distribution, "      origin_shield: allow\n").replace(
            "countries: [KP]}", "countries: [KP, CU]}"
        ),
    )

    result = run_cli("apply", "--yes")

    assert result.returncode == 0, result.stderr
    assert "allowed by cloudfront.origin_shield: allow" in result.stdout + result.stderr
    origin = next(
        o for o in config_of(aws, distribution)["Origins"]["Items"] if o["Id"] == "geoproxy-shop"
    )
    assert origin["OriginShield"] == {"Enabled": True, "OriginShieldRegion": "eu-west-1"}
