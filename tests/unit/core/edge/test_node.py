"""The generated edge function, run in node against a stand-in for CloudFront's `cloudfront`
module (edge_shim.mjs, which says how it loads the code), over a matrix of viewers: every
fenced country reaches an allowed PoP's direct name, every other country is left alone, a
request without a country goes to the fail-closed PoP, and after a failover the moved
countries reach the new PoP.

Node is not CloudFront's runtime: this proves what the code does, not that CloudFront accepts
it (the generator keeps to what AWS documents for cloudfront-js-2.0 for that). CI installs
Debian's nodejs (.ci/run); elsewhere the tests are skipped without node.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from geoproxy.core.edge.fence import EdgeFence
from geoproxy.core.edge.function import function_code
from geoproxy.core.failover import Failover
from geoproxy.policy.countries import ISO_3166_ALPHA2, expand_countries
from tests.unit.conftest import AT
from tests.unit.core.edge.test_fence import GDPR_FENCE, NO_COMMON_POP, RECORD, fence_of, shop

SHIM = Path(__file__).with_name("edge_shim.mjs")
NODE = shutil.which("node")
if NODE is None and os.environ.get("CI"):
    pytest.fail(
        "node is needed to run the generated edge function (.ci/run installs it)", pytrace=False
    )
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

# Every ISO code, no header, and values CloudFront never sends but an object lookup could trip
# on (an inherited property's name, lower case, empty).
ODD = ["constructor", "__proto__", "toString", "hasOwnProperty", "de", "", "XX"]


VIEWER_HOST = "shop.example.com"  # the Host of edge_shim.mjs's viewer requests


def to(domain: str, host: str = VIEWER_HOST) -> dict[str, str]:
    """The updateRequestOrigin argument that sends a request to `domain` with Host and SNI
    `host`: by default the viewer's (cloudfront.host_header: viewer)."""
    return {"domainName": domain, "hostHeader": host, "sni": host}


def run(tmp_path: Path, code: str, cases: list[Any]) -> dict[Any, list[Any]]:
    """Country (None: no header) -> the updateRequestOrigin calls it made."""
    function = tmp_path / "function.js"
    function.write_text(code, encoding="utf-8")
    matrix = tmp_path / "cases.json"
    matrix.write_text(json.dumps(cases), encoding="utf-8")
    assert NODE is not None
    result = subprocess.run(
        [NODE, str(SHIM), str(function), str(matrix)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcomes = json.loads(result.stdout)
    assert [outcome["country"] for outcome in outcomes] == cases
    assert all(outcome["returned_request"] for outcome in outcomes)
    return {
        json.dumps(outcome["country"])
        if isinstance(outcome["country"], dict)
        else outcome["country"]: outcome["calls"]
        for outcome in outcomes
    }


def allowed_everywhere(country: str, pop: str) -> bool:
    """Whether every rule that fences `country` allows `pop`, by the policy's own globs."""
    app = shop()
    return all(
        any(fnmatchcase(pop, glob) for glob in rule.allowed_pops)
        for rule in app.compliance
        if country in expand_countries(rule.viewer_countries)
    )


def check_matrix(tmp_path: Path, fence: EdgeFence) -> dict[str | None, list[Any]]:
    cases: list[str | None] = [*sorted(ISO_3166_ALPHA2), None, *ODD]
    calls = run(tmp_path, function_code(fence), cases)
    for country in cases:
        if country in fence.table:
            assert calls[country] == [to(f"{fence.table[country]}.{RECORD}")]
        elif country is None:
            assert fence.fail_closed is not None
            assert calls[None] == [to(fence.fail_closed.target)]
        else:
            assert calls[country] == [], country  # unfenced: latency routing serves it
    return calls


def test_fenced_countries_reach_an_allowed_pop_and_others_are_left_alone(tmp_path: Path) -> None:
    fence = fence_of()
    calls = check_matrix(tmp_path, fence)
    for country, pop in fence.table.items():
        assert allowed_everywhere(country, pop), country
    assert calls["DE"] == [to("eu-central-1.origin.example.com")]
    assert calls["IE"] == [to("eu-west-1.origin.example.com")]
    assert calls["CH"] == [to("eu-central-2.origin.example.com")]
    assert calls["US"] == [] and calls["JP"] == []
    assert calls[None] == [to("eu-central-2.origin.example.com")]


def test_after_a_failover_the_moved_countries_reach_the_new_pop(tmp_path: Path) -> None:
    before = fence_of()
    overlay = {"eu-central-1": Failover("eu-central-1", "eu-west-1", AT, "oncall", "drill")}
    after = fence_of(overlay)
    calls = check_matrix(tmp_path, after)
    moved = [country for country, pop in before.table.items() if pop == "eu-central-1"]
    assert moved and "DE" in moved
    for country in moved:
        assert calls[country] == [to("eu-west-1.origin.example.com")]
    assert calls["CH"] == [to("eu-central-2.origin.example.com")]  # not moved


def test_without_a_fail_closed_pop_no_header_is_left_alone(tmp_path: Path) -> None:
    fence = fence_of(app=shop(GDPR_FENCE, NO_COMMON_POP))
    assert fence.fail_closed is None
    calls = run(tmp_path, function_code(fence), [None, "US", "FR"])
    assert calls == {
        None: [],
        "US": [to("us-east-1.origin.example.com")],
        "FR": [to(fence.table["FR"] + ".origin.example.com")],
    }


# --- Host and SNI (issue 23): what unfenced requests of the fenced behaviours carry --------


def host_cases() -> list[Any]:
    return [
        {"country": "DE", "host": "shop.example.com"},
        {"country": "DE", "host": "www.example.org"},
        {"country": "DE", "host": None},
        {"country": None, "host": "shop.example.com"},
        {"country": "US", "host": "shop.example.com"},
    ]


def test_behaviours_that_forward_host_keep_the_viewers_host_and_sni(tmp_path: Path) -> None:
    """cloudfront.host_header: viewer (the default, for AllViewerAndCloudFrontHeaders-2022-06,
    AllViewer or a policy naming Host): the ALB sees the viewer's Host and SNI, fenced or
    not; a request without a Host gets the origin record, as CloudFront would send."""
    fence = fence_of()
    assert fence.host_header == "viewer"
    calls = run(tmp_path, function_code(fence), host_cases())
    de = "eu-central-1.origin.example.com"
    assert list(calls.values()) == [
        [to(de, "shop.example.com")],
        [to(de, "www.example.org")],
        [to(de, RECORD)],
        [to("eu-central-2.origin.example.com", "shop.example.com")],
        [],
    ]


def test_behaviours_that_do_not_forward_host_get_the_origin_record(tmp_path: Path) -> None:
    """cloudfront.host_header: origin (for AllViewerExceptHostHeader, or policies without
    Host): unfenced requests reach the ALB with Host <record>, and so do fenced ones, not
    with the PoP's direct name that hostHeader's documented default would give."""
    fence = fence_of(app=shop(host_header="origin"))
    assert fence.host_header == "origin"
    calls = run(tmp_path, function_code(fence), host_cases())
    de = "eu-central-1.origin.example.com"
    assert list(calls.values()) == [
        [to(de, RECORD)],
        [to(de, RECORD)],
        [to(de, RECORD)],
        [to("eu-central-2.origin.example.com", RECORD)],
        [],
    ]


def test_the_shim_refuses_code_without_the_import_line(tmp_path: Path) -> None:
    # The runner itself can fail: a function that does not start as AWS requires.
    code = function_code(fence_of()).replace("import cf from 'cloudfront';\n", "", 1)
    (tmp_path / "function.js").write_text(code, encoding="utf-8")
    (tmp_path / "cases.json").write_text("[]", encoding="utf-8")
    assert NODE is not None
    result = subprocess.run(
        [NODE, str(SHIM), str(tmp_path / "function.js"), str(tmp_path / "cases.json")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0 and "the first line must be" in result.stderr
