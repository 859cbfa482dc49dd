"""Render: the same data models shown to people (rich) or to scripts (JSON).

One dict per model is built here and the JSON renderer just dumps it; the rich renderers read
the models directly. Nothing here computes anything the plan does not already say.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from geoproxy.catalog import parse_elb_target
from geoproxy.desired import DesiredRecord
from geoproxy.errors import GeoproxyError
from geoproxy.execute import ApplyResult, SubmittedBatch, WaitCallback
from geoproxy.pipeline import Compiled
from geoproxy.plan import AppPlan, Plan, RecordChange
from geoproxy.records import LiveRecord
from geoproxy.routing import Route

SYMBOLS = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red")}

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def emit_json(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()


def warnings(messages: list[str]) -> None:
    for message in messages:
        stderr.print(Text("Warning: ", style="bold yellow") + Text(message))


def error(failure: GeoproxyError) -> None:
    stderr.print(Text("Error: ", style="bold red") + Text(failure.message))
    if failure.hint:
        stderr.print(Text(f"  hint: {failure.hint}", style="dim"))


# --- routes ----------------------------------------------------------------------------------


def _why(route: Route) -> str:
    distance = f", {route.distance_km:,.0f} km" if route.distance_km is not None else ""
    return f"{route.reason}{distance}"


def route_dict(route: Route) -> dict[str, Any]:
    return {
        "source_region": route.source_region,
        "pop": route.pop,
        "reason": route.reason,
        "distance_km": round(route.distance_km) if route.distance_km is not None else None,
        "compliance": list(route.compliance),
    }


def routes_json(compiled: Compiled) -> dict[str, Any]:
    return {
        "applications": [
            {"name": routing.app.name, "record": routing.app.record,
             "routes": [route_dict(route) for route in routing.routes]}
            for routing in compiled.routing.applications
        ],
        "warnings": compiled.warnings,
    }


def routes_table(compiled: Compiled) -> None:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("application", "source region", "", "PoP", "why", "compliance"):
        table.add_column(column)
    for routing in compiled.routing.applications:
        for route in routing.routes:
            style = "cyan" if route.reason == "forced" else ""
            table.add_row(routing.app.name, route.source_region, "→", route.pop,
                          Text(_why(route), style=style), ", ".join(route.compliance) or "-")
    stdout.print(table)


# --- plans -----------------------------------------------------------------------------------


def _pop_of(record: LiveRecord | DesiredRecord | None) -> str:
    if record is None:
        return ""
    if isinstance(record, DesiredRecord):
        return record.route.pop
    target = record.alias_target()
    if target is None:
        return record.value_text()
    elb = parse_elb_target(target.dns_name)
    return elb.region if elb else target.dns_name


def _live_dict(record: LiveRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    target = record.alias_target()
    return {
        "set_identifier": record.set_identifier,
        "routing_policy": record.routing_policy,
        "owned": record.owned,
        "target": target.dns_name if target else None,
        "hosted_zone_id": target.hosted_zone_id if target else None,
        "evaluate_target_health": target.evaluate_target_health if target else None,
        "pop": _pop_of(record) if target else None,
        "record_set": record.raw,
    }


def _desired_dict(desired: DesiredRecord | None) -> dict[str, Any] | None:
    if desired is None:
        return None
    target = desired.record.target
    return {
        "set_identifier": desired.record.set_identifier,
        "target": target.dns_name,
        "hosted_zone_id": target.hosted_zone_id,
        "evaluate_target_health": target.evaluate_target_health,
        **route_dict(desired.route),
    }


def change_dict(change: RecordChange) -> dict[str, Any]:
    return {
        "action": change.action,
        "name": change.name,
        "type": change.record_type,
        "source_region": change.source_region,
        "before": _live_dict(change.old),
        "after": _desired_dict(change.new),
        "note": change.note or None,
    }


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": 1,
        "has_changes": plan.has_changes,
        "summary": plan.summary(),
        "applications": [
            {
                "name": app.name,
                "zone": app.zone_name,
                "zone_id": app.zone_id,
                "record": app.record_name,
                "changes": [change_dict(change) for change in app.changes],
                "conflicts": [
                    {"record": conflict.record.describe(), "reason": conflict.reason,
                     "record_set": conflict.record.raw}
                    for conflict in app.conflicts
                ],
                "unchanged": len(app.unchanged),
                "untouched": [record.describe() for record in app.untouched],
            }
            for app in plan.apps
        ],
        "warnings": plan.warnings,
    }


def _change_line(change: RecordChange) -> Text:
    symbol, style = SYMBOLS[change.action]
    line = Text(f"  {symbol} ", style=f"bold {style}")
    line.append(f"{change.record_type:<4} {change.source_region or '-':<15} ")
    if change.action == "create" and change.new:
        line.append(f"{'':<14} → {change.new.route.pop:<14}", style=style)
        line.append(f"  {change.new.record.target.dns_name}  ({_why(change.new.route)})", "dim")
    elif change.action == "update" and change.new:
        line.append(f"{_pop_of(change.old):<14} → {change.new.route.pop:<14}", style=style)
        line.append(f"  {change.new.record.target.dns_name}  ({_why(change.new.route)})", "dim")
    else:
        line.append(_pop_of(change.old), style=style)
        if change.old and not change.old.owned:
            line.append(f"  {change.old.describe()}", "dim")
    if change.note:
        line.append(f"  [{change.note}]", "dim")
    return line


def _app_block(app: AppPlan) -> None:
    stdout.print(Text.assemble((app.name, "bold"), f"  {app.record_name}",
                               (f"  (zone {app.zone_name}, {app.zone_id})", "dim")))
    for change in app.changes:
        stdout.print(_change_line(change))
    for conflict in app.conflicts:
        stdout.print(Text.assemble(("  ! ", "bold red"), conflict.record.describe(),
                                   (f"  conflict: {conflict.reason}", "red")))
    if app.unchanged:
        stdout.print(Text(f"    {len(app.unchanged)} record(s) unchanged", style="dim"))
    if app.untouched:
        stdout.print(Text(f"    {len(app.untouched)} record(s) not owned by geoproxy left as "
                          "they are", style="dim"))


def summary_line(plan: Plan) -> Text:
    counts = plan.summary()
    if not plan.has_changes and not plan.conflicts:
        return Text("No changes. Live records match the policy.", style="bold green")
    text = Text("Plan: ", style="bold")
    text.append(f"{counts['create']} to create, {counts['update']} to update, "
                f"{counts['delete']} to delete, {counts['unchanged']} unchanged")
    if counts["conflicts"]:
        text.append(f", {counts['conflicts']} conflict(s)", style="bold red")
    return text.append(".")


def plan_text(plan: Plan) -> None:
    for app in plan.apps:
        _app_block(app)
        stdout.print()
    stdout.print(summary_line(plan))


# --- apply results ---------------------------------------------------------------------------


def apply_result_json(result: ApplyResult) -> dict[str, Any]:
    return {
        "batches": [
            {"zone_id": b.zone_id, "change_id": b.change_id, "changes": b.record_changes,
             "status": b.status}
            for b in result.batches
        ],
        "seconds_to_insync": (round(result.seconds_to_insync, 2)
                              if result.seconds_to_insync is not None else None),
    }


def apply_result_text(result: ApplyResult) -> None:
    for batch in result.batches:
        stdout.print(f"Change {batch.change_id} in zone {batch.zone_id}: "
                     f"{batch.record_changes} change(s), {batch.status}")
    if result.seconds_to_insync is not None:
        stdout.print(Text(f"Apply complete: INSYNC after {result.seconds_to_insync:.1f}s.",
                          style="bold green"))
    else:
        stdout.print(Text("Apply submitted; not waiting for INSYNC (--no-wait).", style="bold"))


@contextmanager
def wait_progress(enabled: bool) -> Iterator[WaitCallback | None]:
    """A live 'waiting for INSYNC' line on a terminal; nothing when output is piped."""
    if not (enabled and stderr.is_terminal):
        yield None
        return
    with stderr.status("Waiting for Route 53 to report INSYNC…") as status:

        def update(batches: list[SubmittedBatch], elapsed: float) -> None:
            done = sum(batch.status == "INSYNC" for batch in batches)
            status.update(f"Waiting for Route 53 to report INSYNC: {done}/{len(batches)} "
                          f"change(s) in sync, {elapsed:.0f}s")

        yield update
