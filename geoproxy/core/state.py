"""Failover state, stored in Route 53 itself as a TXT record beside the application's name.

`_geoproxy.<record>` TXT (format v2) holds a header value with a short random token, and one
value per active failover. It is written in the same atomic change batch as the records it
explains, and every batch that writes an application's records asserts the state it read: an
exact DELETE of the value read plus a CREATE with a new token, or, when there was none, a
CREATE (which Route 53 refuses when the record exists). So two runs that read the same state
cannot both write: the second batch is rejected and that run re-reads and re-plans.

The record is public DNS, like every record in a public zone, and anyone who may write TXT
records in the zone can forge it. The token proves only that a batch was planned on the state
it replaces (a compare-and-swap); it proves nothing about who wrote the record. That is why
an override read from DNS never authorizes a compliance breach (see `pipeline.compiled`), and
why a record that its own records do not match is reported as invalid rather than obeyed.

It holds regions, times and the reason; never who (the audit log keeps the caller).

Format v1 (one `geoproxy-failover=v1` value per failover, no token) is still read, and the
next write upgrades it. Older geoproxies require that marker on every value, so they treat a
v2 record as foreign: they leave it alone and their failovers' CREATE of it is refused.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from geoproxy.core.failover import Failover
from geoproxy.core.names import state_name
from geoproxy.core.records import LiveRecord

STATE_TTL = 60
MARKER_V1 = "geoproxy-failover=v1"
MARKER = "geoproxy=v2"
_CHUNK = 255  # the longest character-string a TXT value may hold
# 12 hex digits (48 random bits): enough that two runs never pick the same one, and short, so
# that 300 applications' DELETE + CREATE of a calm record fit one batch's 32,000 characters.
TOKEN_RE = re.compile(r"[0-9a-f]{12}")
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


def new_token() -> str:
    return secrets.token_hex(6)


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


def _quoted(text: str) -> str:
    return " ".join(f'"{text[i : i + _CHUNK]}"' for i in range(0, len(text), _CHUNK))


def _failover_text(marker: str, failover: Failover) -> str:
    return " ".join(
        [marker]
        + [
            f"{key}={quote(getattr(failover, attr), safe='')}"
            for key, attr in _FIELDS
            if getattr(failover, attr)
        ]
    )


def encode_failover(failover: Failover) -> str:
    """One v2 TXT value: percent-encoded fields (no quotes, spaces or backslashes to escape),
    split into 255-character strings."""
    return _quoted(_failover_text(MARKER, failover))


def encode_failover_v1(failover: Failover) -> str:
    """The value geoproxy wrote before format v2 (tests and upgrade notes use it)."""
    return _quoted(_failover_text(MARKER_V1, failover))


def encode_header(token: str, gated: bool = False) -> str:
    return _quoted(f"{MARKER} t={token}" + (" gated=1" if gated else ""))


def _words(value: str) -> list[str]:
    return "".join(part for part in value.split('"')[1::2]).split(" ")


def _failover_of(words: list[str]) -> Failover | None:
    fields = dict(word.split("=", 1) for word in words[1:] if "=" in word)
    values = {attr: unquote(fields.get(key, "")) for key, attr in (*_FIELDS, *_READ_ONLY_FIELDS)}
    if not values["from_pop"] or not values["to_pop"]:
        return None
    return Failover(**values)


def decode_value(value: str) -> Failover | None:
    """The failover one value (v1 or v2) declares; None for anything else (a header too)."""
    words = _words(value)
    if not words or words[0] not in (MARKER, MARKER_V1):
        return None
    if words[0] == MARKER and not any(word.startswith("from=") for word in words[1:]):
        return None
    return _failover_of(words)


def _marker(value: str) -> str | None:
    words = _words(value)
    return words[0] if words and words[0] in (MARKER, MARKER_V1) else None


def _values(record: LiveRecord) -> list[str]:
    return [str(entry.get("Value", "")) for entry in record.raw.get("ResourceRecords", [])]


def is_state_record(record: LiveRecord, record_name: str) -> bool:
    """Kept by geoproxy: a simple TXT at the state name with a geoproxy marker in a value.
    A record there with none is foreign (a conflict, replaced only with --adopt)."""
    values = _values(record)
    return (
        record.name == state_name(record_name)
        and record.record_type == "TXT"
        and record.routing_policy == "simple"
        and any(_marker(value) for value in values)
    )


# The ways a state record read from DNS can be invalid (each a registered finding code).
MALFORMED = "state_malformed"
SELF_REFERENTIAL = "state_self_referential"
UNMATCHED = "state_unmatched"


@dataclass(frozen=True)
class StateRead:
    """What an application's state record says, and whether it can be believed as read.

    `problem` is why it cannot ("" when it can); `code` is the finding code. A malformed
    record says no failover at all; a self-referential one keeps the failovers that are not
    (`invalid` lists the from-PoPs left out)."""

    record: LiveRecord | None = None
    version: int = 0  # 0: no record, 1 or 2
    token: str = ""
    gated: bool = False  # the application's failovers are made by data-plane switches
    failovers: dict[str, Failover] = field(default_factory=dict)
    problem: str = ""
    code: str = ""
    invalid: tuple[str, ...] = ()

    @property
    def exists(self) -> bool:
        return self.record is not None

    @property
    def valid(self) -> bool:
        return not self.problem


def _malformed(record: LiveRecord, version: int, why: str) -> StateRead:
    return StateRead(record, version, problem=f"malformed: {why}", code=MALFORMED)


def read_state(record: LiveRecord | None) -> StateRead:
    """Decode a state record (v1 or v2); see StateRead."""
    if record is None:
        return StateRead()
    values = _values(record)
    markers = [_marker(value) for value in values]
    if None in markers:
        return _malformed(record, 0, "a value without geoproxy's marker")
    version = 2 if MARKER in markers else 1
    if len(set(markers)) > 1:
        return _malformed(record, version, "v1 and v2 values mixed")
    token, gated = "", False
    failovers: dict[str, Failover] = {}
    for value in values:
        words = _words(value)
        failover = decode_value(value)
        if failover is None and version == 2 and words[1:2] and words[1].startswith("t="):
            if token:
                return _malformed(record, version, "two header values")
            token = words[1][2:]
            if not TOKEN_RE.fullmatch(token):
                return _malformed(record, version, f"token {token!r} is not 12 hex digits")
            gated = "gated=1" in words[2:]
            continue
        if failover is None:
            return _malformed(record, version, "a failover without from= or to=")
        if failover.from_pop in failovers:
            return _malformed(record, version, f"two failovers away from {failover.from_pop}")
        failovers[failover.from_pop] = failover
    if version == 2 and not token:
        return _malformed(record, version, "no header value with a token")
    selfish = tuple(pop for pop, f in failovers.items() if f.to_pop == pop)
    if selfish:
        kept = {pop: f for pop, f in failovers.items() if pop not in selfish}
        return StateRead(
            record,
            version,
            token,
            gated,
            kept,
            problem="self-referential: "
            + ", ".join(f"from={pop} to={pop}" for pop in selfish)
            + " (a PoP cannot fail over to itself)",
            code=SELF_REFERENTIAL,
            invalid=selfish,
        )
    return StateRead(record, version, token, gated, failovers)


def overlay_of(record: LiveRecord | None) -> dict[str, Failover]:
    """The failovers a state record declares (none when it is malformed)."""
    return read_state(record).failovers


@dataclass(frozen=True)
class StateRecord:
    """The desired state TXT record of one application: written with a new token every time,
    so a DELETE of it by anyone else's plan no longer matches."""

    name: str
    failovers: tuple[Failover, ...]
    token: str = field(default="", compare=False)  # new with every write: not what it says
    gated: bool = False

    record_type = "TXT"

    @classmethod
    def of(
        cls,
        record_name: str,
        failovers: Iterable[Failover],
        token: str | None = None,
        gated: bool = False,
    ) -> StateRecord:
        public = (dataclasses.replace(f, by="") for f in failovers)  # see _FIELDS
        return cls(
            state_name(record_name),
            tuple(sorted(public, key=lambda f: f.from_pop)),
            token or new_token(),
            gated,
        )

    @property
    def overlay(self) -> dict[str, Failover]:
        return {failover.from_pop: failover for failover in self.failovers}

    def says_same(self, state: StateRead) -> bool:
        """The live state says what this record says (token and version aside)."""
        return state.valid and state.failovers == self.overlay and state.gated == self.gated

    def to_route53(self) -> dict[str, Any]:
        return {
            "Name": self.name + ".",
            "Type": "TXT",
            "TTL": STATE_TTL,
            "ResourceRecords": [{"Value": encode_header(self.token, self.gated)}]
            + [{"Value": encode_failover(f)} for f in self.failovers],
        }
