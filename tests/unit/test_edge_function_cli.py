"""`geoproxy edge-function` through the real CLI in a subprocess: it needs no emulator (it is
offline), so these run with the unit tests. stdout carries the function's bytes alone; every
refusal is one message and exit 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from geoproxy.core.edge.fence import edge_fence
from geoproxy.core.edge.function import MAX_FUNCTION_BYTES, edge_function
from geoproxy.pipeline import compile_policy
from geoproxy.policy.countries import ISO_3166_ALPHA2
from tests.conftest import EXAMPLE_POLICY, write_policy

# The repository's example with the rule: its gdpr rule also fences EU, GB and CH at
# the edge, which needs the cloudfront section.
FENCED = EXAMPLE_POLICY.replace(
    '        allowed_pops: ["eu-*"]\n',
    '        allowed_pops: ["eu-*"]\n        viewer_countries: [EU, GB, CH]\n',
).replace(
    "    evaluate_target_health: false\n",
    "    evaluate_target_health: false\n    cloudfront:\n      distribution_id: E2EXAMPLE123\n"
    "      aliases: [shop.example.com]\n",
)
BLOG = """\
  - name: blog
    zone: example.com
    record: origin.blog.example.com
    pops:
      eu-central-1: {target: blog-euc1.eu-central-1.elb.amazonaws.com}
      us-east-1: {target: blog-use1.us-east-1.elb.amazonaws.com}
    cloudfront:
      distribution_id: E3BLOG45678
    compliance:
      - {name: dach, sources: [eu-central-1], allowed_pops: [eu-central-1],
         viewer_countries: [DE, AT, CH]}
"""


def cli(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment["NO_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "geoproxy", "edge-function", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=False,
    )


def expected_code(path: Path, app: str) -> str:
    compiled = compile_policy(path)
    fence = edge_fence(compiled.loaded.policy.application(app), compiled.catalog, compiled.owner)
    assert fence is not None
    return edge_function(fence).code


def test_it_prints_exactly_the_function(tmp_path: Path) -> None:
    path = write_policy(tmp_path, FENCED)
    result = cli(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected_code(path, "shop")
    assert result.stdout.startswith("import cf from 'cloudfront';\n")
    assert result.stderr == ""
    assert cli(tmp_path, "--app", "shop", "-f", "routing.yaml").stdout == result.stdout


def test_json_has_the_table_the_name_the_size_and_the_same_code(tmp_path: Path) -> None:
    write_policy(tmp_path, FENCED)
    text = cli(tmp_path).stdout
    result = cli(tmp_path, "-o", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["app"] == "shop" and document["code"] == text
    assert document["function_name"].startswith("geoproxy-default-shop-")
    assert (document["runtime"], document["event_type"]) == ("cloudfront-js-2.0", "viewer-request")
    assert document["size_bytes"] == len(text.encode()) <= document["max_bytes"]
    assert document["max_bytes"] == MAX_FUNCTION_BYTES
    assert document["failovers"] == []  # offline: the policy with no failover
    assert len(document["table"]) == 29  # the 27, GB and CH
    assert document["table"]["DE"]["pop"] == "eu-west-1"  # the example's only EU PoP
    assert document["table"]["DE"]["target"] == "eu-west-1.origin.shop.example.com"
    assert document["table"]["DE"]["reason"].startswith("nearest PoP allowed by 'gdpr', ")
    assert document["fail_closed"]["pop"] == "eu-west-1"


def test_several_fenced_applications_need_app(tmp_path: Path) -> None:
    path = write_policy(tmp_path, FENCED + BLOG)
    result = cli(tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert (
        "2 applications fence viewer countries (shop, blog); choose one with --app NAME"
        in result.stderr
    )
    blog = cli(tmp_path, "--app", "blog")
    assert blog.returncode == 0, blog.stderr
    assert blog.stdout == expected_code(path, "blog")
    assert '"DE": "eu-central-1"' in blog.stdout


def test_an_application_without_a_fence_is_an_error(tmp_path: Path) -> None:
    write_policy(tmp_path, FENCED + BLOG.replace(",\n         viewer_countries: [DE, AT, CH]", ""))
    result = cli(tmp_path, "--app", "blog")
    assert (result.returncode, result.stdout) == (1, "")
    assert (
        "application 'blog' fences no viewer countries, so it has no edge function "
        "(applications that do: shop)"
    ) in result.stderr
    assert "add `viewer_countries` to one of its compliance rules" in result.stderr


def test_a_policy_without_any_fence_is_an_error(tmp_path: Path) -> None:
    write_policy(tmp_path, EXAMPLE_POLICY)
    result = cli(tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    assert "no application in routing.yaml fences viewer countries" in result.stderr
    as_json = cli(tmp_path, "-o", "json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["error"]["message"].startswith("no application in")


def test_an_unknown_application_is_named(tmp_path: Path) -> None:
    write_policy(tmp_path, FENCED)
    result = cli(tmp_path, "--app", "shoop")
    assert result.returncode == 1 and "no application named 'shoop'" in result.stderr


def test_an_invalid_policy_is_refused_with_its_problems(tmp_path: Path) -> None:
    write_policy(
        tmp_path,
        FENCED.replace("viewer_countries: [EU, GB, CH]", "viewer_countries: [EU, GB, CH, DE]"),
    )
    result = cli(tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert "a country is listed more than once: DE listed and also in EU" in result.stderr


def test_a_function_over_the_quota_is_refused(tmp_path: Path) -> None:
    rules = "".join(
        f"      - name: rule-{index}-{'x' * 300}\n        sources: [us-east-1]\n"
        f"        allowed_pops: ['*']\n        viewer_countries: [{', '.join(repr(code) for code in sorted(ISO_3166_ALPHA2))}]\n"  # noqa: E501
        for index in range(6)
    )
    write_policy(tmp_path, FENCED.replace("    compliance:\n", "    compliance:\n" + rules))
    result = cli(tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    assert "over CloudFront's function size quota (10,000 bytes" in result.stderr
    assert "hint:" in result.stderr and "249 countries are fenced by 7 rule(s)" in result.stderr
    # Offline and before any AWS call: validate (and so plan and apply) refuses it too.
    validated = subprocess.run(
        [sys.executable, "-m", "geoproxy", "validate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert validated.returncode == 1
    assert "over CloudFront's function size quota (10,000 bytes" in validated.stderr
