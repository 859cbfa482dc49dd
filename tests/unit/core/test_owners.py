"""Owners: the marker in geoproxy's SetIdentifiers, claiming unmarked records, orphans, prune."""

from __future__ import annotations

from typing import Any

import pytest

from geoproxy.core.desired import DesiredApp
from geoproxy.core.diff import calculate_app, prune_plan
from geoproxy.core.healthchecks import LiveHealthCheck
from geoproxy.core.names import TAG_OWNER, TAG_POP, TAG_RECORD, owned_identifier, split_owner
from geoproxy.core.orphans import find_orphans
from geoproxy.core.plan import Plan
from geoproxy.core.records import LiveRecord
from geoproxy.core.safety import check, mass_deletions
from geoproxy.errors import PolicyError
from tests import builders
from tests.unit.conftest import EUW1_ELB, EUW1_ZONE, NAME, ZONE_ID
from tests.unit.core.test_diff import SHOP, desired_from, in_sync, latency_raw, live

OLD = "origin.old.example.com"


@pytest.fixture
def desired() -> DesiredApp:
    return desired_from(SHOP)[0]


def test_identifiers_carry_the_owner_after_the_slot() -> None:
    assert owned_identifier("eu-west-1", "payments") == "geoproxy:eu-west-1@payments"
    assert owned_identifier("viewer", None) == "geoproxy:viewer"
    assert split_owner("geoproxy:eu-west-1@payments") == ("geoproxy:eu-west-1", "payments")
    assert split_owner("geoproxy:eu-west-1") == ("geoproxy:eu-west-1", None)
    assert split_owner("blue@green") == ("blue@green", None)  # not geoproxy's: no owner


def test_the_default_owner_is_written(desired: DesiredApp) -> None:
    assert desired.owner == "default"
    assert {d.record.set_identifier.split("@")[1] for d in desired.records} == {"default"}


@pytest.mark.parametrize("owner", ["Payments", "a@b", "-x", "x" * 64, ""])
def test_bad_owners_are_refused(owner: str) -> None:
    with pytest.raises(PolicyError) as failure:
        builders.policy(SHOP, owner=owner)
    assert "owner" in str(failure.value)


def test_records_from_before_owners_are_claimed_by_an_update(desired: DesiredApp) -> None:
    unmarked = [{**raw, "SetIdentifier": raw["SetIdentifier"].split("@")[0]} for raw in in_sync()]
    plan = calculate_app(desired, live(*unmarked))
    assert [c.action for c in plan.changes] == ["update"] * 3
    assert all("claimed for owner 'default'" in c.note for c in plan.changes)
    # The update deletes exactly the unmarked record and creates the marked one in its slot.
    change = plan.changes[0]
    entries = change.route53_changes()
    assert entries[0]["ResourceRecordSet"]["SetIdentifier"] == change.old.raw["SetIdentifier"]
    assert entries[1]["ResourceRecordSet"]["SetIdentifier"].endswith("@default")
    assert mass_deletions(Plan([plan])) == []


def test_another_owners_record_is_a_conflict_and_never_deleted(desired: DesiredApp) -> None:
    theirs = latency_raw("eu-west-1", EUW1_ELB, EUW1_ZONE, set_id="geoproxy:eu-west-1@teamb")
    stray = latency_raw("ap-south-1", EUW1_ELB, EUW1_ZONE, set_id="geoproxy:ap-south-1@teamb")
    ours = [raw for raw in in_sync() if raw["Region"] != "eu-west-1"]
    plan = calculate_app(desired, live(*ours, theirs, stray))
    assert [c.action for c in plan.changes] == ["create"]  # eu-west-1's slot is theirs
    assert [c.reason for c in plan.conflicts] == [
        "a latency record for eu-west-1 of geoproxy owner 'teamb'"
    ]
    assert [r.raw for r in plan.untouched] == [stray]


def test_an_owner_of_its_own_sees_the_default_owners_records_as_foreign() -> None:
    desired = desired_from(SHOP, owner="b")[0]
    plan = calculate_app(desired, live(*in_sync()))
    assert {c.action for c in plan.changes} == {"create"}
    assert [c.reason.endswith("of geoproxy owner 'default'") for c in plan.conflicts] == [True] * 3
    assert len(check(Plan([plan]))) == 3  # so the plan is refused, and nothing is deleted


# --- orphans -------------------------------------------------------------------------------


def _alias(name: str, set_id: str, **policy: Any) -> dict[str, Any]:
    return {
        "Name": name + ".",
        "Type": "A",
        "SetIdentifier": set_id,
        **policy,
        "AliasTarget": {
            "HostedZoneId": EUW1_ZONE,
            "DNSName": EUW1_ELB + ".",
            "EvaluateTargetHealth": False,
        },
    }


STATE = {
    "Name": f"_geoproxy.{OLD}.",
    "Type": "TXT",
    "TTL": 60,
    "ResourceRecords": [
        {"Value": '"geoproxy-failover=v1 from=eu-west-1 to=us-east-1 at=2026-01-02T03%3A04%3A05Z"'}
    ],
}

ZONE_RECORDS = [
    _alias(OLD, "geoproxy:eu-west-1@default", Region="eu-west-1"),
    _alias(OLD, "geoproxy:us-east-1@default", Region="us-east-1"),
    _alias(
        f"eu-west-1._failover.{OLD}",
        "geoproxy:primary@default",
        Failover="PRIMARY",
        HealthCheckId="hc-old",
    ),
    _alias(f"eu-west-1._failover.{OLD}", "geoproxy:secondary@default", Failover="SECONDARY"),
    _alias(f"us-east-1.{OLD}", "geoproxy:direct@default", Weight=1),
    STATE,
    _alias("www.old.example.com", "geoproxy:viewer@default", Weight=1),
    # never orphans: the policy's own, another owner's, unmarked, not geoproxy's
    _alias(NAME, "geoproxy:eu-west-1@default", Region="eu-west-1"),
    _alias("origin.team-b.example.com", "geoproxy:eu-west-1@teamb", Region="eu-west-1"),
    _alias("origin.legacy.example.com", "geoproxy:eu-west-1", Region="eu-west-1"),
    _alias("blue.example.com", "blue", Weight=1),
]


def _orphans(checks: list[LiveHealthCheck] = ()) -> list[Any]:  # type: ignore[assignment]
    return find_orphans(
        "default",
        ZONE_ID,
        "example.com",
        [LiveRecord(raw) for raw in ZONE_RECORDS],
        lambda record: record.name == NAME or record.name.endswith("." + NAME),
        checks,
    )


def _check(check_id: str, record: str, owner: str | None) -> LiveHealthCheck:
    tags = {TAG_RECORD: record, TAG_POP: "eu-west-1", **({TAG_OWNER: owner} if owner else {})}
    return LiveHealthCheck(check_id, "geoproxy-" + "0" * 40, {"Type": "HTTPS"}, tags)


def test_orphans_are_the_owners_records_grouped_by_application() -> None:
    checks = [
        _check("hc-old", OLD, "default"),
        _check("hc-b", OLD, "teamb"),
        _check("hc-now", NAME, "default"),
        _check("hc-legacy", OLD, None),
    ]
    orphans = _orphans(checks)
    assert [(o.root, o.kind, len(o.records)) for o in orphans] == [
        (OLD, "application", 6),
        ("www.old.example.com", "viewer alias", 1),
    ]
    assert {r.name for r in orphans[0].records} == {
        OLD,
        f"eu-west-1._failover.{OLD}",
        f"us-east-1.{OLD}",
        f"_geoproxy.{OLD}",
    }
    assert [c.id for c in orphans[0].health_checks] == ["hc-old"]
    assert orphans[0].name == f"orphan {OLD}"


def test_a_state_record_alone_is_no_orphan() -> None:
    orphans = find_orphans(
        "default", ZONE_ID, "example.com", [LiveRecord(STATE)], lambda record: False
    )
    assert orphans == []


def test_another_owner_finds_only_its_own() -> None:
    orphans = find_orphans(
        "teamb",
        ZONE_ID,
        "example.com",
        [LiveRecord(raw) for raw in ZONE_RECORDS],
        lambda record: False,
    )
    assert [o.root for o in orphans] == ["origin.team-b.example.com"]


def test_pruning_deletes_aliases_before_what_they_point_at_then_the_checks() -> None:
    orphan = _orphans([_check("hc-old", OLD, "default")])[0]
    plan = prune_plan(orphan)
    assert [c.action for c in plan.changes] == ["delete"] * 6
    names = [c.name for c in plan.changes]
    # The latency records alias to the pair: they go first; the pair last.
    assert names.index(OLD) < names.index(f"eu-west-1._failover.{OLD}")
    assert [c.id for c in plan.health_checks.delete] == ["hc-old"]
    assert all(c.note.startswith("orphan:") for c in plan.changes)


def test_pruning_a_big_orphan_is_under_the_guard() -> None:
    records = tuple(
        LiveRecord(_alias(OLD, f"geoproxy:r{i}@default", Region=f"r{i}")) for i in range(12)
    )
    orphan = find_orphans("default", ZONE_ID, "example.com", records, lambda record: False)[0]
    [deletion] = mass_deletions(Plan([prune_plan(orphan)]))
    assert (deletion.app, deletion.deleting, deletion.of) == (f"orphan {OLD}", 12, 12)
