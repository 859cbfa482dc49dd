"""core/guardrails.py: drain pending, protections and the explanation of a rejection, pure."""

from __future__ import annotations

from typing import Any

from geoproxy.core.batches import batch_order
from geoproxy.core.guardrails import (
    Protection,
    drain_lines,
    feature_lines,
    guardrail_findings,
    guardrails_named,
    mentions_protection,
    plan_for_guardrails,
    protected_findings,
)
from geoproxy.core.plan import AppPlan, Plan, RecordChange
from geoproxy.core.records import LiveRecord
from geoproxy.core.zone_features import (
    ACTIVE_RECORD_CHECK,
    ALIAS_TARGET_CHECK,
    NOT_REPORTED,
    ZoneFeatures,
)

ZONE = "Z1"
ORIGIN = "origin.shop.example.com."
PAIR = "ap-southeast-1._failover." + ORIGIN


def pair_record(role: str) -> dict[str, Any]:
    return {
        "Name": PAIR,
        "Type": "A",
        "SetIdentifier": f"geoproxy:{role.lower()}@team",
        "Failover": role,
        "AliasTarget": {"HostedZoneId": "Z35", "DNSName": "elb.", "EvaluateTargetHealth": True},
    }


def latency_to_pair() -> dict[str, Any]:
    return {
        "Name": ORIGIN,
        "Type": "A",
        "SetIdentifier": "geoproxy:ap-southeast-2@team",
        "Region": "ap-southeast-2",
        "AliasTarget": {"HostedZoneId": ZONE, "DNSName": PAIR, "EvaluateTargetHealth": False},
    }


def removal_plan() -> Plan:
    """A PoP removed: its pair deleted, the latency record that aliased to it re-pointed
    (the update's new side is irrelevant here: only what was live is a source of queries)."""
    app = AppPlan("shop", ZONE, "example.com", ORIGIN.rstrip("."))
    app.changes = [
        RecordChange("delete", PAIR, "A", None, old=LiveRecord(pair_record(role)))
        for role in ("PRIMARY", "SECONDARY")
    ]
    app.changes.insert(
        0, RecordChange("delete", ORIGIN, "A", "ap-southeast-2", old=LiveRecord(latency_to_pair()))
    )
    return Plan([app])


def features(*guardrails: str) -> dict[str, ZoneFeatures]:
    return {ZONE: ZoneFeatures(guardrails=frozenset(guardrails), reported=True)}


def test_a_still_queried_pair_waits_for_a_later_run_under_active_record_check() -> None:
    plan = removal_plan()
    plan_for_guardrails(plan, features(ACTIVE_RECORD_CHECK))
    [app] = plan.apps
    assert [c.name for c in app.drain_pending] == [PAIR, PAIR]
    assert [c.name for c in app.changes] == [ORIGIN]
    assert len(drain_lines(plan)) == 2 and "(PRIMARY)" in drain_lines(plan)[0]


def test_without_the_guardrail_or_without_features_everything_goes_in_one_run() -> None:
    for known in (features(ALIAS_TARGET_CHECK), {ZONE: NOT_REPORTED}, {}):
        plan = removal_plan()
        plan_for_guardrails(plan, known)
        assert plan.apps[0].drain_pending == [] and len(plan.apps[0].changes) == 3


def test_a_pair_no_alias_points_to_is_deleted_now() -> None:
    plan = removal_plan()
    plan.apps[0].changes.pop(0)  # the latency record was re-pointed by an earlier run
    plan_for_guardrails(plan, features(ACTIVE_RECORD_CHECK))
    assert plan.apps[0].drain_pending == [] and len(plan.apps[0].changes) == 2


def test_protected_changes_are_named_with_their_comment() -> None:
    batch = [{"Action": "DELETE", "ResourceRecordSet": latency_to_pair()}] * 2
    found = protected_findings(
        [(ZONE, batch)], {ZONE: [Protection(ORIGIN, "A", "payments: ask first")]}
    )
    assert len(found) == 1  # one per protection, not per change
    assert found[0].code == "record_protected"
    assert "payments: ask first" in found[0] and "never deletes a protection" in found[0]
    assert protected_findings([(ZONE, batch)], {ZONE: [Protection(ORIGIN, "AAAA")]}) == []


def test_a_rejection_is_recognised_by_the_guardrail_s_name_only() -> None:
    message = "[ACTIVE_RECORD_CHECK: Tried to delete resource record set ...]"
    assert guardrails_named(message) == [ACTIVE_RECORD_CHECK]
    assert guardrails_named("[Tried to create resource record set ... already exists]") == []
    assert mentions_protection("Resource record set protection [name=...] rejects ...")
    batch = [
        {"Action": "DELETE", "ResourceRecordSet": pair_record("PRIMARY")},
        {"Action": "DELETE", "ResourceRecordSet": latency_to_pair()},
        {"Action": "CREATE", "ResourceRecordSet": latency_to_pair()},
    ]
    [finding] = guardrail_findings(ZONE, batch, [ACTIVE_RECORD_CHECK])
    assert finding.code == "guardrail_rejected"
    assert PAIR in finding and "geoproxy:primary@team" in finding
    assert "ap-southeast-2" not in finding  # the latency record's DELETE+CREATE: a replacement
    assert "point them elsewhere" in finding


def test_status_lines_say_what_is_on_and_what_more_would_do() -> None:
    lines = feature_lines("example.com", ZONE, features(ALIAS_TARGET_CHECK)[ZONE])
    assert lines[0].endswith("change guardrails on: ALIAS_TARGET_CHECK; change history: off")
    assert any("ACTIVE_RECORD_CHECK" in line and "two runs" in line for line in lines)
    assert feature_lines("example.com", ZONE, NOT_REPORTED) == []


def test_a_direct_name_is_deleted_before_the_pair_it_aliases_to() -> None:
    """ALIAS_TARGET_CHECK read change by change: the alias source first, whatever the names'
    order (`ap-southeast-1._failover.` sorts before `ap-southeast-1.origin.`)."""
    direct = {
        "Name": "ap-southeast-1." + ORIGIN,
        "Type": "A",
        "SetIdentifier": "geoproxy:direct@team",
        "Weight": 1,
        "AliasTarget": {"HostedZoneId": ZONE, "DNSName": PAIR, "EvaluateTargetHealth": False},
    }
    changes = [
        RecordChange("delete", PAIR, "A", None, old=LiveRecord(pair_record("PRIMARY"))),
        RecordChange("delete", direct["Name"], "A", None, old=LiveRecord(direct)),
    ]
    ordered = sorted(changes, key=lambda change: batch_order(change, ORIGIN.rstrip(".")))
    assert [change.name for change in ordered] == [direct["Name"], PAIR]


def test_under_alias_target_check_a_pair_waits_for_its_direct_name_s_phase() -> None:
    """The direct name goes after the distribution update (its origin group uses it until
    then); the pair it aliases to may go no earlier."""
    direct = {
        "Name": "ap-southeast-1." + ORIGIN,
        "Type": "A",
        "SetIdentifier": "geoproxy:direct@team",
        "Weight": 1,
        "AliasTarget": {"HostedZoneId": ZONE, "DNSName": PAIR, "EvaluateTargetHealth": False},
    }
    app = AppPlan("shop", ZONE, "example.com", ORIGIN.rstrip("."))
    app.changes = [
        RecordChange("delete", direct["Name"], "A", None, old=LiveRecord(direct)),
        RecordChange("delete", PAIR, "A", None, old=LiveRecord(pair_record("PRIMARY"))),
    ]
    assert [c.after_distribution for c in app.changes] == [True, False]
    plan_for_guardrails(Plan([app]), features(ALIAS_TARGET_CHECK))
    assert [c.after_distribution for c in app.changes] == [True, True]
    assert app.drain_pending == []
