"""The edge fence's table: for each viewer country a compliance rule fences, the PoP its
requests must reach, and where requests without a country go (the fail-closed PoP).

Pure. Latency records fence *resolver* regions: CloudFront's edge asks, not the viewer. A
rule's `viewer_countries` fences the viewers themselves, with a CloudFront Function that reads
`CloudFront-Viewer-Country` and sends the request to a PoP's direct name (`<pop>.<record>`,
which skips latency routing). This module decides that table; `function` writes the code.

How a country is placed, deterministically:
  * its rules are every compliance rule whose `viewer_countries` include it; it may reach only
    the PoPs all of them allow (the policy check refuses an empty intersection);
  * of those, the nearest by great-circle distance from the country's representative point
    (`policy.countries.country_locations`) to the PoP region's metro (the region catalog);
    ties, and PoPs the catalog cannot place (ranked after every located one), go to the
    region name first in alphabetical order;
  * then the active failovers, exactly as for the latency records (`failover.resolve`): a
    failed-over PoP's countries go to the failover's target, following chains. Where that
    lands a country on a PoP one of its rules does not allow, the table still says so, and
    `violations` names the breach with the override reason of the failover that caused it
    (only that failover's own `--override-compliance` covers it), so the caller refuses it or
    allows it with the recorded reason, as `pipeline.resolve_app` does for routes.

The fail-closed PoP takes the requests that carry no country header (CloudFront could not
place the viewer, or the behaviour's policies do not let the header through): the PoP allowed
by every rule that fences viewer countries which the most fenced countries go to in the
policy's table, ties to the region name first in alphabetical order. When no PoP is allowed by
all of them there is none, and such requests are left to latency routing (`validate` warns).
It follows failovers and is compliance-checked like a country.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from geoproxy.core.failover import Failover, Overlay, resolve
from geoproxy.core.names import direct_name
from geoproxy.policy.catalog import Catalog, great_circle_km
from geoproxy.policy.checks import allowed_pops, viewer_fences
from geoproxy.policy.countries import CountryLocation, country_locations, expand_countries
from geoproxy.policy.models import Application


@dataclass(frozen=True)
class FenceRule:
    """A compliance rule as the edge fence sees it (for the function's comments)."""

    name: str
    allowed_pops: tuple[str, ...]  # the rule's globs, as written
    viewer_countries: tuple[str, ...]  # as written, groups unexpanded
    countries: tuple[str, ...]  # expanded, sorted


@dataclass(frozen=True)
class FencedCountry:
    """Where one fenced country's requests go, and why."""

    country: str
    name: str
    pop: str  # where its requests go, failovers applied
    target: str  # the direct name the function sends them to: <pop>.<record>
    rules: tuple[str, ...]  # the rules that fence it, in policy order
    allowed: tuple[str, ...]  # the PoPs all of those rules allow, sorted
    base_pop: str  # the policy's choice: the nearest allowed PoP
    distance_km: float | None  # country to base_pop; None when the PoP has no location
    failovers: tuple[str, ...] = ()  # the PoPs failed away from, in the order followed

    @property
    def reason(self) -> str:
        rules = " and ".join(repr(rule) for rule in self.rules)
        km = f", {self.distance_km:,.0f} km" if self.distance_km is not None else ""
        nearest = f"nearest PoP allowed by {rules}{km}"
        if not self.failovers:
            return nearest
        return (
            f"failover {' -> '.join([*self.failovers, self.pop])} "
            f"(policy: {self.base_pop}, {nearest})"
        )


@dataclass(frozen=True)
class FailClosed:
    """Where requests without a country header go."""

    pop: str
    target: str
    base_pop: str
    countries: int  # how many fenced countries go to base_pop in the policy's table
    failovers: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        chosen = (
            f"allowed by every rule that fences viewer countries; {self.countries} "
            f"fenced countr{'y goes' if self.countries == 1 else 'ies go'} there"
        )
        if not self.failovers:
            return chosen
        return (
            f"failover {' -> '.join([*self.failovers, self.pop])} "
            f"(policy: {self.base_pop}, {chosen})"
        )


@dataclass(frozen=True)
class EdgeViolation:
    """Fenced viewers that the active failovers send to a PoP their rules do not allow."""

    rules: tuple[str, ...]  # the rules broken
    countries: tuple[str, ...]  # the countries moved there; empty for the fail-closed route
    pop: str
    failover_from: str  # the failover that lands them there (its override is the one that counts)
    alternative: str | None  # a PoP all their rules allow that is not failed away from
    overridden: str  # that failover's --override-compliance reason, or ""
    no_header: bool = False  # the breach is the fail-closed route's


@dataclass(frozen=True)
class EdgeFence:
    """One application's edge fence: the function's whole input."""

    app: str
    owner: str
    record: str
    rules: tuple[FenceRule, ...]
    countries: tuple[FencedCountry, ...]  # sorted by country code
    fail_closed: FailClosed | None
    failovers: tuple[Failover, ...] = ()  # the active failovers it follows, by from_pop
    violations: tuple[EdgeViolation, ...] = field(default=())
    # The Host (and SNI) a fenced request gets: "viewer" (the viewer's own, for behaviours
    # that forward Host) or "origin" (`record`, for behaviours that do not); the policy's
    # `cloudfront.host_header`, checked against the behaviours by the pre-flight.
    host_header: str = "viewer"

    @property
    def table(self) -> dict[str, str]:
        """Country -> PoP, as the function will route."""
        return {entry.country: entry.pop for entry in self.countries}


def has_viewer_fence(app: Application) -> bool:
    return any(rule.viewer_countries for rule in app.compliance)


def _distance(location: CountryLocation, pop: str, catalog: Catalog) -> float | None:
    region = catalog.regions.get(pop)
    if region is None:
        return None
    return great_circle_km(location.latitude, location.longitude, region.latitude, region.longitude)


def nearest_allowed(
    location: CountryLocation, allowed: list[str], catalog: Catalog
) -> tuple[str, float | None]:
    """The allowed PoP nearest the country; located PoPs before unlocated ones, ties (and
    the unlocated) by region name."""
    ranked = sorted(
        ((distance is None, distance or 0.0, pop), distance)
        for pop in allowed
        for distance in [_distance(location, pop, catalog)]
    )
    (_, _, pop), distance = ranked[0]
    return pop, distance


def _chain(pop: str, overlay: Overlay, app: Application) -> list[Failover]:
    chain = resolve(pop, overlay)  # raises FailoverCycle, as for routes
    for failover in chain:
        if failover.to_pop not in app.pops:
            raise ValueError(
                f"{app.name}: failover {failover.from_pop} -> {failover.to_pop} "
                "targets a PoP the application does not have"
            )
    return chain


def edge_fence(
    app: Application, catalog: Catalog, owner: str, overlay: Overlay | None = None
) -> EdgeFence | None:
    """The application's edge fence with `overlay`'s failovers applied, or None when no
    rule fences viewer countries. `overlay` is the application's active failovers as
    `pipeline.resolve_app` keeps them (to PoPs of the application, no cycle); a cycle raises
    FailoverCycle. The policy must have passed `check_policy`."""
    fences = viewer_fences(app)
    if not fences:
        return None
    overlay = overlay or {}
    locations = country_locations()
    fencing = [index for index, rule in enumerate(app.compliance) if rule.viewer_countries]
    rules = tuple(
        FenceRule(
            rule.name,
            tuple(rule.allowed_pops),
            tuple(rule.viewer_countries),
            expand_countries(rule.viewer_countries),
        )
        for rule in (app.compliance[index] for index in fencing)
    )
    countries: list[FencedCountry] = []
    breaches: dict[tuple[tuple[str, ...], str, str], list[FencedCountry]] = {}
    for code, indexes in fences.items():
        allowed = _allowed_by_all(app, indexes)
        location = locations[code]
        base, distance = nearest_allowed(location, allowed, catalog)
        chain = _chain(base, overlay, app)
        pop = chain[-1].to_pop if chain else base
        entry = FencedCountry(
            code,
            location.name,
            pop,
            direct_name(pop, app.record),
            tuple(app.compliance[index].name for index in indexes),
            tuple(allowed),
            base,
            distance,
            tuple(failover.from_pop for failover in chain),
        )
        countries.append(entry)
        broken = _broken(app, indexes, pop)
        if chain and broken:
            # Grouped by the failover that lands them there: its override, and only its own,
            # may allow the breach (one approved failover never covers another).
            breaches.setdefault((broken, pop, chain[-1].from_pop), []).append(entry)
    violations = [
        _violation(key, entries, overlay, catalog, locations) for key, entries in breaches.items()
    ]
    fail_closed, closed_violation = _fail_closed(app, fencing, countries, overlay)
    if closed_violation is not None:
        violations.append(closed_violation)
    # Only the failovers the fence follows: one away from a PoP no fenced viewer uses leaves
    # the function (and its bytes) as they were, so it needs no republishing.
    used = {pop for entry in countries for pop in entry.failovers}
    used |= set(fail_closed.failovers if fail_closed else ())
    applied = tuple(overlay[pop] for pop in sorted(used))
    host_header = app.cloudfront.host_header if app.cloudfront else "viewer"
    return EdgeFence(
        app.name,
        owner,
        app.record,
        rules,
        tuple(countries),
        fail_closed,
        applied,
        tuple(violations),
        host_header,
    )


def _fail_closed(
    app: Application, fencing: list[int], countries: list[FencedCountry], overlay: Overlay
) -> tuple[FailClosed | None, EdgeViolation | None]:
    """Where a viewer whose country CloudFront cannot tell goes: the PoP every fence allows
    that most fenced countries use, failovers applied; and the breach, if that lands outside."""
    candidates = _allowed_by_all(app, fencing)
    if not candidates:
        return None, None
    counts = {pop: sum(1 for entry in countries if entry.base_pop == pop) for pop in candidates}
    base = min(candidates, key=lambda pop: (-counts[pop], pop))
    chain = _chain(base, overlay, app)
    pop = chain[-1].to_pop if chain else base
    fail_closed = FailClosed(
        pop,
        direct_name(pop, app.record),
        base,
        counts[base],
        tuple(failover.from_pop for failover in chain),
    )
    broken = _broken(app, fencing, pop)
    if not (chain and broken):
        return fail_closed, None
    others = [other for other in candidates if other not in overlay]
    last_from = chain[-1].from_pop
    return fail_closed, EdgeViolation(
        broken,
        (),
        pop,
        last_from,
        others[0] if others else None,
        overlay[last_from].override_compliance,
        True,
    )


def _allowed_by_all(app: Application, indexes: list[int]) -> list[str]:
    """The PoPs every one of these rules allows, sorted."""
    shared = set(app.pops)
    for index in indexes:
        shared &= set(allowed_pops(app.compliance[index], sorted(app.pops)))
    return sorted(shared)


def _broken(app: Application, indexes: list[int], pop: str) -> tuple[str, ...]:
    """The names of the rules among `indexes` that do not allow `pop`."""
    return tuple(
        app.compliance[index].name
        for index in indexes
        if not allowed_pops(app.compliance[index], [pop])
    )


def _violation(
    key: tuple[tuple[str, ...], str, str],
    entries: list[FencedCountry],
    overlay: Overlay,
    catalog: Catalog,
    locations: Mapping[str, CountryLocation],
) -> EdgeViolation:
    broken, pop, last_from = key
    allowed = set(entries[0].allowed)
    for entry in entries[1:]:
        allowed &= set(entry.allowed)
    candidates = sorted(allowed - set(overlay))
    alternative = (
        nearest_allowed(locations[entries[0].country], candidates, catalog)[0]
        if candidates
        else None
    )
    return EdgeViolation(
        broken,
        tuple(entry.country for entry in entries),
        pop,
        last_from,
        alternative,
        overlay[last_from].override_compliance,
    )


def describe_edge_violation(app_name: str, violation: EdgeViolation) -> str:
    """One line, in the words of `failover.describe_violation`."""
    rules = " and ".join(repr(rule) for rule in violation.rules)
    noun = "rule" if len(violation.rules) == 1 else "rules"
    whom = (
        "requests without a country header (the edge fence's fail-closed PoP)"
        if violation.no_header
        else f"viewers in {', '.join(violation.countries)}"
    )
    alternative = (
        f"; a compliant alternative is {violation.alternative}"
        if violation.alternative
        else "; no compliant PoP is available"
    )
    return (
        f"{app_name}: compliance {noun} {rules} forbid{'s' if noun == 'rule' else ''} PoP "
        f"{violation.pop} for {whom}, where the failover away from "
        f"{violation.failover_from} would send them at the edge{alternative}"
    )


def fence_json(fence: EdgeFence) -> dict[str, object]:
    """The table for `-o json`: country -> {pop, target, reason, ...}, and the fail-closed."""
    closed = fence.fail_closed
    return {
        "table": {
            entry.country: {
                "pop": entry.pop,
                "target": entry.target,
                "reason": entry.reason,
                "name": entry.name,
                "rules": list(entry.rules),
                "allowed": list(entry.allowed),
                "policy_pop": entry.base_pop,
                "distance_km": (
                    round(entry.distance_km) if entry.distance_km is not None else None
                ),
                "failovers": list(entry.failovers),
            }
            for entry in fence.countries
        },
        "fail_closed": (
            {
                "pop": closed.pop,
                "target": closed.target,
                "reason": closed.reason,
                "policy_pop": closed.base_pop,
                "failovers": list(closed.failovers),
            }
            if closed
            else None
        ),
    }
