"""Unit tests of the mass-deletion guard (geoproxy.core.safety.mass_deletions)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from geoproxy.core.plan import AppPlan, Plan, RecordChange
from geoproxy.core.records import LiveRecord
from geoproxy.core.safety import mass_deletions


def owned(region: str) -> LiveRecord:
    return LiveRecord(
        {
            "Name": "origin.example.com.",
            "Type": "A",
            "SetIdentifier": f"geoproxy:{region}@default",
            "Region": region,
            "AliasTarget": {
                "HostedZoneId": "Z",
                "DNSName": "lb.example.com.",
                "EvaluateTargetHealth": False,
            },
        }
    )


def plan_with(deletes: int, updates: int, unchanged: int, foreign_deletes: int = 0) -> Plan:
    app = AppPlan("shop", "Z", "example.com", "origin.example.com")
    regions = iter(f"r-{n}" for n in range(1000))
    app.changes += [
        RecordChange("delete", "origin.example.com", "A", r, old=owned(r))
        for r in (next(regions) for _ in range(deletes))
    ]
    app.changes += [
        RecordChange("update", "origin.example.com", "A", r, old=owned(r))
        for r in (next(regions) for _ in range(updates))
    ]
    foreign = LiveRecord(
        {
            "Name": "origin.example.com.",
            "Type": "CNAME",
            "TTL": 60,
            "ResourceRecords": [{"Value": "x.example.net"}],
        }
    )
    app.changes += [
        RecordChange("delete", "origin.example.com", "CNAME", None, old=foreign)
        for _ in range(foreign_deletes)
    ]
    app.unchanged += [SimpleNamespace(record=None)] * unchanged  # type: ignore[list-item]
    return Plan([app])


@pytest.mark.parametrize(
    ("counts", "refused"),
    [
        ((3, 0, 7), False),  # 30% of 10: at the line, allowed
        ((4, 0, 6), True),  # 40%
        ((9, 0, 0), False),  # all of 9: fewer than 10 records, the guard does not apply
        ((10, 0, 0), True),  # all of 10
        ((0, 34, 0), False),  # updates are not deletions
        ((1, 0, 9, 5), False),  # adopted foreign records are not geoproxy's records
    ],
)
def test_guard(counts: Any, refused: bool) -> None:
    found = mass_deletions(plan_with(*counts))
    assert bool(found) is refused
    if found:
        assert found[0].of == sum(counts[:3]) and found[0].deleting == counts[0]
