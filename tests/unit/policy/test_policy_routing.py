"""Routing problems point at the policy file's lines: `route_policy` reports what it finds
through the loaded policy, whose source map locates each issue (routing itself is tested in
memory in tests/unit/core/test_routing.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from geoproxy.core.routing import route_policy
from geoproxy.errors import PolicyError
from geoproxy.policy.catalog import Catalog, botocore_latency_regions
from geoproxy.policy.loader import load_policy
from tests.conftest import MINIMAL_POLICY, write_policy


@pytest.fixture(scope="module")
def extended() -> Catalog:
    """A catalog whose botocore knows a region geoproxy cannot place on the map."""
    return Catalog.load((*botocore_latency_regions(), "xx-new-1"))


def policy_file(tmp_path: Path, body: str) -> Path:
    """A one-application policy; `body` holds the application's keys after `record`.

    Line 1 is `version: 1`; `body` starts on line 6.
    """
    head = MINIMAL_POLICY.split("    pops:\n")[0]
    return write_policy(tmp_path, head + textwrap.indent(textwrap.dedent(body), "    "))


def routing_error(tmp_path: Path, body: str, catalog: Catalog) -> PolicyError:
    loaded = load_policy(policy_file(tmp_path, body), catalog)
    with pytest.raises(PolicyError) as info:
        route_policy(loaded, catalog)
    error = info.value
    assert error.file == loaded.file
    assert loaded.file in str(error)
    return error


GDPR = """\
compliance:
  - name: gdpr
    sources: ["eu-*"]
    allowed_pops: ["eu-*"]
"""

TWO_POPS = """\
pops:
  us-east-1: {target: a-1.us-east-1.elb.amazonaws.com}
  eu-west-1: {target: b-2.eu-west-1.elb.amazonaws.com}
"""


def test_force_breaking_compliance(tmp_path: Path, catalog: Catalog) -> None:
    body = TWO_POPS + "force:\n  me-south-1: us-east-1\n  eu-west-3: us-east-1\n" + GDPR
    # Lines: 6 pops, 7-8 PoPs, 9 force, 10 me-south-1, 11 eu-west-3, 12 compliance.
    error = routing_error(tmp_path, body, catalog)
    assert len(error.issues) == 1
    issue = error.issues[0]
    assert issue.dotted_path() == "applications[0].force.eu-west-3"
    assert issue.line == 11
    assert issue.message == (
        "compliance rule 'gdpr': source eu-west-3 would reach PoP us-east-1 (forced), which "
        "the rule does not allow; a compliant PoP is eu-west-1"
    )
    assert f"{error.file}:11: applications[0].force.eu-west-3:" in str(error)


def test_nearest_breaking_compliance(tmp_path: Path, catalog: Catalog) -> None:
    body = (
        "source_regions: [eu-west-1, us-east-1]\n"
        "pops:\n  us-east-1: {target: a-1.us-east-1.elb.amazonaws.com}\n" + GDPR
    )
    # Lines: 6 source_regions, 7 pops, 8 us-east-1, 9 compliance, 10 "- name", 12 allowed_pops.
    error = routing_error(tmp_path, body, catalog)
    assert [(i.dotted_path(), i.line, i.message) for i in error.issues] == [
        (
            "applications[0].compliance[0]",
            10,
            "compliance rule 'gdpr': source eu-west-1 would reach PoP us-east-1 (nearest), "
            "which the rule does not allow; no PoP of this application is allowed",
        ),
        (
            "applications[0].compliance[0].allowed_pops",
            12,
            "compliance rule 'gdpr' allows none of the application's PoPs",
        ),
    ]
    assert "'gdpr'" in str(error)


def test_several_problems_reported_together(tmp_path: Path, catalog: Catalog) -> None:
    body = TWO_POPS + "force:\n  eu-west-3: us-east-1\n  eu-north-1: us-east-1\n" + GDPR
    error = routing_error(tmp_path, body, catalog)
    assert [(i.dotted_path(), i.line) for i in error.issues] == [
        ("applications[0].force.eu-north-1", 11),
        ("applications[0].force.eu-west-3", 10),
    ]
    assert f"{error.file}: invalid policy (2 problems)" in str(error)


def test_unlocated_region_named_explicitly_is_an_error(tmp_path: Path, extended: Catalog) -> None:
    error = routing_error(tmp_path, "source_regions: [xx-new-1]\n" + TWO_POPS, extended)
    assert [(i.dotted_path(), i.line, i.message) for i in error.issues] == [
        (
            "applications[0].source_regions",
            6,
            "cannot route source region xx-new-1: it has no known location; add a `force` entry "
            "for it",
        )
    ]
