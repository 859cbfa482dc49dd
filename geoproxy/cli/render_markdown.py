"""Markdown for pull-request comments: a plan, or a saved plan, as GitHub renders it.

Both are rendered from the change set, the exact writes `apply` sends (`core.changeset`), so
`plan -o markdown` and `show PLANFILE -o markdown` of the same plan show the same rows, and
they are what `apply PLANFILE` writes (never the prose a saved plan keeps beside them).

Every value that comes from outside (a record name, a TXT value, a warning, a reason, a
path) goes through `cell` or `code`: a table cell must not end early (`|`, a line break), and
a comment posted by a bot must not carry HTML, a link, or an @-mention of someone (GitHub
notifies whoever a comment mentions; a record name or override reason is not allowed to).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from geoproxy.core.changeset import ChangeSet
from geoproxy.core.landed import describe_record_set
from geoproxy.core.managed_fields import differences
from geoproxy.core.names import STATE_LABEL
from geoproxy.core.saved_plan_checks import PlanApp, is_owned, keyed_changes, summary_of
from geoproxy.core.saved_plan_rules import is_state_assertion
from geoproxy.errors import printable

# A table with more rows than this is folded into a <details> block: a PR comment stays
# short, and the summary line and headings still say what changes.
LONG_TABLE_ROWS = 10
ACTIONS = {"create": "➕ create", "update": "🔄 update", "delete": "➖ delete"}
HEADER = "| action | record | type | set identifier | before | after | note |"
RULE = "| --- | --- | --- | --- | --- | --- | --- |"
# Characters that change what Markdown (or the HTML GitHub allows in it) does, written as
# entities (each character is replaced once, so an entity written is never escaped again).
_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "|": "&#124;",  # a cell ends at an unescaped pipe, even inside a code span
    "`": "&#96;",
    '"': "&quot;",
}
_BACKSLASHED = set("\\*_[]~!")  # emphasis, links, images, strikethrough
# A zero-width space after `@` (and `#`) stops GitHub's mentions and issue references while
# the text reads the same (the way dependency bots quote release notes).
_ZERO_WIDTH = "&#8203;"


def cell(value: object) -> str:
    """`value` as plain text in one table cell (or a line of prose): nothing in it is markup."""
    text = printable(" ".join(str(value).splitlines()))  # no line break ends the row
    out = []
    for char in text:
        if char in _ENTITIES:
            out.append(_ENTITIES[char])
        elif char in _BACKSLASHED:
            out.append("\\" + char)
        elif char in "@#":
            out.append(char + _ZERO_WIDTH)
        else:
            out.append(char)
    return "".join(out)


def code(value: object) -> str:
    """`value` in a code span, where nothing is markup and nobody is mentioned; a value a code
    span cannot hold (a backtick, a pipe, a backslash, a line break) becomes a plain cell."""
    text = printable(str(value))
    if not text or any(char in text for char in "`|\\\r\n") or text != text.strip():
        return cell(text)
    return f"`{text}`"


def fenced(lines: Iterable[str], info: str = "text") -> list[str]:
    """Lines in a fenced code block whose fence is longer than any run of backticks in them,
    so no line can close it early (inside it nothing is markup, and nobody is mentioned)."""
    kept = [printable(line) for line in lines]
    longest = max((len(run) for line in kept for run in re.findall("`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{info}", *kept, fence]


@dataclass(frozen=True)
class Row:
    action: str
    record: str
    record_type: str = ""
    set_identifier: str = ""
    before: str = ""
    after: str = ""
    note: str = ""

    def markdown(self) -> str:
        values = [
            ACTIONS.get(self.action, cell(self.action)),
            code(self.record),
            code(self.record_type) if self.record_type else "",
            code(self.set_identifier) if self.set_identifier else "",
            code(self.before) if self.before else "",
            code(self.after) if self.after else "",
            cell(self.note),
        ]
        return "| " + " | ".join(values) + " |"


def _short(value: Any) -> str:
    if value in (None, [], "", {}):
        return "(none)"
    return json.dumps(value, sort_keys=True, default=str)[:160]


def rows_by_app(changes: ChangeSet, apps: list[PlanApp]) -> list[tuple[PlanApp | None, list[Row]]]:
    """The writes, grouped by the application whose zone and names they are in (None: the
    ones no application holds, and those of no record: functions and health checks)."""
    grouped: dict[int, list[Row]] = {index: [] for index in range(len(apps))}
    others: list[Row] = []
    for change in keyed_changes(changes):
        name, record_type, set_identifier = change.key
        note = []
        if is_state_assertion(change.deleted, change.created):
            note.append("failover state assertion (moves no traffic)")
        if change.deleted is not None and not is_owned(change.deleted):
            note.append("replaces a record geoproxy does not own")
        after = describe_record_set(change.created) if change.created is not None else ""
        if record_type == "TXT" and name.startswith(STATE_LABEL + "."):
            # `apply` writes the state record with a token of its own (core.saved_plan_rules:
            # the compare-and-swap of the next writer), so the token shown would not be it.
            after = re.sub(r"\bt=[0-9a-f]+", "t=(new when applied)", after)
        row = Row(
            change.action,
            name,
            record_type,
            set_identifier or "",
            describe_record_set(change.deleted) if change.deleted is not None else "",
            after,
            "; ".join(note),
        )
        owner = next(
            (i for i, app in enumerate(apps) if app.zone_id == change.zone_id and app.holds(name)),
            None,
        )
        if owner is None:  # the heading names an application's zone; here, the row must
            row = replace(row, note="; ".join([*note, f"zone {change.zone_id}"]))
        (grouped[owner] if owner is not None else others).append(row)
    for update in changes.distributions:
        owner = next(
            (i for i, app in enumerate(apps) if app.distribution_id == update.distribution_id),
            None,
        )
        for field in differences(update.config, update.new_config, update.managed_origin_id):
            row = Row(
                "update",
                f"cloudfront {update.distribution_id}",
                before=_short(field.old),
                after=_short(field.new),
                note=field.path,
            )
            (grouped[owner] if owner is not None else others).append(row)
    others += [Row("update", f"edge function {f.name}", note="publish") for f in changes.functions]
    others += [
        Row("create", f"health check for PoP {spec.pop}") for spec in changes.create_health_checks
    ]
    others += [
        Row("delete", f"health check {check.id}", note=f"PoP {check.pop}" if check.pop else "")
        for check in changes.delete_health_checks
    ]
    result: list[tuple[PlanApp | None, list[Row]]] = [
        (apps[index], rows) for index, rows in grouped.items() if rows
    ]
    return [*result, *([(None, others)] if others else [])]


def summary(counts: dict[str, int]) -> str:
    """The summary line, bold, first in the comment; the counts are `Plan.summary()`'s (or a
    saved plan's `summary_of`, which has no `unchanged`)."""
    writes = sum(
        counts.get(key, 0)
        for key in (
            "create",
            "update",
            "delete",
            "distribution_fields",
            "functions",
            "health_checks_to_create",
            "health_checks_to_delete",
        )
    )
    if not writes and not counts.get("conflicts"):
        line = "**No changes.** Live records match the policy."
        if counts.get("orphans"):
            line += f" {counts['orphans']} orphaned record(s) are left as they are."
        return line
    text = (
        f"**Plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete"
    )
    if "unchanged" in counts:
        text += f", {counts['unchanged']} unchanged"
    if counts.get("distribution_fields"):
        text += f"; CloudFront: {counts['distribution_fields']} field(s) to change"
    if counts.get("functions"):
        text += f"; edge functions: {counts['functions']} to publish"
    if counts.get("health_checks_to_create") or counts.get("health_checks_to_delete"):
        text += (
            f"; health checks: {counts.get('health_checks_to_create', 0)} to create, "
            f"{counts.get('health_checks_to_delete', 0)} to delete"
        )
    if counts.get("conflicts"):
        text += f", {counts['conflicts']} conflict(s)"
    if counts.get("orphans"):
        text += f"; {counts['orphans']} orphaned record(s) left as they are"
    return text + ".**"


def table(rows: list[Row], *, what: str = "write") -> list[str]:
    """One table; folded into <details> when long (blank lines around it: GitHub renders
    Markdown inside <details> only when it stands apart from the tags)."""
    lines = [HEADER, RULE, *(row.markdown() for row in rows)]
    if len(rows) <= LONG_TABLE_ROWS:
        return lines
    return [f"<details><summary>{len(rows)} {what}s</summary>", "", *lines, "", "</details>"]


def _heading(app: PlanApp | None) -> str:
    if app is None:
        return "#### Other writes"
    return f"#### {cell(app.name)}: {code(app.record)} (zone {code(app.zone_id)})"


def changes_markdown(
    changes: ChangeSet, apps: list[PlanApp], counts: dict[str, int], warnings: list[str]
) -> list[str]:
    """The summary line first, then any warnings, then a table per application."""
    lines = [summary(counts), ""]
    if warnings:
        lines += [f"- ⚠️ {cell(warning)}" for warning in warnings] + [""]
    for app, rows in rows_by_app(changes, apps):
        lines += [_heading(app), "", *table(rows), ""]
    return lines


def apps_of(document: dict[str, Any]) -> list[PlanApp]:
    apps = document.get("applications")
    return (
        [PlanApp.from_document(app) for app in apps if isinstance(app, dict)]
        if isinstance(apps, list)
        else []
    )


def plan_markdown(the_plan: Any, document: dict[str, Any]) -> str:
    """`plan -o markdown`: `document` is the plan's JSON (its applications name the groups)."""
    from geoproxy.core.changeset import changeset_of

    lines = changes_markdown(
        changeset_of(the_plan), apps_of(document), the_plan.summary(), list(the_plan.warnings)
    )
    if the_plan.orphans and not the_plan.pruning:
        lines += ["#### Orphans (left as they are; `--prune` deletes them)", ""]
        rows = [
            Row("keep", record.name, record.record_type, note=f"zone {orphan.zone_id}")
            for orphan in the_plan.orphans
            for record in orphan.records
        ]
        lines += [*table(rows, what="orphan"), ""]
    extra = _extra_lines(the_plan)
    if extra:
        lines += ["#### Also", "", *fenced(extra), ""]
    return "\n".join(lines).rstrip() + "\n"


def _extra_lines(the_plan: Any) -> list[str]:
    """What the plan does beside the change set (switches, accelerated recovery), as the text
    view says it."""
    lines: list[str] = []
    if the_plan.switches is not None:
        from geoproxy.cli.render_switches import switches_lines

        lines += [line.plain for line in switches_lines(the_plan.switches)]
    lines += [zone.describe() for zone in getattr(the_plan, "recovery", None) or []]
    return lines


def saved_plan_markdown(path: Path, saved: Any, *, verified: bool) -> str:
    """`show PLANFILE -o markdown`: what `apply PLANFILE` writes, from the change set."""
    signature = (
        "signed, signature verified"
        if saved.signature and verified
        else "signed (no `--verify-key` given: not verified)"
        if saved.signature
        else "not signed"
    )
    head = (
        f"Saved plan {code(str(path))}: format {saved.format_version}, {signature}; made "
        f"{code(saved.created_at)} by {code('geoproxy ' + str(saved.command))} from "
        f"{code(str(saved.policy_file))}. Checksum and rules checked; it writes:"
    )
    if getattr(saved, "changes", None) is None:  # a switch plan: its own text and rules
        return "\n".join([head, "", *fenced(saved.text)]) + "\n"
    counts = summary_of(saved.changes)
    body = changes_markdown(saved.changes, apps_of(saved.document), counts, [])
    return "\n".join([body[0], "", head, "", *body[2:]]).rstrip() + "\n"
