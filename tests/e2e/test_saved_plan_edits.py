"""Issue 24, scenario 2: a saved plan applies as reviewed, or not at all.

Each plan here is edited the way someone who can write the file would, and its checksum
recomputed (anyone can: it is SHA-256 over canonical JSON). Today's checksum alone let every
one of these through; format 2 judges the change set itself, and a signature (OpenSSH
`ssh-keygen -Y`) catches the edits that are well-formed."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from geoproxy.core.changeset import from_json
from geoproxy.core.saved_plan_checks import review_lines
from tests.conftest import EXAMPLE_POLICY, write_policy
from tests.e2e.conftest import (
    TOKYO_POP,
    RunCli,
    cloudfront_policy,
    config_of,
    records_at,
    targets,
)

pytestmark = pytest.mark.e2e

CHANGE = "ChangeResourceRecordSets"
EVIL = "evil-lb-1.us-east-1.elb.amazonaws.com."
TOKYO_POLICY = EXAMPLE_POLICY.replace("    pops:\n", "    pops:\n" + TOKYO_POP, 1)
needs_ssh_keygen = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="no ssh-keygen")


def reseal(document: dict[str, Any], *, text: bool = False) -> dict[str, Any]:
    """What an editor of the file does: recompute the checksum (and, with `text`, the text
    geoproxy would render from the edited changes, so the prose agrees)."""
    if text:
        changes = {k: v for k, v in document["changes"].items() if k != "kind"}
        document["text"] = review_lines(from_json(changes))
    body = {k: v for k, v in document.items() if k not in ("checksum", "signature")}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    document["checksum"] = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    return document


def load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def store(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2))


def creates(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        change["ResourceRecordSet"]
        for phase in ("before_distributions", "after_distributions")
        for batches in document["changes"][phase].values()
        for batch in batches
        for change in batch
        if change["Action"] == "CREATE"
    ]


def first_batch(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(next(iter(document["changes"]["before_distributions"].values()))[0])


def repoint_three(document: dict[str, Any]) -> None:
    latency = [r for r in creates(document) if "Region" in r][:3]
    assert len(latency) == 3
    for record_set in latency:
        record_set["AliasTarget"]["DNSName"] = EVIL


def test_an_edited_dr_plan_is_refused_and_nothing_is_written(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    """The issue's DR plan, three records pointed at another load balancer and the checksum
    recomputed: main applied it with exit 0, and nothing on screen said so."""
    assert (
        run_cli("failover", "--from", "eu-west-1", "--dry-run", "--out", "dr.json").returncode == 0
    )
    document = load(tmp_path / "dr.json")
    repoint_three(document)
    store(tmp_path / "dr.json", reseal(document))
    aws.reset_log()
    result = run_cli("apply", "dr.json", "--yes", "--output", "json")
    assert result.returncode == 1, result.stderr
    assert "does not apply as reviewed" in result.stderr
    assert "the plan's text does not say what its changes do" in result.stderr
    assert json.loads(result.stdout)["error"]["kind"] == "plan_file_invalid"
    assert aws.count(CHANGE) == 0
    assert targets(aws, zone) == applied


def test_an_edit_with_matching_text_is_on_screen_and_refused_by_a_signature(
    aws: Any, zone: str, run_cli: RunCli, applied: dict[str, str], tmp_path: Path
) -> None:
    """An editor who also rewrites the text: what apply prints comes from the changes, so
    the other load balancer is on screen; with a verifying key, the plan is refused."""
    keys = make_keys(tmp_path)
    assert (
        run_cli("failover", "--from", "eu-west-1", "--dry-run", "--out", "dr.json").returncode == 0
    )
    assert run_cli("sign", "dr.json", "--key", str(keys["ops"])).returncode == 0
    document = load(tmp_path / "dr.json")
    repoint_three(document)
    store(tmp_path / "dr.json", reseal(document, text=True))
    shown = run_cli("show", "dr.json")
    assert shown.returncode == 0, shown.stderr
    assert EVIL.rstrip(".") in shown.stdout  # the screen shows what would be written
    aws.reset_log()
    env = {"GEOPROXY_PLAN_VERIFY_KEY": str(keys["ops.pub"])}
    result = run_cli("apply", "dr.json", "--yes", env=env)
    assert result.returncode == 1, result.stderr
    assert "its signature does not verify" in result.stderr
    assert aws.count(CHANGE) == 0
    assert targets(aws, zone) == applied


WWW = {
    "Name": "www.example.com.",
    "Type": "A",
    "TTL": 60,
    "ResourceRecords": [{"Value": "192.0.2.10"}],
}


def tokyo_plan(aws: Any, zone: str, run_cli: RunCli, tmp_path: Path) -> dict[str, Any]:
    """The example applied, www.example.com beside it (not geoproxy's), and a plan that adds
    a Tokyo PoP (a few updates)."""
    write_policy(tmp_path)
    assert run_cli("apply", "--yes").returncode == 0
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": WWW}]}
    )
    write_policy(tmp_path, TOKYO_POLICY)
    assert run_cli("plan", "--out", "tokyo.json").returncode == 0
    return load(tmp_path / "tokyo.json")


def untouched_latency(aws: Any, zone: str, document: dict[str, Any]) -> list[dict[str, Any]]:
    touched = {(r["Type"], r.get("SetIdentifier")) for r in creates(document)}
    return [
        r
        for r in records_at(aws, zone)
        if "Region" in r and (r["Type"], r.get("SetIdentifier")) not in touched
    ]


def test_a_plan_that_says_little_and_deletes_much_is_refused(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    """The issue's plan: its text and summary as reviewed, yet it also deletes
    www.example.com (not geoproxy's) and most latency records, with `mass_deletions: []`.
    Main applied it, exit 0, without --force."""
    document = tokyo_plan(aws, zone, run_cli, tmp_path)
    deleted = [WWW, *untouched_latency(aws, zone, document)]
    document["changes"]["before_distributions"][zone][0] = [
        *first_batch(document),
        *({"Action": "DELETE", "ResourceRecordSet": record} for record in deleted),
    ]
    assert document["mass_deletions"] == []
    store(tmp_path / "tokyo.json", reseal(document))
    aws.reset_log()
    result = run_cli("apply", "tokyo.json", "--yes")
    assert result.returncode == 1, result.stderr
    assert "the plan's summary does not match its changes: delete 0" in result.stderr
    assert "www.example.com A: not the record of any application in the plan" in result.stderr
    assert aws.count(CHANGE) == 0
    assert len(records_at(aws, zone)) == 34
    assert records_at(aws, zone, "www.example.com.") != []


def test_mass_deletions_are_counted_from_the_changes_not_the_file(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    """Most latency records deleted, the prose made to agree and `mass_deletions: []`: the
    guard still holds without --force, and --force passes it."""
    document = tokyo_plan(aws, zone, run_cli, tmp_path)
    deleted = untouched_latency(aws, zone, document)
    document["changes"]["before_distributions"][zone][0] = [
        *first_batch(document),
        *({"Action": "DELETE", "ResourceRecordSet": record} for record in deleted),
    ]
    document["plan"]["summary"]["delete"] = len(deleted)
    document["mass_deletions"] = []
    store(tmp_path / "tokyo.json", reseal(document, text=True))
    aws.reset_log()
    result = run_cli("apply", "tokyo.json", "--yes")
    assert result.returncode == 1, result.stderr
    assert "refusing to delete most of an application's records" in result.stderr
    assert f"shop: the plan deletes {len(deleted)} of its 34 routing records" in result.stderr
    assert aws.count(CHANGE) == 0
    assert len(records_at(aws, zone)) == 34
    forced = run_cli("apply", "tokyo.json", "--yes", "--force")
    assert forced.returncode == 0, forced.stderr
    assert len(records_at(aws, zone)) == 34 - len(deleted)


@pytest.mark.slow
def test_a_new_config_that_changes_the_web_acl_or_certificate_is_refused(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    assert run_cli("plan", "--out", "cf.json").returncode == 0
    before = config_of(aws, distribution)
    for edit in (
        lambda c: c.update(WebACLId="arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1"),
        lambda c: c["ViewerCertificate"].update(CloudFrontDefaultCertificate=True),
    ):
        document = load(tmp_path / "cf.json")
        edit(document["changes"]["distributions"][0]["new_config"])
        store(tmp_path / "edited.json", reseal(document, text=True))
        aws.reset_log()
        result = run_cli("apply", "edited.json", "--yes")
        assert result.returncode == 1, result.stderr
        assert "which geoproxy does not manage" in result.stderr
        assert aws.count(CHANGE) == 0 and aws.count("UpdateDistribution") == 0
    # The same edit in both the config it expects and the one it writes: live says no.
    document = load(tmp_path / "cf.json")
    for key in ("config", "new_config"):
        document["changes"]["distributions"][0][key]["WebACLId"] = "arn:aws:wafv2:x"
    store(tmp_path / "edited.json", reseal(document, text=True))
    result = run_cli("apply", "edited.json", "--yes")
    assert result.returncode == 1, result.stderr
    assert "differs from the live one (same ETag) in WebACLId" in result.stderr
    assert aws.count("UpdateDistribution") == 0
    assert config_of(aws, distribution) == before


def test_zone_ids_must_be_the_plans_applications(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    assert run_cli("plan", "--out", "plan.json").returncode == 0
    other = aws.client("route53").create_hosted_zone(Name="example.org", CallerReference="x")
    other_id = other["HostedZone"]["Id"].split("/")[-1]
    document = load(tmp_path / "plan.json")
    phase = document["changes"]["before_distributions"]
    phase[other_id] = phase.pop(zone)
    store(tmp_path / "plan.json", reseal(document, text=True))
    result = run_cli("apply", "plan.json", "--yes")
    assert result.returncode == 1, result.stderr
    assert f"hosted zone {other_id} is not the zone of any application" in result.stderr
    assert records_at(aws, zone) == []


# --- signatures ------------------------------------------------------------------------------


def make_keys(tmp_path: Path) -> dict[str, Path]:
    if shutil.which("ssh-keygen") is None:
        pytest.skip("no ssh-keygen")
    keys = {}
    for name in ("ops", "intruder"):
        path = tmp_path / "keys" / name
        path.parent.mkdir(exist_ok=True)
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)],
            check=True,
        )
        keys[name], keys[f"{name}.pub"] = path, path.with_suffix(".pub")
    return keys


@needs_ssh_keygen
def test_signed_plans_apply_and_others_are_refused_when_a_key_is_configured(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    keys = make_keys(tmp_path)
    write_policy(tmp_path)
    assert run_cli("plan", "--out", "plan.json").returncode == 0
    verify = ("--verify-key", str(keys["ops.pub"]))
    unsigned = run_cli("apply", "plan.json", "--yes", *verify)
    assert unsigned.returncode == 1, unsigned.stderr
    assert "is not signed, and a verifying key is configured" in unsigned.stderr
    assert run_cli("sign", "plan.json", "--key", str(keys["intruder"])).returncode == 0
    foreign = run_cli("apply", "plan.json", "--yes", *verify)
    assert foreign.returncode == 1, foreign.stderr
    assert "its signature does not verify" in foreign.stderr
    assert records_at(aws, zone) == []
    signed = run_cli("sign", "plan.json", "--key", str(keys["ops"]))
    assert signed.returncode == 0, signed.stderr
    assert load(tmp_path / "plan.json")["signature"]["namespace"] == "geoproxy-plan"
    shown = run_cli("show", "plan.json", *verify)
    assert shown.returncode == 0 and "signed" in shown.stdout, shown.stderr
    applied = run_cli("apply", "plan.json", "--yes", *verify)
    assert applied.returncode == 0, applied.stderr
    assert len(records_at(aws, zone)) == 34
    # Without a key configured, a signature is not required (and an unsigned plan applies).
    assert run_cli("apply", "plan.json", "--yes").returncode == 0


@needs_ssh_keygen
def test_a_private_key_is_refused_as_a_verifying_key(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    keys = make_keys(tmp_path)
    write_policy(tmp_path)
    assert run_cli("plan", "--out", "plan.json").returncode == 0
    result = run_cli("apply", "plan.json", "--yes", "--verify-key", str(keys["ops"]))
    assert result.returncode == 1
    assert "holds no OpenSSH public key" in result.stderr
    assert "Traceback" not in result.stderr
    assert records_at(aws, zone) == []


def test_a_format_1_plan_still_applies_and_gets_the_checks(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    """The compatibility rule: a plan written by the previous geoproxy (format 1: no owner,
    no adopt, no change kind, its text the plan as `plan` printed it)."""
    write_policy(tmp_path)
    assert run_cli("plan", "--out", "plan.json").returncode == 0
    document = load(tmp_path / "plan.json")
    for key in ("owner", "adopt"):
        document.pop(key)
    document["changes"].pop("kind")
    document.update(format_version=1, text=["prose, never shown"])
    store(tmp_path / "v1.json", reseal(document))
    applied = run_cli("apply", "v1.json", "--yes")
    assert applied.returncode == 0, applied.stderr
    assert "prose, never shown" not in applied.stdout
    assert "Plan: 34 to create" in applied.stdout
    # And an edit of one: a record that is not geoproxy's.
    document["changes"]["before_distributions"][zone][0].append(
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": "www.example.com.",
                "Type": "A",
                "TTL": 60,
                "ResourceRecords": [{"Value": "192.0.2.66"}],
            },
        }
    )
    store(tmp_path / "v1.json", reseal(document))
    refused = run_cli("apply", "v1.json", "--yes")
    assert refused.returncode == 1, refused.stderr
    assert "www.example.com A: not the record of any application in the plan" in refused.stderr


def test_show_refuses_an_edited_plan_offline(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    assert run_cli("plan", "--out", "plan.json").returncode == 0
    document = load(tmp_path / "plan.json")
    first_batch(document)  # the plan has one
    document["changes"]["before_distributions"][zone][0].append(
        {"Action": "DELETE", "ResourceRecordSet": WWW}
    )
    store(tmp_path / "plan.json", reseal(document, text=True))
    aws.reset_log()
    shown = run_cli("show", "plan.json", "--output", "json")
    assert shown.returncode == 1, shown.stderr
    assert aws.count() == 0  # offline
    body = json.loads(shown.stdout)
    assert body["error"]["kind"] == "plan_file_invalid"
    assert [r["code"] for r in body["refusals"]] == ["plan_not_owned", "plan_prose_mismatch"]
    assert "www.example.com A" in body["refusals"][0]["message"]
