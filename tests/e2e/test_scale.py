"""Request budgets at scale, exact: what plan, apply, failover and failback cost per zone.

Reads: one zone lookup per zone and ceil(records / 300) listings of the zone (it is read
whole when that is not dearer than listing each application's names). Writes: batches of at
most 1,000 elements, an alias change counting as one, one application's changes never split:
29 applications of 34 records fill a batch.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_POLICY, many_apps_policy, write_policy
from tests.e2e.conftest import RunCli, records_at

pytestmark = pytest.mark.e2e

RECORDS_PER_APP = 34  # one latency record per source region
LIVE_PER_APP = RECORDS_PER_APP + 1  # and its failover state record (format v2)
APEX = 2  # the zone's own NS and SOA


def batches_for(group_sizes: list[int], limit: int = 1000) -> int:
    """Greedy packing of whole groups, as the executor does."""
    batches, used = 0, limit
    for size in group_sizes:
        if used + size > limit:
            batches, used = batches + 1, 0
        used += size
    return batches


def reads(operations: list[str]) -> Counter[str]:
    return Counter(op for op in operations if op not in ("GetChange",))


@pytest.mark.parametrize(
    ("count", "zones"),
    [
        (1, ("example.com",)),
        pytest.param(100, ("example.com",), marks=pytest.mark.slow),
        pytest.param(300, ("example.com",), marks=pytest.mark.slow),
        pytest.param(300, ("example.com", "example.org"), marks=pytest.mark.slow),
    ],
)
@pytest.mark.slow
def test_read_and_write_budgets(
    aws: Any, run_cli: RunCli, tmp_path: Path, count: int, zones: tuple[str, ...]
) -> None:
    route53 = aws.client("route53")
    for zone in zones:
        route53.create_hosted_zone(Name=zone, CallerReference=zone)
    write_policy(tmp_path, many_apps_policy(count, zones))
    per_zone = [len(range(i, count, len(zones))) for i in range(len(zones))]

    aws.reset_log()
    assert run_cli("apply", "--yes", "--no-wait").returncode == 0
    # Empty zones: one listing each; the delegation pre-flight finds the NS record sets in
    # them and needs only its ListHostedZones.
    assert reads(aws.operations()) == Counter(
        {
            "ListHostedZonesByName": len(zones),
            "ListResourceRecordSets": len(zones),
            "ListHostedZones": 1,
            "ListResourceRecordSetProtections": len(zones),  # once per zone written
            # Each application's group: its records, and the state record's CREATE.
            "ChangeResourceRecordSets": sum(batches_for([LIVE_PER_APP] * n) for n in per_zone),
        }
    )

    aws.reset_log()
    planned = run_cli("plan", "--detailed-exitcode")
    assert planned.returncode == 0, planned.stdout
    assert aws.operations().count("ListHostedZonesByName") == len(zones)
    assert aws.count("ListResourceRecordSets") == sum(
        math.ceil((n * LIVE_PER_APP + APEX) / 300) for n in per_zone
    )
    assert aws.count() == len(zones) + aws.count("ListResourceRecordSets")

    aws.reset_log()
    moved = run_cli("failover", "--from", "eu-west-1", "--yes", "--no-wait", "--output", "json")
    assert moved.returncode == 0, moved.stderr
    document = json.loads(moved.stdout)
    changes_per_app = [
        2 * len(app["changes"]) - sum(c["action"] != "update" for c in app["changes"])
        for app in document["plan"]["applications"]
    ]
    by_zone = [changes_per_app[i :: len(zones)] for i in range(len(zones))]
    assert aws.count("ListResourceRecordSets") == sum(
        math.ceil((n * LIVE_PER_APP + APEX) / 300) for n in per_zone
    )
    assert aws.count("ChangeResourceRecordSets") == sum(batches_for(z) for z in by_zone)
    assert aws.count() == (
        len(zones) + aws.count("ListResourceRecordSets") + aws.count("ChangeResourceRecordSets")
    )

    aws.reset_log()
    back = run_cli("failback", "eu-west-1", "--yes", "--no-wait")
    assert back.returncode == 0, back.stderr
    assert aws.count("ChangeResourceRecordSets") == sum(batches_for(z) for z in by_zone)
    assert aws.count("ListHostedZonesByName") == len(zones)


@pytest.mark.slow
def test_a_saved_plan_of_many_applications_reads_its_zone_once(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path, many_apps_policy(100))
    assert run_cli("plan", "--out", "all.json").returncode == 0
    aws.reset_log()
    applied = run_cli("apply", "all.json", "--yes", "--no-wait")
    assert applied.returncode == 0, applied.stderr
    # 100 names to check: the zone's size (GetHostedZone) says one listing of it is cheaper,
    # and it holds the NS record sets the delegation pre-flight looks for.
    assert reads(aws.operations()) == Counter(
        {
            "GetHostedZone": 1,
            "ListResourceRecordSets": 1,
            "ListHostedZones": 1,
            "ListResourceRecordSetProtections": 1,
            "ChangeResourceRecordSets": batches_for([RECORDS_PER_APP] * 100),
        }
    )


@pytest.mark.slow
def test_changes_past_route53_limits_split_by_name(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    body = EXAMPLE_POLICY.split("applications:\n", 1)[1]
    apps = "".join(
        body.replace("name: shop", f"name: app{index}").replace(
            "origin.shop.", f"origin.app{index}."
        )
        for index in range(30)
    )
    write_policy(tmp_path, "version: 1\napplications:\n" + apps)
    aws.reset_log()

    result = run_cli("apply", "--yes")

    assert result.returncode == 0, result.stderr
    # 30 x 34 = 1,020 records: more than one batch holds, and no name is split across two.
    assert aws.count("ChangeResourceRecordSets") == 2
    for index in range(30):
        assert len(records_at(aws, zone, f"origin.app{index}.example.com.")) == 34
