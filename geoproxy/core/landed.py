"""Did a change batch land? Compare live records with the batch's before and after states.

Pure. A Route 53 batch is atomic, so after an attempt whose answer never came, the names it
touches are in exactly one of two states: as before (it did not land: send it again) or as
after (it landed: carry on). Anything else means someone else changed them meanwhile, and
the only honest thing left is to stop and say what is live.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from geoproxy.core.records import RecordKey, canonical, decode_route53_name, record_key


class Outcome(enum.Enum):
    LANDED = "landed"
    NOT_LANDED = "not landed"
    NEITHER = "neither"


@dataclass(frozen=True)
class Expected:
    """One record set of a batch: as it must be live before, and after (None: absent)."""

    key: RecordKey
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def expectations(batch: list[dict[str, Any]]) -> list[Expected]:
    """Per (name, type, set identifier), its state before and after the batch, applying the
    changes in order as Route 53 does (geoproxy sends DELETE + CREATE, never UPSERT)."""
    before: dict[RecordKey, dict[str, Any] | None] = {}
    after: dict[RecordKey, dict[str, Any] | None] = {}
    for change in batch:
        record_set = change["ResourceRecordSet"]
        key = record_key(record_set)
        if change["Action"] == "DELETE":
            before.setdefault(key, record_set)
            after[key] = None
        else:  # CREATE (and UPSERT): absent before unless this batch deleted it first
            before.setdefault(key, None)
            after[key] = record_set
    return [Expected(key, before[key], after[key]) for key in before]


def names_of(batch: list[dict[str, Any]]) -> list[str]:
    return sorted({decode_route53_name(change["ResourceRecordSet"]["Name"]) for change in batch})


Same = Callable[[dict[str, Any], dict[str, Any]], bool]


def canonically_equal(live: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return canonical(live) == canonical(wanted)


def _same(
    live: dict[str, Any] | None, wanted: dict[str, Any] | None, same: Same = canonically_equal
) -> bool:
    if live is None or wanted is None:
        return live is wanted
    return same(live, wanted)


@dataclass(frozen=True)
class Difference:
    expected: Expected
    live: dict[str, Any] | None


def outcome(
    batch: list[dict[str, Any]],
    live_record_sets: Iterable[dict[str, Any]],
    same: Same = canonically_equal,
) -> tuple[Outcome, list[Difference]]:
    """Where the names of `batch` stand, given every live record set at those names; the
    differences are against the after state (LANDED has none), or, for NEITHER, against
    the before state (what moved since the batch was planned)."""
    live = {record_key(record_set): record_set for record_set in live_record_sets}
    expected = expectations(batch)
    if all(_same(live.get(e.key), e.after, same) for e in expected):
        return Outcome.LANDED, []
    if all(_same(live.get(e.key), e.before, same) for e in expected):
        return Outcome.NOT_LANDED, [
            Difference(e, live.get(e.key))
            for e in expected
            if not _same(live.get(e.key), e.after, same)
        ]
    return Outcome.NEITHER, [
        Difference(e, live.get(e.key))
        for e in expected
        if not _same(live.get(e.key), e.after, same)
    ]


def moved_since_plan(
    batch: list[dict[str, Any]],
    live_record_sets: Iterable[dict[str, Any]],
    same: Same = canonically_equal,
) -> list[Difference]:
    """The record sets whose live state is no longer what the batch expected to find."""
    live = {record_key(record_set): record_set for record_set in live_record_sets}
    return [
        Difference(e, live.get(e.key))
        for e in expectations(batch)
        if not _same(live.get(e.key), e.before, same)
    ]


def describe_record_set(record_set: dict[str, Any] | None) -> str:
    if record_set is None:
        return "absent"
    alias = record_set.get("AliasTarget")
    if alias:
        return f"alias {alias['DNSName'].lower().rstrip('.')}"
    values = [entry["Value"] for entry in record_set.get("ResourceRecords", [])]
    return ", ".join(values) if values else "-"


def describe_key(key: RecordKey) -> str:
    name, record_type, set_identifier = key
    return f"{name} {record_type}" + (f" ({set_identifier})" if set_identifier else "")
