"""Pack record changes into ChangeResourceRecordSets batches within Route 53's limits.

Pure. A batch is atomic in Route 53, so each name's changes travel together (a name is never
left half-changed, e.g. a simple record deleted without its latency replacements); a new batch
starts only when the next name would not fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geoproxy.errors import GeoproxyError

Change = dict[str, Any]


@dataclass(frozen=True)
class BatchLimits:
    # https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html
    max_records: int = 1000
    max_value_chars: int = 32000


def change_cost(change: Change) -> tuple[int, int]:
    """(records, value characters) a change counts for; an UPSERT counts twice.

    An alias record has no Value elements; it is counted as one record whose value is the
    alias DNS name, which over-counts a little and so never overflows a batch.
    """
    record_set = change["ResourceRecordSet"]
    values = [entry["Value"] for entry in record_set.get("ResourceRecords", [])]
    if "AliasTarget" in record_set:
        values.append(record_set["AliasTarget"]["DNSName"])
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
        if current and (records + group_records > limits.max_records
                        or chars + group_chars > limits.max_value_chars):
            batches.append(current)
            current, records, chars = [], 0, 0
        current.extend(group)
        records += group_records
        chars += group_chars
    if current:
        batches.append(current)
    return batches
