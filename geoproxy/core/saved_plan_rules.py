"""Rules for applying a saved plan later: time stamps, and what counts as the same record.

Pure. A failover prepared in calm weather (`failover --dry-run --out`) is declared when it is
applied, not when it was planned, so its state record gets the apply time. That time is not
known when the plan is checked against live, so comparisons of state records leave the time
out; and a health check the plan creates has no id until it exists, so a placeholder id
matches any.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from geoproxy.core.batches import Batches, Change
from geoproxy.core.changeset import ChangeSet
from geoproxy.core.healthchecks import PENDING_PREFIX
from geoproxy.core.names import STATE_LABEL
from geoproxy.core.records import canonical, decode_route53_name
from geoproxy.core.state import (
    MARKER,
    decode_value,
    encode_failover,
    encode_header,
    new_token,
)


def _is_state(record_set: dict[str, Any]) -> bool:
    return record_set.get("Type") == "TXT" and decode_route53_name(record_set["Name"]).startswith(
        STATE_LABEL + "."
    )


def _is_header(value: str) -> bool:
    words = "".join(value.split('"')[1::2]).split(" ")
    return words[0] == MARKER and words[1:2] != [] and words[1].startswith("t=")


def _untimed(record_set: dict[str, Any] | None) -> tuple[Any, ...]:
    """What a state record says, its time stamps and token aside (a v2 header's token is new
    with every write; `gated` stays)."""
    if record_set is None:
        return ()  # no record: as a calm one (format v2 writes one with the first write)
    said: list[tuple[str, ...]] = []
    for entry in record_set.get("ResourceRecords", []):
        value = str(entry.get("Value", ""))
        if _is_header(value):
            if "gated=1" in value:
                said.append(("gated",))
            continue
        f = decode_value(value)
        said.append((f.from_pop, f.to_pop, f.by, f.reason, f.override_compliance) if f else ("?",))
    return tuple(sorted(said))


def said_failovers(record_set: dict[str, Any] | None) -> tuple[Any, ...]:
    """What a state record says, its token aside: the failovers with their times (a
    failover declared again at another time is another failover), and whether it is gated."""
    if record_set is None:
        return ()
    said: list[tuple[str, ...]] = []
    for entry in record_set.get("ResourceRecords", []):
        value = str(entry.get("Value", ""))
        if _is_header(value):
            if "gated=1" in value:
                said.append(("gated",))
            continue
        f = decode_value(value)
        said.append(
            (f.from_pop, f.to_pop, f.at, f.by, f.reason, f.override_compliance) if f else ("?",)
        )
    return tuple(sorted(said))


def same_ignoring_apply_time(live: dict[str, Any], wanted: dict[str, Any]) -> bool:
    if _is_state(wanted) and _is_state(live):
        return _untimed(live) == _untimed(wanted)
    if str(wanted.get("HealthCheckId", "")).startswith(PENDING_PREFIX):
        live = {key: value for key, value in live.items() if key != "HealthCheckId"}
        wanted = {key: value for key, value in wanted.items() if key != "HealthCheckId"}
    return canonical(live) == canonical(wanted)


def rebase_state(batch: list[Change], live_record_sets: list[dict[str, Any]]) -> list[Change]:
    """A saved batch's state record compare-and-swaps, made against the records read now:
    where the live state says what the plan read (its token aside; no record reads as a calm
    one), the DELETE is of the live record and the CREATE has a new token, so an
    unrelated write since (which only changes the token) does not stale the plan. Elsewhere
    the batch is left as it is, and is stale."""
    names = {
        decode_route53_name(c["ResourceRecordSet"]["Name"])
        for c in batch
        if _is_state(c["ResourceRecordSet"])
    }
    for name in sorted(names):
        batch = _rebase_one(batch, name, live_record_sets)
    return batch


def _rebase_one(
    batch: list[Change], name: str, live_record_sets: list[dict[str, Any]]
) -> list[Change]:
    def here(record_set: dict[str, Any]) -> bool:
        return _is_state(record_set) and decode_route53_name(record_set["Name"]) == name

    states = [c for c in batch if here(c["ResourceRecordSet"])]
    before = next((c["ResourceRecordSet"] for c in states if c["Action"] == "DELETE"), None)
    after = next(
        (c["ResourceRecordSet"] for c in reversed(states) if c["Action"] != "DELETE"), None
    )
    live = next((r for r in live_record_sets if here(r) and "SetIdentifier" not in r), None)
    if after is None or said_failovers(live) != said_failovers(before):
        return batch
    values = [
        {"Value": encode_header(new_token(), "gated=1" in str(entry.get("Value", "")))}
        if _is_header(str(entry.get("Value", "")))
        else entry
        for entry in after.get("ResourceRecords", [])
    ]
    swap: list[Change] = [{"Action": "DELETE", "ResourceRecordSet": live}] if live else []
    swap.append({"Action": "CREATE", "ResourceRecordSet": {**after, "ResourceRecords": values}})
    at = batch.index(states[0])
    rest = [c for c in batch if c not in states]
    return rest[:at] + swap + rest[at:]


def _stamp_change(change: Change, declared_at: str, now: str) -> Change:
    record_set = change["ResourceRecordSet"]
    if change["Action"] != "CREATE" or not _is_state(record_set):
        return change
    values = []
    for entry in record_set.get("ResourceRecords", []):
        failover = decode_value(entry["Value"])
        if failover is not None and failover.at == declared_at:
            values.append({"Value": encode_failover(dataclasses.replace(failover, at=now))})
        else:
            values.append(entry)
    return {**change, "ResourceRecordSet": {**record_set, "ResourceRecords": values}}


def _stamp_batches(batches: Batches, declared_at: str, now: str) -> Batches:
    return {
        zone_id: [
            [_stamp_change(change, declared_at, now) for change in batch] for batch in zone_batches
        ]
        for zone_id, zone_batches in batches.items()
    }


def stamp_failovers(changes: ChangeSet, declared_at: str | None, now: str) -> ChangeSet:
    """The failovers the plan declared (at `declared_at`) are declared `now` instead."""
    if not declared_at:
        return changes
    return dataclasses.replace(
        changes,
        before_distributions=_stamp_batches(changes.before_distributions, declared_at, now),
        after_distributions=_stamp_batches(changes.after_distributions, declared_at, now),
    )


def is_state_assertion(deleted: dict[str, Any] | None, created: dict[str, Any] | None) -> bool:
    """A state record change that only asserts what was read (a new token, the same
    failovers): sent with an application's records, never counted as a change of its own.
    A change of the failovers themselves is one (core.diff)."""
    record_set = created if created is not None else deleted
    if record_set is None or not _is_state(record_set) or created is None:
        return False

    def failovers(said: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(item for item in said if item != ("gated",))

    return failovers(said_failovers(deleted)) == failovers(said_failovers(created))
