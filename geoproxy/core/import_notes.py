"""What `apply --adopt` of an imported policy rewrites although every route stays (set
identifiers, health checks geoproxy does not manage, EvaluateTargetHealth, hand-made pair
names, a record type some regions lack): findings of `geoproxy import`.

Pure.
"""

from __future__ import annotations

from geoproxy.core.import_targets import LiveRoute
from geoproxy.core.names import OWNED_PREFIX, pop_name
from geoproxy.errors import Finding
from geoproxy.policy.models import Application


def _finding(app: str, code: str, message: str) -> Finding:
    return Finding(message, app=app, code=code)


def note_rewrites(
    name: str, record_name: str, routes: list[LiveRoute], app: Application, findings: list[Finding]
) -> None:
    """What `apply --adopt` rewrites although every route stays: set identifiers, health
    checks geoproxy does not manage, EvaluateTargetHealth, hand-made pair names."""
    foreign = sorted(
        {
            str(route.record.set_identifier)
            for route in routes
            if not str(route.record.set_identifier).startswith(OWNED_PREFIX)
        }
    )
    if foreign:
        shown = ", ".join(repr(identifier) for identifier in foreign[:5])
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        findings.append(
            _finding(
                name,
                "import_set_identifier",
                f"set identifiers {shown}{more} become geoproxy's "
                "(`geoproxy:<region>@<owner>`) when `apply --adopt` takes the records over",
            )
        )
    for route in routes:
        check = route.record.raw.get("HealthCheckId")
        if check:
            findings.append(
                _finding(
                    name,
                    "import_health_check",
                    f"{route.record.describe()} has health check {check}, which geoproxy "
                    "does not put on latency records: `apply --adopt` drops it",
                )
            )
    if not app.auto_failover and not app.evaluate_target_health:
        checked = sorted(
            route.source
            for route in routes
            if (target := route.record.alias_target()) and target.evaluate_target_health
        )
        if checked:
            findings.append(
                _finding(
                    name,
                    "import_target_health",
                    "EvaluateTargetHealth is set on some latency records only (source "
                    f"regions {', '.join(checked)}); geoproxy sets it on all or none: "
                    "`apply --adopt` clears it there",
                )
            )
    for record_type in app.record_types:
        lacking = sorted(
            {r.source for r in routes}
            - {r.source for r in routes if r.record.record_type == record_type}
        )
        if lacking:
            findings.append(
                _finding(
                    name,
                    "import_record_types",
                    f"source regions {', '.join(lacking)} have no {record_type} record: "
                    f"`apply --adopt` creates them (geoproxy writes every type for every "
                    "source region)",
                )
            )
    pairs = {route.pair.name: route.pair for route in routes if route.pair is not None}
    for pair_name, pair in sorted(pairs.items()):
        own = pop_name(pair.primary, record_name)
        if pair_name != own:
            findings.append(
                _finding(
                    name,
                    "import_failover_pair",
                    f"the failover pair at {pair_name} becomes geoproxy's pair at {own}: "
                    f"`apply --adopt` writes it and points the latency records there; "
                    f"{pair_name} stays as it is, not geoproxy's",
                )
            )
        if pair.health_check_id:
            findings.append(
                _finding(
                    name,
                    "import_health_check",
                    f"the PRIMARY at {pair_name} has health check {pair.health_check_id}, "
                    "which geoproxy does not manage: its pair follows the load balancer's "
                    "health instead (add `health_check:` to the PoP for one of geoproxy's)",
                )
            )
