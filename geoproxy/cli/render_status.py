"""Render the status of live routing, for people (rich) or scripts (JSON)."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from geoproxy.cli.render import failover_dict, orphan_dict, print_table, stdout
from geoproxy.core.failover import Failover
from geoproxy.core.orphans import Orphan
from geoproxy.core.status import AppStatus, EdgeStatus, partial_failovers
from geoproxy.errors import printable

STATE_STYLES = {
    "ok": "green",
    "failover": "cyan",
    "drift": "yellow",
    "missing": "red",
    "foreign": "red",
}


def status_json(
    statuses: list[AppStatus], warning_messages: list[str], orphans: list[Orphan]
) -> dict[str, Any]:
    return {
        "applications": [
            {
                "name": status.name,
                "record": status.record,
                "zone_id": status.zone_id,
                "zone": status.zone_name,
                "healthy": status.healthy,
                "counts": status.counts(),
                "failovers": [failover_dict(f) for f in status.failovers],
                # Additive (issue 28): the newest geoproxy batch of the application in
                # Route 53's change history, and where "who" came from.
                "last_write": status.last_write.to_json() if status.last_write else None,
                "who_source": status.who_source or None,
                "regions": [
                    {
                        "source_region": region.source_region,
                        "type": region.record_type,
                        "state": region.state,
                        "live_pop": region.live_pop,
                        "live_target": region.live_target,
                        "policy_pop": region.policy_pop,
                        "effective_pop": region.effective_pop,
                        "failovers": [failover_dict(f) for f in region.failovers],
                        "detail": region.detail or None,
                    }
                    for region in status.regions
                ],
                "extra_records": status.extra,
                "state": {
                    "valid": not status.state_problems,
                    "problems": [printable(str(p)) for p in status.state_problems],
                    "gated": status.gated,
                },
                "distribution_drift": status.distribution_drift,
                "viewer_records": status.viewer,
                "refusals": [
                    {"code": finding.code, "message": str(finding)} for finding in status.refusals
                ],
                "edge_function": None
                if status.edge is None
                else {
                    "name": status.edge.function,
                    "published": status.edge.published,
                    "in_sync": status.edge.in_sync,
                    "live": None
                    if status.edge.live is None
                    else {
                        "countries": status.edge.live.countries,
                        "fail_closed": status.edge.live.fail_closed,
                    },
                    "expected": {
                        "countries": status.edge.expected.countries,
                        "fail_closed": status.edge.expected.fail_closed,
                    },
                    "differences": [
                        {"country": country, "live": live, "expected": expected}
                        for country, live, expected in status.edge.moves()
                    ],
                },
            }
            for status in statuses
        ],
        "orphans": [orphan_dict(orphan) for orphan in orphans],
        "partial_failovers": [
            {
                "from": partial.from_pop,
                "to": partial.to_pop,
                "moved": list(partial.moved),
                "not_moved": list(partial.not_moved),
                "command": partial.command(),
            }
            for partial in partial_failovers(statuses)
        ],
        "warnings": warning_messages,
    }


def status_text(
    statuses: list[AppStatus], accounts: dict[str, dict[str, str | None]] | None = None
) -> None:
    for status in statuses:
        held = (accounts or {}).get(status.name, {})
        where = ", ".join(f"{what} in account {name}" for what, name in held.items() if name)
        stdout.print(
            Text.assemble(
                (status.name, "bold"),
                f"  {status.record}",
                (f"  (zone {status.zone_name}, {status.zone_id})", "dim"),
                (f"  ({where})" if where else "", "dim"),
            )
        )
        for problem in status.state_problems:
            stdout.print(Text.assemble(("  invalid state ", "bold red"), printable(str(problem))))
        for failover in status.failovers:
            stdout.print(_failover_line(failover))
        _last_write_line(status)
        for finding in status.refusals:
            what = "live breach" if finding.code == "compliance_breach" else "plan would refuse"
            stdout.print(Text(printable(f"  {what}: {finding}"), style="bold red"))
        _regions_table(status)
        for line in status.viewer:
            stdout.print(Text(f"  {line}: run `geoproxy apply`", style="red"))
        for line in status.distribution_drift:
            stdout.print(
                Text(
                    f"  drift: {line} differs from the policy (changed outside geoproxy, "
                    "or a policy change not yet applied)",
                    style="yellow",
                )
            )
        for extra in status.extra:
            stdout.print(
                Text(f"  extra record of geoproxy's, not in the policy: {extra}", style="yellow")
            )
        if status.edge is not None:
            _edge_lines(status.edge)
        stdout.print()
    _partial_failovers(statuses)
    stdout.print(summary_line(statuses))


def _failover_line(failover: Failover) -> Text:
    # Every field is read back from a TXT record anyone with write access could have
    # written: one line each, no control characters.
    by, reason, override = (
        printable(failover.by),
        printable(failover.reason),
        printable(failover.override_compliance),
    )
    return Text.assemble(
        ("  failover ", "bold cyan"),
        printable(f"{failover.from_pop} → {failover.to_pop}"),
        (
            printable(f"  since {failover.at}")
            + (f" by {by}" if by else "")
            + (f": {reason}" if reason else "")
            + (f" [compliance overridden: {override}]" if override else ""),
            "dim",
        ),
    )


SOURCES = {"route53_history": "Route 53 change history", "audit_log": "local audit log"}


def _last_write_line(status: AppStatus) -> None:
    """Who last wrote the application, and which source says who (history or audit log)."""
    last = status.last_write
    if last is not None:
        stdout.print(
            Text(
                printable(
                    f"  last geoproxy write: {last.command} by {last.submitted_by or '(unknown)'}"
                    f" at {last.to_json()['submitted_at']} (change {last.change_id}; "
                    "from Route 53 change history)"
                ),
                style="dim",
            )
        )
    elif status.who_source == "route53_history":
        stdout.print(
            Text(
                "  last geoproxy write: none in Route 53 change history's newest batches",
                style="dim",
            )
        )
    elif status.failovers and status.who_source:
        stdout.print(Text(f"  who: from the {SOURCES[status.who_source]}", style="dim"))


def _regions_table(status: AppStatus) -> None:
    rows, styles = [], []
    for region in status.regions:
        via = " → ".join((*(f.from_pop for f in region.failovers), region.effective_pop))
        rows.append(
            [
                region.record_type,
                region.source_region,
                region.live_pop or "-",
                region.policy_pop,
                region.state,
                region.detail or (f"failover {via}" if region.failovers else ""),
            ]
        )
        styles.append(["", "", "", "", STATE_STYLES[region.state], ""])
    print_table(
        ["type", "source region", "live", "policy", "state", "detail"],
        rows,
        styles,
        whole=(1, 2, 3),
    )


def _partial_failovers(statuses: list[AppStatus]) -> None:
    for partial in partial_failovers(statuses):
        stdout.print(
            Text(
                f"Partial failover {partial.from_pop} → {partial.to_pop}: "
                f"{len(partial.moved)} application(s) moved, {len(partial.not_moved)} "
                "not (each has both PoPs and no failover away from "
                f"{partial.from_pop}).",
                style="bold yellow",
            )
        )
        stdout.print(f"  moved: {', '.join(partial.moved)}")
        stdout.print(f"  not moved: {', '.join(partial.not_moved)}")
        stdout.print(f"  to complete it: {partial.command()}")
        stdout.print()


def _edge_lines(edge: EdgeStatus) -> None:
    expected = edge.expected
    by_pop: dict[str, list[str]] = {}
    for country, pop in sorted((edge.live or expected).countries.items()):
        by_pop.setdefault(pop, []).append(country)
    table = "; ".join(f"{pop} <- {' '.join(countries)}" for pop, countries in by_pop.items())
    if not edge.published:
        stdout.print(
            Text(
                f"  edge fence {edge.function}: not published; fenced viewers follow "
                "DNS (run `geoproxy apply`)",
                style="red",
            )
        )
        return
    state, style = (
        ("in sync with the policy and the failover state", "green")
        if (edge.in_sync)
        else ("DIFFERS from the policy and the failover state", "bold yellow")
    )
    stdout.print(Text.assemble(("  edge fence ", "bold"), f"{edge.function}: ", (state, style)))
    stdout.print(
        Text(
            f"    live: {table}; no country header: "
            f"{(edge.live or expected).fail_closed or 'latency routing'}",
            style="dim",
        )
    )
    for country, live, wanted in edge.moves():
        stdout.print(
            Text(
                f"    {country}: live {live or '(none)'}, should be {wanted or '(none)'}",
                style="yellow",
            )
        )


def summary_line(statuses: list[AppStatus]) -> Text:
    totals = {state: 0 for state in STATE_STYLES}
    for status in statuses:
        for state, count in status.counts().items():
            totals[state] += count
    extra = sum(len(status.extra) for status in statuses)
    rows = sum(totals.values())
    text = Text(f"Status: {len(statuses)} application(s), {rows} record(s): ", style="bold")
    text.append(", ".join(f"{count} {state}" for state, count in totals.items()))
    if extra:
        text.append(f"; {extra} extra record(s)", style="yellow")
    return text.append(".")
