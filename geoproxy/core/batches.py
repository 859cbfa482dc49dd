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
