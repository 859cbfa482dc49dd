"""Route 53 Change History as geoproxy reads it: the comment each batch carries, and what a
zone's history says about geoproxy's batches.

Pure. Route 53 finds batches in its history by time window, not by comment
(ListHostedZoneChangeBatches, API Reference,
https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZoneChangeBatches.html),
so each batch's Comment carries a short token unique to it: after an answer was lost, the
batch whose comment holds the token is the one that landed, whatever else landed meanwhile.
The comment also names the applications the batch writes, so that `status` can say who
last wrote each one from the one listing per zone it makes.

    geoproxy failover gp-7kq2m9x4ta apps=shop,blog

Its first two words are what every batch's comment said before (`geoproxy <command>`).
A comment is at most 256 characters (ChangeBatch.Comment, "Maximum length of 256"): the
applications that do not fit are counted (`apps=shop,+3`), and those batches are not
credited to the applications they do not name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MAX_COMMENT = 256
TOKEN_PREFIX = "gp-"
_COMMENT = re.compile(
    r"^geoproxy (?P<command>\S+) (?P<token>gp-[a-z0-9]+)(?: apps=(?P<apps>\S*))?$"
)


def batch_comment(prefix: str, token: str, apps: Sequence[str]) -> str:
    """`prefix` (`geoproxy <command>`), the token, and as many application names as fit."""
    head = f"{prefix} {token}"
    if not apps:
        return head
    named: list[str] = []
    for index, app in enumerate(apps):
        rest = len(apps) - index - 1
        candidate = ",".join([*named, app] + ([f"+{rest}"] if rest else []))
        if len(f"{head} apps={candidate}") > MAX_COMMENT:
            break
        named.append(app)
    left = len(apps) - len(named)
    listed = ",".join([*named, *([f"+{left}"] if left else [])])
    return f"{head} apps={listed}"[:MAX_COMMENT]


@dataclass(frozen=True)
class Tagged:
    """What a geoproxy comment says: its command, token and the applications it names."""

    command: str
    token: str
    apps: tuple[str, ...]


def parse_comment(comment: str | None) -> Tagged | None:
    """The comment of a geoproxy batch, or None for anyone else's (or an older geoproxy's)."""
    match = _COMMENT.match(comment or "")
    if match is None:
        return None
    apps = tuple(a for a in (match["apps"] or "").split(",") if a and not a.startswith("+"))
    return Tagged(match["command"], match["token"], apps)


def apps_in(batch: Iterable[Mapping[str, Any]], apps: Sequence[tuple[str, str]]) -> list[str]:
    """The applications (name, record name) whose names a batch writes: its record, or a
    name geoproxy keeps below it (state, PoP pairs, direct names), or a viewer alias listed
    with it. In `apps` order."""
    names = {str(change["ResourceRecordSet"]["Name"]).lower().rstrip(".") for change in batch}
    found = []
    for app, record in apps:
        record = record.lower().rstrip(".")
        if any(name == record or name.endswith("." + record) for name in names):
            found.append(app)
    return found


@dataclass(frozen=True)
class HistoryEntry:
    """One geoproxy batch in a zone's Change History."""

    zone_id: str
    change_id: str
    submitted_at: datetime
    submitted_by: str  # "" when Route 53 recorded no principal
    command: str
    token: str
    apps: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "zone_id": self.zone_id,
            "change_id": self.change_id,
            "submitted_at": self.submitted_at.isoformat().replace("+00:00", "Z"),
            "submitted_by": self.submitted_by or None,
            "command": self.command,
        }


def geoproxy_entries(zone_id: str, summaries: Iterable[Mapping[str, Any]]) -> list[HistoryEntry]:
    """geoproxy's batches among a page of ChangeBatchSummaries, in the page's order."""
    found = []
    for summary in summaries:
        if summary.get("Operation") != "ChangeResourceRecordSets":
            continue  # "New values might be added, so ignore values that your code doesn't
            # recognize" (ChangeBatchSummary.Operation)
        tagged = parse_comment(summary.get("Comment"))
        if tagged is None:
            continue
        found.append(
            HistoryEntry(
                zone_id,
                str(summary["ChangeId"]).rpartition("/")[2],
                summary["SubmittedAt"],
                str(summary.get("SubmittedBy") or ""),
                tagged.command,
                tagged.token,
                tagged.apps,
            )
        )
    return found


def with_token(entries: Iterable[HistoryEntry], token: str) -> HistoryEntry | None:
    return next((entry for entry in entries if entry.token == token), None)


def last_per_app(entries: Iterable[HistoryEntry], apps: Iterable[str]) -> dict[str, HistoryEntry]:
    """Each application's newest geoproxy batch among `entries` (any order)."""
    wanted = set(apps)
    newest: dict[str, HistoryEntry] = {}
    for entry in entries:
        for app in wanted.intersection(entry.apps):
            if app not in newest or entry.submitted_at > newest[app].submitted_at:
                newest[app] = entry
    return newest


def failover_by(
    entries: Iterable[HistoryEntry], app: str, declared_at: datetime
) -> HistoryEntry | None:
    """The first geoproxy `failover` batch of `app` submitted at or after `declared_at`
    (the state record's one-second time: the batch that declared it lands just after)."""
    found = [
        entry
        for entry in entries
        if entry.command == "failover" and app in entry.apps and entry.submitted_at >= declared_at
    ]
    return min(found, key=lambda entry: entry.submitted_at, default=None)
