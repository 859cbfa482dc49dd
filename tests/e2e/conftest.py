"""End-to-end fixtures: the real `geoproxy` CLI in a subprocess against the strict emulator,
and what tests read back from it."""

from __future__ import annotations

import functools
import json
import os
import pty
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from geoproxy.aws.session import USER_AGENT
from geoproxy.core.iam import iam_policy
from geoproxy.core.iam_accounts import accounts_iam
from geoproxy.errors import GeoproxyError
from geoproxy.policy.catalog import Catalog
from geoproxy.policy.loader import load_policy
from geoproxy.policy.models import Policy
from geoproxy.sandbox.strict.middleware import Call
from tests.conftest import EXAMPLE_POLICY, write_policy
from tests.strictaws.iam_requests import unauthorized

ORIGIN = "origin.shop.example.com."
STATE = "_geoproxy." + ORIGIN
USE1 = "shop-use1-123.us-east-1.elb.amazonaws.com."
EUW1 = "shop-euw1-456.eu-west-1.elb.amazonaws.com."
APSE1 = "shop-apse1-789.ap-southeast-1.elb.amazonaws.com."
APNE1 = "shop-apne1-321.ap-northeast-1.elb.amazonaws.com."
TOKYO_POP = "      ap-northeast-1: {target: shop-apne1-321.ap-northeast-1.elb.amazonaws.com}\n"

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli(aws: Any, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> RunCli:
    """Run `python -m geoproxy ARGS` in a subprocess against the strict moto server.

    stdin is not a terminal (as in CI and scripts), and the environment carries only fake
    credentials and the local endpoint, so nothing can reach real AWS.

    After every `plan`, `apply`, `status`, `failover` and `failback`, each request geoproxy
    made in that run must be allowed by the IAM policy `iam-policy` generates for the policy
    file(s) in play (see IamCheck), so the generator cannot fall behind the code.
    """
    check = IamCheck(aws, tmp_path)

    def run(
        *args: str, env: dict[str, str] | None = None, input_text: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith("AWS_")
        }
        environment.update(aws.env())
        # Fast polls and backoff against the local server; a short retry deadline so a test
        # that never stops failing ends in seconds (tests of the deadline set their own).
        environment.update(
            {
                "GEOPROXY_POLL_INTERVAL": "0.01",
                "NO_COLOR": "1",
                "COLUMNS": "200",
                "GEOPROXY_RETRY_BASE_DELAY": "0.01",
                "GEOPROXY_RETRY_DEADLINE": "5",
            }
        )
        # One-time notes are said once per policy (cli/notes.py): a cache of its own for
        # every run keeps them said, unless a test of that cache passes its own.
        # (Outside tmp_path, the run's directory, which tests list.)
        environment["GEOPROXY_CACHE_DIR"] = str(tmp_path_factory.mktemp("geoproxy-cache"))
        environment.update(env or {})
        run_ = check.before(args)
        result = subprocess.run(
            [sys.executable, "-m", "geoproxy", *args],
            cwd=tmp_path,
            env=environment,
            text=True,
            capture_output=True,
            timeout=120,
            input=input_text,
            stdin=None if input_text is not None else subprocess.DEVNULL,
        )
        check.after(run_)
        return result

    return run


# --- every request of the CLI runs above is allowed by the generated IAM policy ----------

IAM_ACCOUNT = "123456789012"  # moto's account
IAM_CHECKED = frozenset({"plan", "apply", "status", "failover", "failback", "verify", "destroy"})
IAM_READ_ONLY = frozenset({"plan", "status", "verify"})  # `iam-policy --read-only` covers these
GEOPROXY_AGENT = USER_AGENT.partition("/")[0] + "/"  # "geoproxy/": fixtures' calls lack it


@functools.cache
def _catalog() -> Catalog:
    return Catalog.load()


_POLICIES: dict[str, Policy | None] = {}  # policy text -> the policy, None if it does not load


def _load(text: str, path: Path) -> None:
    """Load a policy text while `path` holds it, once per text in the session; one that does
    not load (a test of bad input) is None, and no document is made from it."""
    if text not in _POLICIES:
        try:
            _POLICIES[text] = load_policy(path, _catalog()).policy
        except GeoproxyError:
            _POLICIES[text] = None


@functools.cache
def _iam_document(
    text: str,
    zone_ids: tuple[tuple[str, str], ...],
    read_only: bool,
    prune: bool,
    all_zones: bool = False,
    destroy: bool = False,
) -> dict[str | None, dict[str, Any]] | None:
    """account id -> the identity policy `iam-policy` prints for it: one for moto's account
    without `accounts:`, one per account with it (issue 26)."""
    policy = _POLICIES[text]
    if policy is None:
        return None
    if policy.accounts:
        return accounts_iam(
            policy,
            zone_ids=dict(zone_ids),
            base_account_id=IAM_ACCOUNT,
            read_only=read_only,
            prune=prune,
            all_zones=all_zones,
            destroy=destroy,
        ).by_account_id()
    return {
        IAM_ACCOUNT: iam_policy(
            policy,
            zone_ids=dict(zone_ids),
            account_id=IAM_ACCOUNT,
            read_only=read_only,
            prune=prune,
            all_zones=all_zones,
            destroy=destroy,
        ).document
    }


def emulator_zone_ids() -> dict[str, str]:
    """Zone name -> id of the server's hosted zones (a public one where a name has both), as
    `iam-policy` would look them up. Read from moto's backend in this process rather than with
    ListHostedZones: a listing would show in the request log, which tests count exactly
    (`aws.operations() == [...]`), and would take faults injected for the CLI."""
    from moto.route53.models import route53_backends

    # Every account's (accounts:, issue 26): zone ids are unique across accounts.
    zones = [
        zone
        for account in list(route53_backends)
        for zone in route53_backends[account]["aws"].zones.values()
    ]
    ids: dict[str, str] = {}
    for zone in sorted(zones, key=lambda z: not z.private_zone):  # public ones last: they win
        ids[zone.name.rstrip(".").lower()] = zone.id.split("/")[-1]
    return ids


@dataclass
class _IamRun:
    args: tuple[str, ...]
    command: str
    texts: list[str]  # the policies in play, oldest first
    read_only: bool
    prune: bool
    start: int  # the request log's length before the run
    all_zones: bool = False  # `iam-policy --all-zones` covers it
    destroy: bool = False  # `iam-policy --destroy` covers it


@dataclass
class IamCheck:
    """Checks one test's CLI runs against the IAM policy generated for their policy files.

    Policies in play: a run may delete records and health checks that only an earlier version
    of its policy file names (a PoP, an alias, auto_failover dropped), so users are told to
    generate the IAM policy from the policy before and after a change until apply has run.
    Here every distinct text a run found in its policy file (read before it runs) stays in
    play for later runs on that file, and a request passes if the document generated from
    any of them allows it. A saved plan (`apply PLANFILE`) reads no policy: every text of the
    test is in play, with `prune` if the test made a plan with --prune.
    """

    aws: Any
    cwd: Path
    texts: dict[Path, list[str]] = field(default_factory=dict)  # policy file -> its texts
    pruned_plan: bool = False
    all_zones_plan: bool = False  # a plan made with --all-zones: its saved plan's deletions

    def before(self, args: Sequence[str]) -> _IamRun | None:
        command, params = _parse(args)
        if command not in IAM_CHECKED:
            return None
        saved = command == "apply" and bool(
            params.get("plan_argument") or params.get("plan_option")
        )
        prune = bool(params.get("prune"))
        if command == "plan" and prune:
            self.pruned_plan = True
        all_zones = bool(params.get("all_zones"))
        if command == "plan" and all_zones:
            self.all_zones_plan = True
        if saved:
            texts = [text for seen in self.texts.values() for text in seen]
            prune, all_zones = self.pruned_plan, self.all_zones_plan
        else:
            path = (self.cwd / (params.get("policy_file") or "routing.yaml")).resolve()
            seen = self.texts.setdefault(path, [])
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = None  # no policy file: the run stops before any request
            if text is not None and text not in seen:
                _load(text, path)
                seen.append(text)
            texts = list(seen)
        # plan and status take the read-only policy (with --prune, its pruning reads).
        read_only = command in IAM_READ_ONLY
        return _IamRun(
            tuple(args),
            command,
            texts,
            read_only,
            prune,
            len(self.aws.calls),
            all_zones=all_zones,
            destroy=command == "destroy",
        )

    def after(self, run: _IamRun | None) -> None:
        if run is None:
            return
        calls = self.aws.calls
        # A log reset during the run (none of ours) leaves only the run's own requests.
        mine = [
            c
            for c in (calls[run.start :] if len(calls) >= run.start else calls)
            if GEOPROXY_AGENT in c.user_agent
        ]
        if not mine:
            return
        zone_ids = tuple(sorted(emulator_zone_ids().items()))
        documents = [
            d
            for text in run.texts
            if (
                d := _iam_document(
                    text, zone_ids, run.read_only, run.prune, run.all_zones, run.destroy
                )
            )
        ]
        if not documents:
            return  # no policy in play loads: a test of bad input
        refused = [line for call in mine for line in _refused(call, documents)]
        if refused:
            flags = " --read-only" * run.read_only + " --prune" * run.prune
            flags += " --all-zones" * run.all_zones + " --destroy" * run.destroy
            pytest.fail(
                f"`geoproxy {' '.join(run.args)}` sent requests that the IAM policy of "
                f"`geoproxy iam-policy{flags}` ({'read-only' if run.read_only else 'full'}"
                f"{', prune' if run.prune else ''}; {len(documents)} policy version(s) in "
                "play) does not allow; geoproxy/core/iam.py must grant them:\n  "
                + "\n  ".join(refused),
                pytrace=False,
            )


def _refused(call: Call, documents: list[dict[str | None, dict[str, Any]]]) -> list[str]:
    """[] if some document of the call's account allows every permission `call` needs, else
    why the newest one (the policy of this run) does not. The account is moto's for the
    access key that signed the call: an assumed role's requests are in the role's account."""
    from moto.iam.models import get_account_id_from

    account = get_account_id_from(call.access_key) if call.access_key else IAM_ACCOUNT
    verdicts = [
        unauthorized([call], document[account], account)
        if account in document
        else [f"{call.operation}: in account {account}, which no generated policy is for"]
        for document in documents
    ]
    return [] if any(not lines for lines in verdicts) else verdicts[-1]


def _parse(args: Sequence[str]) -> tuple[str | None, dict[str, Any]]:
    """The command and its parameters, parsed by geoproxy's own Click definitions."""
    import click

    from geoproxy.cli.app import cli

    rest = list(args)
    while rest and rest[0].startswith("-"):  # group options (--debug) come first
        rest.pop(0)
    if not rest or rest[0] not in cli.commands:
        return None, {}
    name = rest.pop(0)
    try:
        context = cli.commands[name].make_context(name, rest, resilient_parsing=True)
    except click.ClickException:  # bad flags: the CLI stops before any request
        return name, {}
    return name, dict(context.params)


@pytest.fixture
def zone(aws: Any) -> str:
    """A public hosted zone example.com in the emulator; returns its id."""
    created = aws.client("route53").create_hosted_zone(Name="example.com", CallerReference="tests")
    return str(created["HostedZone"]["Id"].split("/")[-1])


def start_cli(aws: Any, directory: Path, *args: str) -> subprocess.Popen[str]:
    """The CLI in the background (as run_cli runs it), for a test that acts meanwhile."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.update(aws.env())
    environment.update(
        {
            "GEOPROXY_POLL_INTERVAL": "0.01",
            "NO_COLOR": "1",
            "GEOPROXY_RETRY_BASE_DELAY": "0.01",
            "GEOPROXY_RETRY_DEADLINE": "5",
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "geoproxy", *args],
        cwd=directory,
        env=environment,
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def run_on_terminal(
    aws: Any,
    cwd: Path,
    answer: str,
    *args: str,
    wait_for: str | None = None,
    at_prompt: Callable[[], None] | None = None,
    seconds_at_prompt: float = 0.2,
    poll_interval: str = "0.01",
) -> tuple[int, str, str]:
    """Run the CLI with a pseudo-terminal as stdin and type `answer` at its prompt: once the
    request log shows `wait_for` (the plan is read) and `seconds_at_prompt` have passed,
    after `at_prompt()`. Returns (exit code, stdout, stderr)."""
    controller, terminal = pty.openpty()
    environment = aws.env()
    environment.update({"GEOPROXY_POLL_INTERVAL": poll_interval, "NO_COLOR": "1"})
    process = subprocess.Popen(
        [sys.executable, "-m", "geoproxy", *args],
        cwd=cwd,
        env=environment,
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(terminal)
    try:
        deadline = time.monotonic() + 30
        while wait_for and aws.count(wait_for) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(seconds_at_prompt)  # typing ahead of the prompt is fine on a terminal
        if at_prompt is not None:
            at_prompt()
        os.write(controller, answer.encode() + b"\n")
        stdout, stderr = process.communicate(timeout=60)
    finally:
        os.close(controller)
    return process.returncode, stdout, stderr


def records_at(aws: Any, zone_id: str, name: str = ORIGIN) -> list[dict[str, Any]]:
    pages = aws.client("route53").get_paginator("list_resource_record_sets")
    return [
        record
        for page in pages.paginate(HostedZoneId=zone_id)
        for record in page["ResourceRecordSets"]
        if record["Name"] == name
    ]


def latency_map(aws: Any, zone_id: str, record_type: str = "A") -> dict[str, tuple[str, str]]:
    """source region -> (alias DNS name, alias hosted zone id) of geoproxy's records."""
    return {
        record["Region"]: (record["AliasTarget"]["DNSName"], record["AliasTarget"]["HostedZoneId"])
        for record in records_at(aws, zone_id)
        if record["Type"] == record_type and record.get("SetIdentifier", "").startswith("geoproxy:")
    }


# --- the DR policy: the example plus a Frankfurt PoP that Dublin fails over to ----------

EUC1 = "shop-euc1-1.eu-central-1.elb.amazonaws.com"
USE1_NAME = "shop-use1-123.us-east-1.elb.amazonaws.com"
EUW1_NAME = "shop-euw1-456.eu-west-1.elb.amazonaws.com"
DR_POLICY = EXAMPLE_POLICY.replace(
    "      eu-west-1: {target: shop-euw1-456.eu-west-1.elb.amazonaws.com}\n",
    "      eu-west-1: {target: shop-euw1-456.eu-west-1.elb.amazonaws.com, "
    "failover_to: eu-central-1}\n"
    f"      eu-central-1: {{target: {EUC1}}}\n",
)
# Policy mapping with the eu-central-1 PoP: the EU sources nearest Dublin stay there.
EU_WEST_1_SOURCES = {"eu-south-2", "eu-west-1", "eu-west-2"}  # by round trip: Madrid too


def targets(aws: Any, zone: str, name: str = ORIGIN) -> dict[str, str]:
    return {
        record["Region"]: record["AliasTarget"]["DNSName"].rstrip(".")
        for record in records_at(aws, zone, name)
        if "Region" in record
    }


def state_values(aws: Any, zone: str) -> list[str]:
    """The failover values of the state record (format v2's header value, with its token,
    left out: see state_header)."""
    return [value for value in _state_entries(aws, zone) if " t=" not in value.split('"')[1]]


def state_header(aws: Any, zone: str) -> str | None:
    """The state record's v2 header value (`"geoproxy=v2 t=TOKEN"`), if there is one."""
    return next((v for v in _state_entries(aws, zone) if " t=" in v.split('"')[1]), None)


def _state_entries(aws: Any, zone: str) -> list[str]:
    return [
        value["Value"]
        for record in records_at(aws, zone, STATE)
        for value in record["ResourceRecords"]
    ]


@pytest.fixture
def applied(aws: Any, zone: str, run_cli: RunCli, tmp_path: Path) -> dict[str, str]:
    """The DR policy applied, with records geoproxy does not own beside it."""
    aws.client("route53").change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": ORIGIN,
                        "Type": "TXT",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": '"site-verification=abc"'}],
                    },
                },
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": "www.example.com",
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "192.0.2.10"}],
                    },
                },
            ]
        },
    )
    write_policy(tmp_path, DR_POLICY)
    result = run_cli("apply", "--yes")
    assert result.returncode == 0, result.stderr
    return targets(aws, zone)


# --- CloudFront: a distribution the user made, and a policy that manages it ---------------

CACHE_POLICY = "658327ea-f89d-4fab-a63d-7e88639e58f6"
VIEWER = "shop.example.com."


def cloudfront_policy(distribution_id: str, extra: str = "") -> str:
    return EXAMPLE_POLICY + (
        "    cloudfront:\n"
        f"      distribution_id: {distribution_id}\n"
        "      aliases: [shop.example.com]\n"
        "      geo_restriction: {type: blacklist, countries: [KP]}\n" + extra
    )


@pytest.fixture
def distribution(aws: Any) -> str:
    """A distribution the user made: a legacy origin, an asset origin and behaviour, and an
    ISSUED ACM certificate for the zone's names, as CloudFront requires before any alias
    (shop.example.com, other.example.com, ...) can go on it."""
    certificate = aws.issue_certificate("*.example.com", "example.com")
    config = {
        "CallerReference": "shop",
        "Comment": "shop storefront",
        "Enabled": True,
        "Aliases": {"Quantity": 0},
        "ViewerCertificate": {
            "ACMCertificateArn": certificate,
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        },
        "Origins": {
            "Quantity": 2,
            "Items": [
                {
                    "Id": "legacy",
                    "DomainName": "legacy.example.net",
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                    },
                },
                {
                    "Id": "assets",
                    "DomainName": "assets.example.net",
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                    },
                },
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "legacy",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": CACHE_POLICY,
        },
        "CacheBehaviors": {
            "Quantity": 1,
            "Items": [
                {
                    "PathPattern": "/static/*",
                    "TargetOriginId": "assets",
                    "ViewerProtocolPolicy": "https-only",
                    "CachePolicyId": CACHE_POLICY,
                }
            ],
        },
    }
    created = aws.client("cloudfront").create_distribution(DistributionConfig=config)
    return str(created["Distribution"]["Id"])


def config_of(aws: Any, distribution_id: str) -> dict[str, Any]:
    return aws.client("cloudfront").get_distribution_config(Id=distribution_id)[
        "DistributionConfig"
    ]


def edit_distribution(aws: Any, distribution_id: str, **changes: Any) -> None:
    client = aws.client("cloudfront")
    response = client.get_distribution_config(Id=distribution_id)
    config = {**response["DistributionConfig"], **changes}
    client.update_distribution(
        Id=distribution_id, IfMatch=response["ETag"], DistributionConfig=config
    )


# --- auto_failover: every PoP with a partner, and one with a health check -----------------

TARGETS = {
    "us-east-1": "shop-use1-123.us-east-1.elb.amazonaws.com",
    "eu-west-1": "shop-euw1-456.eu-west-1.elb.amazonaws.com",
    "eu-central-1": "shop-euc1-1.eu-central-1.elb.amazonaws.com",
    "ap-southeast-1": "shop-apse1-789.ap-southeast-1.elb.amazonaws.com",
}
PARTNERS = {
    "us-east-1": "eu-west-1",
    "eu-west-1": "eu-central-1",
    "eu-central-1": "eu-west-1",
    "ap-southeast-1": "us-east-1",
}
POPS = "".join(
    f"      {pop}: {{target: {target}, failover_to: {PARTNERS[pop]}}}\n"
    for pop, target in TARGETS.items()
)
AUTO_POLICY = (
    EXAMPLE_POLICY.split("    pops:\n")[0]
    + "    auto_failover: true\n    pops:\n"
    + POPS
    + "    force:\n"
    + EXAMPLE_POLICY.split("    force:\n")[1]
)
CHECKED_POLICY = AUTO_POLICY.replace(
    f"      eu-west-1: {{target: {TARGETS['eu-west-1']}, failover_to: eu-central-1}}\n",
    "      eu-west-1:\n"
    f"        target: {TARGETS['eu-west-1']}\n"
    "        failover_to: eu-central-1\n"
    "        health_check: {protocol: HTTPS, path: /healthz}\n",
)


# --- two applications in one zone: the example's shop, and api beside it -----------------

API = "origin.api.example.com."
API_APP = (
    EXAMPLE_POLICY.split("applications:\n", 1)[1]
    .replace("name: shop", "name: api")
    .replace("origin.shop.", "origin.api.")
)
TWO_APPS = EXAMPLE_POLICY + API_APP


@pytest.fixture
def published_resolvers(aws: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The sandbox places resolvers by the addresses geoproxy ships (AWS's published ranges),
    as Route 53 places them by AWS's own; restored afterwards."""
    raw = json.loads(
        files("geoproxy").joinpath("data/resolver_addresses.json").read_text(encoding="utf-8")
    )
    table = tmp_path_factory.mktemp("resolvers") / "published.json"
    table.write_text(
        json.dumps({"regions": {r: e["prefix"] for r, e in raw["regions"].items()}}),
        encoding="utf-8",
    )
    kept = aws.dns.resolvers
    aws.dns.set_resolver_table(table)
    yield
    aws.dns.resolvers = kept
