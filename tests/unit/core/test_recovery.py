"""Accelerated recovery and stranded changes: the pure decisions (core/recovery.py) and the
policy rule that zones under accelerated recovery need `zone_id`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from geoproxy.core.recovery import (
    CONTROL_PLANE_NOTE,
    ChangeCheck,
    SubmittedChange,
    ZoneRecovery,
    control_plane_note,
    recent_changes,
    zone_recoveries,
)
from geoproxy.errors import PolicyError
from tests.builders import ZONE, ZONE_ID, application, policy

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


def line(minutes_ago: float, change_id: str, **more: object) -> str:
    when = (NOW - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")
    entry = {
        "time": when,
        "command": "failover",
        "action": "ChangeResourceRecordSets",
        "zone_id": ZONE_ID,
        "change_id": change_id,
        "records": [{"name": "a"}, {"name": "b"}],
        **more,
    }
    return json.dumps(entry)


def test_zones_under_accelerated_recovery_need_their_zone_id() -> None:
    with pytest.raises(PolicyError) as refused:
        policy(application(), recovery={"accelerated_recovery": True})
    assert "recovery.accelerated_recovery needs `zone_id` for zone example.com" in str(
        refused.value
    )
    assert policy(application(zone_id=ZONE_ID), recovery={"accelerated_recovery": True})


def test_the_control_plane_note_only_without_any_recovery_path() -> None:
    assert control_plane_note(policy(application())) == CONTROL_PLANE_NOTE
    prepared = policy(application(zone_id=ZONE_ID), recovery={"accelerated_recovery": True})
    assert control_plane_note(prepared) is None


def test_zone_statuses_come_from_the_lookup_and_say_what_apply_does() -> None:
    asked = policy(application(zone_id=ZONE_ID), recovery={"accelerated_recovery": True})
    [zone] = zone_recoveries(asked, {ZONE: ZONE_ID}, {})
    assert (zone.status, zone.to_enable) == ("DISABLED", True)  # no Features: never enabled
    assert zone_recoveries(policy(application()), {ZONE: ZONE_ID}, {}) == []  # not asked
    for status, to_enable in [
        ("ENABLED", False),
        ("ENABLING", False),
        ("ENABLING_HOSTED_ZONE_LOCKED", False),
        ("ENABLE_FAILED", True),
        ("DISABLED", True),
    ]:
        assert ZoneRecovery(ZONE, ZONE_ID, status).to_enable is to_enable, status
    assert ZoneRecovery(ZONE, ZONE_ID, "ENABLED").describe().endswith("ENABLED")


def test_recent_changes_are_the_last_ones_inside_the_window_newest_first() -> None:
    lines = [
        line(200, "COLD"),  # before the window: replicated long before any outage now
        "not json",
        json.dumps({"action": "CreateHealthCheck", "time": "2026-12-07T11:59:00Z"}),
        line(30, "C1"),
        line(5, "C2", command="apply"),
        line(-5, "FUTURE"),  # a clock ahead of this one: not yet, as far as we know
    ]
    found = recent_changes(lines, NOW)
    assert [c.change_id for c in found] == ["C2", "C1"]
    assert found[0] == SubmittedChange("C2", ZONE_ID, found[0].time, "apply", 2)
    assert [c.change_id for c in recent_changes(lines, NOW, limit=1)] == ["C2"]


def test_each_status_says_what_to_do() -> None:
    change = SubmittedChange("C9", ZONE_ID, "2026-12-07T11:00:00Z", "failover", 3)
    assert "nothing to resubmit" in ChangeCheck(change, "INSYNC").advice()
    assert "`geoproxy wait C9`" in ChangeCheck(change, "PENDING").advice()
    stranded = ChangeCheck(change, "MISSING")
    assert stranded.stranded
    assert "running `geoproxy failover` again with the same arguments" in stranded.advice()
