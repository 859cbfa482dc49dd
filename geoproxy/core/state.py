"""Failover state, stored in Route 53 itself as a TXT record beside the application's name.

`_geoproxy.<record>` TXT holds one value per active failover. It is written in the same atomic
change batch as the latency records it explains, so any machine running a runbook sees the
same state, and a crash can never leave records moved without their explanation.

The record is public DNS, like every record in a public zone: it holds regions, times, the
caller's role/user name (never the account id) and the reason. Nothing secret belongs there.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from geoproxy.core.failover import Failover
from geoproxy.core.names import state_name
from geoproxy.core.records import LiveRecord

STATE_TTL = 60
_MARKER = "geoproxy-failover=v1"
_CHUNK = 255  # the longest character-string a TXT value may hold
# The record is public DNS: anyone can read it with `dig TXT _geoproxy.<record>`. It holds
# what routing needs (from, to, when, the override and the reason, which the docs say is
# public) and never who: `by` is read from records older geoproxies wrote, so the next apply
# can rewrite them without it, but never written. The audit log keeps the caller.
_FIELDS = (
    ("from", "from_pop"),
    ("to", "to_pop"),
    ("at", "at"),
    ("reason", "reason"),
    ("override", "override_compliance"),
)
_READ_ONLY_FIELDS = (("by", "by"),)


# Route 53 takes at most 4,000 characters per value (API_ResourceRecord.html); each
# failover is one value, its text split into 255-character strings.
MAX_VALUE_CHARS = 4000
# Free text (--reason, --override-compliance) goes to public DNS: short, printable, one line.
MAX_FREE_TEXT = 300


def free_text_problem(text: str, option: str) -> str | None:
    """Why `text` cannot be stored as the `option` of a failover, or None."""
    if len(text) > MAX_FREE_TEXT:
        return f"{option} is {len(text)} characters long; at most {MAX_FREE_TEXT} are allowed"
    bad = sorted({repr(c) for c in text if unicodedata.category(c).startswith("C")})
    if bad:
        return (
            f"{option} contains control or invisible characters ({', '.join(bad)}); use "
            "printable text on one line"
        )
    return None


def value_problem(failover: Failover) -> str | None:
    """Why this failover does not fit one Route 53 TXT value, or None."""
    size = len(encode_failover(failover))
    if size > MAX_VALUE_CHARS:
        return (
            f"the failover state would be {size} characters (non-ASCII text is "
            f"percent-encoded), over Route 53's {MAX_VALUE_CHARS} per value; shorten "
            "--reason or --override-compliance"
        )
    return None


def encode_failover(failover: Failover) -> str:
    """One TXT value: percent-encoded fields (no quotes, spaces or backslashes to escape),
    split into 255-character strings."""
    text = " ".join(
        [_MARKER]
        + [
            f"{key}={quote(getattr(failover, attr), safe='')}"
            for key, attr in _FIELDS
            if getattr(failover, attr)
        ]
    )
    return " ".join(f'"{text[i : i + _CHUNK]}"' for i in range(0, len(text), _CHUNK))


def decode_value(value: str) -> Failover | None:
    text = "".join(part for part in value.split('"')[1::2])  # the quoted strings, joined
    words = text.split(" ")
    if not words or words[0] != _MARKER:
        return None
    fields = dict(word.split("=", 1) for word in words[1:] if "=" in word)
    values = {attr: unquote(fields.get(key, "")) for key, attr in (*_FIELDS, *_READ_ONLY_FIELDS)}
    if not values["from_pop"] or not values["to_pop"]:
        return None
    return Failover(**values)


def is_state_record(record: LiveRecord, record_name: str) -> bool:
    """Owned by geoproxy: a simple TXT at the state name whose every value is a failover."""
    values = [entry["Value"] for entry in record.raw.get("ResourceRecords", [])]
    return (
        record.name == state_name(record_name)
        and record.record_type == "TXT"
        and record.routing_policy == "simple"
        and bool(values)
        and all(decode_value(value) is not None for value in values)
    )


def overlay_of(record: LiveRecord | None) -> dict[str, Failover]:
    if record is None:
        return {}
    failovers = (decode_value(entry["Value"]) for entry in record.raw.get("ResourceRecords", []))
    return {failover.from_pop: failover for failover in failovers if failover}


@dataclass(frozen=True)
class StateRecord:
    """The desired state TXT record of one application."""

    name: str
    failovers: tuple[Failover, ...]

    record_type = "TXT"

    @classmethod
    def of(cls, record_name: str, failovers: Iterable[Failover]) -> StateRecord:
        public = (dataclasses.replace(f, by="") for f in failovers)  # see _FIELDS
        return cls(state_name(record_name), tuple(sorted(public, key=lambda f: f.from_pop)))

    def to_route53(self) -> dict[str, Any]:
        return {
            "Name": self.name + ".",
            "Type": "TXT",
            "TTL": STATE_TTL,
            "ResourceRecords": [{"Value": encode_failover(f)} for f in self.failovers],
        }
