"""Failovers: the overlay that repoints traffic away from a PoP, and how it resolves.

Pure. Active failovers are state (stored in Route 53 beside the application's record, see
`state`), not policy: routing computes the policy's routes, and this module sends every
source whose PoP has failed over to that failover's target, following chains
(eu-west-1 -> eu-central-1 -> us-east-1) and refusing cycles. Compliance is then checked on
the resolved result, because that is where traffic will really go.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from geoproxy.core.routing import AppRouting, Route, matches, nearest_pop, rules_for
from geoproxy.policy.catalog import Catalog
from geoproxy.policy.latency import LatencyTable
from geoproxy.policy.models import Application


@dataclass(frozen=True)
class Failover:
    """Traffic that would reach PoP `from_pop` goes to `to_pop` instead."""

    from_pop: str
    to_pop: str
    at: str  # ISO 8601 UTC, when it was declared
    by: str  # who declared it, as far as STS could tell
    reason: str = ""
    override_compliance: str = ""  # the reason given for --override-compliance, if any


Overlay = Mapping[str, Failover]  # keyed by from_pop


class FailoverCycle(Exception):
    def __init__(self, chain: list[str]) -> None:
        super().__init__(" -> ".join(chain))
        self.chain = chain


def resolve(pop: str, overlay: Overlay) -> list[Failover]:
    """The failovers traffic for `pop` passes through, in order; raises on a cycle."""
    chain: list[Failover] = []
    seen = [pop]
    while pop in overlay:
        failover = overlay[pop]
        chain.append(failover)
        pop = failover.to_pop
        if pop in seen:
            raise FailoverCycle([*seen, pop])
        seen.append(pop)
    return chain


@dataclass(frozen=True)
class Violation:
    """A resolved route that a compliance rule forbids."""

    rule: str
    source_regions: tuple[str, ...]
    pop: str
    alternative: str | None  # a compliant PoP that is not failed away from, if any
    overridden: str  # the override reason that allows it, or ""
    # the failover that lands traffic there (its override is the one that counts)
    failover_from: str = field(default="", compare=False)


def apply_overlay(routing: AppRouting, overlay: Overlay) -> AppRouting:
    """The application's routes with failovers applied; unaffected routes are unchanged."""
    routes = []
    for route in routing.routes:
        chain = resolve(route.pop, overlay)
        if chain:
            # The distance to the policy's PoP no longer describes where traffic goes.
            route = replace(
                route,
                pop=chain[-1].to_pop,
                reason="failover",
                distance_km=None,
                base_pop=route.pop,
                failovers=tuple(f.from_pop for f in chain),
            )
        routes.append(route)
    return AppRouting(routing.app, tuple(routes))


def compliance_violations(
    app: Application,
    resolved: AppRouting,
    overlay: Overlay,
    catalog: Catalog,
    table: LatencyTable | None = None,
) -> list[Violation]:
    """Rules broken by the failovers in `resolved` (the policy itself was checked at load)."""
    failed_away = set(overlay)
    # Grouped by the failover that lands traffic on the forbidden PoP: its override (and only
    # its own) may allow the breach, so one approved failover never covers another.
    found: dict[tuple[str, str, str], list[Route]] = {}
    for route in resolved.routes:
        if route.reason != "failover":
            continue
        for rule in rules_for(route.source_region, app.compliance):
            if not matches(route.pop, rule.allowed_pops):
                found.setdefault((rule.name, route.pop, route.failovers[-1]), []).append(route)
    violations = []
    for (rule_name, pop, last_from), routes in found.items():
        rule = next(rule for rule in app.compliance if rule.name == rule_name)
        candidates = [
            candidate
            for candidate in app.pops
            if matches(candidate, rule.allowed_pops) and candidate not in failed_away
        ]
        origin = routes[0].base_pop or routes[0].pop
        nearest = (
            nearest_pop(origin, candidates, catalog, table if app.nearest == "latency" else None)
            if candidates
            else None
        )
        alternative = nearest.pop if nearest else (candidates[0] if candidates else None)
        violations.append(
            Violation(
                rule_name,
                tuple(r.source_region for r in routes),
                pop,
                alternative,
                overlay[last_from].override_compliance,
                last_from,
            )
        )
    return violations


def describe_violation(app_name: str, violation: Violation) -> str:
    alternative = (
        f"; a compliant alternative is {violation.alternative}"
        if violation.alternative
        else "; no compliant PoP is available"
    )
    return (
        f"{app_name}: compliance rule {violation.rule!r} forbids PoP {violation.pop} for "
        f"source regions {', '.join(violation.source_regions)}{alternative}"
    )


def with_failover(overlay: Overlay, failover: Failover) -> dict[str, Failover]:
    """A new overlay with `failover` declared (replacing any failover from the same PoP)."""
    updated = dict(overlay)
    updated[failover.from_pop] = failover
    return updated


def without_failover(overlay: Overlay, from_pop: str) -> dict[str, Failover]:
    return {pop: failover for pop, failover in overlay.items() if pop != from_pop}
