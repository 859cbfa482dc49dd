"""Render: the same data models shown to people (rich) or to scripts (JSON).

One dict per model is built here and the JSON renderer just dumps it; the rich renderers read
the models directly. Nothing here computes anything the plan does not already say.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from geoproxy.aws.execute import ApplyResult, SubmittedBatch, WaitCallback
from geoproxy.aws.retry import RetryNotice
from geoproxy.core.cloudfront import DistributionPlan
from geoproxy.core.desired import DesiredRecord
from geoproxy.core.edgeplan import FunctionPlan
from geoproxy.core.failover import Failover
from geoproxy.core.orphans import Orphan
from geoproxy.core.plan import AppPlan, Plan, RecordChange
from geoproxy.core.records import FailoverRecord, LatencyRecord, LiveRecord, OwnedAliasRecord
from geoproxy.core.routing import Route
from geoproxy.core.state import StateRecord, overlay_of
from geoproxy.errors import GeoproxyError
from geoproxy.pipeline import Compiled
from geoproxy.policy.catalog import parse_elb_target

SYMBOLS = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red")}

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def emit_json(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()


# `geoproxy --quiet`: no warnings and no progress display; never silences errors, change
# ids, retry notices or what landed.
QUIET = False


def warnings(messages: list[str]) -> None:
    """Each distinct warning once, in the order first met."""
    if QUIET:
        return
    for message in dict.fromkeys(messages):
        stderr.print(Text("Warning: ", style="bold yellow") + Text(message))


def retry_notice(notice: RetryNotice) -> None:
    """One line per retry on stderr, on a terminal or not: a DR runbook's log shows why it
    is slow, and that it is still going."""
    why = {"Throttling": "throttled", "PriorRequestNotComplete": "zone busy"}.get(
        notice.why, notice.why)
    stderr.print(Text(f"{notice.what}: {why}; retrying in {notice.delay_s:.1f} s "
                      f"(attempt {notice.attempt}, {notice.elapsed_s:.0f} of "
                      f"{notice.deadline_s:.0f} s)", style="yellow"))


def submitted(batch: SubmittedBatch) -> None:
    """Said the moment Route 53 takes a batch: if the run dies later, the id is in the log."""
    if batch.response_lost:
        stderr.print(f"Change in zone {batch.zone_id} landed ({batch.record_changes} "
                     "change(s)), but Route 53's answer was lost, so its change id is unknown; "
                     "the records were read back and are live.")
    else:
        stderr.print(f"Submitted change {batch.change_id} in zone {batch.zone_id} "
                     f"({batch.record_changes} change(s)).")


def error(failure: GeoproxyError) -> None:
    stderr.print(Text("Error: ", style="bold red") + Text(failure.message))
    if failure.hint:
        stderr.print(Text(f"  hint: {failure.hint}", style="dim"))


# --- routes ----------------------------------------------------------------------------------


def _why(route: Route) -> str:
    if route.reason == "failover":
        return "failover " + " → ".join((*route.failovers, route.pop))
    if route.reason == "nearest" and route.basis == "latency" and route.latency_ms is not None:
        km = f" ({route.distance_km:,.0f} km)" if route.distance_km is not None else ""
        if route.near_tie is not None and route.near_tie_ms is not None:
            return (f"nearest, {route.latency_ms:.1f} ms{km}; near tie: {route.near_tie} "
                    f"{route.near_tie_ms:.1f} ms")
        return f"nearest, {route.latency_ms:.0f} ms{km}"
    distance = f", {route.distance_km:,.0f} km" if route.distance_km is not None else ""
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
            {"name": routing.app.name, "record": routing.app.record,
             "routes": [route_dict(route) for route in routing.routes]}
            for routing in compiled.routing.applications
        ],
        "latency_source": compiled.routing.latency_source,
        "warnings": [*compiled.warnings, *compiled.routing.latency_gaps],
    }


# Past this many rows, or when stdout is no terminal, tables are written as plain aligned
# text: rich lays out 10,000 rows in seconds, and a pipe wants whole rows, never wrapped.
RICH_TABLE_ROWS = 200


def print_table(headers: list[str], rows: list[list[str]],
                styles: list[list[str]] | None = None) -> None:
    """A table without borders: rich (with `styles`, per cell) on a terminal for a
    screenful, else one line per row, columns two spaces apart, no trailing spaces."""
    if stdout.is_terminal and len(rows) <= RICH_TABLE_ROWS:
        table = Table(box=None, header_style="bold", pad_edge=False)
        for header in headers:
            table.add_column(header)
        for index, row in enumerate(rows):
            row_styles = styles[index] if styles else [""] * len(row)
            table.add_row(*(Text(cell, style=style) for cell, style in zip(row, row_styles,
                                                                            strict=True)))
        stdout.print(table)
        return
    widths = [max([len(header), *(len(row[i]) for row in rows)])
              for i, header in enumerate(headers)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
             .rstrip() for line in (headers, *rows)]
    stdout.file.write("\n".join(lines) + "\n")
    stdout.file.flush()


def routes_table(compiled: Compiled) -> None:
    rows, styles = [], []
    for routing in compiled.routing.applications:
        for route in routing.routes:
            rows.append([routing.app.name, route.source_region, "→", route.pop, _why(route),
                         ", ".join(route.compliance) or "-"])
            styles.append(["", "", "", "", "cyan" if route.reason == "forced" else "", ""])
    print_table(["application", "source region", "", "PoP", "why", "compliance"], rows,
                styles)


# --- plans -----------------------------------------------------------------------------------


def _pop_of(record: LiveRecord | DesiredRecord | None) -> str:
    if record is None:
        return ""
    if isinstance(record, DesiredRecord):
        return record.route.pop if record.route else ""
    target = record.alias_target()
    if target is None:
        return record.value_text()
    if "._failover." in target.dns_name:
        return target.dns_name.split("._failover.", 1)[0] + " pair"
    elb = parse_elb_target(target.dns_name)
    return elb.region if elb else target.dns_name


def failover_dict(failover: Failover) -> dict[str, Any]:
    return {"from": failover.from_pop, "to": failover.to_pop, "at": failover.at,
            "by": failover.by or None, "reason": failover.reason or None,
            "override_compliance": failover.override_compliance or None}


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


def _desired_dict(desired: DesiredRecord | None) -> dict[str, Any] | None:
    if desired is None:
        return None
    if isinstance(desired.record, StateRecord):
        return {"failovers": [failover_dict(f) for f in desired.record.failovers],
                "record_set": desired.record.to_route53()}
    if isinstance(desired.record, FailoverRecord):
        return {"role": desired.record.role, "pop": desired.record.pop,
                "target": desired.record.target.dns_name,
                "hosted_zone_id": desired.record.target.hosted_zone_id,
                "evaluate_target_health": desired.record.target.evaluate_target_health,
                "health_check_id": desired.record.health_check_id,
                "record_set": desired.record.to_route53()}
    target = desired.record.target
    body = {
        "set_identifier": desired.record.set_identifier,
        "target": target.dns_name,
        "hosted_zone_id": target.hosted_zone_id,
        "evaluate_target_health": target.evaluate_target_health,
    }
    if desired.route:
        body.update(route_dict(desired.route))
    return body


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
                "cloudfront": _distribution_dict(app.distribution),
                "edge_function": _function_dict(app.function),
                "health_checks": {
                    "create": [{"pop": spec.pop, "caller_reference": spec.caller_reference,
                                "config": spec.config} for spec in app.health_checks.create],
                    "delete": [{"id": check.id, "pop": check.tags.get("geoproxy:pop"),
                                "config": check.config} for check in app.health_checks.delete],
                },
            }
            for app in plan.apps
        ],
        "orphans": [orphan_dict(orphan) for orphan in plan.orphans],
        "pruning": plan.pruning,
        "warnings": plan.warnings,
    }


def orphan_dict(orphan: Orphan) -> dict[str, Any]:
    return {"root": orphan.root, "kind": orphan.kind, "zone": orphan.zone_name,
            "zone_id": orphan.zone_id,
            "records": [{"name": record.name, "type": record.record_type,
                         **(_live_dict(record) or {})} for record in orphan.records],
            "health_checks": [{"id": check.id, "pop": check.tags.get("geoproxy:pop"),
                               "config": check.config} for check in orphan.health_checks]}


def orphans_text(orphans: list[Orphan]) -> None:
    """Orphans as plan and status list them, when they are not being deleted."""
    if not orphans:
        return
    stdout.print(Text("Orphans: records of this policy's owner that no application has "
                      "(`geoproxy apply --prune` deletes them)", style="bold yellow"))
    for orphan in orphans:
        stdout.print(Text.assemble(("  ? ", "bold yellow"), f"{orphan.kind} {orphan.root}",
                                   (f"  (zone {orphan.zone_name}, {orphan.zone_id})", "dim")))
        for record in orphan.records:
            stdout.print(Text(f"      {record.describe()} → {record.value_text()}",
                              style="dim"))
        for check in orphan.health_checks:
            stdout.print(Text(f"      health check {check.id} {check.describe()}",
                              style="dim"))
    stdout.print()


def _what_else_changes(old: LiveRecord | None, new: DesiredRecord) -> str:
    """For an update that keeps its PoP, the alias field that does change."""
    before = old.alias_target() if old else None
    if before is None or not isinstance(new.record, LatencyRecord | FailoverRecord):
        return ""
    after = new.record.target
    check_after = new.record.health_check_id if isinstance(new.record, FailoverRecord) else None
    changed = [f"{label} {a} → {b}" for label, a, b in (
        ("target", before.dns_name, after.dns_name),
        ("alias zone", before.hosted_zone_id, after.hosted_zone_id),
        ("evaluate_target_health", before.evaluate_target_health, after.evaluate_target_health),
        ("health check", old.raw.get("HealthCheckId") if old else None, check_after),
    ) if a != b]
    return "; ".join(changed)


def _state_line(change: RecordChange) -> Text:
    symbol, style = SYMBOLS[change.action]
    line = Text(f"  {symbol} ", style=f"bold {style}")
    line.append(f"{'TXT':<4} {'failover state':<15} ")
    if change.new is not None and isinstance(change.new.record, StateRecord):
        line.append(", ".join(f"{f.from_pop} → {f.to_pop}" for f in change.new.record.failovers),
                    style=style)
    else:
        line.append("cleared", style=style)
    if change.note:
        line.append(f"  [{change.note}]", "dim")
    return line


def _pair_line(change: RecordChange) -> Text:
    """A record of an auto-failover pair: `<pop>._failover.<record>` PRIMARY or SECONDARY."""
    symbol, style = SYMBOLS[change.action]
    pair_of = change.name.split("._failover.", 1)[0]
    line = Text(f"  {symbol} ", style=f"bold {style}")
    line.append(f"{change.record_type:<4} {pair_of + ' pair':<19} {change.slot:<9} ")
    new = change.new.record if change.new else None
    if isinstance(new, FailoverRecord):
        before = _pop_of(change.old) if change.action == "update" else ""
        line.append(f"{before:<14} → {new.pop:<14}", style=style)
        health = "evaluates target health" if new.target.evaluate_target_health else "always"
        line.append(f"  {new.target.dns_name}  ({health})", "dim")
        if change.action == "update" and before == new.pop and change.new:
            line.append(f"  [{_what_else_changes(change.old, change.new)}]", "dim")
    else:
        line.append(_pop_of(change.old), style=style)
    if change.note:
        line.append(f"  [{change.note}]", "dim")
    return line


def _distribution_dict(distribution: DistributionPlan | None) -> dict[str, Any] | None:
    if distribution is None:
        return None
    return {"distribution_id": distribution.distribution_id, "etag": distribution.etag,
            "domain_name": distribution.domain_name, "status": distribution.status,
            "changes": [{"field": c.path, "before": c.old, "after": c.new}
                        for c in distribution.changes]}


def _function_dict(function: FunctionPlan | None) -> dict[str, Any] | None:
    if function is None:
        return None
    return {"name": function.name, "action": function.action, "create": function.create,
            "update": function.update, "publish": function.publish,
            "size_bytes": function.function.size_bytes,
            "moves": [{"country": country, "before": before, "after": after}
                      for country, before, after in function.moves()]}


def _function_lines(function: FunctionPlan) -> None:
    """The edge function as a change of its country -> PoP table, not of its JavaScript."""
    if not function.has_changes:
        return
    steps = [step for step, needed in (("create", function.create),
                                        ("update", function.update),
                                        ("publish", function.publish)) if needed]
    symbol, style = ("+", "green") if function.create else ("~", "yellow")
    stdout.print(Text.assemble((f"  {symbol} ", f"bold {style}"),
                               f"edge function {function.name}",
                               (f"  ({', '.join(steps)}; {function.function.size_bytes:,} "
                                "bytes)", "dim")))
    moves = function.moves()
    if function.create or function.table_before is None:
        by_pop: dict[str, list[str]] = {}
        for country, pop in sorted(function.table_after.countries.items()):
            by_pop.setdefault(pop, []).append(country)
        for pop, countries in by_pop.items():
            stdout.print(Text(f"      {pop} <- {' '.join(countries)}", style="dim"))
        stdout.print(Text("      no country header: "
                          f"{function.table_after.fail_closed or 'latency routing'}",
                          style="dim"))
        return
    for country, before, after in moves:
        stdout.print(Text(f"      {country}: {before or '(none)'} → {after or '(none)'}",
                          style="dim"))
    if not moves:
        stdout.print(Text("      the same table (the code changes, or a publish is "
                          "pending)", style="dim"))


def _distribution_lines(distribution: DistributionPlan) -> None:
    for change in distribution.changes:
        symbol, style = (("+", "green") if change.old in (None, [], "") else
                         ("-", "red") if change.new in (None, [], "") else ("~", "yellow"))
        stdout.print(Text.assemble((f"  {symbol} ", f"bold {style}"),
                                   f"cloudfront {distribution.distribution_id} {change.path}"))
        if isinstance(change.old, dict) or isinstance(change.new, dict):
            old, new = change.old or {}, change.new or {}
            for key in sorted(set(old) | set(new), key=list((*new, *old)).index):
                if old.get(key) != new.get(key):
                    stdout.print(Text(f"      {key}: {_short(old.get(key))} → "
                                      f"{_short(new.get(key))}", style="dim"))
        else:
            stdout.print(Text(f"      {_short(change.old)} → {_short(change.new)}", style="dim"))


def _short(value: Any) -> str:
    if value in (None, [], ""):
        return "(none)"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _change_line(change: RecordChange) -> Text:
    if change.record_type == "TXT" and change.source_region is None and (
        change.new is not None or (change.old is not None and overlay_of(change.old))
    ):
        return _state_line(change)
    if change.slot:
        return _pair_line(change)
    symbol, style = SYMBOLS[change.action]
    line = Text(f"  {symbol} ", style=f"bold {style}")
    line.append(f"{change.record_type:<4} {change.source_region or '-':<15} ")
    new = change.new
    owned_alias = new.record if new is not None and isinstance(new.record,
                                                               OwnedAliasRecord) else None
    if owned_alias is not None:
        line = Text(f"  {symbol} ", style=f"bold {style}")
        line.append(f"{change.record_type:<4} {owned_alias.role:<15} ")
        line.append(f"{change.name} → {owned_alias.target.dns_name}", style=style)
        if change.note:
            line.append(f"  [{change.note}]", "dim")
        return line
    if new is not None and isinstance(new.record, LatencyRecord) and new.route is not None:
        before = _pop_of(change.old) if change.action == "update" else ""
        line.append(f"{before:<14} → {new.route.pop:<14}", style=style)
        line.append(f"  {new.record.target.dns_name}  ({_why(new.route)})", "dim")
        if change.action == "update" and before == new.route.pop:
            line.append(f"  [{_what_else_changes(change.old, new)}]", "dim")
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
    for spec in app.health_checks.create:
        stdout.print(Text.assemble(("  + ", "bold green"), f"health check {spec.pop:<14} ",
                                   (spec.describe(), "dim")))
    for change in app.changes:
        if not change.after_distribution:
            stdout.print(_change_line(change))
    if app.function is not None:
        _function_lines(app.function)
    if app.distribution is not None:
        _distribution_lines(app.distribution)
    for change in app.changes:
        if change.after_distribution:
            stdout.print(_change_line(change))
    for check in app.health_checks.delete:
        stdout.print(Text.assemble(("  - ", "bold red"),
                                   f"health check {check.tags.get('geoproxy:pop', '?'):<14} ",
                                   (f"{check.id} {check.describe()}", "dim")))
    for conflict in app.conflicts:
        stdout.print(Text.assemble(("  ! ", "bold red"), conflict.record.describe(),
                                   (f"  conflict: {conflict.reason}", "red")))
    if app.unchanged:
        stdout.print(Text(f"    {len(app.unchanged)} record(s) unchanged", style="dim"))
    kept = [record for record in app.untouched if record.owned]
    foreign = len(app.untouched) - len(kept)
    if foreign:
        stdout.print(Text(f"    {foreign} record(s) not owned by geoproxy left as they are",
                          style="dim"))
    for record in kept:
        stdout.print(Text(f"    kept: {record.describe()} (geoproxy's, no longer managed "
                          "here; delete it yourself once nothing uses it)", style="dim"))


def summary_line(plan: Plan) -> Text:
    counts = plan.summary()
    if not plan.has_changes and not plan.conflicts and counts["orphans"]:
        return Text(f"No changes to the policy's records; {counts['orphans']} orphaned "
                    "record(s) listed above are left as they are (`--prune` deletes them).",
                    style="bold yellow")
    if not plan.has_changes and not plan.conflicts:
        return Text("No changes. Live records match the policy.", style="bold green")
    text = Text("Plan: ", style="bold")
    text.append(f"{counts['create']} to create, {counts['update']} to update, "
                f"{counts['delete']} to delete, {counts['unchanged']} unchanged")
    if counts["distribution_fields"]:
        text.append(f"; CloudFront: {counts['distribution_fields']} field(s) to change")
    if counts.get("functions"):
        text.append(f"; edge functions: {counts['functions']} to publish")
    if counts["health_checks_to_create"] or counts["health_checks_to_delete"]:
        text.append(f"; health checks: {counts['health_checks_to_create']} to create, "
                    f"{counts['health_checks_to_delete']} to delete")
    if counts["conflicts"]:
        text.append(f", {counts['conflicts']} conflict(s)", style="bold red")
    if counts["orphans"]:
        text.append(f"; {counts['orphans']} orphaned record(s) left as they are",
                    style="yellow")
    return text.append(".")


def plan_lines(plan: Plan) -> list[str]:
    """The plan as plain text lines, as `plan` prints it: kept in a saved plan so the person
    who applies it later reads what was reviewed."""
    global stdout
    shown, stdout = stdout, Console(file=io.StringIO(), no_color=True, width=200,
                                    highlight=False, soft_wrap=True)
    try:
        plan_text(plan)
        text = stdout.file.getvalue()  # type: ignore[attr-defined]
    finally:
        stdout = shown
    return [line.rstrip() for line in text.splitlines()]


def saved_plan_text(lines: list[str]) -> None:
    for line in lines:
        stdout.print(Text(line))


def plan_text(plan: Plan) -> None:
    for app in plan.apps:
        _app_block(app)
        stdout.print()
    if not plan.pruning:
        orphans_text(plan.orphans)
    stdout.print(summary_line(plan))


# --- apply results ---------------------------------------------------------------------------


def apply_result_json(result: ApplyResult) -> dict[str, Any]:
    return {
        "batches": [
            {"zone_id": b.zone_id, "change_id": b.change_id, "changes": b.record_changes,
             "status": b.status, "response_lost": b.response_lost}
            for b in result.batches
        ],
        "seconds_to_insync": (round(result.seconds_to_insync, 2)
                              if result.seconds_to_insync is not None else None),
        "health_checks_created": sorted(result.health_checks_created.values()),
        "health_checks_deleted": result.health_checks_deleted,
        "distributions_updated": sorted(result.distributions_updated),
        "functions_published": sorted(result.functions_published),
        "deployed": result.deployed,
    }


def apply_result_text(result: ApplyResult) -> None:
    for batch in result.batches:
        if batch.response_lost:
            stdout.print(f"Change in zone {batch.zone_id}: {batch.record_changes} change(s), "
                         "applied (response lost: no change id, INSYNC not confirmed)")
            continue
        stdout.print(f"Change {batch.change_id} in zone {batch.zone_id}: "
                     f"{batch.record_changes} change(s), {batch.status}")
    for name in sorted(result.functions_published):
        stdout.print(f"Edge function {name} published (LIVE).")
    for distribution_id in sorted(result.distributions_updated):
        stdout.print(f"CloudFront distribution {distribution_id} updated"
                     + (" and Deployed." if result.deployed else
                        "; it deploys in the background (--wait-deployed waits)."))
    if result.seconds_to_insync is not None:
        stdout.print(Text(f"Apply complete: INSYNC after {result.seconds_to_insync:.1f}s.",
                          style="bold green"))
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
    return (f"Waiting for Route 53 to report INSYNC: {done}/{len(batches)} change(s) in "
            f"sync, {elapsed:.0f}s" + (f" ({waiting})" if waiting else ""))


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
