"""The imported policy as routing.yaml text: the layout `geoproxy init` writes (one PoP a
line, `force` with why), so the file reads like one written by hand.

Pure. Every scalar goes through yaml's own emitter, so a value YAML would read as something
else (an application named `no`, a number) comes out quoted.
"""

from __future__ import annotations

import yaml

from geoproxy.core.routing import AppRouting
from geoproxy.policy.models import DEFAULT_OWNER, Application


def _scalar(value: str | bool) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=1000)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _flow(items: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{key}: {_scalar(value)}" for key, value in items) + "}"


def policy_yaml(
    app: Application,
    *,
    owner: str,
    header: list[str],
    nearest: AppRouting | None = None,
    latency_table: str | None = None,
) -> str:
    """routing.yaml for one application. `nearest` (the application routed without
    `force`) says, beside each forced source, where geoproxy would have sent it;
    `latency_table` is the table it was judged by, so the policy routes as imported."""
    lines = ["# yaml-language-server: $schema=routing.schema.json"]
    lines += [f"# {line}" for line in header]
    lines.append("version: 1")
    if owner != DEFAULT_OWNER:
        lines.append(f"owner: {_scalar(owner)}")
    if latency_table is not None:
        lines.append("# `nearest` was judged by this table when imported.")
        lines.append(f"latency_table: {_scalar(latency_table)}")
    lines.append("applications:")
    lines.append(f"  - name: {_scalar(app.name)}")
    lines.append(f"    zone: {_scalar(app.zone)}")
    if app.zone_id:
        lines.append(f"    zone_id: {_scalar(app.zone_id)}")
    lines.append(f"    record: {_scalar(app.record)}")
    lines.append(f"    record_types: [{', '.join(app.record_types)}]")
    sources = app.source_regions
    if isinstance(sources, list):
        lines.append("    source_regions:")
        lines += [f"      - {_scalar(source)}" for source in sources]
    else:
        lines.append(f"    source_regions: {sources}")
    lines.append("    pops:")
    for region, pop in app.pops.items():
        items = [("target", pop.target)]
        if pop.hosted_zone_id:
            items.append(("hosted_zone_id", pop.hosted_zone_id))
        if pop.failover_to:
            items.append(("failover_to", pop.failover_to))
        lines.append(f"      {_scalar(region)}: {_flow(items)}")
    if app.force:
        lines.append("    force:")
        lines.append("      # Live, these sources go elsewhere than geoproxy's nearest PoP.")
        for source, forced in app.force.items():
            route = nearest.route_for(source) if nearest else None
            why = f"  # nearest: {route.pop}" if route else "  # geoproxy cannot place it"
            lines.append(f"      {_scalar(source)}: {_scalar(forced)}{why}")
    else:
        lines.append("    force: {}")
    lines.append(f"    evaluate_target_health: {_scalar(app.evaluate_target_health)}")
    if app.auto_failover:
        lines.append("    auto_failover: true")
    return "\n".join(lines) + "\n"
