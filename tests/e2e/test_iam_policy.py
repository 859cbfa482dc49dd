"""`geoproxy iam-policy` end to end: its output, and that it allows what the CLI does.

Every run_cli of plan, apply, status, failover and failback is checked against the generated
policy already (tests/e2e/conftest.py, IamCheck); here the other direction too: the policy
allows nothing a rich policy's runs never need, but for the alternatives named below.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import tests.e2e.conftest as e2e
from geoproxy.core.iam import IamPolicy, iam_policy
from geoproxy.policy.catalog import Catalog
from geoproxy.policy.loader import load_policy
from geoproxy.sandbox.strict.certificates import self_signed_pem
from geoproxy.sandbox.strict.middleware import Call
from geoproxy.sandbox.strict.server import scrubbed
from tests.conftest import EXAMPLE_POLICY, write_policy
from tests.e2e.conftest import (
    CHECKED_POLICY,
    GEOPROXY_AGENT,
    IAM_ACCOUNT,
    RunCli,
    cloudfront_policy,
    edit_distribution,
)
from tests.strictaws.iam import evaluate
from tests.strictaws.iam_requests import authorization, unauthorized

pytestmark = pytest.mark.e2e

OTHER_ACCOUNT = "210987654321"
# The write operations geoproxy sends, which `iam-policy --read-only` must refuse.
WRITES = {
    "ChangeResourceRecordSets",
    "UpdateDistribution",
    "CreateHealthCheck",
    "DeleteHealthCheck",
    "ChangeTagsForResource",
}

# Actions the full policy allows that the scenario's runs need not, and why:
ALTERNATIVES = {
    # The alias pre-flight reads the viewer certificate where it lives: ACM here (the
    # `distribution` fixture's certificate, with acm:DescribeCertificate); a distribution
    # with an IAM server certificate is found by this listing instead.
    "iam:ListServerCertificates",
    # The zone lookup when the policy gives `zone_id` (this one looks up by name), and a
    # saved plan's check of whether its zone is cheaper to read whole (test_scale covers it).
    "route53:GetHostedZone",
}


def rich_policy(distribution: str) -> str:
    """A cloudfront section and auto_failover with a health check: every kind of statement."""
    return CHECKED_POLICY + cloudfront_policy(distribution)[len(EXAMPLE_POLICY) :]


def geoproxy_calls(aws: Any) -> list[Call]:
    return [call for call in aws.calls if GEOPROXY_AGENT in call.user_agent]


def actions(document: dict[str, Any]) -> set[str]:
    return {
        action
        for statement in document["Statement"]
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    }


def resources(document: dict[str, Any]) -> set[str]:
    return {
        resource
        for statement in document["Statement"]
        for resource in (
            [statement["Resource"]]
            if isinstance(statement["Resource"], str)
            else statement["Resource"]
        )
    }


def expected(
    tmp_path: Path, zone_ids: dict[str, str], account_id: str | None, **flags: bool
) -> dict[str, Any]:
    """What geoproxy.core.iam makes of tmp_path/routing.yaml, in this process."""
    policy = load_policy(tmp_path / "routing.yaml", Catalog.load()).policy
    return iam_policy(policy, zone_ids=zone_ids, account_id=account_id, **flags).document


def iam_policy_cli(run_cli: RunCli, *args: str) -> dict[str, Any]:
    result = run_cli("iam-policy", *args)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


# --- the command's output ---------------------------------------------------------------


def test_with_credentials_it_looks_up_the_zone_and_the_account(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    aws.reset_log()

    result = run_cli("iam-policy")

    assert result.returncode == 0, result.stderr
    assert [c.operation for c in geoproxy_calls(aws)] == [
        "GetCallerIdentity",
        "ListHostedZonesByName",
    ]
    assert "wildcard" not in result.stderr and "no hosted zone id" not in result.stderr
    document = json.loads(result.stdout)
    assert document == expected(tmp_path, {"example.com": zone}, IAM_ACCOUNT)
    assert document["Version"] == "2012-10-17"
    assert "*" not in actions(document)
    assert not any(action.endswith(":*") for action in actions(document))  # route53:*, ...
    assert f"arn:aws:route53:::hostedzone/{zone}" in resources(document)
    assert "arn:aws:route53:::hostedzone/*" not in resources(document)
    assert f"arn:aws:cloudfront::{IAM_ACCOUNT}:distribution/{distribution}" in resources(document)
    assert f"arn:aws:acm:us-east-1:{IAM_ACCOUNT}:certificate/*" in resources(document)
    assert not any(":*:" in resource or "::*:" in resource for resource in resources(document))


def test_account_id_given_is_used_and_sts_not_asked(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    aws.reset_log()

    document = iam_policy_cli(run_cli, "--account-id", OTHER_ACCOUNT)

    assert [c.operation for c in geoproxy_calls(aws)] == ["ListHostedZonesByName"]
    assert document == expected(tmp_path, {"example.com": zone}, OTHER_ACCOUNT)
    assert f"arn:aws:cloudfront::{OTHER_ACCOUNT}:distribution/{distribution}" in resources(document)
    assert not any(IAM_ACCOUNT in resource for resource in resources(document))
    assert f"arn:aws:route53:::hostedzone/{zone}" in resources(document)


def test_a_bad_account_id_is_refused(aws: Any, zone: str, run_cli: RunCli, tmp_path: Path) -> None:
    write_policy(tmp_path)
    aws.reset_log()
    result = run_cli("iam-policy", "--account-id", "12345")
    assert result.returncode == 1
    assert "--account-id '12345' is not an AWS account id (12 digits)" in result.stderr
    assert result.stdout == "" and aws.count() == 0


def test_without_credentials_it_makes_no_call_and_warns_of_the_wildcards(
    aws: Any, zone: str, distribution: str, tmp_path: Path
) -> None:
    write_policy(tmp_path, cloudfront_policy(distribution))
    # No credentials anywhere in the chain; the endpoint stays the emulator's, so a request
    # made all the same would be seen here (and could never reach AWS).
    env = scrubbed(os.environ)
    env.update(
        {
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "BOTO_CONFIG": os.devnull,
            "AWS_ENDPOINT_URL": aws.endpoint_url,
            "NO_PROXY": "127.0.0.1",
            "NO_COLOR": "1",
            "COLUMNS": "200",
        }
    )
    aws.reset_log()

    result = subprocess.run(
        [sys.executable, "-m", "geoproxy", "iam-policy"],
        cwd=tmp_path,
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )

    assert result.returncode == 0, result.stderr
    assert aws.count() == 0
    assert "no hosted zone id for example.com: the policy allows every hosted zone" in result.stderr
    assert "no account id (--account-id, or credentials for STS)" in result.stderr
    document = json.loads(result.stdout)
    assert document == expected(tmp_path, {}, None)
    assert "arn:aws:route53:::hostedzone/*" in resources(document)
    assert f"arn:aws:cloudfront::*:distribution/{distribution}" in resources(document)
    assert "*" not in actions(document)
    assert not any(action.endswith(":*") for action in actions(document))


# --- the policy against what the CLI does -------------------------------------------------


@pytest.mark.slow
def test_the_full_policy_allows_exactly_what_a_rich_policys_runs_need(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, rich_policy(distribution))
    document = iam_policy_cli(run_cli)
    # With Route 53's change history on the zone, `status` reads it (who failed over):
    # route53:ListHostedZoneChangeBatches is then needed, not merely allowed.
    aws.change_history.enable(zone)
    aws.reset_log()

    # Each run is also checked against the generated policy by run_cli itself.
    for args in (
        ("plan",),
        ("apply", "--yes"),
        ("status",),
        ("failover", "--from", "eu-west-1", "--yes"),
        ("failback", "eu-west-1", "--yes"),
        ("verify",),
    ):
        result = run_cli(*args)
        assert result.returncode == 0, (args, result.stderr)
    # A changed health check: a new one is made and tagged, the old one deleted.
    write_policy(tmp_path, rich_policy(distribution).replace("/healthz", "/ready"))
    assert run_cli("apply", "--yes").returncode == 0

    calls = geoproxy_calls(aws)
    assert {c.operation for c in calls} >= WRITES | {"GetChange", "ListHealthChecks"}
    assert unauthorized(calls, document, IAM_ACCOUNT) == []
    needed = {auth.action for call in calls for auth in authorization(call, IAM_ACCOUNT)}
    allowed = actions(document)
    assert needed <= allowed
    # The alias pre-flight's reads are among them (DescribeCertificate for the ACM viewer
    # certificate, ListConflictingAliases for the alias being added).
    assert {"acm:DescribeCertificate", "cloudfront:ListConflictingAliases"} <= needed
    assert allowed - needed == ALTERNATIVES


@pytest.mark.slow
def test_the_read_only_policy_refuses_every_write(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, rich_policy(distribution))
    read_only = iam_policy_cli(run_cli, "--read-only")
    full = iam_policy_cli(run_cli)
    aws.reset_log()
    assert run_cli("apply", "--yes").returncode == 0
    write_policy(tmp_path, rich_policy(distribution).replace("/healthz", "/ready"))
    assert run_cli("apply", "--yes").returncode == 0

    # Real write requests, as geoproxy sent them: the full policy allows each, the read-only
    # one none.
    writes = [call for call in geoproxy_calls(aws) if call.operation in WRITES]
    assert {call.operation for call in writes} == WRITES
    assert unauthorized(writes, full, IAM_ACCOUNT) == []
    for call in writes:
        for auth in authorization(call, IAM_ACCOUNT):
            decision = evaluate(read_only, auth.action, auth.resource, auth.context)
            assert not decision.allowed, (call.operation, auth, decision.reason)
            assert decision.effect == "ImplicitDeny"
    # Reads only; TestDNSAnswer (for `verify`) asks what Route 53 answers and changes nothing.
    assert all(
        action.split(":")[1].startswith(("Get", "List", "Describe", "TestDNSAnswer"))
        for action in actions(read_only)
    ), sorted(actions(read_only))
    assert "route53:GetChange" not in actions(read_only)  # only a write waits for a change


def test_an_iam_viewer_certificate_takes_the_listing_instead_of_acm(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    # The other side of ALTERNATIVES: an IAM server certificate is found by listing them.
    body, key = self_signed_pem("*.example.com", "example.com")
    uploaded = aws.client("iam").upload_server_certificate(
        ServerCertificateName="shop", CertificateBody=body, PrivateKey=key, Path="/cloudfront/shop/"
    )
    edit_distribution(
        aws,
        distribution,
        ViewerCertificate={
            "IAMCertificateId": uploaded["ServerCertificateMetadata"]["ServerCertificateId"],
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        },
    )
    write_policy(tmp_path, cloudfront_policy(distribution))
    document = iam_policy_cli(run_cli)
    aws.reset_log()

    # Checked against the generated policy by run_cli. Its outcome is not the point: moto
    # lists every server certificate with an expiry in 2012, which the pre-flight refuses
    # (after the listing) where AWS would go on with a warning.
    run_cli("apply", "--yes")

    calls = geoproxy_calls(aws)
    assert "ListServerCertificates" in {call.operation for call in calls}
    assert unauthorized(calls, document, IAM_ACCOUNT) == []
    needed = {auth.action for call in calls for auth in authorization(call, IAM_ACCOUNT)}
    assert "iam:ListServerCertificates" in needed
    assert "acm:DescribeCertificate" not in needed


def test_a_run_whose_requests_the_policy_does_not_allow_fails_its_test(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The guard itself: a generator that forgot GetChange fails the apply that waits.
    def forgetful(*args: Any, **kwargs: Any) -> IamPolicy:
        result = iam_policy(*args, **kwargs)
        result.document["Statement"] = [
            statement
            for statement in result.document["Statement"]
            if statement["Sid"] != "WaitForChanges"
        ]
        return result

    monkeypatch.setattr(e2e, "iam_policy", forgetful)
    # Uncached: no document made before the patch is used, none made with it is kept.
    monkeypatch.setattr(e2e, "_iam_document", e2e._iam_document.__wrapped__)
    write_policy(tmp_path)

    assert run_cli("plan").returncode == 0  # the read-only policy never had GetChange
    with pytest.raises(pytest.fail.Exception) as failed:
        run_cli("apply", "--yes")

    message = str(failed.value)
    assert message.startswith(
        "`geoproxy apply --yes` sent requests that the IAM policy of "
        "`geoproxy iam-policy` (full; 1 policy version(s) in play) does "
        "not allow; geoproxy/core/iam.py must grant them:\n  GetChange: "
        "route53:GetChange on arn:aws:route53:::change/"
    ), message
    assert "implicitly denied" in message


# --- --prune: what DELETE may touch (issue 23) -----------------------------------------------


def test_prune_without_names_keeps_the_apex_and_other_systems_names_and_says_so(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)

    result = run_cli("iam-policy", "--prune")

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    arn = f"arn:aws:route53:::hostedzone/{zone}"
    context = {
        "route53:ChangeResourceRecordSetsActions": ["DELETE"],
        "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
    }
    for name in (
        "example.com",
        "_dmarc.example.com",
        "_a79865eb4cd1a6ab990a45779b4e0b96.example.com",
    ):
        assert not evaluate(
            document,
            "route53:ChangeResourceRecordSets",
            arn,
            {**context, "route53:ChangeResourceRecordSetsNormalizedRecordNames": [name]},
        ).allowed
    assert "--prune without --prune-name for zone example.com" in result.stderr
    assert "except at the apex (example.com)" in result.stderr


def test_prune_names_allow_delete_at_those_orphans_only(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)

    document = iam_policy_cli(run_cli, "--prune", "--prune-name", "origin.old.example.com")

    arn = f"arn:aws:route53:::hostedzone/{zone}"

    def deletes(*names: str) -> bool:
        return evaluate(
            document,
            "route53:ChangeResourceRecordSets",
            arn,
            {
                "route53:ChangeResourceRecordSetsActions": ["DELETE"] * len(names),
                "route53:ChangeResourceRecordSetsRecordTypes": ["A"] * len(names),
                "route53:ChangeResourceRecordSetsNormalizedRecordNames": list(names),
            },
        ).allowed

    assert deletes("origin.old.example.com", "eu-west-1.origin.old.example.com")
    assert not deletes("www.example.com")
    refused = run_cli("iam-policy", "--prune", "--prune-name", "old.example.org")
    assert refused.returncode != 0 and "in none of the policy's zones" in refused.stderr
