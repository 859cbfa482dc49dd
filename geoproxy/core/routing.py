"""Routing: decide, for every source region of an application, which PoP its traffic reaches.

Pure: a policy and the region catalog in, routes with their reasons out. A source goes where
`force` says, else to the nearest PoP by great-circle distance. Every route must then satisfy
every compliance rule whose `sources` match it; a violation makes the policy invalid, because
geoproxy checks fencing before anything is written, never after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Literal

from geoproxy.errors import Issue
from geoproxy.policy.catalog import Catalog
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


def matches(region: str, globs: list[str]) -> bool:
    return any(fnmatchcase(region, glob) for glob in globs)


def rules_for(source_region: str, rules: list[ComplianceRule]) -> list[ComplianceRule]:
    return [rule for rule in rules if matches(source_region, rule.sources)]


def nearest_pop(source_region: str, pops: list[str], catalog: Catalog) -> tuple[str, float] | None:
    """The closest located PoP; ties go to the PoP named first in alphabetical order."""
    if not catalog.located(source_region):
        return None
    ranked = sorted(
        (catalog.distance_km(source_region, pop), pop) for pop in pops if catalog.located(pop)
    )
    return (ranked[0][1], ranked[0][0]) if ranked else None


def route_application(
    app: Application, index: int, catalog: Catalog
) -> tuple[AppRouting, list[Issue], list[str]]:
    """Routes for one application, the policy issues found, and warnings."""
    path = ("applications", index)
    issues: list[Issue] = []
    warnings: list[str] = []
    explicit = [] if app.source_regions == "all" else list(app.source_regions)
    sources = catalog.default_sources() if app.source_regions == "all" else explicit
    sources = sorted(set(sources) | set(app.force))

    for pop in app.pops:
        if not catalog.located(pop) and pop not in app.force.values():
            warnings.append(
                f"{app.name}: PoP {pop} has no known location, so it is reachable only "
                "through `force`"
            )
    for region in sorted(set(explicit) | set(app.force)):
        if region.startswith(_CHINA_PREFIX):
            warnings.append(
                f"{app.name}: {region} is named explicitly; Route 53 answers every query "
                f"from China with the {region} record"
            )

    routes: list[Route] = []
    for source in sources:
        applicable = rules_for(source, app.compliance)
        if source in app.force:
            pop = app.force[source]
            distance = (
                catalog.distance_km(source, pop)
                if catalog.located(source) and catalog.located(pop)
                else None
            )
            route = Route(source, pop, "forced", distance, tuple(r.name for r in applicable))
        else:
            nearest = nearest_pop(source, list(app.pops), catalog)
            if nearest is None:
                if not catalog.located(source) and source not in explicit:
                    warnings.append(
                        f"{app.name}: source region {source} has no known location and is "
                        "skipped; add a `force` entry to route it"
                    )
                else:
                    issues.append(Issue(
                        (*path, "source_regions"),
                        f"cannot route source region {source}: "
                        + ("it has no known location; add a `force` entry for it"
                           if not catalog.located(source) else "no PoP has a known location"),
                    ))
                continue
            route = Route(source, nearest[0], "nearest", nearest[1],
                          tuple(r.name for r in applicable))
        issues.extend(_compliance_issues(app, index, route, applicable, catalog))
        partner_problems = _partner_issues(app, index, route, applicable)
        if app.auto_failover:
            issues.extend(partner_problems)
        else:  # only a manual failover would use the partner, and it checks again then
            warnings.extend(f"{app.name}: {problem.message}; `geoproxy failover` to it will "
                            "need --override-compliance" for problem in partner_problems)
        routes.append(route)

    secondary = (app.cloudfront.origin_failover.secondary_pop
                 if app.cloudfront and app.cloudfront.origin_failover else None)
    if secondary is not None:
        # CloudFront retries a failed request from any edge on the secondary PoP.
        for rule in app.compliance:
            fenced = [route.source_region for route in routes
                      if matches(route.source_region, rule.sources)]
            if fenced and not matches(secondary, rule.allowed_pops):
                issues.append(Issue(
                    (*path, "cloudfront", "origin_failover", "secondary_pop"),
                    f"compliance rule {rule.name!r}: origin failover would send requests from "
                    f"{', '.join(fenced)} to {secondary}, which the rule does not allow"))
    for rule_index, rule in enumerate(app.compliance):
        if not any(matches(source, rule.sources) for source in sources):
            warnings.append(
                f"{app.name}: compliance rule {rule.name!r} matches none of the source regions"
            )
        if not any(matches(pop, rule.allowed_pops) for pop in app.pops):
            issues.append(Issue(
                (*path, "compliance", rule_index, "allowed_pops"),
                f"compliance rule {rule.name!r} allows none of the application's PoPs",
            ))
    if app.evaluate_target_health and app.auto_failover:
        warnings.append(
            f"{app.name}: evaluate_target_health has no effect with auto_failover: the latency "
            "records never evaluate target health, their PoP pairs always do"
        )
    if app.evaluate_target_health and app.compliance and not app.auto_failover:
        warnings.append(
            f"{app.name}: evaluate_target_health is true on plain latency records: when a PoP "
            "is unhealthy Route 53 falls through to the next-nearest region's record, which "
            "can cross the compliance rules"
        )
    return AppRouting(app, tuple(routes)), issues, warnings


def _compliance_issues(
    app: Application, index: int, route: Route, rules: list[ComplianceRule], catalog: Catalog
) -> list[Issue]:
    issues = []
    for rule in rules:
        if matches(route.pop, rule.allowed_pops):
            continue
        allowed = [pop for pop in app.pops if matches(pop, rule.allowed_pops)]
        alternative = nearest_pop(route.source_region, allowed, catalog)
        suggestion = (
            f"; a compliant PoP is {alternative[0]}" if alternative
            else f"; allowed PoPs: {', '.join(allowed)}" if allowed
            else "; no PoP of this application is allowed"
        )
        where = (
            ("applications", index, "force", route.source_region)
            if route.reason == "forced"
            else ("applications", index, "compliance", app.compliance.index(rule))
        )
        issues.append(Issue(
            where,
            f"compliance rule {rule.name!r}: source {route.source_region} would reach PoP "
            f"{route.pop} ({route.reason}), which the rule does not allow{suggestion}",
        ))
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
        Issue(("applications", index, "pops", route.pop, "failover_to"),
              f"compliance rule {rule.name!r}: source {route.source_region} reaches PoP "
              f"{route.pop}, whose failover partner {partner} the rule does not allow")
        for rule in rules if not matches(partner, rule.allowed_pops)
    ]


def route_policy(loaded: LoadedPolicy, catalog: Catalog) -> RoutingResult:
    """Route every application; raise one PolicyError listing every problem in the policy."""
    result = RoutingResult()
    issues: list[Issue] = []
    unlocated = catalog.unlocated()
    if unlocated:
        result.warnings.append(
            "the region catalog has no location for " + ", ".join(unlocated)
            + " (newer than this geoproxy); they are usable only through `force`"
        )
    for index, app in enumerate(loaded.policy.applications):
        routing, app_issues, warnings = route_application(app, index, catalog)
        result.applications.append(routing)
        issues.extend(app_issues)
        result.warnings.extend(warnings)
    if issues:
        raise loaded.error(issues)
    return result
