"""`geoproxy import`: infer the policy that reproduces a hand-made latency record set.

Pure: the records Route 53 listed at the name (and at any failover pair they alias to) in,
an `Application` and findings out. The rule is "keep every route": a source region goes
into the policy only if geoproxy would write what already answers there (same PoP, same
alias target), so `apply --adopt` changes owners, not routes. What the policy cannot say
(a target that is not a load balancer, a second load balancer in one region, records of
one region that disagree) leaves that source region out, where geoproxy never touches an
unowned record, and becomes a finding; what it can say but apply would still rewrite
(set identifiers, health checks, EvaluateTargetHealth) is a finding too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from geoproxy.core.import_notes import note_rewrites
from geoproxy.core.import_targets import LiveRoute, resolve
from geoproxy.core.names import state_name
from geoproxy.core.records import LiveRecord
from geoproxy.core.routing import AppRouting, route_application
from geoproxy.core.state import is_state_record, overlay_of
from geoproxy.errors import Finding, GeoproxyError, printable
from geoproxy.policy.catalog import Catalog, ipv6_alias_name, parse_elb_target
from geoproxy.policy.latency import LatencyTable
from geoproxy.policy.models import Application, Pop

ADDRESS_TYPES = ("A", "AAAA")
APP_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"  # Application.name's pattern


class ImportRefused(GeoproxyError):
    """Nothing at the name that a policy could reproduce: no file is written."""


@dataclass
class Imported:
    """What import found: the application, the live map it reproduces (source region ->
    PoP), and what it could not say."""

    app: Application
    live: dict[str, str]
    findings: list[Finding] = field(default_factory=list)
    nearest: AppRouting | None = None  # the application routed without `force`
    # The owner marked on the records when they are already geoproxy's, all of one owner
    # (a policy file lost): the policy must say it, or its own records are conflicts.
    owner: str | None = None


def _finding(app: str, code: str, message: str) -> Finding:
    return Finding(message, app=app, code=code)


def _choose_pops(
    app: str, routes: list[LiveRoute], catalog: Catalog, findings: list[Finding]
) -> tuple[dict[str, tuple[str, str]], set[str]]:
    """One target per PoP region (the one most source regions use; A records decide, as
    AAAA names derive from it), and the source regions that use another one."""
    by_pop: dict[str, Counter[tuple[str, str]]] = {}
    for route in routes:
        if route.record.record_type == "A" or not any(
            r.record.record_type == "A" and r.pop == route.pop for r in routes
        ):
            by_pop.setdefault(route.pop, Counter())[route.target] += 1
    chosen = {
        pop: sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
        for pop, counts in sorted(by_pop.items())
    }
    left_out: set[str] = set()

    def check(route: LiveRoute, pop: str, target: tuple[str, str], what: str) -> None:
        name, zone = chosen.setdefault(pop, target)  # a partner only: its first pair says
        wanted = ipv6_alias_name(name) if route.record.record_type == "AAAA" else name
        if (wanted, zone) != target and route.source not in left_out:
            left_out.add(route.source)
            findings.append(
                _finding(
                    app,
                    "import_pop_conflict",
                    f"{what} aliases to {target[0]}, while the PoP {pop} is {wanted}: a "
                    f"policy has one load balancer per region, so source region "
                    f"{route.source} is left out (its records stay as they are, not "
                    "geoproxy's)",
                )
            )

    # A records first: an AAAA name derives from the A records' target, not the reverse.
    for route in sorted(routes, key=lambda r: r.record.record_type):
        check(route, route.pop, route.target, route.record.describe())
        if route.pair is not None:
            check(
                route,
                route.pair.secondary,
                route.pair.secondary_target,
                f"the SECONDARY at {route.pair.name} {route.record.record_type}",
            )
    return chosen, left_out


def infer_application(
    *,
    name: str,
    zone: str,
    zone_id: str,
    record_name: str,
    records: Sequence[LiveRecord],
    catalog: Catalog,
    table: LatencyTable | None,
    keep_zone_id: bool = False,
) -> Imported:
    """The application that reproduces the latency records at `record_name`, and findings.
    `zone_id` is the zone read (in-zone aliases are failover pairs); the policy names it
    only with `keep_zone_id`, else it looks the zone up by name as the import did.
    Raises ImportRefused when there is nothing there a policy could express."""
    at_name = [record for record in records if record.name == record_name]
    if not at_name:
        raise ImportRefused(
            f"no record at {record_name} in hosted zone {zone} ({zone_id})",
            hint="check --record: the latency-routed name, inside --zone",
        )
    latency = [r for r in at_name if r.is_latency and r.record_type in ADDRESS_TYPES]
    if not latency:
        found = "; ".join(sorted({record.describe() for record in at_name}))
        raise ImportRefused(
            f"{record_name} has no latency A or AAAA records to import (found: {found})",
            hint="import reads a latency record set, as `geoproxy plan` writes one",
        )
    findings: list[Finding] = []
    for record in at_name:
        if record.is_latency and record.record_type not in ADDRESS_TYPES:
            findings.append(
                _finding(
                    name,
                    "import_target",
                    f"{record.describe()}: geoproxy writes A and AAAA alias records only; "
                    "not imported",
                )
            )
    state = next((r for r in records if is_state_record(r, record_name)), None)
    for failover in overlay_of(state).values():
        # The live map is then the failed-over one: imported as is, `force` would keep the
        # failover for good, and `failback` would find nothing to end.
        findings.append(
            _finding(
                name,
                "import_failover_active",
                f"geoproxy's failover state at {state_name(record_name)} says "
                f"{failover.from_pop} fails over to {failover.to_pop}: the imported map is "
                "the failed-over one; fail back first, then import again",
            )
        )
    routes, left_out = _routes(name, zone_id, latency, records, catalog, findings)
    if not routes:
        raise ImportRefused(
            f"none of the latency records at {record_name} can be expressed in a policy",
            hint=printable("; ".join(findings[:3])) if findings else None,
        )
    pops, conflicts = _choose_pops(name, routes, catalog, findings)
    left_out |= conflicts
    kept = [route for route in routes if route.source not in left_out]
    if not kept:
        raise ImportRefused(
            f"none of the latency records at {record_name} can be expressed in a policy",
            hint=printable("; ".join(findings[:3])),
        )
    for source in sorted(left_out):
        findings.append(
            _finding(
                name,
                "import_left_out",
                f"source region {source} is left out of `source_regions`: its records "
                "stay as they are, and geoproxy does not manage them",
            )
        )
    live = {route.source: route.pop for route in kept}
    app, nearest = _build(
        name,
        zone,
        zone_id if keep_zone_id else None,
        record_name,
        kept,
        pops,
        catalog,
        table,
        findings,
    )
    note_rewrites(name, record_name, kept, app, findings)
    owners = {route.record.owner for route in kept if route.record.owned}
    owner = next(iter(owners)) if len(owners) == 1 else None
    return Imported(app, dict(sorted(live.items())), findings, nearest, owner)


def _routes(
    app: str,
    zone_id: str,
    latency: list[LiveRecord],
    records: Sequence[LiveRecord],
    catalog: Catalog,
    findings: list[Finding],
) -> tuple[list[LiveRoute], set[str]]:
    """Each expressible latency record's route, and the source regions left out: a region
    with any record the policy cannot express, or whose records of two types disagree."""
    routes: list[LiveRoute] = []
    left_out: set[str] = set()
    for record in sorted(latency, key=lambda r: (str(r.region), r.record_type)):
        resolved = resolve(record, zone_id, records, catalog)
        if isinstance(resolved, str):
            findings.append(_finding(app, "import_target", resolved))
            left_out.add(str(record.region))
        else:
            routes.append(resolved)
    by_source: dict[str, set[str]] = {}
    for route in routes:
        by_source.setdefault(route.source, set()).add(route.pop)
    for source, pops in sorted(by_source.items()):
        if len(pops) > 1:
            findings.append(
                _finding(
                    app,
                    "import_mismatch",
                    f"source region {source}'s A and AAAA records go to different PoPs "
                    f"({', '.join(sorted(pops))}); geoproxy sends every type to one PoP",
                )
            )
            left_out.add(source)
    paired = {route.source for route in routes if route.pair is not None}
    direct = {route.source for route in routes if route.pair is None} - left_out
    if paired and direct:
        findings.append(
            _finding(
                app,
                "import_failover_pair",
                f"source regions {', '.join(sorted(paired - left_out))} go through failover "
                "pairs and the others straight to their PoPs; geoproxy puts a pair behind "
                "every PoP (`auto_failover`) or none, so the paired ones are left out",
            )
        )
        left_out |= paired
    return [route for route in routes if route.source not in left_out], left_out


def _build(
    name: str,
    zone: str,
    zone_id: str | None,
    record_name: str,
    routes: list[LiveRoute],
    targets: dict[str, tuple[str, str]],
    catalog: Catalog,
    table: LatencyTable | None,
    findings: list[Finding],
) -> tuple[Application, AppRouting]:
    """The application, with `force` only where geoproxy's own choice differs from live."""
    paired = any(route.pair is not None for route in routes)
    partners: dict[str, str] = {}
    for route in routes:
        if route.pair is not None:
            partners[route.pair.primary] = route.pair.secondary
            targets.setdefault(route.pair.secondary, route.pair.secondary_target)
    pops = {}
    # Only the PoPs the kept routes reach: one seen only by a source left out would draw
    # others to it as their nearest.
    used = {r.pop for r in routes} | {r.pair.secondary for r in routes if r.pair is not None}
    for pop, (dns_name, hosted_zone) in sorted(targets.items()):
        if pop not in used:
            continue
        elb = parse_elb_target(dns_name)
        derived = catalog.elb_zone_id(elb) if elb else None
        pops[pop] = Pop(
            target=dns_name,
            hosted_zone_id=None if derived == hosted_zone else hosted_zone,
            failover_to=partners.get(pop) if paired else None,
        )
    if paired:
        for pop in sorted(set(pops) - set(partners)):
            # auto_failover puts a pair behind every PoP, each with a partner; a PoP that is
            # only a SECONDARY live has none: it gets the PoP that fails over to it.
            back = sorted(primary for primary, partner in partners.items() if partner == pop)
            pops[pop] = pops[pop].model_copy(update={"failover_to": back[0]})
            findings.append(
                _finding(
                    name,
                    "import_failover_pair",
                    f"PoP {pop} is only a failover partner live; the policy gives it "
                    f"`failover_to: {back[0]}` and `apply` a pair of its own: check it",
                )
            )
    live = {route.source: route.pop for route in routes}
    sources = sorted(live)
    types = [t for t in ADDRESS_TYPES if any(r.record.record_type == t for r in routes)]
    evaluate = not paired and all(
        route.record.alias_target() is not None
        and route.record.alias_target().evaluate_target_health  # type: ignore[union-attr]
        for route in routes
    )

    def application(force: dict[str, str]) -> Application:
        return Application(
            name=name,
            zone=zone,
            zone_id=zone_id,
            record=record_name,
            record_types=types,  # type: ignore[arg-type]
            source_regions=sources,
            pops=pops,
            force=force,
            evaluate_target_health=evaluate,
            auto_failover=paired,
        )

    # geoproxy's own choice for each source, by the routing every command uses; `force`
    # where it differs (or where geoproxy could not route the source at all).
    chosen, _, _ = route_application(application({}), 0, catalog, table)
    force = {
        source: pop
        for source, pop in sorted(live.items())
        if (nearest := chosen.route_for(source)) is None or nearest.pop != pop
    }
    return application(force), chosen


def default_name(record_name: str, zone: str) -> str:
    """An application name from the record: its first label (`origin.shop.example.com` ->
    `origin`), or the zone's for a record at the apex, in the characters names allow."""
    label = (record_name if record_name != zone else zone).split(".")[0]
    cleaned = "".join(ch if ch.isalnum() or ch in "_.-" else "-" for ch in label).lstrip("_.-")
    return cleaned[:64] or "app"
