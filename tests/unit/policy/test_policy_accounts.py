"""The policy's `accounts:` map and `account:` keys (issue 26): shapes, and names that no
entry defines refused at their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from geoproxy.errors import PolicyError
from geoproxy.policy.catalog import Catalog
from geoproxy.policy.loader import load_policy
from tests.conftest import MINIMAL_POLICY

ACCOUNTS = """\
accounts:
  dns: {role_arn: "arn:aws:iam::111111111111:role/geoproxy-dns", external_id: shop-dns}
  edge: {profile: prod-edge}
"""


def _load(tmp_path: Path, catalog: Catalog, text: str) -> PolicyError | None:
    path = tmp_path / "routing.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_policy(path, catalog)
    except PolicyError as error:
        return error
    return None


def _with(account: str = "dns", edge: str | None = None, arc: str | None = None) -> str:
    text = MINIMAL_POLICY.replace("version: 1\n", "version: 1\n" + ACCOUNTS).replace(
        "    zone: example.com\n", f"    zone: example.com\n    account: {account}\n"
    )
    if edge:
        text += f"    cloudfront: {{account: {edge}, distribution_id: E2EXAMPLE123}}\n"
    return text


def test_a_policy_with_accounts_loads(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(_with("dns", "edge"), encoding="utf-8")
    policy = load_policy(path, catalog).policy
    assert policy.accounts["dns"].account_id == "111111111111"
    assert policy.accounts["edge"].account_id is None  # a profile's account: only AWS knows
    assert policy.applications[0].account == "dns"
    assert policy.applications[0].cloudfront is not None
    assert policy.applications[0].cloudfront.account == "edge"


def test_an_unknown_account_is_refused_at_its_line(tmp_path: Path, catalog: Catalog) -> None:
    error = _load(tmp_path, catalog, _with("dnz", "edgy"))
    assert error is not None
    assert [(i.dotted_path(), i.line, i.message) for i in error.issues] == [
        ("applications[0].account", 8, "account 'dnz' is not defined in `accounts:` (dns, edge)"),
        (
            "applications[0].cloudfront.account",
            13,
            "account 'edgy' is not defined in `accounts:` (dns, edge)",
        ),
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{role_arn: arn:aws:iam::1:role/x}", "is not an IAM role ARN"),
        (
            '{role_arn: "arn:aws:iam::111111111111:role/x", profile: p}',
            "either `role_arn` or `profile`",
        ),
        ("{}", "either `role_arn` or `profile`"),
        ("{profile: p, external_id: abc}", "`external_id` goes with `role_arn`"),
    ],
)
def test_an_account_takes_a_role_or_a_profile(
    tmp_path: Path, catalog: Catalog, entry: str, message: str
) -> None:
    text = MINIMAL_POLICY.replace("version: 1\n", f"version: 1\naccounts:\n  dns: {entry}\n")
    error = _load(tmp_path, catalog, text)
    assert error is not None and message in str(error)


def test_one_zone_is_in_one_account(tmp_path: Path, catalog: Catalog) -> None:
    second = (
        "  - name: api\n    zone: example.com\n    account: edge\n"
        "    record: origin.api.example.com\n"
        "    pops:\n      us-east-1: {target: a-1.us-east-1.elb.amazonaws.com}\n"
    )
    error = _load(tmp_path, catalog, _with("dns") + second)
    assert error is not None
    assert "zone example.com is already in account 'dns'" in str(error)


def test_health_checks_need_every_application_in_one_account(
    tmp_path: Path, catalog: Catalog
) -> None:
    auto = (
        _with("dns")
        .replace("    pops:\n", "    auto_failover: true\n    pops:\n", 1)
        .replace("amazonaws.com}\n", "amazonaws.com, failover_to: eu-west-1}\n", 1)
        .replace(
            "b-2.eu-west-1.elb.amazonaws.com}",
            "b-2.eu-west-1.elb.amazonaws.com, failover_to: us-east-1}",
        )
    )
    assert _load(tmp_path, catalog, auto) is None  # one application, one account: fine
    second = (
        "  - name: api\n    zone: example.org\n"
        "    record: origin.api.example.org\n"
        "    pops:\n      us-east-1: {target: a-1.us-east-1.elb.amazonaws.com}\n"
    )
    error = _load(tmp_path, catalog, auto + second)
    assert error is not None
    assert [(i.dotted_path(), i.line) for i in error.issues] == [("applications[1].account", 14)]
    assert "every application is in one account" in str(error)


def test_the_arc_account_is_the_applications_account(tmp_path: Path, catalog: Catalog) -> None:
    arc = (
        "recovery:\n  switches: arc\n  arc:\n    account: edge\n"
        "    cluster_arn: arn:aws:route53-recovery-control::111111111111:cluster/0abc\n"
        "    control_panel: geoproxy-prod\n"
    )
    pairs = (
        _with("dns")
        .replace("amazonaws.com}\n", "amazonaws.com, failover_to: eu-west-1}\n", 1)
        .replace(
            "b-2.eu-west-1.elb.amazonaws.com}",
            "b-2.eu-west-1.elb.amazonaws.com, failover_to: us-east-1}",
        )
    )
    error = _load(tmp_path, catalog, pairs + arc)
    assert error is not None
    assert [i.dotted_path() for i in error.issues] == ["recovery.arc.account"]
    assert "share a cluster owned elsewhere to it through AWS RAM" in str(error)
    assert _load(tmp_path, catalog, pairs + arc.replace("account: edge", "account: dns")) is None
