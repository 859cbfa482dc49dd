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
from geoproxy.core.state import StateRecord, is_state_record, overlay_of, read_state


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
    return live.record_set.answers_like(desired.record_set)


def _only_caller(live: LiveRecord, state: StateRecord) -> bool:
    """The live state differs from the desired one only by the caller older geoproxies
    published in it."""
    found = overlay_of(live)
    anonymous = {pop: dataclasses.replace(f, by="") for pop, f in found.items()}
    return anonymous == state.overlay and any(f.by for f in found.values())


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
    # The state record is not diffed like the others: see _state_change.
    wanted = {
        d.record_set.base_key: d
        for d in desired.all_records()
        if not isinstance(d.record, StateRecord)
    }
    owned, replacing, live_state, foreign_state = _sort_live(
        plan, desired, live, wanted, adopt=adopt
    )
    _create_and_update(plan, desired, wanted, owned, replacing)
    _delete_unwanted(plan, desired, wanted, owned)
    _state_change(plan, desired, live_state, foreign_state, adopt)
    plan.changes.sort(key=lambda change: batch_order(change, desired.record_name))
    return plan


def _sort_live(
    plan: AppPlan,
    desired: DesiredApp,
    live: LiveApp,
    wanted: dict[RecordKey, DesiredRecord],
    *,
    adopt: bool,
) -> tuple[
    dict[RecordKey, LiveRecord], dict[RecordKey, LiveRecord], LiveRecord | None, list[LiveRecord]
]:
    """The live records at the application's names: ours (returned by key), and the others
    left untouched, reported as conflicts, or (with adopt) replaced or deleted; then
    geoproxy's state record, and any foreign TXT record at its name."""
    wanted_at: dict[tuple[str, str], list[DesiredRecord]] = {}
    for (name, record_type, _), desired_record in wanted.items():
        wanted_at.setdefault((name, record_type), []).append(desired_record)
    state = state_name(desired.record_name)
    if desired.state is not None:
        wanted_at[(state, "TXT")] = [desired.state]
    wanted_names = {name for name, _ in wanted_at}
    live_state: LiveRecord | None = None
    foreign_state: list[LiveRecord] = []
    owned: dict[RecordKey, LiveRecord] = {}
    replacing: dict[RecordKey, LiveRecord] = {}
    for record in live.records:
        if not desired.manages(record.name):
            continue
        if is_state_record(record, desired.record_name):
            live_state = record
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
        if reason is not None and record.name == state and record.record_type == "TXT":
            foreign_state.append(record)  # in the way only if the plan writes (_state_change)
        elif reason is None:
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
    return owned, replacing, live_state, foreign_state


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


def _state_change(
    plan: AppPlan,
    desired: DesiredApp,
    live: LiveRecord | None,
    foreign: list[LiveRecord],
    adopt: bool,
) -> None:
    """The state record's part of the plan. A change of what it says (a failover declared
    or ended, an invalid record rewritten, a caller no longer published) is one of the
    plan's changes. Otherwise it is the plan's `state_assertion`, sent only with other
    changes: an exact DELETE of the record read and a CREATE with a new token, or, when there
    is none, a CREATE (refused by Route 53 if someone created it meanwhile) - so a batch
    planned on a state someone else has changed since is rejected whole."""
    if desired.state is None:
        return
    wanted = desired.state
    assert isinstance(wanted.record, StateRecord)
    found = read_state(live)
    differs = not wanted.record.says_same(found)
    if live is None and not wanted.record.failovers and not wanted.record.gated:
        differs = False  # a calm application's record is made by its first write
    if foreign and (differs or plan.changes):
        # A TXT record geoproxy did not write stands where it keeps its state.
        if not adopt:
            plan.conflicts.extend(
                Conflict(record, "geoproxy keeps its failover state here") for record in foreign
            )
            return
        plan.changes.extend(
            RecordChange(
                "delete",
                record.name,
                record.record_type,
                None,
                old=record,
                note="adopted: geoproxy keeps its failover state here",
            )
            for record in foreign
        )
        differs = True
    if not differs:
        # Not counted as unchanged: it is not a record people review, and it is rewritten.
        plan.state_assertion = RecordChange(
            "update" if live else "create",
            wanted.record.name,
            "TXT",
            None,
            old=live,
            new=wanted,
            note="the state this plan read" if live else "first write of the application",
        )
        return
    note = ""
    if live is not None and not found.valid:
        note = f"rewrites an invalid state record ({found.problem})"
    elif live is not None and _only_caller(live, wanted.record):
        note = "stops publishing who declared the failover (the audit log keeps it)"
    elif live is not None and not wanted.record.failovers:
        note = "no failover is active any more"
    change = RecordChange(
        "update" if live else "create",
        wanted.record.name,
        "TXT",
        None,
        old=live,
        new=wanted,
        note=note,
    )
    plan.changes.append(change)
    plan.state_assertion = None


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
