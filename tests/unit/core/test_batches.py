"""Unit tests of geoproxy.batching: the cost of a change and packing groups into batches."""

from __future__ import annotations

from typing import Any

import pytest

from geoproxy.core.batches import BatchLimits, change_cost, pack
from geoproxy.errors import GeoproxyError

LB = "lb.example."  # 11 characters


def alias(action: str, name: str = "a.example.com.", dns_name: str = LB) -> dict[str, Any]:
    return {
        "Action": action,
        "ResourceRecordSet": {
            "Name": name,
            "Type": "A",
            "SetIdentifier": "geoproxy:eu-west-1",
            "Region": "eu-west-1",
            "AliasTarget": {
                "HostedZoneId": "Z32O12XQLNTSW2",
                "DNSName": dns_name,
                "EvaluateTargetHealth": False,
            },
        },
    }


def values(action: str, *vals: str, name: str = "a.example.com.") -> dict[str, Any]:
    return {
        "Action": action,
        "ResourceRecordSet": {
            "Name": name,
            "Type": "A",
            "TTL": 60,
            "ResourceRecords": [{"Value": v} for v in vals],
        },
    }


def group(name: str, size: int) -> list[dict[str, Any]]:
    """`size` alias CREATEs at `name`: `size` records, 11 * size value characters."""
    return [alias("CREATE", name=name) for _ in range(size)]


def names(batches: list[list[dict[str, Any]]]) -> list[list[str]]:
    return [[c["ResourceRecordSet"]["Name"] for c in batch] for batch in batches]


# --- change_cost --------------------------------------------------------------------------------


def test_default_limits_are_route53s() -> None:
    assert BatchLimits() == BatchLimits(max_records=1000, max_value_chars=32000)


@pytest.mark.parametrize(
    ("change", "cost"),
    [
        # An alias has no Value: one element, no characters, however long its DNS name.
        (alias("CREATE"), (1, 0)),
        (alias("DELETE"), (1, 0)),
        (alias("UPSERT"), (2, 0)),
        (alias("CREATE", dns_name="b-2.eu-west-1.elb.amazonaws.com."), (1, 0)),
        (values("CREATE", "192.0.2.1", "192.0.2.22"), (2, 19)),
        (values("UPSERT", "192.0.2.1", "192.0.2.22"), (4, 38)),
        (values("DELETE", '"v=spf1 -all"'), (1, 13)),
        (values("CREATE"), (1, 0)),  # no values still counts as one record
    ],
)
def test_change_cost(change: dict[str, Any], cost: tuple[int, int]) -> None:
    assert change_cost(change) == cost


# --- pack -----------------------------------------------------------------------------------------


def test_pack_nothing() -> None:
    assert pack([]) == []


def test_pack_everything_fits_in_one_batch() -> None:
    groups = [group("a.", 3), group("b.", 2), group("c.", 1)]
    batches = pack(groups)
    assert names(batches) == [["a.", "a.", "a.", "b.", "b.", "c."]]
    assert batches[0] == [change for g in groups for change in g]


def test_pack_splits_on_records_only_between_groups() -> None:
    limits = BatchLimits(max_records=4, max_value_chars=10_000)
    batches = pack([group("a.", 2), group("b.", 2), group("c.", 1)], limits)
    # a+b is exactly 4 records: allowed; c would make 5 and starts a new batch.
    assert names(batches) == [["a.", "a.", "b.", "b."], ["c."]]


def test_pack_does_not_go_back_to_earlier_batches() -> None:
    limits = BatchLimits(max_records=4, max_value_chars=10_000)
    batches = pack([group("a.", 3), group("b.", 2), group("c.", 1)], limits)
    assert names(batches) == [["a.", "a.", "a."], ["b.", "b.", "c."]]


def test_pack_never_splits_a_group() -> None:
    limits = BatchLimits(max_records=5, max_value_chars=10_000)
    batches = pack([group("a.", 2), group("b.", 4), group("c.", 3), group("d.", 2)], limits)
    assert names(batches) == [
        ["a.", "a."],
        ["b.", "b.", "b.", "b."],
        ["c.", "c.", "c.", "d.", "d."],
    ]
    for batch in batches:
        assert sum(change_cost(c)[0] for c in batch) <= 5


def test_pack_counts_upserts_twice() -> None:
    limits = BatchLimits(max_records=4, max_value_chars=10_000)
    batches = pack(
        [[alias("UPSERT", name="a.")], [alias("UPSERT", name="b.")], [alias("CREATE", name="c.")]],
        limits,
    )
    assert names(batches) == [["a.", "b."], ["c."]]


def test_pack_splits_on_value_characters() -> None:
    limits = BatchLimits(max_records=1000, max_value_chars=30)
    # 11 characters each: 22 fits, 33 does not.
    txt = [[values("CREATE", "x" * 11, name=f"{n}.")] for n in "abc"]
    assert names(pack(txt, limits)) == [["a.", "b."], ["c."]]
    limits = BatchLimits(max_records=1000, max_value_chars=33)
    assert names(pack(txt, limits)) == [["a.", "b.", "c."]]


def test_aliases_fill_a_batch_by_count_alone() -> None:
    # 300 applications of 34 aliases: 29 fit in 1,000 elements, so 11 batches, not 20.
    long_name = "shop-apse1-789.ap-southeast-1.elb.amazonaws.com."
    groups = [[alias("CREATE", name=f"app{i}.", dns_name=long_name)] * 34 for i in range(300)]
    batches = pack(groups)
    assert len(batches) == 11
    assert [len(batch) for batch in batches[:-1]] == [29 * 34] * 10


def test_pack_group_exactly_at_the_limits_is_fine() -> None:
    limits = BatchLimits(max_records=3, max_value_chars=33)
    assert names(pack([group("a.", 3), group("b.", 3)], limits)) == [
        ["a.", "a.", "a."],
        ["b.", "b.", "b."],
    ]


def test_pack_group_over_record_limit_raises() -> None:
    limits = BatchLimits(max_records=4, max_value_chars=10_000)
    with pytest.raises(GeoproxyError) as info:
        pack([group("ok.example.com.", 1), group("big.example.com.", 5)], limits)
    assert info.value.message == (
        "the changes to big.example.com. (5 records, 0 value characters) exceed one Route 53 "
        "change batch and cannot be made atomically"
    )
    assert info.value.kind == "error"


def test_pack_group_over_character_limit_raises() -> None:
    limits = BatchLimits(max_records=1000, max_value_chars=21)
    with pytest.raises(GeoproxyError, match=r"a\.example\.com\. \(2 records, 22 value"):
        pack([[values("CREATE", "x" * 11, "y" * 11)]], limits)


def test_pack_keeps_update_pairs_together() -> None:
    # An update is DELETE old + CREATE new at one name: two records, never split.
    update = [alias("DELETE", name="n."), alias("CREATE", name="n.")]
    limits = BatchLimits(max_records=3, max_value_chars=10_000)
    batches = pack([group("a.", 2), update, group("b.", 1)], limits)
    assert names(batches) == [["a.", "a."], ["n.", "n.", "b."]]
    assert [c["Action"] for c in batches[1]] == ["DELETE", "CREATE", "CREATE"]
