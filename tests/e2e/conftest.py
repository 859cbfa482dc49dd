"""End-to-end fixtures: the real `geoproxy` CLI in a subprocess against the strict emulator,
and what tests read back from it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ORIGIN = "origin.shop.example.com."
STATE = "_geoproxy." + ORIGIN
USE1 = "shop-use1-123.us-east-1.elb.amazonaws.com."
EUW1 = "shop-euw1-456.eu-west-1.elb.amazonaws.com."
APSE1 = "shop-apse1-789.ap-southeast-1.elb.amazonaws.com."
APNE1 = "shop-apne1-321.ap-northeast-1.elb.amazonaws.com."
TOKYO_POP = "      ap-northeast-1: {target: shop-apne1-321.ap-northeast-1.elb.amazonaws.com}\n"

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli(aws: Any, tmp_path: Path) -> RunCli:
    """Run `python -m geoproxy ARGS` in a subprocess against the strict moto server.

    stdin is not a terminal (as in CI and scripts), and the environment carries only fake
    credentials and the local endpoint, so nothing can reach real AWS.
    """

    def run(*args: str, env: dict[str, str] | None = None,
            input_text: str | None = None) -> subprocess.CompletedProcess[str]:
        environment = {key: value for key, value in os.environ.items()
                       if not key.startswith("AWS_")}
        environment.update(aws.env())
        environment.update({"GEOPROXY_POLL_INTERVAL": "0.01", "NO_COLOR": "1",
                            "COLUMNS": "200"})
        environment.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "geoproxy", *args],
            cwd=tmp_path, env=environment, text=True, capture_output=True, timeout=120,
            input=input_text, stdin=None if input_text is not None else subprocess.DEVNULL,
        )

    return run


@pytest.fixture
def zone(aws: Any) -> str:
    """A public hosted zone example.com in the emulator; returns its id."""
    created = aws.client("route53").create_hosted_zone(Name="example.com",
                                                       CallerReference="tests")
    return str(created["HostedZone"]["Id"].split("/")[-1])


def records_at(aws: Any, zone_id: str, name: str = ORIGIN) -> list[dict[str, Any]]:
    pages = aws.client("route53").get_paginator("list_resource_record_sets")
    return [record for page in pages.paginate(HostedZoneId=zone_id)
            for record in page["ResourceRecordSets"] if record["Name"] == name]


def latency_map(aws: Any, zone_id: str, record_type: str = "A") -> dict[str, tuple[str, str]]:
    """source region -> (alias DNS name, alias hosted zone id) of geoproxy's records."""
    return {
        record["Region"]: (record["AliasTarget"]["DNSName"], record["AliasTarget"]["HostedZoneId"])
        for record in records_at(aws, zone_id)
        if record["Type"] == record_type and record.get("SetIdentifier", "").startswith("geoproxy:")
    }
