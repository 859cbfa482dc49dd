"""Unit tests of geoproxy.core.landed: did a batch whose answer was lost land?"""

from __future__ import annotations

from typing import Any

from geoproxy.core.landed import Outcome, expectations, moved_since_plan, names_of, outcome


def latency(region: str, target: str) -> dict[str, Any]:
    return {
        "Name": "origin.example.com.",
        "Type": "A",
        "SetIdentifier": f"geoproxy:{region}@default",
        "Region": region,
        "AliasTarget": {"HostedZoneId": "Z1", "DNSName": target, "EvaluateTargetHealth": False},
    }


OLD = latency("eu-west-2", "a.eu-west-1.elb.amazonaws.com")
NEW = latency("eu-west-2", "b.eu-central-1.elb.amazonaws.com")
STATE = {
    "Name": "_geoproxy.origin.example.com.",
    "Type": "TXT",
    "TTL": 60,
    "ResourceRecords": [{"Value": '"geoproxy-failover=v1 from=eu-west-1"'}],
}
BATCH = [
    {"Action": "DELETE", "ResourceRecordSet": OLD},
    {"Action": "CREATE", "ResourceRecordSet": NEW},
    {"Action": "CREATE", "ResourceRecordSet": STATE},
]


def test_expectations_apply_the_changes_in_order() -> None:
    by_key = {e.key: (e.before, e.after) for e in expectations(BATCH)}
    assert by_key[("origin.example.com", "A", "geoproxy:eu-west-2@default")] == (OLD, NEW)
    assert by_key[("_geoproxy.origin.example.com", "TXT", "")] == (None, STATE)
    assert names_of(BATCH) == ["_geoproxy.origin.example.com", "origin.example.com"]


def test_after_state_means_landed() -> None:
    # Route 53 lists names lower-case with a trailing dot and alias names as it likes them.
    listed = {
        **NEW,
        "AliasTarget": {**NEW["AliasTarget"], "DNSName": "B.eu-central-1.elb.amazonaws.com."},
    }
    assert outcome(BATCH, [listed, STATE]) == (Outcome.LANDED, [])


def test_before_state_means_not_landed() -> None:
    where, differences = outcome(BATCH, [OLD])
    assert where is Outcome.NOT_LANDED
    assert len(differences) == 2


def test_anything_else_is_neither() -> None:
    where, differences = outcome(BATCH, [NEW])  # the record moved, but no state record
    assert where is Outcome.NEITHER
    assert [d.expected.key[1] for d in differences] == ["TXT"]
    assert outcome(BATCH, [])[0] is Outcome.NEITHER  # someone deleted the old record


def test_moved_since_plan_names_what_changed() -> None:
    assert moved_since_plan(BATCH, [OLD]) == []
    moved = moved_since_plan(BATCH, [])
    assert [d.expected.key for d in moved] == [
        ("origin.example.com", "A", "geoproxy:eu-west-2@default")
    ]
