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
from geoproxy.core.state import decode_value, encode_failover


def _is_state(record_set: dict[str, Any]) -> bool:
    return record_set.get("Type") == "TXT" and decode_route53_name(record_set["Name"]).startswith(
        STATE_LABEL + "."
    )


def _untimed(record_set: dict[str, Any]) -> tuple[Any, ...]:
    failovers = [decode_value(entry["Value"]) for entry in record_set.get("ResourceRecords", [])]
    return tuple(
        sorted(
            (f.from_pop, f.to_pop, f.by, f.reason, f.override_compliance) if f else ("?",)
            for f in failovers
        )
    )


def same_ignoring_apply_time(live: dict[str, Any], wanted: dict[str, Any]) -> bool:
    if _is_state(wanted) and _is_state(live):
        return _untimed(live) == _untimed(wanted)
    if str(wanted.get("HealthCheckId", "")).startswith(PENDING_PREFIX):
        live = {key: value for key, value in live.items() if key != "HealthCheckId"}
        wanted = {key: value for key, value in wanted.items() if key != "HealthCheckId"}
    return canonical(live) == canonical(wanted)


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
