"""The switches (recovery.switches: arc) as `plan`, `apply`, `failover` and `status` show
them: what ARC holds or will hold, which endpoint answered, and the states read."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from geoproxy.cli.render import stdout
from geoproxy.core.switches import SwitchPlan


def switches_json(plan: SwitchPlan) -> dict[str, Any]:
    changes = plan.changes
    created = {control.name for control in changes.create_controls}
    rules = {rule.name for rule in changes.create_rules}
    return {
        "cluster_arn": plan.desired.cluster_arn,
        "control_panel": {
            "name": plan.desired.panel,
            "action": "create" if changes.create_panel else "none",
        },
        "routing_controls": [
            {
                "name": control.name,
                "region": control.region,
                "applications": list(control.apps),
                "action": "create" if control.name in created else "none",
                "health_check": plan.checks.get(control.region),
            }
            for control in plan.desired.controls
        ],
        "safety_rules": [
            {
                "name": rule.name,
                "at_least_one_on": list(rule.regions),
                "why": list(rule.why),
                "action": "create" if rule.name in rules else "none",
            }
            for rule in plan.desired.rules
        ],
        "health_checks_to_create": list(plan.missing_checks),
        "writes": plan.writes,
        "endpoints": [{"region": region, "url": url} for region, url in plan.endpoints],
        "endpoints_bookmarked": plan.bookmarked,
    }


def switches_lines(plan: SwitchPlan) -> list[Text]:
    lines = [Text(f"switches: ARC control panel {plan.desired.panel}", style="bold")]
    summary = plan.summary()
    if not summary:
        lines.append(
            Text(
                f"  no change: {len(plan.desired.controls)} routing control(s), "
                f"{len(plan.desired.rules)} safety rule(s) and their health checks in place"
            )
        )
    for line in summary:
        lines.append(
            Text(f"  + {line}", style="green") if line.startswith("create") else Text(f"  {line}")
        )
    for line in plan.endpoint_snippet():
        lines.append(Text(line, style="yellow"))
    return lines


def switch_status_json(status: Any) -> dict[str, Any]:
    return {
        "states": status.states,
        "endpoint": status.endpoint,
        "partners": status.partners,
        "unreachable": status.unreachable or None,
        "findings": [str(finding) for finding in status.findings],
    }


def switch_status_text(status: Any) -> None:
    if status.unreachable:
        stdout.print(Text(f"switches: not read ({status.unreachable})", style="yellow"))
        return
    stdout.print(
        Text(f"switches (read from the {status.endpoint} cluster endpoint):", style="bold")
    )
    for region, state in sorted(status.states.items()):
        partners = ", ".join(f"{app} → {p}" for app, p in sorted(status.partners[region].items()))
        style = "green" if state == "On" else "red"
        stdout.print(Text(f"  {region}: {state or 'missing'}  ({partners})", style=style))
