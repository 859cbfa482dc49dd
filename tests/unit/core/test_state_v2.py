"""Format v2 of the state record: reading it (valid, malformed, self-referential), what an
older geoproxy makes of it, its size in a batch, the saved plans' rebase, and which records
a failover must match."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest

from geoproxy.core.batches import BatchLimits, change_cost, pack
from geoproxy.core.failover import Failover
from geoproxy.core.records import LiveRecord
from geoproxy.core.saved_plan_rules import rebase_state
from geoproxy.core.state import (
    MALFORMED,
    SELF_REFERENTIAL,
    StateRecord,
    encode_failover,
    encode_failover_v1,
    encode_header,
    new_token,
    read_state,
)
from tests.unit.conftest import AT, NAME

STATE = "_geoproxy.origin.example.com."
EUW1 = Failover("eu-west-1", "eu-central-1", AT, "", "power loss")
HEADER = encode_header("0123456789ab")


def txt(*values: str) -> LiveRecord:
    return LiveRecord(
        {
            "Name": STATE,
            "Type": "TXT",
            "TTL": 60,
            "ResourceRecords": [{"Value": value} for value in values],
        }
    )


def test_a_v2_record_reads_back() -> None:
    state = read_state(txt(HEADER, encode_failover(EUW1)))
    assert state.valid and state.version == 2 and state.token == "0123456789ab"
    assert state.failovers == {"eu-west-1": EUW1} and state.gated is False


def test_a_gated_record_says_so() -> None:
    # For data-plane switches (issue 25): a switch writes no record, so the record says the
    # application's failovers are the switches'.
    record = StateRecord.of(NAME, [], gated=True)
    state = read_state(LiveRecord(record.to_route53()))
    assert state.valid and state.gated and state.failovers == {}
    assert record.says_same(state)
    assert not StateRecord.of(NAME, []).says_same(state)


def test_a_v1_record_reads_as_version_1() -> None:
    state = read_state(txt(encode_failover_v1(EUW1)))
    assert state.valid and state.version == 1 and state.token == ""
    assert state.failovers == {"eu-west-1": EUW1}


@pytest.mark.parametrize(
    ("values", "why"),
    [
        ((HEADER, '"v=spf1 -all"'), "a value without geoproxy's marker"),
        ((HEADER, encode_failover_v1(EUW1)), "v1 and v2 values mixed"),
        ((HEADER, HEADER), "two header values"),
        (('"geoproxy=v2 t=XYZ"',), "token 'XYZ' is not 12 hex digits"),
        ((encode_failover(EUW1),), "no header value with a token"),
        ((HEADER, '"geoproxy=v2 from=eu-west-1"'), "a failover without from= or to="),
        (
            (HEADER, encode_failover(EUW1), encode_failover(EUW1)),
            "two failovers away from eu-west-1",
        ),
    ],
)
def test_a_malformed_record_says_why_and_no_failover(values: tuple[str, ...], why: str) -> None:
    state = read_state(txt(*values))
    assert state.code == MALFORMED and state.problem == f"malformed: {why}"
    assert state.failovers == {}


def test_a_self_referential_failover_is_invalid_and_left_out() -> None:
    selfish = Failover("eu-west-1", "eu-west-1", AT, "")
    other = Failover("us-east-1", "eu-central-1", AT, "")
    state = read_state(txt(HEADER, encode_failover(selfish), encode_failover(other)))
    assert state.code == SELF_REFERENTIAL
    assert "from=eu-west-1 to=eu-west-1" in state.problem
    assert state.failovers == {"us-east-1": other} and state.invalid == ("eu-west-1",)


def last_release_decode(value: str) -> Failover | None:
    """The reader of the last release (format v1), verbatim but for names: it requires the
    v1 marker on every value of a state record."""
    text = "".join(part for part in value.split('"')[1::2])
    words = text.split(" ")
    if not words or words[0] != "geoproxy-failover=v1":
        return None
    fields = dict(word.split("=", 1) for word in words[1:] if "=" in word)
    keys = (("from", "from_pop"), ("to", "to_pop"), ("at", "at"), ("reason", "reason"))
    values = {attr: unquote(fields.get(key, "")) for key, attr in keys}
    if not values["from_pop"] or not values["to_pop"]:
        return None
    return Failover(**values, by="")


def test_the_last_release_reads_a_v2_record_as_foreign() -> None:
    # It treats a record as its state only if every value decodes (is_state_record), so a
    # v2 record is foreign to it: left alone, and its failover's CREATE of the name refused.
    record = StateRecord.of(NAME, [EUW1]).to_route53()
    decoded = [last_release_decode(r["Value"]) for r in record["ResourceRecords"]]
    assert decoded == [None, None]
    assert last_release_decode(encode_failover_v1(EUW1)) is not None


def assertion(token: str, gated: bool = False) -> list[dict[str, Any]]:
    old = StateRecord.of(NAME, [], token=new_token(), gated=gated).to_route53()
    new = StateRecord.of(NAME, [], token=token, gated=gated).to_route53()
    return [
        {"Action": "DELETE", "ResourceRecordSet": old},
        {"Action": "CREATE", "ResourceRecordSet": new},
    ]


@pytest.mark.parametrize("gated", [False, True])
def test_300_applications_assertions_fit_one_batch(gated: bool) -> None:
    # A calm record's DELETE + CREATE counts in Route 53's 32,000 value characters: 300
    # applications' must fit in one batch (with room for their alias records, which count 0).
    groups = [assertion(new_token(), gated) for _ in range(300)]
    characters = sum(change_cost(change)[1] for group in groups for change in group)
    assert characters <= 32_000 * 0.7, characters
    assert len(pack(groups, BatchLimits())) == 1


def test_a_saved_batch_is_rebased_on_the_record_read_now() -> None:
    planned = StateRecord.of(NAME, [], token="aaaaaaaaaaaa").to_route53()
    batch = [
        {"Action": "DELETE", "ResourceRecordSet": planned},
        {"Action": "CREATE", "ResourceRecordSet": StateRecord.of(NAME, [EUW1]).to_route53()},
    ]
    live = StateRecord.of(NAME, [], token="bbbbbbbbbbbb").to_route53()  # an unrelated write
    rebased = rebase_state(batch, [live])
    assert rebased[0] == {"Action": "DELETE", "ResourceRecordSet": live}
    values = [v["Value"] for v in rebased[1]["ResourceRecordSet"]["ResourceRecords"]]
    assert values[1:] == [encode_failover(EUW1)]
    assert values[0] not in (encode_header("aaaaaaaaaaaa"), encode_header("bbbbbbbbbbbb"))


def test_a_saved_batch_is_not_rebased_when_the_state_says_otherwise() -> None:
    planned = StateRecord.of(NAME, []).to_route53()
    batch = [
        {"Action": "DELETE", "ResourceRecordSet": planned},
        {"Action": "CREATE", "ResourceRecordSet": StateRecord.of(NAME, [EUW1]).to_route53()},
    ]
    live = StateRecord.of(NAME, [Failover("us-east-1", "eu-central-1", AT, "")]).to_route53()
    assert rebase_state(batch, [live]) == batch  # stale: apply PLANFILE exits 3


def test_no_record_reads_as_a_calm_one_for_a_saved_batch() -> None:
    # A plan made before any v2 write CREATEs the record; a calm one written since is fine.
    create = {"Action": "CREATE", "ResourceRecordSet": StateRecord.of(NAME, [EUW1]).to_route53()}
    live = StateRecord.of(NAME, []).to_route53()
    rebased = rebase_state([create], [live])
    assert [c["Action"] for c in rebased] == ["DELETE", "CREATE"]
