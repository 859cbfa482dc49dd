"""Unit tests of geoproxy.state (the failover state TXT record) and how the plan writes it."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest

from geoproxy.core.desired import DesiredApp
from geoproxy.core.diff import calculate_app
from geoproxy.core.failover import Failover
from geoproxy.core.live import LiveApp
from geoproxy.core.names import state_name
from geoproxy.core.plan import AppPlan, Conflict, RecordChange
from geoproxy.core.records import LiveRecord
from geoproxy.core.state import (
    STATE_TTL,
    StateRecord,
    decode_value,
    encode_failover,
    encode_failover_v1,
    encode_header,
    is_state_record,
    overlay_of,
)
from geoproxy.pipeline import Compiled, resolve_app
from tests import builders
from tests.builders import application, in_sync, latency_record, live_app
from tests.unit.conftest import AT, NAME, TARGETS, ZONE_ID

STATE = "_geoproxy.origin.example.com"


SHOP = application(source_regions=["us-east-1", "eu-west-1", "eu-west-2", "eu-central-1"])

BASE = {
    "us-east-1": "us-east-1",
    "eu-west-1": "eu-west-1",
    "eu-west-2": "eu-west-1",
    "eu-central-1": "eu-central-1",
}
# eu-west-1 -> eu-central-1 moves both sources that reached eu-west-1.
FAILED_OVER = {**BASE, "eu-west-1": "eu-central-1", "eu-west-2": "eu-central-1"}

EUW1_TO_EUC1 = Failover("eu-west-1", "eu-central-1", AT, "", "power loss")
EUW1_TO_EUC1_VALUE = (
    '"geoproxy-failover=v1 from=eu-west-1 to=eu-central-1 '
    'at=2026-01-02T03%3A04%3A05Z reason=power%20loss"'
)  # as format v1 wrote it (still read)
EUW1_TO_EUC1_V2 = EUW1_TO_EUC1_VALUE.replace("geoproxy-failover=v1", "geoproxy=v2")
TOKEN = "0123456789ab"
HEADER = '"geoproxy=v2 t=0123456789ab"'


# --- encode / decode ------------------------------------------------------------------------


def test_state_name() -> None:
    assert state_name(NAME) == STATE


def test_encode_exact_value() -> None:
    assert encode_failover(EUW1_TO_EUC1) == EUW1_TO_EUC1_V2
    assert encode_failover_v1(EUW1_TO_EUC1) == EUW1_TO_EUC1_VALUE
    assert encode_header(TOKEN) == HEADER
    assert encode_header(TOKEN, gated=True) == '"geoproxy=v2 t=0123456789ab gated=1"'


def test_encode_omits_empty_fields() -> None:
    assert encode_failover(Failover("a", "b", "", "")) == '"geoproxy=v2 from=a to=b"'
    assert decode_value('"geoproxy=v2 from=a to=b"') == Failover("a", "b", "", "")
    assert decode_value('"geoproxy-failover=v1 from=a to=b"') == Failover("a", "b", "", "")
    assert decode_value(HEADER) is None


def test_round_trip_awkward_text() -> None:
    f = Failover(
        "eu-west-1",
        "us-east-1",
        AT,
        "arn:aws:sts::assumed-role/Ops-Admin/alice@example.com",
        'say "hi" \\ 50% off, a=b  twice spaced, café ☃ 日本 + tab\there',
        "DPO approved: 'ticket' #42 = yes %20",
    )
    value = encode_failover(f)
    # Quoted strings holding nothing that needs escaping: no quote, backslash or stray space.
    parts = value.split('"')
    assert parts[0] == parts[-1] == ""
    assert all(sep == " " for sep in parts[2:-1:2])
    text = "".join(parts[1::2])
    assert "\\" not in value
    assert text.count(" ") == 5  # only the separators of marker + 5 fields (never `by`)
    assert "alice" not in value and "arn:" not in value  # the caller is not published
    assert text.split(" ")[4] == (
        "reason=say%20%22hi%22%20%5C%2050%25%20off%2C%20a%3Db%20%20"
        "twice%20spaced%2C%20caf%C3%A9%20%E2%98%83%20%E6%97%A5%E6"
        "%9C%AC%20%2B%20tab%09here"
    )
    assert decode_value(value) == replace(f, by="")


def test_a_caller_in_an_old_record_is_still_read() -> None:
    # Records older geoproxies wrote carry `by`; reading it lets the next apply rewrite them.
    old = '"geoproxy-failover=v1 from=a to=b at=t by=assumed-role%2FOps%2Falice reason=r"'
    assert decode_value(old) == Failover("a", "b", "t", "assumed-role/Ops/alice", "r")


@pytest.mark.parametrize(
    "reason",
    [
        "r" * 300,
        "é" * 120,  # 720 characters once percent-encoded
        "x" * 1000 + ' = % " done',
    ],
)
def test_long_reason_splits_into_strings_of_at_most_255(reason: str) -> None:
    f = Failover("eu-west-1", "eu-central-1", AT, "", reason)
    value = encode_failover(f)
    assert value.startswith('"geoproxy=v2 from=eu-west-1 ')
    strings = value.split('"')[1::2]
    separators = value.split('"')[0::2]
    assert separators[0] == separators[-1] == ""
    assert all(sep == " " for sep in separators[1:-1])
    text = "".join(strings)
    assert len(text) > 255
    assert len(strings) == math.ceil(len(text) / 255)
    assert all(len(s) == 255 for s in strings[:-1])
    assert 1 <= len(strings[-1]) <= 255
    assert decode_value(value) == f


def test_exactly_255_characters_is_one_string() -> None:
    head = len("geoproxy=v2 from=a to=b at=t reason=")
    f = Failover("a", "b", "t", "", "r" * (255 - head))
    value = encode_failover(f)
    assert len(value) == 257
    assert value.count('"') == 2
    assert decode_value(value) == f


@pytest.mark.parametrize(
    "value",
    [
        '"v=spf1 -all"',
        '"geoproxy-failover=v2 from=a to=b"',
        '"from=a to=b"',
        '"xgeoproxy-failover=v1 from=a to=b"',
        '"geoproxy-failover=v1 to=b"',  # no from
        '"geoproxy-failover=v1 from=a"',  # no to
        '"geoproxy-failover=v1"',
        '""',
        "",
    ],
)
def test_decode_rejects(value: str) -> None:
    assert decode_value(value) is None


# --- state records in live ------------------------------------------------------------------


def txt_raw(*values: str, name: str = STATE + ".", ttl: int = 60, **extra: Any) -> dict[str, Any]:
    return {
        "Name": name,
        "Type": "TXT",
        "TTL": ttl,
        "ResourceRecords": [{"Value": value} for value in values],
        **extra,
    }


OTHER = Failover("us-east-1", "eu-central-1", AT, "")


def test_is_state_record_true() -> None:
    record = LiveRecord(txt_raw(EUW1_TO_EUC1_VALUE, encode_failover(OTHER)))
    assert is_state_record(record, NAME) is True


def test_is_state_record_name_as_route53_spells_it() -> None:
    record = LiveRecord(txt_raw(EUW1_TO_EUC1_VALUE, name="_GeoProxy.Origin.Example.com."))
    assert is_state_record(record, NAME) is True


@pytest.mark.parametrize(
    "raw",
    [
        txt_raw('"v=spf1 -all"'),
        txt_raw(),  # no values
        txt_raw(EUW1_TO_EUC1_VALUE, name=NAME + "."),  # at the record itself
        txt_raw(EUW1_TO_EUC1_VALUE, name="_geoproxy.other.example.com."),
        txt_raw(EUW1_TO_EUC1_VALUE, SetIdentifier="w", Weight=10),  # weighted
        {
            "Name": STATE + ".",
            "Type": "SPF",
            "TTL": 60,
            "ResourceRecords": [{"Value": EUW1_TO_EUC1_VALUE}],
        },
        {
            "Name": STATE + ".",
            "Type": "CNAME",
            "TTL": 60,
            "ResourceRecords": [{"Value": "elsewhere.example.com"}],
        },
    ],
    ids=[
        "only-foreign",
        "empty",
        "record-name",
        "other-name",
        "weighted",
        "spf",
        "cname",
    ],
)
def test_is_state_record_false(raw: dict[str, Any]) -> None:
    assert is_state_record(LiveRecord(raw), NAME) is False


def test_overlay_of() -> None:
    record = LiveRecord(txt_raw(encode_failover_v1(OTHER), EUW1_TO_EUC1_VALUE))
    assert overlay_of(record) == {"eu-west-1": EUW1_TO_EUC1, "us-east-1": OTHER}
    assert overlay_of(None) == {}


def test_live_app_finds_state_among_other_records() -> None:
    state = LiveRecord(txt_raw(EUW1_TO_EUC1_VALUE))
    foreign = LiveRecord(txt_raw('"hello"', name="_geoproxy.other.example.com."))
    apex_txt = LiveRecord(txt_raw(EUW1_TO_EUC1_VALUE, name=NAME + "."))
    app = LiveApp(ZONE_ID, "example.com", (foreign, apex_txt, state))
    assert app.state_record(NAME) is state
    assert app.overlay(NAME) == {"eu-west-1": EUW1_TO_EUC1}
    assert app.state_record("www.example.com") is None
    assert app.overlay("www.example.com") == {}


def test_state_record_of_sorts_and_to_route53() -> None:
    b = Failover("us-east-1", "eu-central-1", AT, "")
    a = EUW1_TO_EUC1
    record = StateRecord.of(NAME, [b, a], token=TOKEN)
    assert record == StateRecord(STATE, (a, b))  # the token is not what it says
    assert record.record_type == "TXT"
    assert STATE_TTL == 60
    assert record.to_route53() == {
        "Name": "_geoproxy.origin.example.com.",
        "Type": "TXT",
        "TTL": 60,
        "ResourceRecords": [
            {"Value": HEADER},
            {"Value": EUW1_TO_EUC1_V2},
            {"Value": '"geoproxy=v2 from=us-east-1 to=eu-central-1 at=2026-01-02T03%3A04%3A05Z"'},
        ],
    }
    assert StateRecord.of(NAME, []).token != StateRecord.of(NAME, []).token  # new every time


def test_to_route53_reads_back_as_state() -> None:
    record = StateRecord.of(NAME, [OTHER, EUW1_TO_EUC1])
    live = LiveRecord(record.to_route53())
    assert is_state_record(live, NAME) is True
    assert overlay_of(live) == {"eu-west-1": EUW1_TO_EUC1, "us-east-1": OTHER}


# --- the plan writes the state record -------------------------------------------------------


@pytest.fixture(scope="module")
def compiled() -> Compiled:
    return builders.compiled(SHOP)


def desired_with(compiled: Compiled, *failovers: Failover) -> DesiredApp:
    resolved = resolve_app(
        compiled, compiled.app_routing("shop"), {f.from_pop: f for f in failovers}
    )
    assert resolved.problems == [] and resolved.warnings == []
    return resolved.desired


def live(routes: dict[str, str], *others: dict[str, Any]) -> LiveApp:
    return live_app(*in_sync(routes), *others)


def summary(plan: AppPlan) -> list[tuple[str, str, str, str | None, str]]:
    return [(c.action, c.name, c.record_type, c.source_region, c.note) for c in plan.changes]


def v2(*failovers: Failover, token: str = TOKEN, gated: bool = False) -> dict[str, Any]:
    return StateRecord.of(NAME, failovers, token=token, gated=gated).to_route53()


def test_plan_in_sync_without_failover(compiled: Compiled) -> None:
    desired = desired_with(compiled)
    assert desired.state is not None and desired.state.record.failovers == ()
    plan = calculate_app(desired, live(BASE))
    assert plan.changes == [] and plan.conflicts == []
    assert plan.state_changes() == []  # plan never writes: nothing to assert without changes
    assert len(plan.unchanged) == 4


def test_plan_in_sync_with_a_calm_record(compiled: Compiled) -> None:
    plan = calculate_app(desired_with(compiled), live(BASE, v2()))
    assert plan.changes == [] and plan.state_changes() == []


def test_a_routine_change_asserts_the_state_it_read(compiled: Compiled) -> None:
    calm = v2()
    routes = {**BASE, "eu-west-2": "eu-central-1"}  # drifted: the plan puts it back
    plan = calculate_app(desired_with(compiled), live(routes, calm))
    assert summary(plan) == [("update", NAME, "A", "eu-west-2", "")]
    (assertion,) = plan.state_changes()
    delete, create = assertion.route53_changes()
    assert delete == {"Action": "DELETE", "ResourceRecordSet": calm}  # exactly as read
    assert create["Action"] == "CREATE"
    [header] = create["ResourceRecordSet"]["ResourceRecords"]
    assert header["Value"].startswith('"geoproxy=v2 t=') and header["Value"] != HEADER


def test_the_first_write_creates_the_record(compiled: Compiled) -> None:
    plan = calculate_app(desired_with(compiled), live({**BASE, "eu-west-2": "eu-central-1"}))
    (assertion,) = plan.state_changes()
    assert [c["Action"] for c in assertion.route53_changes()] == ["CREATE"]
    assert assertion.note == "first write of the application"


def test_a_v1_record_is_upgraded_by_the_next_write(compiled: Compiled) -> None:
    v1 = txt_raw(EUW1_TO_EUC1_VALUE)
    desired = desired_with(compiled, EUW1_TO_EUC1)
    assert calculate_app(desired, live(FAILED_OVER, v1)).changes == []  # read, left alone
    routes = {**FAILED_OVER, "us-east-1": "eu-central-1"}
    plan = calculate_app(desired, live(routes, v1))
    (assertion,) = plan.state_changes()
    delete, create = assertion.route53_changes()
    assert delete["ResourceRecordSet"] is v1
    values = [r["Value"] for r in create["ResourceRecordSet"]["ResourceRecords"]]
    assert values[0].startswith('"geoproxy=v2 t=') and values[1:] == [EUW1_TO_EUC1_V2]


def test_plan_creates_state_when_absent(compiled: Compiled) -> None:
    desired = desired_with(compiled, EUW1_TO_EUC1)
    plan = calculate_app(desired, live(FAILED_OVER))
    assert summary(plan) == [("create", STATE, "TXT", None, "")]
    (change,) = plan.changes
    assert change.old is None and change.new is desired.state
    assert plan.state_changes() == []  # the change is the assertion
    [entry] = change.route53_changes()
    assert entry["Action"] == "CREATE"
    assert entry["ResourceRecordSet"]["ResourceRecords"][1:] == [{"Value": EUW1_TO_EUC1_V2}]


def test_plan_failover_moves_records_and_updates_a_calm_state(compiled: Compiled) -> None:
    desired = desired_with(compiled, EUW1_TO_EUC1)
    plan = calculate_app(desired, live(BASE, v2()))
    assert sorted(summary(plan), key=str) == [
        ("update", STATE, "TXT", None, ""),
        ("update", NAME, "A", "eu-west-1", ""),
        ("update", NAME, "A", "eu-west-2", ""),
    ]
    (euw2,) = [c for c in plan.changes if c.source_region == "eu-west-2"]
    assert euw2.old is not None and euw2.old.raw == latency_record("eu-west-2", "eu-west-1")
    assert euw2.new is not None
    assert euw2.new.record.target.dns_name == TARGETS["eu-central-1"][0]


def test_plan_state_unchanged(compiled: Compiled) -> None:
    desired = desired_with(compiled, EUW1_TO_EUC1)
    plan = calculate_app(desired, live(FAILED_OVER, v2(EUW1_TO_EUC1)))
    assert plan.changes == [] and plan.conflicts == []
    assert len(plan.unchanged) == 4


def test_plan_state_unchanged_when_it_decodes_the_same(compiled: Compiled) -> None:
    # Another TTL and the value split differently: what counts is what it says.
    text = EUW1_TO_EUC1_V2[1:-1]
    value = f'"{text[:10]}" "{text[10:]}"'
    desired = desired_with(compiled, EUW1_TO_EUC1)
    plan = calculate_app(desired, live(FAILED_OVER, txt_raw(HEADER, value, ttl=300)))
    assert plan.changes == []


def test_plan_state_update_is_delete_and_create(compiled: Compiled) -> None:
    old_raw = v2(Failover("eu-west-1", "us-east-1", AT, "bob"))
    desired = desired_with(compiled, EUW1_TO_EUC1)
    plan = calculate_app(desired, live(FAILED_OVER, old_raw))
    assert summary(plan) == [("update", STATE, "TXT", None, "")]
    (change,) = plan.changes
    assert change.old is not None and change.old.raw is old_raw
    delete, create = change.route53_changes()
    assert delete == {"Action": "DELETE", "ResourceRecordSet": old_raw}
    assert create["ResourceRecordSet"]["ResourceRecords"][1:] == [{"Value": EUW1_TO_EUC1_V2}]


def test_plan_state_update_when_only_the_reason_differs(compiled: Compiled) -> None:
    old = Failover("eu-west-1", "eu-central-1", AT, "", "power loss?")
    plan = calculate_app(desired_with(compiled, EUW1_TO_EUC1), live(FAILED_OVER, v2(old)))
    assert summary(plan) == [("update", STATE, "TXT", None, "")]


def test_plan_state_update_when_a_failover_is_added(compiled: Compiled) -> None:
    us = Failover("us-east-1", "eu-central-1", AT, "")
    desired = desired_with(compiled, EUW1_TO_EUC1, us)
    routes = {source: "eu-central-1" for source in BASE}
    plan = calculate_app(desired, live(routes, v2(EUW1_TO_EUC1)))
    assert summary(plan) == [("update", STATE, "TXT", None, "")]
    new = plan.changes[0].route53_changes()[1]["ResourceRecordSet"]
    assert [r["Value"] for r in new["ResourceRecords"]][1:] == [
        EUW1_TO_EUC1_V2,
        encode_failover(us),
    ]


def test_failback_leaves_a_calm_record(compiled: Compiled) -> None:
    old_raw = v2(EUW1_TO_EUC1)
    plan = calculate_app(desired_with(compiled), live(FAILED_OVER, old_raw))
    found = summary(plan)
    assert ("update", STATE, "TXT", None, "no failover is active any more") in found
    (state,) = [c for c in plan.changes if c.name == STATE]
    delete, create = state.route53_changes()
    assert delete["ResourceRecordSet"] is old_raw
    [header] = create["ResourceRecordSet"]["ResourceRecords"]
    assert header["Value"].startswith('"geoproxy=v2 t=')


FOREIGN_TXT = txt_raw('"google-site-verification=abc"', ttl=300)


def test_foreign_txt_at_state_name_ignored_while_nothing_is_written(compiled: Compiled) -> None:
    plan = calculate_app(desired_with(compiled), live(BASE, FOREIGN_TXT))
    assert plan.changes == []
    assert plan.conflicts == []


def test_foreign_txt_at_state_name_conflicts_when_the_plan_writes(compiled: Compiled) -> None:
    plan = calculate_app(desired_with(compiled, EUW1_TO_EUC1), live(FAILED_OVER, FOREIGN_TXT))
    assert plan.conflicts == [
        Conflict(LiveRecord(FOREIGN_TXT), "geoproxy keeps its failover state here")
    ]
    routine = calculate_app(desired_with(compiled), live(FAILED_OVER, FOREIGN_TXT))
    assert [c.reason for c in routine.conflicts] == ["geoproxy keeps its failover state here"]


def test_foreign_cname_at_state_name_conflicts(compiled: Compiled) -> None:
    cname = {
        "Name": STATE + ".",
        "Type": "CNAME",
        "TTL": 300,
        "ResourceRecords": [{"Value": "x.example.net"}],
    }
    plan = calculate_app(desired_with(compiled, EUW1_TO_EUC1), live(FAILED_OVER, cname))
    assert [c.record for c in plan.conflicts] == [LiveRecord(cname)]


def test_foreign_txt_adopted_is_deleted_before_create(compiled: Compiled) -> None:
    desired = desired_with(compiled, EUW1_TO_EUC1)
    plan = calculate_app(desired, live(FAILED_OVER, FOREIGN_TXT), adopt=True)
    assert plan.conflicts == []
    assert summary(plan) == [
        ("delete", STATE, "TXT", None, "adopted: geoproxy keeps its failover state here"),
        ("create", STATE, "TXT", None, ""),
    ]
    entries = [entry for change in plan.changes for entry in change.route53_changes()]
    assert [(e["Action"], e["ResourceRecordSet"]["Type"]) for e in entries] == [
        ("DELETE", "TXT"),
        ("CREATE", "TXT"),
    ]
    assert entries[0]["ResourceRecordSet"] is FOREIGN_TXT


def test_adopt_with_failover_and_moves_orders_deletes_first(compiled: Compiled) -> None:
    desired = desired_with(compiled, EUW1_TO_EUC1)
    plan = calculate_app(desired, live(BASE, FOREIGN_TXT), adopt=True)
    found = [(c.action, c.record_type, c.source_region) for c in plan.changes]
    assert found[0] == ("delete", "TXT", None)
    assert sorted(found[1:], key=str) == [
        ("create", "TXT", None),
        ("update", "A", "eu-west-1"),
        ("update", "A", "eu-west-2"),
    ]


def test_record_change_without_old_or_new_is_empty() -> None:
    assert RecordChange("create", STATE, "TXT", None).route53_changes() == []


def test_the_assertion_travels_at_the_end_of_the_applications_batch(compiled: Compiled) -> None:
    from geoproxy.core.batches import batches_for
    from geoproxy.core.plan import Plan

    calm = v2()
    app_plan = calculate_app(
        desired_with(compiled), live({**BASE, "eu-west-2": "eu-central-1"}, calm)
    )
    app_plan.zone_id = ZONE_ID
    [[batch]] = batches_for(Plan([app_plan])).values()
    assert [(c["Action"], c["ResourceRecordSet"]["Type"]) for c in batch] == [
        ("DELETE", "A"),
        ("CREATE", "A"),
        ("DELETE", "TXT"),
        ("CREATE", "TXT"),
    ]
    assert batch[2]["ResourceRecordSet"] is calm
    # No changes: nothing is sent, so nothing is asserted.
    quiet = calculate_app(desired_with(compiled), live(BASE, calm))
    assert batches_for(Plan([quiet])) == {}


def test_a_failover_no_live_record_follows_is_unmatched(compiled: Compiled) -> None:
    from geoproxy.core.state_match import unmatched

    desired = desired_with(compiled, EUW1_TO_EUC1)
    overlay = {"eu-west-1": EUW1_TO_EUC1}
    # Planted: the records still point where the policy says.
    assert unmatched(desired, overlay, live(BASE), False) == [EUW1_TO_EUC1]
    assert unmatched(desired, overlay, live(FAILED_OVER), False) == []
    # One of its two sources moved since (drift): still matched, and status calls it drift.
    assert unmatched(desired, overlay, live({**FAILED_OVER, "eu-west-2": "eu-west-1"}), False) == []
    # Each failover on its own: a real one beside a planted one keeps its match.
    planted = Failover("us-east-1", "eu-central-1", AT, "")
    both = desired_with(compiled, EUW1_TO_EUC1, planted)
    found = unmatched(
        both, {"eu-west-1": EUW1_TO_EUC1, "us-east-1": planted}, live(FAILED_OVER), False
    )
    assert found == [planted]
