"""End to end: A and AAAA records, each aliased to the right name and zone of its PoP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_POLICY, write_policy
from tests.e2e.conftest import RunCli, latency_map

pytestmark = pytest.mark.e2e


def test_a_and_aaaa_with_an_nlb_pop(aws: Any, zone: str, run_cli: RunCli, tmp_path: Path) -> None:
    nlb = "shop-euw1-nlb-456.elb.eu-west-1.amazonaws.com"
    policy = EXAMPLE_POLICY.replace("record_types: [A]", "record_types: [A, AAAA]").replace(
        "shop-euw1-456.eu-west-1.elb.amazonaws.com", nlb
    )
    write_policy(tmp_path, policy)
    result = run_cli("apply", "--yes")
    assert result.returncode == 0, result.stderr
    for record_type in ("A", "AAAA"):
        mapping = latency_map(aws, zone, record_type)
        assert len(mapping) == 34
        assert mapping["eu-west-2"] == (
            "shop-euw1-nlb-456.elb.eu-west-1.amazonaws.com.",
            "Z2IFOLAFXWLO4F",
        )  # the NLB zone, not the ALB one
    assert aws.count("ChangeResourceRecordSets") == 1
