"""Route 53 change batches: the order of a plan's changes, and their packing into
ChangeResourceRecordSets calls within Route 53's limits. All batch ordering and packing lives
here, so later rules (state assertions, guardrails) join one place.

Pure. A batch is atomic in Route 53, so each name's changes travel together (a name is never
left half-changed, e.g. a simple record deleted without its latency replacements); a new batch
starts only when the next name would not fit. Each application's changes are kept together:
its latency records alias to its PoP pairs, so they must land in the same batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from geoproxy.errors import GeoproxyError

if TYPE_CHECKING:
    from geoproxy.core.plan import Plan, RecordChange

Change = dict[str, Any]
Batches = dict[str, list[list[Change]]]  # hosted zone id -> batches in order


@dataclass(frozen=True)
class BatchLimits:
    # https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html
    max_records: int = 1000
    max_value_chars: int = 32000


def change_cost(change: Change) -> tuple[int, int]:
    """(ResourceRecord elements, characters of Value elements) a change counts for, as
    Route 53 counts them per request: an UPSERT counts twice ("Quotas on
    ChangeResourceRecordSets requests", Route 53 Developer Guide).

    An alias record has neither ResourceRecord nor Value elements. Counting it as one
    element toward the 1,000 (as external-dns batches by change count) is an assumption, a
    safe one: it can only make batches smaller than Route 53 allows. Its DNS name is not a
    Value, so it does not count toward the 32,000 characters.
    """
    record_set = change["ResourceRecordSet"]
    values = [entry["Value"] for entry in record_set.get("ResourceRecords", [])]
    factor = 2 if change["Action"] == "UPSERT" else 1
    return factor * max(len(values), 1), factor * sum(len(value) for value in values)


def pack(groups: list[list[Change]], limits: BatchLimits | None = None) -> list[list[Change]]:
    """Greedy first-fit in order: groups (one per name) are never split across batches."""
    limits = limits or BatchLimits()
    batches: list[list[Change]] = []
    current: list[Change] = []
    records = chars = 0
    for group in groups:
        group_records = sum(change_cost(change)[0] for change in group)
        group_chars = sum(change_cost(change)[1] for change in group)
        if group_records > limits.max_records or group_chars > limits.max_value_chars:
            name = group[0]["ResourceRecordSet"]["Name"] if group else "?"
            raise GeoproxyError(
                f"the changes to {name} ({group_records} records, {group_chars} value "
                "characters) exceed one Route 53 change batch and cannot be made atomically"
            )
        if current and (
            records + group_records > limits.max_records
            or chars + group_chars > limits.max_value_chars
        ):
            batches.append(current)
            current, records, chars = [], 0, 0
        current.extend(group)
        records += group_records
        chars += group_chars
    if current:
        batches.append(current)
    return batches


def batch_order(change: RecordChange, record_name: str) -> tuple[Any, ...]:
    """Route 53 checks each change against the state the earlier ones left, and an alias to
    a name in the same zone needs its target to exist. So: records being replaced or
    adopted, and latency records being removed, go first (an adopted CNAME must be gone
    before its replacements exist); then the names below the record (PoP pairs, direct
    names, state); then the latency records that alias to them; then geoproxy's own records
    below the record that nothing aliases to any more, an alias among them (a direct name)
    before its target (a PoP pair)."""
    at_record = change.name == record_name
    owned_leftover = (
        change.action == "delete" and not at_record and change.old is not None and change.old.owned
    )
    if change.action == "delete" and not owned_leftover:
        rank = 0
    elif owned_leftover:
        # Among them, an alias to a name below the record (a direct name to its PoP pair)
        # goes before that name: ALIAS_TARGET_CHECK, read change by change, refuses deleting
        # a target an alias still points to (core.guardrails).
        rank = 3 if _aliases_below(change, record_name) else 4
    else:
        rank = 2 if at_record else 1
    return (
        rank,
        change.action != "update",
        change.name,
        change.record_type,
        change.source_region or "",
        change.slot,
    )


def _aliases_below(change: RecordChange, record_name: str) -> bool:
    alias = change.old.raw.get("AliasTarget") if change.old is not None else None
    if not alias:
        return False
    target = str(alias.get("DNSName", "")).lower().rstrip(".")
    return target.endswith("." + record_name.lower().rstrip("."))


def batches_for(
    plan: Plan,
    limits: BatchLimits | None = None,
    select: Callable[[RecordChange], bool] = lambda change: True,
) -> Batches:
    """Route 53 change batches per hosted zone, each application's changes kept together;
    `select` picks the changes of one phase. The state record's assertion (core.state) goes
    with the application's first phase that writes records: at the end of its group, after
    any record it replaces is deleted. Viewer records in a later phase cannot assert it."""
    groups: dict[str, dict[str, list[Change]]] = {}
    for app in plan.apps:
        selected = list(filter(select, app.changes))
        earlier = [c for c in app.changes if c not in selected and not c.after_distribution]
        if selected and not earlier:
            selected += app.state_changes()
        for change in selected:
            by_app = groups.setdefault(app.zone_id, {})
            by_app.setdefault(app.record_name, []).extend(change.route53_changes())
    limits = limits or BatchLimits()
    return {zone_id: pack(list(by_app.values()), limits) for zone_id, by_app in groups.items()}
