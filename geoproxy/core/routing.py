"""Routing: decide, for every source region of an application, which PoP its traffic reaches.

Pure: a policy, the region catalog and a latency table in, routes with their reasons out. A
source goes where `force` says, else to the nearest PoP: the one with the shortest measured
round trip from that source (`nearest: latency`, the default), or the closest by great-circle
distance (`nearest: distance`, and for any source or PoP the table has no number for). Every
route must then satisfy
every compliance rule whose `sources` match it; a violation makes the policy invalid, because
geoproxy checks fencing before anything is written, never after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Literal

from geoproxy.errors import Issue
from geoproxy.policy.catalog import Catalog
from geoproxy.policy.checks import viewer_fence_warnings
from geoproxy.policy.latency import NEAR_TIE_SHARE, LatencyTable
from geoproxy.policy.loader import LoadedPolicy
from geoproxy.policy.models import Application, ComplianceRule

Reason = Literal["forced", "nearest", "failover"]

# Route 53 answers every query from China with a cn-* latency record, so naming one there
# deserves a word even though it is allowed.
_CHINA_PREFIX = "cn-"


@dataclass(frozen=True)
class Route:
    source_region: str
    pop: str
    reason: Reason
    distance_km: float | None  # None when either end has no known location
    compliance: tuple[str, ...] = ()  # names of the rules that apply to this source
    base_pop: str | None = None  # with reason "failover": the PoP the policy would choose
    failovers: tuple[str, ...] = ()  # the PoPs failed away from, in the order followed
    latency_ms: float | None = None  # the measured round trip source -> PoP, when known
    near_tie: str | None = None  # a runner-up PoP within NEAR_TIE_SHARE of the round trip
    near_tie_ms: float | None = None
    basis: Literal["latency", "distance"] = "distance"  # what "nearest" was judged by


@dataclass(frozen=True)
class AppRouting:
    app: Application
    routes: tuple[Route, ...]

    def route_for(self, source_region: str) -> Route | None:
        return next((r for r in self.routes if r.source_region == source_region), None)


@dataclass
class RoutingResult:
    applications: list[AppRouting] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Sources (and PoPs) the latency table has no number for, routed by distance instead:
    # `validate` and `routes` say so once; the other commands stay quiet about it.
    latency_gaps: list[str] = field(default_factory=list)
    latency_source: str | None = None


@dataclass(frozen=True)
class Nearest:
    pop: str
    distance_km: float | None
    latency_ms: float | None = None
    near_tie: str | None = None
    near_tie_ms: float | None = None
    basis: Literal["latency", "distance"] = "distance"
    # With a table, what it lacked for this source: (source missing?, PoPs missing)
    gap: tuple[bool, tuple[str, ...]] | None = None


def matches(region: str, globs: list[str]) -> bool:
    return any(fnmatchcase(region, glob) for glob in globs)


def rules_for(source_region: str, rules: list[ComplianceRule]) -> list[ComplianceRule]:
    return [rule for rule in rules if matches(source_region, rule.sources)]


def _distance(source_region: str, pop: str, catalog: Catalog) -> float | None:
    if catalog.located(source_region) and catalog.located(pop):
        return catalog.distance_km(source_region, pop)
    return None


def nearest_pop(
    source_region: str, pops: list[str], catalog: Catalog, table: LatencyTable | None = None
) -> Nearest | None:
    """The PoP with the shortest round trip in `table`, when it has a number for every PoP
    from this source; else the closest located PoP. Ties go to the PoP first in
    alphabetical order."""
    gap = None
    if table is not None and pops:
        rtts = {pop: table.rtt(source_region, pop) for pop in pops}
        known = {pop: rtt for pop, rtt in rtts.items() if rtt is not None}
        if len(known) == len(pops):
            ranked = sorted((rtt, pop) for pop, rtt in known.items())
            best_ms, best = ranked[0]
            tie = (
                ranked[1]
                if len(ranked) > 1 and ranked[1][0] <= best_ms * (1 + NEAR_TIE_SHARE)
                else None
            )
            return Nearest(
                best,
                _distance(source_region, best, catalog),
                best_ms,
                tie[1] if tie else None,
                tie[0] if tie else None,
                "latency",
            )
        gap = (
            source_region not in table.rtt_ms,
            tuple(sorted(pop for pop in pops if pop not in known)),
        )
    if not catalog.located(source_region):
        return None
    ranked_km = sorted(
        (catalog.distance_km(source_region, pop), pop) for pop in pops if catalog.located(pop)
    )
    if not ranked_km:
        return None
    return Nearest(ranked_km[0][1], ranked_km[0][0], gap=gap)


def route_application(
    app: Application,
    index: int,
    catalog: Catalog,
    table: LatencyTable | None = None,
    gaps: dict[str, set[str]] | None = None,
) -> tuple[AppRouting, list[Issue], list[str]]:
    """Routes for one application, the policy issues found, and warnings. `gaps` collects
    the sources routed by distance for want of latency data (source -> missing PoPs)."""
    table = table if app.nearest == "latency" else None
    issues: list[Issue] = []
    explicit = [] if app.source_regions == "all" else list(app.source_regions)
    sources = catalog.default_sources() if app.source_regions == "all" else explicit
    sources = sorted(set(sources) | set(app.force))
    warnings = _placement_warnings(app, explicit, catalog)

    routes: list[Route] = []
    unfenced_partners: dict[tuple[str, str, str], list[str]] = {}
    for source in sources:
        applicable = rules_for(source, app.compliance)
        route = _route_source(
            app, index, source, explicit, applicable, catalog, table, gaps, issues, warnings
        )
        if route is None:
            continue
        issues.extend(_compliance_issues(app, index, route, applicable, catalog, table))
        if app.auto_failover:
            issues.extend(_partner_issues(app, index, route, applicable))
        elif (partner := app.pops[route.pop].failover_to) is not None:
            # Only a manual failover would use the partner, and it checks again then.
            for rule in applicable:
                if not matches(partner, rule.allowed_pops):
                    unfenced_partners.setdefault((rule.name, route.pop, partner), []).append(
                        route.source_region
                    )
        routes.append(route)

    for (rule_name, pop, partner), fenced in unfenced_partners.items():
        warnings.append(
            f"{app.name}: compliance rule {rule_name!r}: source regions "
            f"{', '.join(fenced)} reach PoP {pop}, whose failover partner "
            f"{partner} the rule does not allow; `geoproxy failover` to it will "
            "need --override-compliance"
        )
    issues.extend(_origin_failover_issues(app, index, routes))
    rule_issues, rule_warnings = _rule_findings(app, index, sources)
    issues.extend(rule_issues)
    warnings.extend(rule_warnings)
    warnings.extend(viewer_fence_warnings(app))
    warnings.extend(_target_health_warnings(app))
    return AppRouting(app, tuple(routes)), issues, warnings


def _placement_warnings(app: Application, explicit: list[str], catalog: Catalog) -> list[str]:
    """PoPs nothing can reach by distance, and Chinese regions named explicitly."""
    warnings = [
        f"{app.name}: PoP {pop} has no known location, so it is reachable only through `force`"
        for pop in app.pops
        if not catalog.located(pop) and pop not in app.force.values()
    ]
    warnings += [
        f"{app.name}: {region} is named explicitly; Route 53 answers every query "
        f"from China with the {region} record"
        for region in sorted(set(explicit) | set(app.force))
        if region.startswith(_CHINA_PREFIX)
    ]
    return warnings


def _route_source(
    app: Application,
    index: int,
    source: str,
    explicit: list[str],
    applicable: list[ComplianceRule],
    catalog: Catalog,
    table: LatencyTable | None,
    gaps: dict[str, set[str]] | None,
    issues: list[Issue],
    warnings: list[str],
) -> Route | None:
    """One source region's route: forced, else the nearest PoP; None (with the issue or
    warning that says why) when it cannot be routed."""
    if source in app.force:
        pop = app.force[source]
        return Route(
            source,
            pop,
            "forced",
            _distance(source, pop, catalog),
            tuple(r.name for r in applicable),
            latency_ms=table.rtt(source, pop) if table else None,
        )
    nearest = nearest_pop(source, list(app.pops), catalog, table)
    if nearest is None:
        if not catalog.located(source) and source not in explicit:
            warnings.append(
                f"{app.name}: source region {source} has no known location and "
                "is skipped; add a `force` entry to route it"
            )
        else:
            issues.append(
                Issue(
                    ("applications", index, "source_regions"),
                    f"cannot route source region {source}: "
                    + (
                        "it has no known location; add a `force` entry for it"
                        if not catalog.located(source)
                        else "no PoP has a known location"
                    ),
                )
            )
        return None
    if nearest.gap is not None and gaps is not None:
        missing_source, missing_pops = nearest.gap
        gaps.setdefault(source, set()).update(() if missing_source else missing_pops)
    return Route(
        source,
        nearest.pop,
        "nearest",
        nearest.distance_km,
        tuple(r.name for r in applicable),
        latency_ms=nearest.latency_ms,
        near_tie=nearest.near_tie,
        near_tie_ms=nearest.near_tie_ms,
        basis=nearest.basis,
    )


def _origin_failover_issues(app: Application, index: int, routes: list[Route]) -> list[Issue]:
    """CloudFront retries a failed request from any edge on the secondary PoP: every fence
    over a routed source must allow it."""
    secondary = (
        app.cloudfront.origin_failover.secondary_pop
        if app.cloudfront and app.cloudfront.origin_failover
        else None
    )
    if secondary is None:
        return []
    issues = []
    for rule in app.compliance:
        fenced = [
            route.source_region for route in routes if matches(route.source_region, rule.sources)
        ]
        if fenced and not matches(secondary, rule.allowed_pops):
            issues.append(
                Issue(
                    ("applications", index, "cloudfront", "origin_failover", "secondary_pop"),
                    f"compliance rule {rule.name!r}: origin failover would send requests from "
                    f"{', '.join(fenced)} to {secondary}, which the rule does not allow",
                )
            )
    return issues


def _rule_findings(
    app: Application, index: int, sources: list[str]
) -> tuple[list[Issue], list[str]]:
    """Rules that match no source (a warning) or allow no PoP (an issue)."""
    issues, warnings = [], []
    for rule_index, rule in enumerate(app.compliance):
        if not any(matches(source, rule.sources) for source in sources):
            warnings.append(
                f"{app.name}: compliance rule {rule.name!r} matches none of the source regions"
            )
        if not any(matches(pop, rule.allowed_pops) for pop in app.pops):
            issues.append(
                Issue(
                    ("applications", index, "compliance", rule_index, "allowed_pops"),
                    f"compliance rule {rule.name!r} allows none of the application's PoPs",
                )
            )
    return issues, warnings


def _target_health_warnings(app: Application) -> list[str]:
    if app.evaluate_target_health and app.auto_failover:
        return [
            f"{app.name}: evaluate_target_health has no effect with auto_failover: the "
            "latency records never evaluate target health, their PoP pairs always do"
        ]
    if app.evaluate_target_health and app.compliance:
        return [
            f"{app.name}: evaluate_target_health is true on plain latency records: when a "
            "PoP is unhealthy Route 53 falls through to the next-nearest region's record, "
            "which can cross the compliance rules"
        ]
    return []


def _compliance_issues(
    app: Application,
    index: int,
    route: Route,
    rules: list[ComplianceRule],
    catalog: Catalog,
    table: LatencyTable | None,
) -> list[Issue]:
    issues = []
    for rule in rules:
        if matches(route.pop, rule.allowed_pops):
            continue
        allowed = [pop for pop in app.pops if matches(pop, rule.allowed_pops)]
        alternative = nearest_pop(route.source_region, allowed, catalog, table)
        suggestion = (
            f"; a compliant PoP is {alternative.pop}"
            if alternative
            else f"; allowed PoPs: {', '.join(allowed)}"
            if allowed
            else "; no PoP of this application is allowed"
        )
        where = (
            ("applications", index, "force", route.source_region)
            if route.reason == "forced"
            else ("applications", index, "compliance", app.compliance.index(rule))
        )
        issues.append(
            Issue(
                where,
                f"compliance rule {rule.name!r}: source {route.source_region} would reach PoP "
                f"{route.pop} ({route.reason}), which the rule does not allow{suggestion}",
            )
        )
    return issues


def _partner_issues(
    app: Application, index: int, route: Route, rules: list[ComplianceRule]
) -> list[Issue]:
    """With auto_failover, Route 53 itself sends a source to its PoP's partner when the PoP
    is unhealthy, so the partner must satisfy the same rules as the PoP."""
    partner = app.pops[route.pop].failover_to
    if partner is None:
        return []
    return [
        Issue(
            ("applications", index, "pops", route.pop, "failover_to"),
            f"compliance rule {rule.name!r}: source {route.source_region} reaches PoP "
            f"{route.pop}, whose failover partner {partner} the rule does not allow",
        )
        for rule in rules
        if not matches(partner, rule.allowed_pops)
    ]


def route_policy(
    loaded: LoadedPolicy, catalog: Catalog, table: LatencyTable | None = None
) -> RoutingResult:
    """Route every application; raise one PolicyError listing every problem in the policy."""
    result = RoutingResult()
    gaps: dict[str, set[str]] = {}
    if table is not None and any(app.nearest == "latency" for app in loaded.policy.applications):
        result.latency_source = table.label
    issues: list[Issue] = []
    unlocated = catalog.unlocated()
    if unlocated:
        result.warnings.append(
            "the region catalog has no location for "
            + ", ".join(unlocated)
            + " (newer than this geoproxy); they are usable only through `force`"
        )
    for index, app in enumerate(loaded.policy.applications):
        routing, app_issues, warnings = route_application(app, index, catalog, table, gaps)
        result.applications.append(routing)
        issues.extend(app_issues)
        result.warnings.extend(warnings)
    if issues:
        raise loaded.error(issues)
    result.latency_gaps = _describe_gaps(gaps)
    return result


def _describe_gaps(gaps: dict[str, set[str]]) -> list[str]:
    if not gaps:
        return []
    whole = sorted(source for source, pops in gaps.items() if not pops)
    partial = {source: pops for source, pops in gaps.items() if pops}
    parts = []
    if whole:
        parts.append(f"source regions {', '.join(whole)}")
    for pops in sorted({tuple(sorted(p)) for p in partial.values()}):
        sources = sorted(s for s, p in partial.items() if tuple(sorted(p)) == pops)
        parts.append(f"PoPs {', '.join(pops)} from {', '.join(sources)}")
    return [
        "the latency table has no round trip for "
        + "; ".join(parts)
        + ": those routes go to the nearest PoP by great-circle distance instead"
    ]
