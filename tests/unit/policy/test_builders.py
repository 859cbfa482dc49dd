"""The in-memory builders (`tests/builders.py`) build what loading and compiling a policy
file gives, so the core tests that use them test what users' policies produce."""

from __future__ import annotations

from pathlib import Path

import pytest

from geoproxy.errors import PolicyError
from geoproxy.pipeline import compile_policy
from tests import builders
from tests.builders import application, example_application, pop
from tests.conftest import write_policy


def test_the_example_application_is_the_example_policys(tmp_path: Path) -> None:
    from_file = compile_policy(write_policy(tmp_path))
    in_memory = builders.compiled(example_application())
    assert in_memory.loaded.policy == from_file.loaded.policy
    assert in_memory.routing == from_file.routing
    assert in_memory.owner == from_file.owner


def test_a_built_application_routes_as_its_yaml_does(tmp_path: Path) -> None:
    app = application(
        source_regions=["us-east-1", "eu-west-1", "eu-central-1"],
        record_types=["A", "AAAA"],
        nearest="distance",
        pops={
            "us-east-1": pop("us-east-1"),
            "eu-west-1": pop("eu-west-1", failover_to="eu-central-1"),
            "eu-central-1": pop("eu-central-1"),
        },
        compliance=[builders.GDPR],
    )
    text = f"""\
version: 1
owner: team-a
applications:
  - name: shop
    zone: example.com
    record: {builders.NAME}
    record_types: [A, AAAA]
    source_regions: [us-east-1, eu-west-1, eu-central-1]
    nearest: distance
    pops:
      us-east-1: {{target: {builders.USE1_ELB}}}
      eu-west-1: {{target: {builders.EUW1_ELB}, failover_to: eu-central-1}}
      eu-central-1: {{target: {builders.EUC1_ELB}}}
    compliance:
      - name: gdpr
        sources: ["eu-*"]
        allowed_pops: ["eu-*"]
"""
    from_file = compile_policy(write_policy(tmp_path, text))
    in_memory = builders.compiled(app, owner="team-a")
    assert in_memory.loaded.policy == from_file.loaded.policy
    assert in_memory.routing == from_file.routing
    assert builders.routing(app, owner="team-a") == from_file.app_routing("shop")


def test_a_built_policy_is_checked_as_a_loaded_one() -> None:
    # The catalog's checks run too, not only the schema: a PoP's ELB must be in its region.
    app = application(pops={"us-east-1": pop("eu-west-1")})
    with pytest.raises(PolicyError, match="is a load balancer in eu-west-1, not in us-east-1"):
        builders.policy(app)
