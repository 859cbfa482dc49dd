"""The plan: a pure diff between desired records and the live records at each managed name.

Like external-dns's plan, calculation is separate from policy about what may be done: the diff
lists creates, updates (old and new) and deletes of owned records, plus conflicts with records
geoproxy does not own; safety rules then inspect the finished plan and may refuse it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from geoproxy.desired import DesiredApp, DesiredRecord
from geoproxy.failover import Failover
from geoproxy.records import LiveRecord
from geoproxy.state import StateRecord, is_state_record, overlay_of, state_name

Action = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class LiveApp:
    """What `live` read for one application: its zone and every record at its name."""

    zone_id: str
    zone_name: str
    records: tuple[LiveRecord, ...]

    def state_record(self, record_name: str) -> LiveRecord | None:
        """geoproxy's failover state record for the application at `record_name`, if any."""
        return next((record for record in self.records
                     if is_state_record(record, record_name)), None)

    def overlay(self, record_name: str) -> dict[str, Failover]:
        return overlay_of(self.state_record(record_name))


@dataclass(frozen=True)
class RecordChange:
    action: Action
    name: str
    record_type: str
    source_region: str | None
    old: LiveRecord | None = None
    new: DesiredRecord | None = None
    note: str = ""

    def route53_changes(self) -> list[dict[str, Any]]:
        """The ChangeResourceRecordSets entries, in order; DELETE+CREATE makes every
        update compare-and-swap: it fails atomically if the record changed since it was read."""
        entries = []
        if self.old is not None:
            entries.append({"Action": "DELETE", "ResourceRecordSet": self.old.raw})
        if self.new is not None:
            entries.append({"Action": "CREATE", "ResourceRecordSet": self.new.record.to_route53()})
        return entries


@dataclass(frozen=True)
class Conflict:
    record: LiveRecord
    reason: str


@dataclass
class AppPlan:
    name: str
    zone_id: str
    zone_name: str
    record_name: str
    changes: list[RecordChange] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unchanged: list[DesiredRecord] = field(default_factory=list)
    untouched: list[LiveRecord] = field(default_factory=list)


@dataclass
class Plan:
    apps: list[AppPlan]
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # found while resolving failovers

    @property
    def changes(self) -> list[RecordChange]:
        return [change for app in self.apps for change in app.changes]

    @property
    def conflicts(self) -> list[Conflict]:
        return [conflict for app in self.apps for conflict in app.conflicts]

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def summary(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "delete": 0}
        for change in self.changes:
            counts[change.action] += 1
        counts["unchanged"] = sum(len(app.unchanged) for app in self.apps)
        counts["conflicts"] = len(self.conflicts)
        return counts


def _conflict_reason(live: LiveRecord, desired_keys: set[tuple[str, str]]) -> str | None:
    """Why a record geoproxy does not own stands in the way, or None if it may stay."""
    if live.record_type == "CNAME":
        return "a CNAME cannot share its name with the latency records"
    if not live.is_latency:
        return (
            f"a {live.routing_policy} record; Route 53 cannot mix it with latency records "
            "at the same name and type"
        )
    if (live.record_type, live.region) in desired_keys:
        return f"a latency record for {live.region} that geoproxy does not own"
    return None


def calculate_app(desired: DesiredApp, live: LiveApp, *, adopt: bool = False) -> AppPlan:
    plan = AppPlan(desired.name, live.zone_id, live.zone_name, desired.record_name)
    wanted = desired.by_key()
    owned: dict[tuple[str, str], LiveRecord] = {}
    in_the_way: dict[tuple[str, str], LiveRecord] = {}

    for record in live.records:
        if record.name != desired.record_name:
            continue
        if record.owned:
            owned[(record.record_type, record.region or "")] = record
            continue
        managed_type = record.record_type in desired.record_types or record.record_type == "CNAME"
        reason = _conflict_reason(record, set(wanted)) if managed_type else None
        if reason is None:
            plan.untouched.append(record)
        elif adopt:
            if record.is_latency and record.record_type != "CNAME":
                in_the_way[(record.record_type, record.region or "")] = record
            else:
                plan.changes.append(RecordChange(
                    "delete", record.name, record.record_type, record.region, old=record,
                    note=f"adopted: replaced by latency records ({reason})",
                ))
        else:
            plan.conflicts.append(Conflict(record, reason))

    for key, desired_record in wanted.items():
        current = owned.get(key) or in_the_way.get(key)
        latency = current.as_latency() if current else None
        if current is None:
            plan.changes.append(RecordChange("create", desired.record_name, key[0], key[1],
                                             new=desired_record))
        elif latency is not None and latency == desired_record.record:
            plan.unchanged.append(desired_record)
        else:
            note = "" if current.owned else "adopted: replaces a latency record it did not own"
            plan.changes.append(RecordChange("update", desired.record_name, key[0], key[1],
                                             old=current, new=desired_record, note=note))
    for key, record in owned.items():
        if key not in wanted:
            note = ("record type no longer managed" if key[0] not in desired.record_types
                    else "source region left the policy")
            plan.changes.append(RecordChange("delete", record.name, key[0], key[1],
                                             old=record, note=note))

    _plan_state(plan, desired, live, adopt=adopt)
    # Deletes first, across types: Route 53 checks each change against the state the earlier
    # changes left, so an adopted CNAME must be gone before the A records are created.
    order = {"delete": 0, "update": 1, "create": 2}
    plan.changes.sort(key=lambda c: (order[c.action], c.record_type, c.source_region or ""))
    return plan


def _plan_state(plan: AppPlan, desired: DesiredApp, live: LiveApp, *, adopt: bool) -> None:
    """Create, update or delete the failover state record so it matches the desired overlay."""
    current = live.state_record(desired.record_name)
    wanted = desired.state
    name = state_name(desired.record_name)
    for record in live.records:
        if record.name != name or record is current or wanted is None:
            continue
        if record.record_type in ("TXT", "CNAME"):
            reason = "geoproxy keeps its failover state here"
            if adopt:
                plan.changes.append(RecordChange("delete", name, record.record_type, None,
                                                 old=record, note=f"adopted: {reason}"))
            else:
                plan.conflicts.append(Conflict(record, reason))
    if wanted is None:
        if current is not None:
            plan.changes.append(RecordChange("delete", name, "TXT", None, old=current,
                                             note="no failover is active any more"))
        return
    assert isinstance(wanted.record, StateRecord)
    if current is None:
        plan.changes.append(RecordChange("create", name, "TXT", None, new=wanted))
    elif overlay_of(current) != {f.from_pop: f for f in wanted.record.failovers}:
        plan.changes.append(RecordChange("update", name, "TXT", None, old=current, new=wanted))
    else:
        plan.unchanged.append(wanted)


# --- safety rules: each looks at a finished plan and returns reasons to refuse it -----------

SafetyRule = Callable[[Plan], list[str]]


def refuse_conflicts(plan: Plan) -> list[str]:
    return [
        f"{app.name}: {conflict.record.describe()} is in the way: {conflict.reason}"
        for app in plan.apps
        for conflict in app.conflicts
    ]


def refuse_problems(plan: Plan) -> list[str]:
    """Problems found on the way (e.g. a failover that breaks a compliance rule)."""
    return list(plan.problems)


DEFAULT_RULES: tuple[SafetyRule, ...] = (refuse_problems, refuse_conflicts)


def check(plan: Plan, rules: Iterable[SafetyRule] = DEFAULT_RULES) -> list[str]:
    return [problem for rule in rules for problem in rule(plan)]
