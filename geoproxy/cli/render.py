"""Render: the same data models shown to people (rich) or to scripts (JSON).

One dict per model is built here and the JSON renderer just dumps it; the rich renderers read
the models directly. Nothing here computes anything the plan does not already say.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from geoproxy.aws.retry import RetryNotice
from geoproxy.core.desired import DesiredRecord
from geoproxy.core.failover import Failover
from geoproxy.core.names import TAG_POP, pair_parts
from geoproxy.core.orphans import Orphan
from geoproxy.core.records import LiveRecord
from geoproxy.core.routing import Route
from geoproxy.core.state import overlay_of
from geoproxy.errors import GeoproxyError, printable
from geoproxy.pipeline import Compiled
from geoproxy.pipeline.apply import ApplyResult, SubmittedBatch, WaitCallback
from geoproxy.policy.catalog import parse_elb_target

SYMBOLS = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red")}


class CleanConsole(Console):
    """A console that hands the terminal no control characters from what it prints: names,
    reasons, record values and AWS messages come from DNS, AWS and policies, and an escape
    sequence in one would clear the screen, set the window title or forge lines. Text keeps
    its styles (the replacement is one character for one); line breaks are kept, because
    geoproxy's own messages have them: values read from outside pass through
    `printable()` where they are put into a message. JSON output is not printed here: json
    escapes control characters itself."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(_clean(item) for item in objects), **kwargs)


def _clean(item: Any) -> Any:
    if isinstance(item, str):
        return printable(item, newlines=True)
    if isinstance(item, Text):
        plain = item.plain
        clean = printable(plain, newlines=True)
        if clean != plain:
            item = item.copy()
            item.plain = clean  # same length: the spans (styles) stay valid
        return item
    return item


# Typed as Console: render_plan.plan_lines swaps in a plain capturing Console for a moment.
stdout: Console = CleanConsole(highlight=False, soft_wrap=True)
stderr = CleanConsole(stderr=True, highlight=False, soft_wrap=True)


JSON_FORMAT_VERSION = 1  # of the documents `-o json` prints; bumped when a field goes


def emit_json(document: dict[str, Any], *, envelope: bool = True) -> None:
    """One JSON document on stdout. Every geoproxy document starts with `format_version`
    and `kind` (the command that made it); `envelope=False` for documents in someone
    else's format (an IAM policy), which must hold only their own keys."""
    if envelope:
        document = {
            "format_version": document.get("format_version", JSON_FORMAT_VERSION),
            "kind": document.get("kind", _command_name()),
            **document,
        }
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()


def _command_name() -> str:
    import click

    context = click.get_current_context(silent=True)
    return (context.info_name or "geoproxy") if context is not None else "geoproxy"


# `geoproxy --quiet`: no warnings and no progress display; never silences errors, change
# ids, retry notices or what landed.
QUIET = False


def warnings(messages: list[str]) -> None:
    """Each distinct warning once, in the order first met."""
    if QUIET:
        return
    for message in dict.fromkeys(messages):
        # One line each: a warning may quote a value read from DNS or AWS.
        stderr.print(Text("Warning: ", style="bold yellow") + Text(printable(message)))


def retry_notice(notice: RetryNotice) -> None:
    """One line per retry on stderr, on a terminal or not: a DR runbook's log shows why it
    is slow, and that it is still going."""
    why = {"Throttling": "throttled", "PriorRequestNotComplete": "zone busy"}.get(
        notice.why, notice.why
    )
    stderr.print(
        Text(
            f"{notice.what}: {why}; retrying in {notice.delay_s:.1f} s "
            f"(attempt {notice.attempt}, {notice.elapsed_s:.0f} of "
            f"{notice.deadline_s:.0f} s)",
            style="yellow",
        )
    )


def submitted(batch: SubmittedBatch) -> None:
    """Said the moment Route 53 takes a batch: if the run dies later, the id is in the log."""
    if batch.response_lost:
        stderr.print(
            f"Change in zone {batch.zone_id} landed ({batch.record_changes} "
            "Route 53 record change(s)), but Route 53's answer was lost, so its "
            "change id is unknown; the records were read back and are live"
            + (f" ({batch.history_note})." if batch.history_note else ".")
        )
    elif batch.from_history:
        stderr.print(
            f"Change {batch.change_id} in zone {batch.zone_id} landed ({batch.record_changes} "
            "Route 53 record change(s)); Route 53's answer was lost, and the zone's change "
            "history names it by its comment's token; INSYNC is asked of it."
        )
    else:
        stderr.print(
            f"Submitted change {batch.change_id} in zone {batch.zone_id} "
            f"({batch.record_changes} Route 53 record change(s))."
        )


def error(failure: GeoproxyError) -> None:
    stderr.print(Text("Error: ", style="bold red") + Text(failure.message))
    if failure.hint:
        stderr.print(Text(f"  hint: {failure.hint}", style="dim"))


# --- routes ----------------------------------------------------------------------------------


def number(value: float, decimals: int = 0) -> str:
    """A measurement as people read it: 158 or 158.4; past a million, three significant
    digits with an exponent (a table's 1e308 ms is not printed as 309 digits)."""
    if not math.isfinite(value) or abs(value) >= 1e6:
        return f"{value:.3g}"
    return f"{value:,.{decimals}f}"


def _why(route: Route) -> str:
    if route.reason == "failover":
        return "failover " + " → ".join((*route.failovers, route.pop))
    if route.reason == "nearest" and route.basis == "latency" and route.latency_ms is not None:
        km = f" ({number(route.distance_km)} km)" if route.distance_km is not None else ""
        if route.near_tie is not None and route.near_tie_ms is not None:
            return (
                f"nearest, {number(route.latency_ms, 1)} ms{km}; near tie: "
                f"{route.near_tie} {number(route.near_tie_ms, 1)} ms"
            )
        return f"nearest, {number(route.latency_ms)} ms{km}"
    distance = f", {number(route.distance_km)} km" if route.distance_km is not None else ""
    return f"{route.reason}{distance}"


def route_dict(route: Route) -> dict[str, Any]:
    return {
        "source_region": route.source_region,
        "pop": route.pop,
        "reason": route.reason,
        "distance_km": round(route.distance_km) if route.distance_km is not None else None,
        "latency_ms": route.latency_ms,
        "near_tie": route.near_tie,
        "nearest_by": route.basis if route.reason == "nearest" else None,
        "compliance": list(route.compliance),
        "policy_pop": route.base_pop or route.pop,
        "failovers": list(route.failovers),
    }


def routes_json(compiled: Compiled) -> dict[str, Any]:
    return {
        "applications": [
            {
                "name": routing.app.name,
                "record": routing.app.record,
                "routes": [route_dict(route) for route in routing.routes],
            }
            for routing in compiled.routing.applications
        ],
        "latency_source": compiled.routing.latency_source,
        "warnings": [*compiled.warnings, *compiled.routing.latency_gaps],
    }


# Past this many rows, or when stdout is no terminal, tables are written as plain aligned
# text: rich lays out 10,000 rows in seconds, and a pipe wants whole rows, never wrapped.
RICH_TABLE_ROWS = 200


def print_table(
    headers: list[str],
    rows: list[list[str]],
    styles: list[list[str]] | None = None,
    whole: tuple[int, ...] = (),
) -> None:
    """A table without borders: rich (with `styles`, per cell) on a terminal for a
    screenful, else one line per row, columns two spaces apart, no trailing spaces. A cell
    is one line: any control character in it (a newline too) is replaced. The columns in
    `whole` (region names) are never cut or wrapped on a narrow terminal: the others wrap."""
    rows = [[printable(cell) for cell in row] for row in rows]
    if stdout.is_terminal and len(rows) <= RICH_TABLE_ROWS:
        table = Table(box=None, header_style="bold", pad_edge=False)
        for index, header in enumerate(headers):
            if index in whole:
                width = max([*(len(row[index]) for row in rows), 1])
                table.add_column(header, no_wrap=True, min_width=width, overflow="fold")
            else:
                table.add_column(header)
        for index, row in enumerate(rows):
            row_styles = styles[index] if styles else [""] * len(row)
            table.add_row(
                *(Text(cell, style=style) for cell, style in zip(row, row_styles, strict=True))
            )
        stdout.print(table)
        return
    widths = [
        max([len(header), *(len(row[i]) for row in rows)]) for i, header in enumerate(headers)
    ]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in (headers, *rows)
    ]
    stdout.file.write("\n".join(lines) + "\n")
    stdout.file.flush()


def routes_table(compiled: Compiled) -> None:
    rows, styles = [], []
    for routing in compiled.routing.applications:
        for route in routing.routes:
            rows.append(
                [
                    routing.app.name,
                    route.source_region,
                    "→",
                    route.pop,
                    _why(route),
                    ", ".join(route.compliance) or "-",
                ]
            )
            styles.append(["", "", "", "", "cyan" if route.reason == "forced" else "", ""])
    print_table(
        ["application", "source region", "", "PoP", "why", "compliance"], rows, styles, whole=(1, 3)
    )


# --- plans -----------------------------------------------------------------------------------


def failover_dict(failover: Failover) -> dict[str, Any]:
    return {
        "from": failover.from_pop,
        "to": failover.to_pop,
        "at": failover.at,
        "by": failover.by or None,
        "reason": failover.reason or None,
        "override_compliance": failover.override_compliance or None,
    }


def _pop_of(record: LiveRecord | DesiredRecord | None) -> str:
    if record is None:
        return ""
    if isinstance(record, DesiredRecord):
        return record.route.pop if record.route else ""
    target = record.alias_target()
    if target is None:
        return record.value_text()
    if (pair := pair_parts(target.dns_name)) is not None:
        return pair[0] + " pair"
    elb = parse_elb_target(target.dns_name)
    return elb.region if elb else target.dns_name


def _live_dict(record: LiveRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    target = record.alias_target()
    body: dict[str, Any] = {
        "set_identifier": record.set_identifier,
        "routing_policy": record.routing_policy,
        "owned": record.owned,
        "target": target.dns_name if target else None,
        "hosted_zone_id": target.hosted_zone_id if target else None,
        "evaluate_target_health": target.evaluate_target_health if target else None,
        "pop": _pop_of(record) if target else None,
        "record_set": record.raw,
    }
    if record.record_type == "TXT" and overlay_of(record):
        body["failovers"] = [failover_dict(f) for f in overlay_of(record).values()]
    return body


def orphan_dict(orphan: Orphan) -> dict[str, Any]:
    return {
        "root": orphan.root,
        "kind": orphan.kind,
        "zone": orphan.zone_name,
        "zone_id": orphan.zone_id,
        "records": [
            {"name": record.name, "type": record.record_type, **(_live_dict(record) or {})}
            for record in orphan.records
        ],
        "health_checks": [
            {"id": check.id, "pop": check.tags.get(TAG_POP), "config": check.config}
            for check in orphan.health_checks
        ],
    }


def orphans_text(orphans: list[Orphan]) -> None:
    """Orphans as plan and status list them, when they are not being deleted."""
    if not orphans:
        return
    stdout.print(
        Text(
            "Orphans: records of this policy's owner that no application has "
            "(`geoproxy apply --prune` deletes them)",
            style="bold yellow",
        )
    )
    for orphan in orphans:
        stdout.print(
            Text.assemble(
                ("  ? ", "bold yellow"),
                f"{orphan.kind} {orphan.root}",
                (f"  (zone {orphan.zone_name}, {orphan.zone_id})", "dim"),
            )
        )
        for record in orphan.records:
            stdout.print(Text(f"      {record.describe()} → {record.value_text()}", style="dim"))
        for check in orphan.health_checks:
            stdout.print(Text(f"      health check {check.id} {check.describe()}", style="dim"))
    stdout.print()


# --- apply results ---------------------------------------------------------------------------


# CloudTrail records every Route 53 API call, ChangeResourceRecordSets with its response's
# changeInfo (its id) among its responseElements, in US East (N. Virginia):
# https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/logging-using-cloudtrail.html
UNKNOWN_INSYNC_HOWTO = (
    "  To check: `geoproxy status` reads the records back; the change id is in CloudTrail "
    "(the ChangeResourceRecordSets event in us-east-1, under responseElements), and "
    "`geoproxy wait ID` waits for it."
)


def _insync(batch: SubmittedBatch) -> bool | None:
    """True only if Route 53 said INSYNC; None if no one can know (no change id)."""
    return None if batch.response_lost else batch.status == "INSYNC"


def apply_result_json(result: ApplyResult) -> dict[str, Any]:
    return {
        "batches": [
            {
                "zone_id": b.zone_id,
                "change_id": b.change_id,
                "changes": b.record_changes,
                "status": b.status,
                "response_lost": b.response_lost,
                "found_in_history": b.from_history,
                "insync": _insync(b),
            }
            for b in result.batches
        ],
        "seconds_to_insync": (
            round(result.seconds_to_insync, 2) if result.seconds_to_insync is not None else None
        ),
        "health_checks_created": sorted(result.health_checks_created.values()),
        "health_checks_deleted": result.health_checks_deleted,
        "distributions_updated": sorted(result.distributions_updated),
        "functions_published": sorted(result.functions_published),
        "deployed": result.deployed,
    }


def applied_summary(summary: dict[str, Any], result: ApplyResult) -> str:
    """What landed, counted as the plan counts it ("4 to update" -> "4 updated"), beside
    the Route 53 record changes that carried it (an update may take a DELETE and a CREATE)."""
    actions = sum(batch.record_changes for batch in result.batches)
    return (
        f"Applied: {summary.get('create', 0)} created, {summary.get('update', 0)} "
        f"updated, {summary.get('delete', 0)} deleted, as planned ({actions} Route 53 "
        f"record change(s) in {len(result.batches)} batch(es))."
    )


def apply_result_text(result: ApplyResult, summary: dict[str, Any] | None = None) -> None:
    for batch in result.batches:
        if batch.response_lost:
            stdout.print(
                f"Change in zone {batch.zone_id}: {batch.record_changes} Route 53 "
                "record change(s), applied (response lost: no change id, INSYNC "
                "not confirmed)"
            )
            continue
        stdout.print(
            f"Change {batch.change_id} in zone {batch.zone_id}: "
            f"{batch.record_changes} Route 53 record change(s), {batch.status}"
        )
    if summary is not None and result.batches:
        stdout.print(applied_summary(summary, result))
    for name in sorted(result.functions_published):
        stdout.print(f"Edge function {name} published (LIVE).")
    for distribution_id in sorted(result.distributions_updated):
        stdout.print(
            f"CloudFront distribution {distribution_id} updated"
            + (
                " and Deployed."
                if result.deployed
                else "; it deploys in the background (--wait-deployed waits)."
            )
        )
    unknown = [batch for batch in result.batches if batch.response_lost]
    seen = [batch for batch in result.batches if batch.status == "INSYNC"]
    if result.seconds_to_insync is not None and unknown:
        # INSYNC is said only of what GetChange (or Route 53's own answer) reported INSYNC:
        # a change whose answer was lost has no id to ask about.
        if seen:
            stdout.print(
                f"{len(seen)} change(s) INSYNC after {result.seconds_to_insync:.1f}s "
                "(as GetChange reported)."
            )
        stdout.print(
            Text(
                f"Apply complete: {len(unknown)} change(s) submitted, INSYNC unknown (Route "
                "53's answer was lost, so there is no change id to ask GetChange about; the "
                "records were read back and are live).",
                style="bold yellow",
            )
        )
        stdout.print(UNKNOWN_INSYNC_HOWTO)
    elif result.seconds_to_insync is not None:
        stdout.print(
            Text(
                f"Apply complete: INSYNC after {result.seconds_to_insync:.1f}s.", style="bold green"
            )
        )
    elif unknown:
        stdout.print(
            Text(
                f"Apply submitted ({len(unknown)} change(s) submitted, INSYNC unknown: their "
                "answer was lost); not waiting for INSYNC.",
                style="bold",
            )
        )
        stdout.print(UNKNOWN_INSYNC_HOWTO)
    elif result.batches:
        stdout.print(Text("Apply submitted; not waiting for INSYNC (--no-wait).", style="bold"))
    else:
        stdout.print(Text("Apply complete.", style="bold green"))


# Off a terminal, a line at least this often while waiting: a CI job's log shows that the
# run is alive, and which change it waits for, if it is killed by a job timeout.
PROGRESS_EVERY_S = 10.0


def _waiting_text(batches: list[SubmittedBatch], elapsed: float) -> str:
    if any(batch.zone_id == "cloudfront" for batch in batches):
        return f"Waiting for CloudFront to deploy {len(batches)} distribution(s), {elapsed:.0f}s"
    done = sum(batch.status == "INSYNC" for batch in batches)
    waiting = ", ".join(str(b.change_id) for b in batches if b.status != "INSYNC")
    return (
        f"Waiting for Route 53 to report INSYNC: {done}/{len(batches)} change(s) in "
        f"sync, {elapsed:.0f}s" + (f" ({waiting})" if waiting else "")
    )


@contextmanager
def wait_progress(enabled: bool) -> Iterator[WaitCallback | None]:
    """A live 'waiting for INSYNC' line on a terminal; off one, a plain line every
    PROGRESS_EVERY_S seconds (the first at once); nothing with --quiet or JSON output."""
    if not enabled or QUIET:
        yield None
        return
    if not stderr.is_terminal:
        printed = [-PROGRESS_EVERY_S]

        def log(batches: list[SubmittedBatch], elapsed: float) -> None:
            if all(batch.status in ("INSYNC", "Deployed") for batch in batches):
                return
            if elapsed - printed[0] >= PROGRESS_EVERY_S:
                printed[0] = elapsed
                stderr.print(_waiting_text(batches, elapsed))

        yield log
        return
    with stderr.status("Waiting for Route 53 to report INSYNC…") as status:

        def update(batches: list[SubmittedBatch], elapsed: float) -> None:
            status.update(_waiting_text(batches, elapsed))

        yield update
