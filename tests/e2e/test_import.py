"""`geoproxy import` against the strict emulator: a latency set built by hand, as the seed
article does (records per source region, aliases to ALBs, one region forced elsewhere),
becomes a policy that `apply --adopt` takes over without moving a route."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from geoproxy.core.iam import iam_policy
from geoproxy.policy.catalog import Catalog
from geoproxy.policy.loader import load_policy
from tests.e2e.conftest import (
    APSE1,
    EUW1,
    IAM_ACCOUNT,
    ORIGIN,
    USE1,
    RunCli,
    emulator_zone_ids,
    records_at,
    targets,
)
from tests.strictaws.iam_requests import unauthorized

pytestmark = pytest.mark.e2e

ZONES = {USE1: "Z35SXDOTRQ7X7K", EUW1: "Z32O12XQLNTSW2", APSE1: "Z1LMS91P8CMLE5"}
# source region -> the ALB it reaches, as an operator wired it: each to its nearest PoP,
# but the Middle East to Virginia (the seed article's "forced" region).
HAND_MADE = {
    "us-east-1": USE1,
    "us-west-2": USE1,
    "eu-west-1": EUW1,
    "eu-central-1": EUW1,
    "ap-southeast-1": APSE1,
    "ap-northeast-1": APSE1,
    "me-south-1": USE1,
}
IMPORT = ("import", "--zone", "example.com", "--record", "origin.shop.example.com")


def _latency(region: str, target: str, zone_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "Action": "CREATE",
        "ResourceRecordSet": {
            "Name": ORIGIN,
            "Type": "A",
            "SetIdentifier": f"hand-{region}",
            "Region": region,
            "AliasTarget": {
                "HostedZoneId": zone_id,
                "DNSName": target,
                "EvaluateTargetHealth": False,
            },
            **extra,
        },
    }


def _build_by_hand(aws: Any, zone: str, extra: list[dict[str, Any]] | None = None) -> None:
    changes = [_latency(region, target, ZONES[target]) for region, target in HAND_MADE.items()]
    changes.append(
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": ORIGIN,
                "Type": "TXT",
                "TTL": 300,
                "ResourceRecords": [{"Value": '"site-verification=abc"'}],
            },
        }
    )
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch={"Changes": changes + (extra or [])}
    )


def _check_import_iam(aws: Any, policy_file: Path) -> None:
    """import reads only: every request it made is allowed by `iam-policy --read-only` of
    the policy it wrote (what `plan` then needs anyway)."""
    policy = load_policy(policy_file, Catalog.load()).policy
    document = iam_policy(
        policy, zone_ids=emulator_zone_ids(), account_id=IAM_ACCOUNT, read_only=True
    ).document
    assert unauthorized(aws.calls, document, IAM_ACCOUNT) == []


def test_import_then_adopt_keeps_every_route_and_takes_ownership(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    _build_by_hand(aws, zone)
    before = targets(aws, zone)
    aws.reset_log()

    result = run_cli(*IMPORT, "--name", "shop", "--out", "routing.yaml", "--detailed-exitcode")

    # Findings: the hand-made set identifiers become geoproxy's. Nothing else to say.
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "set identifiers 'hand-ap-northeast-1'" in result.stderr
    assert "Wrote routing.yaml: 7 source region(s), 3 PoP(s), 1 forced" in result.stderr
    assert aws.operations() == ["ListHostedZonesByName", "ListResourceRecordSets"]
    _check_import_iam(aws, tmp_path / "routing.yaml")
    app = load_policy(tmp_path / "routing.yaml", Catalog.load()).policy.applications[0]
    assert app.force == {"me-south-1": "us-east-1"}  # only where geoproxy would differ
    assert sorted(app.source_regions) == sorted(HAND_MADE)
    assert {pop: p.target + "." for pop, p in app.pops.items()} == {
        "us-east-1": USE1,
        "eu-west-1": EUW1,
        "ap-southeast-1": APSE1,
    }

    plan = run_cli("plan", "--adopt", "--output", "json")

    assert plan.returncode == 0, plan.stderr
    changes = json.loads(plan.stdout)["applications"][0]["changes"]
    latency = [change for change in changes if change["source_region"]]
    # Every latency record is taken over in place: the same target, a new owner.
    assert sorted(change["source_region"] for change in latency) == sorted(HAND_MADE)
    for change in latency:
        assert change["action"] == "update"
        assert change["before"]["target"] == change["after"]["target"]
        assert change["after"]["set_identifier"] == f"geoproxy:{change['source_region']}@default"
    assert len(changes) == len(latency)  # nothing else moves

    applied = run_cli("apply", "--adopt", "--yes")

    assert applied.returncode == 0, applied.stderr
    assert targets(aws, zone) == before
    latency_records = [record for record in records_at(aws, zone) if "Region" in record]
    assert {r["SetIdentifier"] for r in latency_records} == {
        f"geoproxy:{region}@default" for region in HAND_MADE
    }
    assert any(record["Type"] == "TXT" for record in records_at(aws, zone))  # not ours: kept
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


def test_a_target_that_is_no_load_balancer_is_reported_and_left_alone(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    cloudfront = _latency("sa-east-1", "d111111abcdef8.cloudfront.net.", "Z2FDTNDATAQYW2")
    _build_by_hand(aws, zone, [cloudfront])

    result = run_cli(*IMPORT, "--output", "json", "--detailed-exitcode")

    assert result.returncode == 2, result.stderr
    document = json.loads(result.stdout)
    assert document["kind"] == "import"
    codes = [finding["code"] for finding in document["findings"]]
    assert "import_target" in codes and "import_left_out" in codes
    target = next(f for f in document["findings"] if f["code"] == "import_target")
    assert "d111111abcdef8.cloudfront.net" in target["message"]
    assert "sa-east-1" not in document["routes"]
    assert "sa-east-1" not in document["policy"]
    (tmp_path / "routing.yaml").write_text(document["policy"], encoding="utf-8")

    applied = run_cli("apply", "--adopt", "--yes")

    assert applied.returncode == 0, applied.stderr
    kept = [record for record in records_at(aws, zone) if record.get("Region") == "sa-east-1"]
    assert [record["SetIdentifier"] for record in kept] == ["hand-sa-east-1"]


def test_a_missing_record_is_a_clear_error_and_nothing_is_written(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    result = run_cli(*IMPORT, "--out", "routing.yaml")

    assert result.returncode == 1
    assert "Error: no record at origin.shop.example.com in hosted zone example.com" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "routing.yaml").exists()


def test_an_existing_out_file_is_not_overwritten(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    _build_by_hand(aws, zone)
    mine = tmp_path / "routing.yaml"
    mine.write_text("# my policy\n", encoding="utf-8")
    aws.reset_log()

    refused = run_cli(*IMPORT, "--out", "routing.yaml")

    assert refused.returncode == 1
    assert "--out routing.yaml exists; not overwriting it" in refused.stderr
    assert mine.read_text(encoding="utf-8") == "# my policy\n"
    assert aws.count() == 0  # refused before any request

    replaced = run_cli(*IMPORT, "--out", "routing.yaml", "--overwrite")

    assert replaced.returncode == 0, replaced.stderr
    assert "version: 1" in mine.read_text(encoding="utf-8")


def _pop_behind(aws: Any, zone: str, name: str) -> str:
    """The load balancer a name's A record reaches while healthy: through a failover pair's
    PRIMARY when it aliases into the zone."""
    record = next(r for r in records_at(aws, zone, name) if r["Type"] == "A")
    if "Failover" in record:
        record = next(r for r in records_at(aws, zone, name) if r.get("Failover") == "PRIMARY")
    target = record["AliasTarget"]
    if target["HostedZoneId"] == zone:
        return _pop_behind(aws, zone, target["DNSName"])
    return str(target["DNSName"])


def test_hand_made_failover_pairs_import_as_auto_failover_and_adopt_keeps_every_route(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    pairs = {"us-east-1": (USE1, EUW1), "eu-west-1": (EUW1, USE1)}  # PoP -> PRIMARY, SECONDARY
    sources = {"us-east-1": "us-east-1", "us-west-2": "us-east-1", "eu-west-1": "eu-west-1"}
    changes = []
    for pop, (primary, secondary) in pairs.items():
        for role, target in (("PRIMARY", primary), ("SECONDARY", secondary)):
            changes.append(
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": f"{pop}.pairs.example.com.",
                        "Type": "A",
                        "SetIdentifier": f"{pop}-{role.lower()}",
                        "Failover": role,
                        "AliasTarget": {
                            "HostedZoneId": ZONES[target],
                            "DNSName": target,
                            "EvaluateTargetHealth": role == "PRIMARY",
                        },
                    },
                }
            )
    changes += [
        _latency(source, f"{pop}.pairs.example.com.", zone) for source, pop in sources.items()
    ]
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch={"Changes": changes}
    )
    before = {
        source: _pop_behind(aws, zone, f"{pop}.pairs.example.com.")
        for source, pop in sources.items()
    }
    aws.reset_log()

    result = run_cli(*IMPORT, "--name", "shop", "--out", "routing.yaml", "--output", "json")

    assert result.returncode == 0, result.stderr
    # One listing from the record's name, one per hand-made pair elsewhere in the zone.
    assert aws.operations() == ["ListHostedZonesByName"] + ["ListResourceRecordSets"] * 3
    document = json.loads(result.stdout)
    assert document["routes"] == sources
    codes = sorted(finding["code"] for finding in document["findings"])
    assert codes == ["import_failover_pair", "import_failover_pair", "import_set_identifier"]
    app = load_policy(tmp_path / "routing.yaml", Catalog.load()).policy.applications[0]
    assert app.auto_failover is True
    assert {pop: p.failover_to for pop, p in app.pops.items()} == {
        "eu-west-1": "us-east-1",
        "us-east-1": "eu-west-1",
    }

    applied = run_cli("apply", "--adopt", "--yes")

    assert applied.returncode == 0, applied.stderr
    after = {
        record["Region"]: _pop_behind(aws, zone, record["AliasTarget"]["DNSName"])
        for record in records_at(aws, zone)
        if "Region" in record
    }
    assert after == before
    assert all(
        record["SetIdentifier"].endswith("@default")
        for record in records_at(aws, zone)
        if "Region" in record
    )
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


def test_the_schema_is_written_beside_as_init_does_and_yaml_goes_to_stdout_without_out(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    _build_by_hand(aws, zone)

    printed = run_cli(*IMPORT)
    written = run_cli(*IMPORT, "--out", "routing.yaml")

    assert printed.returncode == 0 and written.returncode == 0, written.stderr
    assert printed.stdout.startswith("# yaml-language-server: $schema=routing.schema.json")
    assert "Finding: set identifiers" in printed.stderr  # findings never mix with the YAML
    assert (tmp_path / "routing.schema.json").exists()
    body = (tmp_path / "routing.yaml").read_text(encoding="utf-8")
    assert body.splitlines()[4:] == printed.stdout.splitlines()[4:]  # past the dated header


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("import", "--zone", "example.com", "--record", "origin.example.net"),
            "--record origin.example.net is not in --zone example.com",
        ),
        (
            ("import", "--zone", "example.com", "--record", "bad..name.example.com"),
            "'bad..name.example.com' is not a valid DNS name",
        ),
        ((*IMPORT, "--name", "-x"), "--name '-x' is not an application name"),
        ((*IMPORT, "--owner", "Team@B"), "--owner 'Team@B' is not an owner"),
        ((*IMPORT, "--zone-id", "not a zone"), "--zone-id: 'not a zone' is not a hosted zone id"),
    ],
)
def test_bad_flags_are_one_message_before_any_request(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    aws.reset_log()

    result = run_cli(*args, "--out", "routing.yaml")

    assert result.returncode == 1
    assert f"Error: {message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert aws.count() == 0
    assert not (tmp_path / "routing.yaml").exists()


def test_a_zone_that_does_not_exist_is_an_error(aws: Any, run_cli: RunCli) -> None:
    result = run_cli(*IMPORT, "--output", "json")

    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["kind"] == "aws"
    assert "no public hosted zone named example.com" in result.stderr


def _table_with_virginia_nearest_to_bahrain(path: Path) -> None:
    """The shipped table, but me-south-1 measured closest to us-east-1: under it the
    hand-made Middle East route is geoproxy's own choice, not a forced one."""
    from geoproxy.policy.latency import SHIPPED

    shipped = Path(__file__).parents[2] / "geoproxy" / "data" / SHIPPED
    table = json.loads(shipped.read_text(encoding="utf-8"))
    table["rtt_ms"]["me-south-1"]["us-east-1"] = 1.0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(table), encoding="utf-8")


def test_a_latency_table_judges_nearest_and_the_policy_names_it(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    _build_by_hand(aws, zone)
    _table_with_virginia_nearest_to_bahrain(tmp_path / "tables" / "mine.json")
    (tmp_path / "policy").mkdir()
    before = targets(aws, zone)
    aws.reset_log()

    result = run_cli(
        *IMPORT,
        "--latency-table",
        "tables/mine.json",
        "--out",
        "policy/routing.yaml",
        "--output",
        "json",
    )

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    # With the shipped table me-south-1 is forced to us-east-1 (the first test); here it is
    # the nearest, so nothing is forced.
    assert document["force"] == {}
    assert document["latency_table"] == "../tables/mine.json"
    assert aws.operations() == ["ListHostedZonesByName", "ListResourceRecordSets"]
    policy = load_policy(tmp_path / "policy" / "routing.yaml", Catalog.load()).policy
    assert policy.latency_table == "../tables/mine.json"  # relative to the policy, as read
    assert policy.applications[0].force == {}

    applied = run_cli("apply", "--adopt", "--yes", "-f", "policy/routing.yaml")

    assert applied.returncode == 0, applied.stderr
    assert targets(aws, zone) == before  # no route moved: the policy routes as judged
    assert run_cli("plan", "--detailed-exitcode", "-f", "policy/routing.yaml").returncode == 0


def test_a_bad_latency_table_is_one_message_before_any_request(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    (tmp_path / "bad.json").write_text('{"format": "geoproxy-latency-table"}', encoding="utf-8")
    aws.reset_log()

    missing = run_cli(*IMPORT, "--latency-table", "missing.json", "--out", "routing.yaml")
    bad = run_cli(*IMPORT, "--latency-table", "bad.json", "--out", "routing.yaml")
    over = run_cli(*IMPORT, "--latency-table", "bad.json", "--out", "bad.json", "--overwrite")

    for result in (missing, bad, over):
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
    assert "missing.json" in missing.stderr
    assert "bad.json" in bad.stderr and "rtt_ms" in bad.stderr
    assert "--out bad.json is the latency table" in over.stderr
    assert aws.count() == 0
    assert not (tmp_path / "routing.yaml").exists()
    assert (tmp_path / "bad.json").read_text(encoding="utf-8").startswith('{"format"')
