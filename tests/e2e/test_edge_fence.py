"""The edge fence end to end: `apply` publishes the generated CloudFront Function and
associates it in the same UpdateDistribution as geoproxy's other settings; a failover of a
fenced PoP republishes it, compliance-checked; `status` reads it back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_policy
from tests.e2e.conftest import RunCli, cloudfront_policy, config_of, edit_distribution, records_at

pytestmark = pytest.mark.e2e

# AWS's managed origin request policy that forwards CloudFront-Viewer-Country (with every
# viewer header): "Use managed origin request policies", AllViewerAndCloudFrontHeaders-2022-06.
COUNTRY_POLICY = "33f36d7e-f396-46d9-90e0-52428a34d9dc"
GDPR = '        allowed_pops: ["eu-*"]\n'
FENCED = GDPR + "        viewer_countries: [EU, GB, CH]\n"
# The example's PoPs plus Frankfurt, so that a failover can stay inside the EU.
FRANKFURT = "      eu-central-1: {target: shop-euc1-1.eu-central-1.elb.amazonaws.com}\n"


def fenced_policy(distribution_id: str) -> str:
    text = cloudfront_policy(distribution_id).replace(GDPR, FENCED, 1)
    return text.replace("    pops:\n", "    pops:\n" + FRANKFURT, 1)


def with_country_header(aws: Any, distribution_id: str) -> None:
    behaviour = dict(config_of(aws, distribution_id)["DefaultCacheBehavior"])
    behaviour["OriginRequestPolicyId"] = COUNTRY_POLICY
    edit_distribution(aws, distribution_id, DefaultCacheBehavior=behaviour)


def apply_fence(aws: Any, distribution_id: str, run_cli: RunCli, directory: Path) -> str:
    """The fenced policy applied, the country header forwarded; the ARN of the function
    the default behaviour then runs."""
    with_country_header(aws, distribution_id)
    write_policy(directory, fenced_policy(distribution_id))
    applied = run_cli("apply", "--yes")
    assert applied.returncode == 0, applied.stderr
    arn = viewer_function(config_of(aws, distribution_id)["DefaultCacheBehavior"])
    assert arn is not None
    return arn


def live_code(aws: Any, name: str, stage: str = "LIVE") -> str:
    response = aws.client("cloudfront").get_function(Name=name, Stage=stage)
    return str(response["FunctionCode"].read().decode())


def viewer_function(behaviour: dict[str, Any]) -> str | None:
    for item in behaviour.get("FunctionAssociations", {}).get("Items") or []:
        if item["EventType"] == "viewer-request":
            return str(item["FunctionARN"])
    return None


def add_api_behaviour(aws: Any, distribution: str, origin_request_policy: str) -> None:
    """A second cache behaviour, /api/*, on geoproxy's origin, with its own origin request
    policy: the edge fence must cover it too."""
    config = config_of(aws, distribution)
    api = {
        **config["CacheBehaviors"]["Items"][0],
        "PathPattern": "/api/*",
        "TargetOriginId": "geoproxy-shop",
        "OriginRequestPolicyId": origin_request_policy,
    }
    items = [*config["CacheBehaviors"]["Items"], api]
    edit_distribution(aws, distribution, CacheBehaviors={"Quantity": len(items), "Items": items})


@pytest.fixture
def fenced(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> dict[str, Any]:
    """The fenced policy written, the country header forwarded, and its function's name and
    code as `geoproxy edge-function` prints them."""
    with_country_header(aws, distribution)
    write_policy(tmp_path, fenced_policy(distribution))
    printed = run_cli("edge-function", "-o", "json")
    assert printed.returncode == 0, printed.stderr
    document = json.loads(printed.stdout)
    return {
        "name": document["function_name"],
        "code": document["code"],
        "distribution": distribution,
        "zone": zone,
    }


@pytest.mark.slow
def test_apply_publishes_the_function_and_associates_it_in_one_update(
    aws: Any, fenced: dict[str, Any], run_cli: RunCli
) -> None:
    aws.reset_log()
    result = run_cli("apply", "--yes")

    assert result.returncode == 0, result.stderr
    name = fenced["name"]
    assert live_code(aws, name) == fenced["code"]  # exactly what edge-function printed
    assert live_code(aws, name, "DEVELOPMENT") == fenced["code"]
    after = config_of(aws, fenced["distribution"])
    arn = viewer_function(after["DefaultCacheBehavior"])
    assert arn is not None and arn.endswith(f":function/{name}")
    # /static/* targets the user's asset origin: not geoproxy's, so not fenced.
    assert viewer_function(after["CacheBehaviors"]["Items"][0]) is None
    # Every PoP has its direct name, which the function targets.
    for pop in ("us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-1"):
        assert records_at(aws, fenced["zone"], f"{pop}.origin.shop.example.com."), pop
    writes = [
        op
        for op in aws.operations()
        if op
        in (
            "ChangeResourceRecordSets",
            "GetChange",
            "CreateFunction",
            "UpdateFunction",
            "PublishFunction",
            "UpdateDistribution",
        )
    ]
    # The records (direct names among them) are INSYNC before the function targets them;
    # the function is published before the distribution runs it; then the viewer records.
    first_function = writes.index("CreateFunction")
    assert writes[0] == "ChangeResourceRecordSets" and "GetChange" in writes[:first_function]
    assert writes[first_function : first_function + 3] == [
        "CreateFunction",
        "PublishFunction",
        "UpdateDistribution",
    ]
    assert "ChangeResourceRecordSets" in writes[writes.index("UpdateDistribution") :]
    assert aws.count("UpdateDistribution") == 1
    assert "edge function" in result.stdout and "published" in result.stdout

    aws.reset_log()
    again = run_cli("plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert aws.count("GetFunction") == 2  # DEVELOPMENT and LIVE, no write
    aws.reset_log()
    status = run_cli("status", "--detailed-exitcode")
    assert status.returncode == 0, status.stdout
    assert "in sync" in status.stdout
    assert aws.operations() == [
        "GetDistribution",  # distribution drift and viewer records (issue 24)
        "ListHostedZonesByName",
        "ListResourceRecordSets",
        "GetFunction",
    ]  # status reads only what viewers run


def test_plan_shows_the_function_as_its_country_table(
    aws: Any, fenced: dict[str, Any], run_cli: RunCli
) -> None:
    result = run_cli("plan", "--detailed-exitcode")
    assert result.returncode == 2
    assert f"+ edge function {fenced['name']}" in result.stdout
    # Frankfurt is nearer most of the EU; Ireland keeps GB, IE and PT.
    assert "eu-central-1 <- AT BE BG CH" in result.stdout
    assert "eu-west-1 <- GB IE PT" in result.stdout
    assert "no country header: eu-central-1" in result.stdout
    assert "edge functions: 1 to publish" in result.stdout
    document = json.loads(run_cli("plan", "-o", "json").stdout)
    function = document["applications"][0]["edge_function"]
    assert (function["name"], function["action"]) == (fenced["name"], "create")
    assert document["summary"]["functions"] == 1
    changes = {c["field"] for c in document["applications"][0]["cloudfront"]["changes"]}
    assert "DefaultCacheBehavior.FunctionAssociations" in changes
    assert aws.count("CreateFunction") == 0  # plan writes nothing


def test_without_the_country_header_nothing_is_written(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, fenced_policy(distribution))  # CachingOptimized, no header
    aws.reset_log()
    result = run_cli("apply", "--yes")
    assert result.returncode == 1
    assert "CloudFront-Viewer-Country" in result.stderr
    assert "AllViewerAndCloudFrontHeaders-2022-06" in result.stderr
    for write in ("ChangeResourceRecordSets", "CreateFunction", "UpdateDistribution"):
        assert aws.count(write) == 0, write


def test_a_viewer_function_geoproxy_does_not_own_is_never_replaced(
    aws: Any, fenced: dict[str, Any], run_cli: RunCli
) -> None:
    client = aws.client("cloudfront")
    theirs = client.create_function(
        Name="auth-check",
        FunctionCode=b"function handler(event) { return event.request; }",
        FunctionConfig={"Comment": "the user's", "Runtime": "cloudfront-js-2.0"},
    )
    client.publish_function(Name="auth-check", IfMatch=theirs["ETag"])
    arn = theirs["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
    behaviour = dict(config_of(aws, fenced["distribution"])["DefaultCacheBehavior"])
    behaviour["FunctionAssociations"] = {
        "Quantity": 1,
        "Items": [{"EventType": "viewer-request", "FunctionARN": arn}],
    }
    edit_distribution(aws, fenced["distribution"], DefaultCacheBehavior=behaviour)
    aws.reset_log()

    result = run_cli("apply", "--yes")

    assert result.returncode == 1
    assert "auth-check" in result.stderr and "does not own" in result.stderr
    assert viewer_function(config_of(aws, fenced["distribution"])["DefaultCacheBehavior"]) == arn
    for write in ("ChangeResourceRecordSets", "CreateFunction", "UpdateDistribution"):
        assert aws.count(write) == 0, write


@pytest.mark.slow
def test_every_behaviour_on_geoproxys_origin_gets_the_fence(
    aws: Any, fenced: dict[str, Any], run_cli: RunCli
) -> None:
    assert run_cli("apply", "--yes").returncode == 0
    add_api_behaviour(aws, fenced["distribution"], COUNTRY_POLICY)

    planned = run_cli("plan", "--detailed-exitcode")
    assert planned.returncode == 2
    assert "CacheBehaviors[/api/*].FunctionAssociations" in planned.stdout
    assert run_cli("apply", "--yes").returncode == 0
    behaviours = {
        b["PathPattern"]: b
        for b in config_of(aws, fenced["distribution"])["CacheBehaviors"]["Items"]
    }
    assert viewer_function(behaviours["/api/*"]).endswith(f":function/{fenced['name']}")
    assert viewer_function(behaviours["/static/*"]) is None


@pytest.mark.slow
def test_a_failover_republishes_the_function_compliance_checked(
    aws: Any, fenced: dict[str, Any], run_cli: RunCli
) -> None:
    assert run_cli("apply", "--yes").returncode == 0
    name = fenced["name"]

    refused = run_cli("failover", "--from", "eu-west-1", "--to", "us-east-1", "--yes")
    assert refused.returncode == 1
    assert "gdpr" in refused.stderr
    assert live_code(aws, name) == fenced["code"]

    dry = run_cli("failover", "--from", "eu-west-1", "--to", "eu-central-1", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"~ edge function {name}" in dry.stdout
    assert "GB: eu-west-1 → eu-central-1" in dry.stdout
    assert live_code(aws, name) == fenced["code"]

    aws.reset_log()
    moved = run_cli("failover", "--from", "eu-west-1", "--to", "eu-central-1", "--yes")
    assert moved.returncode == 0, moved.stderr
    requests = [op for op in aws.operations() if op != "GetChange"]
    code = live_code(aws, name)
    assert code != fenced["code"]
    table = json.loads(code.split("var FENCED = ", 1)[1].split(";\n", 1)[0])
    assert set(table.values()) == {"eu-central-1"}
    writes = [
        op
        for op in aws.operations()
        if op
        in ("ChangeResourceRecordSets", "UpdateFunction", "PublishFunction", "UpdateDistribution")
    ]
    # The Route 53 batch first, then the function; the distribution is not touched.
    assert writes == ["ChangeResourceRecordSets", "UpdateFunction", "PublishFunction"]
    # The DR fast path's budget, plus the named add-on: two GetFunction, Update, Publish.
    assert requests == [
        "ListHostedZonesByName",
        "ListResourceRecordSets",
        "GetFunction",
        "GetFunction",
        "ChangeResourceRecordSets",
        "UpdateFunction",
        "PublishFunction",
    ]
    assert run_cli("status", "--detailed-exitcode").returncode == 4  # only a failover

    back = run_cli("failback", "eu-west-1", "--yes")
    assert back.returncode == 0, back.stderr
    assert live_code(aws, name) == fenced["code"]
    assert run_cli("status", "--detailed-exitcode").returncode == 0


@pytest.mark.slow
def test_a_crash_between_the_records_and_the_function_is_completed_by_running_again(
    aws: Any, fenced: dict[str, Any], run_cli: RunCli
) -> None:
    assert run_cli("apply", "--yes").returncode == 0
    aws.inject("UpdateFunction", status=500, code="InternalError", times=100)
    crashed = run_cli(
        "failover", "--from", "eu-west-1", "--to", "eu-central-1", "--yes", "--retry-deadline", "1"
    )
    assert crashed.returncode == 1
    assert "already applied" in crashed.stderr  # the Route 53 batch landed, and it says so
    status = run_cli("status", "--detailed-exitcode")
    assert status.returncode == 2  # the live table disagrees with the failover state
    assert "DIFFERS" in status.stdout

    aws.clear_faults()
    again = run_cli("failover", "--from", "eu-west-1", "--to", "eu-central-1", "--yes")
    assert again.returncode == 0, again.stderr
    assert set(
        json.loads(
            live_code(aws, fenced["name"]).split("var FENCED = ", 1)[1].split(";\n", 1)[0]
        ).values()
    ) == {"eu-central-1"}
    assert run_cli("status", "--detailed-exitcode").returncode == 4


@pytest.mark.slow
def test_a_prepared_failover_plan_carries_the_function(
    aws: Any, fenced: dict[str, Any], run_cli: RunCli, tmp_path: Path
) -> None:
    """DR prepared in calm weather: the saved plan holds the republish too, and applying it
    twice writes it once."""
    assert run_cli("apply", "--yes").returncode == 0
    planned = run_cli(
        "failover",
        "--from",
        "eu-west-1",
        "--to",
        "eu-central-1",
        "--dry-run",
        "--out",
        str(tmp_path / "dr.plan"),
    )
    assert planned.returncode == 0, planned.stderr
    saved = json.loads((tmp_path / "dr.plan").read_text())
    assert [f["name"] for f in saved["changes"]["functions"]] == [fenced["name"]]
    assert live_code(aws, fenced["name"]) == fenced["code"]

    aws.reset_log()
    applied = run_cli("apply", str(tmp_path / "dr.plan"), "--yes")
    assert applied.returncode == 0, applied.stderr
    assert (aws.count("UpdateFunction"), aws.count("PublishFunction")) == (1, 1)
    moved = live_code(aws, fenced["name"])
    assert moved != fenced["code"]

    aws.reset_log()
    again = run_cli("apply", str(tmp_path / "dr.plan"), "--yes")
    assert again.returncode == 0, again.stderr
    assert (aws.count("UpdateFunction"), aws.count("PublishFunction")) == (0, 0)
    assert live_code(aws, fenced["name"]) == moved


@pytest.mark.slow
def test_a_saved_plan_is_stale_once_someone_else_writes_the_function(
    aws: Any, fenced: dict[str, Any], run_cli: RunCli, tmp_path: Path
) -> None:
    assert run_cli("apply", "--yes").returncode == 0
    assert (
        run_cli(
            "failover",
            "--from",
            "eu-west-1",
            "--to",
            "eu-central-1",
            "--dry-run",
            "--out",
            str(tmp_path / "dr.plan"),
        ).returncode
        == 0
    )
    client = aws.client("cloudfront")
    etag = client.describe_function(Name=fenced["name"])["ETag"]
    client.update_function(
        Name=fenced["name"],
        IfMatch=etag,
        FunctionConfig={"Comment": "hand edit", "Runtime": "cloudfront-js-2.0"},
        FunctionCode=b"function handler(event) { return event.request; }",
    )
    aws.reset_log()

    result = run_cli("apply", str(tmp_path / "dr.plan"), "--yes")

    assert result.returncode == 3, result.stderr
    assert f"edge function {fenced['name']}" in result.stderr
    for write in ("ChangeResourceRecordSets", "UpdateFunction", "PublishFunction"):
        assert aws.count(write) == 0, write


def _origin_request_policy(headers: list[str]) -> dict[str, Any]:
    return {
        "Name": "fence-headers",
        "Comment": "",
        "HeadersConfig": {
            "HeaderBehavior": "whitelist" if headers else "none",
            **({"Headers": {"Quantity": len(headers), "Items": headers}} if headers else {}),
        },
        "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "none"},
    }


def _saved_plan_then_headers_change(
    aws: Any, distribution: str, run_cli: RunCli, tmp_path: Path, headers_after: list[str]
) -> Any:
    """Plan a fence on a behaviour whose origin request policy forwards the country and
    Host, save it, then change what the policy forwards (the distribution's ETag stays) and
    apply the saved plan."""
    client = aws.client("cloudfront")
    created = client.create_origin_request_policy(
        OriginRequestPolicyConfig=_origin_request_policy(["CloudFront-Viewer-Country", "Host"])
    )
    policy_id = created["OriginRequestPolicy"]["Id"]
    behaviour = dict(config_of(aws, distribution)["DefaultCacheBehavior"])
    behaviour["OriginRequestPolicyId"] = policy_id
    edit_distribution(aws, distribution, DefaultCacheBehavior=behaviour)
    write_policy(tmp_path, fenced_policy(distribution))
    planned = run_cli("plan", "--out", str(tmp_path / "fence.plan"))
    assert planned.returncode == 0, planned.stderr
    client.update_origin_request_policy(
        Id=policy_id,
        IfMatch=created["ETag"],
        OriginRequestPolicyConfig=_origin_request_policy(headers_after),
    )
    aws.reset_log()
    return run_cli("apply", str(tmp_path / "fence.plan"), "--yes")


def test_a_saved_plan_checks_the_country_header_again(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    """A policy's headers can change without the distribution's ETag: applying a saved plan
    reads the fenced behaviours' policies again."""
    result = _saved_plan_then_headers_change(aws, distribution, run_cli, tmp_path, [])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "CloudFront-Viewer-Country does not reach the edge fence" in result.stderr
    for write in ("ChangeResourceRecordSets", "CreateFunction", "UpdateDistribution"):
        assert aws.count(write) == 0, write


def test_a_saved_plan_checks_the_host_forwarding_again(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    """The planned function gives fenced requests the viewer's Host; a policy edited after
    the plan to stop forwarding Host makes the saved plan's function wrong: refused."""
    result = _saved_plan_then_headers_change(
        aws, distribution, run_cli, tmp_path, ["CloudFront-Viewer-Country"]
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "does not forward the viewer's Host" in result.stderr
    for write in ("ChangeResourceRecordSets", "CreateFunction", "UpdateDistribution"):
        assert aws.count(write) == 0, write


@pytest.mark.slow
def test_dropping_the_fence_unassociates_it_before_its_direct_names_go(
    aws: Any, fenced: dict[str, Any], run_cli: RunCli, tmp_path: Path
) -> None:
    assert run_cli("apply", "--yes").returncode == 0
    write_policy(
        tmp_path,
        fenced_policy(fenced["distribution"]).replace(
            "        viewer_countries: [EU, GB, CH]\n", ""
        ),
    )
    aws.reset_log()

    result = run_cli("apply", "--yes")

    assert result.returncode == 0, result.stderr
    after = config_of(aws, fenced["distribution"])
    assert viewer_function(after["DefaultCacheBehavior"]) is None
    for pop in ("us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-1"):
        assert not records_at(aws, fenced["zone"], f"{pop}.origin.shop.example.com."), pop
    writes = [
        op for op in aws.operations() if op in ("ChangeResourceRecordSets", "UpdateDistribution")
    ]
    # The direct names stay until no behaviour runs the function that targets them.
    assert writes[-2:] == ["UpdateDistribution", "ChangeResourceRecordSets"]
    assert aws.count("GetFunction") == 0  # an unfenced policy never reads functions
    assert run_cli("plan", "--detailed-exitcode").returncode == 0


# --- Host and SNI (issue 23) -----------------------------------------------------------------

# "Use managed origin request policies": every viewer header except Host, and CloudFront's
# viewer-location headers (CloudFront-Viewer-Country among them).
EXCEPT_HOST_POLICY = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
ORIGIN_HOST = "      aliases: [shop.example.com]\n      host_header: origin\n"


def test_a_behaviour_without_the_viewers_host_publishes_a_fence_that_sends_the_origin_record(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    """AllViewerExceptHostHeader delivers the country header and keeps Host as the origin
    record: with cloudfront.host_header: origin, the published function gives fenced requests
    that same Host (and SNI), which node running the published code shows."""
    from tests.unit.core.edge.test_node import NODE, run

    behaviour = dict(config_of(aws, distribution)["DefaultCacheBehavior"])
    behaviour["OriginRequestPolicyId"] = EXCEPT_HOST_POLICY
    edit_distribution(aws, distribution, DefaultCacheBehavior=behaviour)
    write_policy(
        tmp_path,
        fenced_policy(distribution).replace("      aliases: [shop.example.com]\n", ORIGIN_HOST, 1),
    )

    result = run_cli("apply", "--yes")

    assert result.returncode == 0, result.stderr
    name = json.loads(run_cli("edge-function", "-o", "json").stdout)["function_name"]
    code = live_code(aws, name)
    assert "var VIEWER_HOST = false;" in code
    if NODE is None:
        pytest.skip("node is not installed")
    calls = run(tmp_path, code, [{"country": "DE", "host": "shop.example.com"}])
    record = "origin.shop.example.com"
    assert list(calls.values()) == [
        [{"domainName": f"eu-central-1.{record}", "hostHeader": record, "sni": record}]
    ]


def test_a_host_header_the_behaviour_does_not_forward_is_refused_before_any_write(
    aws: Any, zone: str, distribution: str, run_cli: RunCli, tmp_path: Path
) -> None:
    """The default cloudfront.host_header (viewer) on a behaviour that does not forward Host:
    fenced and unfenced requests would reach the ALB with different Hosts."""
    behaviour = dict(config_of(aws, distribution)["DefaultCacheBehavior"])
    behaviour["OriginRequestPolicyId"] = EXCEPT_HOST_POLICY
    edit_distribution(aws, distribution, DefaultCacheBehavior=behaviour)
    write_policy(tmp_path, fenced_policy(distribution))
    aws.reset_log()

    result = run_cli("apply", "--yes")

    assert result.returncode == 1
    assert (
        f"the default behaviour of distribution {distribution} does not forward the viewer's Host"
    ) in result.stderr
    assert "set cloudfront.host_header: origin" in result.stderr
    for write in ("ChangeResourceRecordSets", "CreateFunction", "UpdateDistribution"):
        assert aws.count(write) == 0, write


def test_fenced_behaviours_that_differ_in_forwarding_host_are_refused(
    aws: Any, fenced: dict[str, Any], run_cli: RunCli
) -> None:
    """One function serves every fenced behaviour and cannot tell them apart: a second
    behaviour on geoproxy's origin that keeps the origin record as Host while the default
    forwards the viewer's is named and refused, whichever host_header the policy says."""
    assert run_cli("apply", "--yes").returncode == 0
    add_api_behaviour(aws, fenced["distribution"], EXCEPT_HOST_POLICY)
    aws.reset_log()

    result = run_cli("apply", "--yes")

    assert result.returncode == 1
    assert (
        f"cache behaviour /api/* of distribution {fenced['distribution']} does not "
        "forward the viewer's Host"
    ) in result.stderr
    assert "the default behaviour" not in result.stderr
    assert aws.count("UpdateDistribution") == 0


# --- a lost answer before the function is published (issue 23) ------------------------------


def test_after_a_lost_answer_the_direct_names_are_answered_before_the_function_is_published(
    aws: Any, fenced: dict[str, Any], run_cli: RunCli
) -> None:
    """The first batch (with the direct names) lands but its answer is lost: no change id,
    so no GetChange. geoproxy asks Route 53's name servers (TestDNSAnswer) for each direct
    name until it is answered; here each answers empty twice, as a name server the change
    has not reached yet, before the function that targets them is published."""
    aws.inject_lost_response("ChangeResourceRecordSets")
    aws.changes.dns_lag(2)
    aws.reset_log()

    result = run_cli("apply", "--yes")

    assert result.returncode == 0, result.stderr
    operations = aws.operations()
    asked = [call for call in aws.calls if call.operation == "TestDNSAnswer"]
    names = {
        dict(part.split("=", 1) for part in call.query.split("&"))["recordname"] for call in asked
    }
    pops = ("us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-1")
    assert {name.rstrip(".") for name in names} == {
        f"{pop}.origin.shop.example.com" for pop in pops
    }
    assert len(asked) == 3 * len(names)  # two empty answers, then the data, per name
    last_asked = max(i for i, op in enumerate(operations) if op == "TestDNSAnswer")
    assert operations.index("CreateFunction") > last_asked
    assert operations.index("ChangeResourceRecordSets") < operations.index("TestDNSAnswer")
