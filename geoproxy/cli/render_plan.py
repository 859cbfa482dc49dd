"""Render a plan: the `+ ~ -` text for people, and the plan's JSON for scripts and saved plans.

One renderer per output: the text of `plan`, `apply`, `failover` and `failback` and the lines a
saved plan keeps are the same function's.
"""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.text import Text

from geoproxy.cli.render import (
    SYMBOLS,
    _live_dict,
    _pop_of,
    _why,
    failover_dict,
    orphan_dict,
    orphans_text,
    route_dict,
    stdout,
)
from geoproxy.cli.render_switches import switches_json, switches_lines
from geoproxy.core.cloudfront import DistributionPlan
from geoproxy.core.desired import DesiredRecord
from geoproxy.core.edge.plan import FunctionPlan
from geoproxy.core.names import TAG_POP, pair_parts
from geoproxy.core.plan import AppPlan, Plan, RecordChange
from geoproxy.core.records import FailoverRecord, LatencyRecord, LiveRecord, OwnedAliasRecord
from geoproxy.core.state import StateRecord, overlay_of


def _desired_dict(desired: DesiredRecord | None) -> dict[str, Any] | None:
    if desired is None:
        return None
    if isinstance(desired.record, StateRecord):
        return {
            "failovers": [failover_dict(f) for f in desired.record.failovers],
            "record_set": desired.record.to_route53(),
        }
    if isinstance(desired.record, FailoverRecord):
        return {
            "role": desired.record.role,
            "pop": desired.record.pop,
            "target": desired.record.target.dns_name,
            "hosted_zone_id": desired.record.target.hosted_zone_id,
            "evaluate_target_health": desired.record.target.evaluate_target_health,
            "health_check_id": desired.record.health_check_id,
            "record_set": desired.record.to_route53(),
        }
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
                # The state record's compare-and-swap sent with the changes (core.state):
                # not one of them (it moves no traffic), but part of what is written.
                "state_assertion": [change_dict(change) for change in app.state_changes()],
                # Deletions a guardrail would refuse in this run (core.guardrails): a later run's.
                **(
                    {"drain_pending": [change_dict(change) for change in app.drain_pending]}
                    if app.drain_pending
                    else {}
                ),
                "conflicts": [
                    {
                        "record": conflict.record.describe(),
                        "reason": conflict.reason,
                        "record_set": conflict.record.raw,
                    }
                    for conflict in app.conflicts
                ],
                "unchanged": len(app.unchanged),
                "untouched": [record.describe() for record in app.untouched],
                "cloudfront": _distribution_dict(app.distribution),
                "edge_function": _function_dict(app.function),
                "health_checks": {
                    "create": [
                        {
                            "pop": spec.pop,
                            "caller_reference": spec.caller_reference,
                            "config": spec.config,
                        }
                        for spec in app.health_checks.create
                    ],
                    "delete": [
                        {"id": check.id, "pop": check.tags.get(TAG_POP), "config": check.config}
                        for check in app.health_checks.delete
                    ],
                },
            }
            for app in plan.apps
        ],
        "orphans": [orphan_dict(orphan) for orphan in plan.orphans],
        "pruning": plan.pruning,
        "warnings": plan.warnings,
        **({"switches": switches_json(plan.switches)} if plan.switches is not None else {}),
    }


def _what_else_changes(old: LiveRecord | None, new: DesiredRecord) -> str:
    """For an update that keeps its PoP, the alias field that does change."""
    before = old.alias_target() if old else None
    if before is None or not isinstance(new.record, LatencyRecord | FailoverRecord):
        return ""
    after = new.record.target
    check_after = new.record.health_check_id if isinstance(new.record, FailoverRecord) else None
    changed = [
        f"{label} {a} → {b}"
        for label, a, b in (
            ("target", before.dns_name, after.dns_name),
            ("alias zone", before.hosted_zone_id, after.hosted_zone_id),
            ("evaluate_target_health", before.evaluate_target_health, after.evaluate_target_health),
            ("health check", old.raw.get("HealthCheckId") if old else None, check_after),
        )
        if a != b
    ]
    return "; ".join(changed)


def _state_line(change: RecordChange) -> Text:
    symbol, style = SYMBOLS[change.action]
    line = Text(f"  {symbol} ", style=f"bold {style}")
    line.append(f"{'TXT':<4} {'failover state':<15} ")
    if (
        change.new is not None
        and isinstance(change.new.record, StateRecord)
        and change.new.record.failovers
    ):
        line.append(
            ", ".join(f"{f.from_pop} → {f.to_pop}" for f in change.new.record.failovers),
            style=style,
        )
    else:
        line.append("cleared", style=style)
    if change.note:
        line.append(f"  [{change.note}]", "dim")
    return line


def _pair_line(change: RecordChange) -> Text:
    """A record of an auto-failover pair: `<pop>._failover.<record>` PRIMARY or SECONDARY."""
    symbol, style = SYMBOLS[change.action]
    pair_of = (pair_parts(change.name) or (change.name, ""))[0]
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
    return {
        "distribution_id": distribution.distribution_id,
        "etag": distribution.etag,
        "domain_name": distribution.domain_name,
        "status": distribution.status,
        "changes": [
            {"field": c.path, "before": c.old, "after": c.new} for c in distribution.changes
        ],
    }


def _function_dict(function: FunctionPlan | None) -> dict[str, Any] | None:
    if function is None:
        return None
    return {
        "name": function.name,
        "action": function.action,
        "create": function.create,
        "update": function.update,
        "publish": function.publish,
        "size_bytes": function.function.size_bytes,
        "moves": [
            {"country": country, "before": before, "after": after}
            for country, before, after in function.moves()
        ],
    }


def _function_lines(function: FunctionPlan) -> None:
    """The edge function as a change of its country -> PoP table, not of its JavaScript."""
    if not function.has_changes:
        return
    steps = [
        step
        for step, needed in (
            ("create", function.create),
            ("update", function.update),
            ("publish", function.publish),
        )
        if needed
    ]
    symbol, style = ("+", "green") if function.create else ("~", "yellow")
    stdout.print(
        Text.assemble(
            (f"  {symbol} ", f"bold {style}"),
            f"edge function {function.name}",
            (f"  ({', '.join(steps)}; {function.function.size_bytes:,} bytes)", "dim"),
        )
    )
    moves = function.moves()
    if function.create or function.table_before is None:
        by_pop: dict[str, list[str]] = {}
        for country, pop in sorted(function.table_after.countries.items()):
            by_pop.setdefault(pop, []).append(country)
        for pop, countries in by_pop.items():
            stdout.print(Text(f"      {pop} <- {' '.join(countries)}", style="dim"))
        stdout.print(
            Text(
                f"      no country header: {function.table_after.fail_closed or 'latency routing'}",
                style="dim",
            )
        )
        return
    for country, before, after in moves:
        stdout.print(
            Text(f"      {country}: {before or '(none)'} → {after or '(none)'}", style="dim")
        )
    if not moves:
        stdout.print(
            Text("      the same table (the code changes, or a publish is pending)", style="dim")
        )


def _distribution_lines(distribution: DistributionPlan) -> None:
    for change in distribution.changes:
        symbol, style = (
            ("+", "green")
            if change.old in (None, [], "")
            else ("-", "red")
            if change.new in (None, [], "")
            else ("~", "yellow")
        )
        stdout.print(
            Text.assemble(
                (f"  {symbol} ", f"bold {style}"),
                f"cloudfront {distribution.distribution_id} {change.path}",
            )
        )
        if isinstance(change.old, dict) or isinstance(change.new, dict):
            old, new = change.old or {}, change.new or {}
            for key in sorted(set(old) | set(new), key=list((*new, *old)).index):
                if old.get(key) != new.get(key):
                    stdout.print(
                        Text(
                            f"      {key}: {_short(old.get(key))} → {_short(new.get(key))}",
                            style="dim",
                        )
                    )
        else:
            stdout.print(Text(f"      {_short(change.old)} → {_short(change.new)}", style="dim"))


def _short(value: Any) -> str:
    if value in (None, [], ""):
        return "(none)"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _change_line(change: RecordChange) -> Text:
    if (
        change.record_type == "TXT"
        and change.source_region is None
        and (change.new is not None or (change.old is not None and overlay_of(change.old)))
    ):
        return _state_line(change)
    if change.slot:
        return _pair_line(change)
    symbol, style = SYMBOLS[change.action]
    line = Text(f"  {symbol} ", style=f"bold {style}")
    line.append(f"{change.record_type:<4} {change.source_region or '-':<15} ")
    new = change.new
    owned_alias = (
        new.record if new is not None and isinstance(new.record, OwnedAliasRecord) else None
    )
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
    stdout.print(
        Text.assemble(
            (app.name, "bold"),
            f"  {app.record_name}",
            (f"  (zone {app.zone_name}, {app.zone_id})", "dim"),
        )
    )
    for spec in app.health_checks.create:
        stdout.print(
            Text.assemble(
                ("  + ", "bold green"), f"health check {spec.pop:<14} ", (spec.describe(), "dim")
            )
        )
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
        stdout.print(
            Text.assemble(
                ("  - ", "bold red"),
                f"health check {check.tags.get(TAG_POP, '?'):<14} ",
                (f"{check.id} {check.describe()}", "dim"),
            )
        )
    for conflict in app.conflicts:
        stdout.print(
            Text.assemble(
                ("  ! ", "bold red"),
                conflict.record.describe(),
                (f"  conflict: {conflict.reason}", "red"),
            )
        )
    if app.unchanged:
        stdout.print(Text(f"    {len(app.unchanged)} record(s) unchanged", style="dim"))
    kept = [record for record in app.untouched if record.owned]
    foreign = len(app.untouched) - len(kept)
    if foreign:
        stdout.print(
            Text(f"    {foreign} record(s) not owned by geoproxy left as they are", style="dim")
        )
    for record in kept:
        stdout.print(
            Text(
                f"    kept: {record.describe()} (geoproxy's, no longer managed "
                "here; delete it yourself once nothing uses it)",
                style="dim",
            )
        )


def summary_line(plan: Plan) -> Text:
    counts = plan.summary()
    if not plan.has_changes and not plan.conflicts and counts["orphans"]:
        return Text(
            f"No changes to the policy's records; {counts['orphans']} orphaned "
            "record(s) listed above are left as they are (`--prune` deletes them).",
            style="bold yellow",
        )
    if not plan.has_changes and not plan.conflicts:
        return Text("No changes. Live records match the policy.", style="bold green")
    text = Text("Plan: ", style="bold")
    text.append(
        f"{counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete, {counts['unchanged']} unchanged"
    )
    if counts["distribution_fields"]:
        text.append(f"; CloudFront: {counts['distribution_fields']} field(s) to change")
    if counts.get("functions"):
        text.append(f"; edge functions: {counts['functions']} to publish")
    if counts["health_checks_to_create"] or counts["health_checks_to_delete"]:
        text.append(
            f"; health checks: {counts['health_checks_to_create']} to create, "
            f"{counts['health_checks_to_delete']} to delete"
        )
    if counts["conflicts"]:
        text.append(f", {counts['conflicts']} conflict(s)", style="bold red")
    if counts["orphans"]:
        text.append(f"; {counts['orphans']} orphaned record(s) left as they are", style="yellow")
    return text.append(".")


def plan_lines(plan: Plan) -> list[str]:
    """The plan as plain text lines, as `plan` prints it: kept in a saved plan so the person
    who applies it later reads what was reviewed."""
    global stdout
    shown, stdout = (
        stdout,
        Console(file=io.StringIO(), no_color=True, width=200, highlight=False, soft_wrap=True),
    )
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
    if plan.switches is not None:
        for line in switches_lines(plan.switches):
            stdout.print(line)
        stdout.print()
    stdout.print(summary_line(plan))
