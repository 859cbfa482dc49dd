"""The diff: creates, updates and deletes that make geoproxy's records at an application's
names match what is desired, and conflicts with records geoproxy does not own.

Pure. Updates are an exact DELETE of the live record plus a CREATE, so every batch says what
it expects to find; `core.batches` puts the changes in the order Route 53 needs.
"""

from __future__ import annotations

import dataclasses

from geoproxy.core.batches import batch_order
from geoproxy.core.desired import DesiredApp, DesiredRecord
from geoproxy.core.healthchecks import HealthCheckPlan
from geoproxy.core.live import LiveApp
from geoproxy.core.names import Slot, is_slot, state_name
from geoproxy.core.orphans import Orphan, belongs_to
from geoproxy.core.plan import AppPlan, Conflict, RecordChange
from geoproxy.core.records import (
    LiveRecord,
    RecordKey,
)
from geoproxy.core.state import StateRecord, is_state_record, overlay_of


def _conflict(
    record: LiveRecord, wanted_here: list[DesiredRecord], state: str, wanted_names: set[str]
) -> tuple[str | None, DesiredRecord | None]:
    """Why a record geoproxy does not own is in the way (None: it may stay), and the desired
    record it holds the place of, when it is the same kind of record in the same slot."""
    if record.record_type == "CNAME" and record.name in wanted_names:
        return "a CNAME cannot share its name with geoproxy's records", None
    if not wanted_here:
        return None, None
    policy = wanted_here[0].record_set.routing_policy
    if record.name == state:
        return "geoproxy keeps its failover state here", None
    whose = f"of geoproxy owner {record.owner!r}" if record.owner else "that geoproxy does not own"
    if policy == "weighted" and record.routing_policy == "weighted":
        # geoproxy's one-member weighted record must be the only one, or Route 53 would share
        # the answers with this record.
        return f"a weighted record {whose} would share the answers", None
    if record.routing_policy != policy:
        return (
            f"a {record.routing_policy} record; Route 53 cannot mix it with {policy} "
            "records at the same name and type"
        ), None
    for desired in wanted_here:
        if desired.record_set.slot == record.slot:
            where = f" for {record.slot}" if record.slot else ""
            return f"a {policy} record{where} {whose}", desired
    return None, None


def _same(live: LiveRecord, desired: DesiredRecord) -> bool:
    if isinstance(desired.record, StateRecord):
        # The state is what it says, however its text was split or its TTL set.
        return overlay_of(live) == {f.from_pop: f for f in desired.record.failovers}
    return live.record_set.answers_like(desired.record_set)


def _only_caller(live: LiveRecord, state: StateRecord) -> bool:
    """The live state differs from the desired one only by the caller older geoproxies
    published in it."""
    anonymous = {pop: dataclasses.replace(f, by="") for pop, f in overlay_of(live).items()}
    return anonymous == {f.from_pop: f for f in state.failovers}


def _delete_note(record: LiveRecord, desired: DesiredApp) -> str:
    if record.name == state_name(desired.record_name):
        return "no failover is active any more"
    if is_slot(record.base_identifier, Slot.VIEWER):
        if (
            record.name in desired.viewer_names
            and record.record_type == "AAAA"
            and any(viewer.record.name == record.name for viewer in desired.viewers)
        ):
            return "the distribution no longer has IPv6 enabled"
        return "no longer an alias of the distribution"
    if is_slot(record.base_identifier, Slot.DIRECT):
        return "origin failover no longer uses this PoP"
    if record.name != desired.record_name:
        return "PoP pair no longer needed"
    if record.record_type not in desired.record_types:
        return "record type no longer managed"
    return "source region left the policy"


def calculate_app(desired: DesiredApp, live: LiveApp, *, adopt: bool = False) -> AppPlan:
    """Creates, updates and deletes that make geoproxy's records at the application's names
    match `desired`; records geoproxy does not own are conflicts or left untouched."""
    plan = AppPlan(desired.name, live.zone_id, live.zone_name, desired.record_name)
    # Matched without the owner marker, so a record written before owners is claimed (an
    # update that rewrites its SetIdentifier) rather than created beside.
    wanted = {d.record_set.base_key: d for d in desired.all_records()}
    owned, replacing = _sort_live(plan, desired, live, wanted, adopt=adopt)
    _create_and_update(plan, desired, wanted, owned, replacing)
    _delete_unwanted(plan, desired, wanted, owned)
    plan.changes.sort(key=lambda change: batch_order(change, desired.record_name))
    return plan


def _sort_live(
    plan: AppPlan,
    desired: DesiredApp,
    live: LiveApp,
    wanted: dict[RecordKey, DesiredRecord],
    *,
    adopt: bool,
) -> tuple[dict[RecordKey, LiveRecord], dict[RecordKey, LiveRecord]]:
    """The live records at the application's names: ours (returned by key), and the others
    left untouched, reported as conflicts, or (with adopt) replaced or deleted."""
    wanted_at: dict[tuple[str, str], list[DesiredRecord]] = {}
    for (name, record_type, _), desired_record in wanted.items():
        wanted_at.setdefault((name, record_type), []).append(desired_record)
    wanted_names = {name for name, _ in wanted_at}
    state = state_name(desired.record_name)
    owned: dict[RecordKey, LiveRecord] = {}
    replacing: dict[RecordKey, LiveRecord] = {}
    for record in live.records:
        if not desired.manages(record.name):
            continue
        if is_state_record(record, desired.record_name):
            owned[record.base_key] = record
            continue
        if record.ours(desired.owner):
            # Only the application's own records: below an apex record lies the whole zone,
            # and another application's orphans there are deleted by --prune or not at all.
            if record.name in desired.viewer_names or belongs_to(record, desired.record_name):
                owned[record.base_key] = record
            continue
        reason, displaced = _conflict(
            record, wanted_at.get((record.name, record.record_type), []), state, wanted_names
        )
        if reason is None:
            plan.untouched.append(record)
        elif not adopt:
            plan.conflicts.append(Conflict(record, reason))
        elif displaced is not None:
            replacing[displaced.record_set.base_key] = record
        else:
            plan.changes.append(
                RecordChange(
                    "delete",
                    record.name,
                    record.record_type,
                    record.region,
                    old=record,
                    note=f"adopted: {reason}",
                    with_viewers=record.name in desired.viewer_names,
                )
            )
    return owned, replacing


def _create_and_update(
    plan: AppPlan,
    desired: DesiredApp,
    wanted: dict[RecordKey, DesiredRecord],
    owned: dict[RecordKey, LiveRecord],
    replacing: dict[RecordKey, LiveRecord],
) -> None:
    for key, desired_record in wanted.items():
        current = owned.get(key) or replacing.get(key)
        region = desired_record.route.source_region if desired_record.route else None
        if current is None:
            plan.changes.append(RecordChange("create", key[0], key[1], region, new=desired_record))
        elif owned.get(key) is current and _same(current, desired_record):
            plan.unchanged.append(desired_record)
        else:
            note = "" if owned.get(key) is current else "adopted: replaces a record it did not own"
            if not note and current.owned and current.owner is None:
                note = f"claimed for owner {desired.owner!r} (written before owners)"
            if (
                not note
                and isinstance(desired_record.record, StateRecord)
                and _only_caller(current, desired_record.record)
            ):
                note = "stops publishing who declared the failover (the audit log keeps it)"
            plan.changes.append(
                RecordChange(
                    "update", key[0], key[1], region, old=current, new=desired_record, note=note
                )
            )


def _delete_unwanted(
    plan: AppPlan,
    desired: DesiredApp,
    wanted: dict[RecordKey, DesiredRecord],
    owned: dict[RecordKey, LiveRecord],
) -> None:
    for key, record in owned.items():
        if key in wanted:
            continue
        if not desired.manages_cloudfront and is_slot(record.base_identifier, Slot.DIRECT):
            # A distribution geoproxy no longer manages may still use it as a fallback origin.
            plan.untouched.append(record)
            continue
        plan.changes.append(
            RecordChange(
                "delete",
                record.name,
                record.record_type,
                record.region,
                old=record,
                note=_delete_note(record, desired),
            )
        )


def prune_plan(orphan: Orphan) -> AppPlan:
    """The plan that deletes an orphan: its records (those aliasing to others first) and
    then its health checks."""
    plan = AppPlan(orphan.name, orphan.zone_id, orphan.zone_name, orphan.root)
    plan.changes = sorted(
        (
            RecordChange(
                "delete",
                record.name,
                record.record_type,
                record.region,
                old=record,
                note=f"orphan: no application of the policy has {orphan.root}",
            )
            for record in orphan.records
        ),
        key=lambda change: batch_order(change, orphan.root),
    )
    plan.health_checks = HealthCheckPlan(delete=list(orphan.health_checks))
    return plan
