"""`verify`: ask Route 53's name servers what each source region gets, and compare.

Requests: what `status` reads, then per application and record type one TestDNSAnswer per
PoP (its direct name `<pop>.<record>`, which only the edge fence's and origin failover's
applications have: the PoP's own addresses as Route 53 resolves them) and one per source
region with a published resolver address. Against real AWS, a PoP without a direct name is
resolved through this machine's resolver instead; against an emulator (an endpoint override)
that is skipped, since the load balancers' names exist only in AWS.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from geoproxy.aws.session import AwsSettings
from geoproxy.core.edge.fence import edge_fence, has_viewer_fence
from geoproxy.core.names import direct_name
from geoproxy.core.routing import matches, rules_for
from geoproxy.core.verify import HEALTH_NOTE, Answer, Verified, judge
from geoproxy.pipeline.compiled import Compiled
from geoproxy.pipeline.status import compute_status
from geoproxy.policy.resolvers import shipped_resolvers

# A direct name is answered alike to every resolver; its rows say so instead of an address.
ANY_RESOLVER = "any"


@dataclass
class VerifyResult:
    rows: list[Verified] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    health_note: str = HEALTH_NOTE
    resolver_source: str = ""
    requests: int = 0  # TestDNSAnswer calls made


def compute_verify(
    compiled: Compiled, aws: AwsSettings, app_names: tuple[str, ...] = ()
) -> VerifyResult:
    from geoproxy.aws.dns_answers import resolve, test_dns_answer

    table = shipped_resolvers()
    result = VerifyResult(resolver_source=table.source)
    statuses, warnings, _ = compute_status(compiled, aws, app_names)
    result.warnings.extend(warnings)
    switched = _switched_off(compiled, aws, statuses, result)
    emulated = aws.endpoint_source("route53") is not None

    @functools.cache
    def ask(zone_id: str, name: str, record_type: str, resolver_ip: str | None) -> Answer:
        result.requests += 1
        return test_dns_answer(aws, zone_id, name, record_type, resolver_ip)

    for app_status in statuses:
        app = compiled.loaded.policy.application(app_status.name)
        targets = {pop: spec.target for pop, spec in app.pops.items()}
        for record_type in app.record_types:
            rows = [r for r in app_status.regions if r.record_type == record_type]
            addresses: dict[str, frozenset[str]] = {}
            for pop, target in targets.items():
                own = ask(app_status.zone_id, direct_name(pop, app.record), record_type, None)
                if own.response_code == "NOERROR" and own.data:
                    addresses[pop] = frozenset(own.data)
                elif not emulated:
                    addresses[pop] = resolve(target, record_type)
                else:
                    addresses[pop] = frozenset()
            for pop in targets:
                # A switched-off PoP's direct name is gated too: where TestDNSAnswer applies
                # health it answers with the partner's addresses, which are not the PoP's own.
                if (partner := switched.get((app.name, pop))) is not None:
                    addresses[pop] = addresses[pop] - addresses.get(partner, frozenset())
            for row in rows:
                ip = table.address(row.source_region)
                answer = (
                    ask(app_status.zone_id, app.record, record_type, ip) if ip is not None else None
                )
                # A switch that is Off sends the PoP's traffic to its partner (unless the
                # partner's is Off too: Route 53 then answers with the PRIMARY).
                partner = switched.get((app.name, row.effective_pop))
                expected = partner if partner else row.effective_pop
                rules = rules_for(row.source_region, app.compliance)
                allowed = (
                    frozenset(p for p in app.pops if all(matches(p, r.allowed_pops) for r in rules))
                    if rules
                    else None
                )
                result.rows.append(
                    judge(
                        app.name,
                        row.source_region,
                        record_type,
                        expected,
                        ip,
                        answer,
                        addresses,
                        targets,
                        row.effective_pop if partner else None,
                        allowed,
                        pair_intact=row.state in ("ok", "failover"),
                    )
                )
            result.rows += _fenced_countries(
                compiled, app_status, record_type, switched, addresses, targets, ask
            )
    return result


def _fenced_countries(
    compiled: Compiled,
    app_status: Any,
    record_type: str,
    switched: dict[tuple[str, str], str],
    addresses: dict[str, frozenset[str]],
    targets: dict[str, str],
    ask: Callable[[str, str, str, str | None], Answer],
) -> list[Verified]:
    """One row per viewer country the edge fence sends to a PoP's direct name: what Route 53
    answers for that name (the same to every resolver: it is not latency-routed, so the
    answer already asked for the PoP's own addresses serves, at no request), judged against
    the PoPs the country's rules allow."""
    app = compiled.loaded.policy.application(app_status.name)
    if not has_viewer_fence(app):
        return []
    overlay = {failover.from_pop: failover for failover in app_status.failovers}
    fence = edge_fence(app, compiled.catalog, compiled.owner, overlay)
    intact = {r.effective_pop for r in app_status.regions if r.state not in ("ok", "failover")}
    rows = []
    for entry in fence.countries if fence else ():
        partner = switched.get((app.name, entry.pop))
        rows.append(
            judge(
                app.name,
                f"viewer {entry.country}",
                record_type,
                partner or entry.pop,
                ANY_RESOLVER,
                ask(app_status.zone_id, entry.target, record_type, None),
                addresses,
                targets,
                entry.pop if partner else None,
                frozenset(entry.allowed),
                pair_intact=entry.pop not in intact,
            )
        )
    return rows


def _switched_off(
    compiled: Compiled, aws: AwsSettings, statuses: list[Any], result: VerifyResult
) -> dict[tuple[str, str], str]:
    """(application, PoP) -> partner, for each PoP whose switch is Off and whose partner's
    is not (one read of a cluster endpoint; nothing without switches)."""
    from geoproxy.pipeline.switch_dr import switch_status

    switches = switch_status(compiled, aws, statuses)
    if switches is None:
        return {}
    if switches.unreachable:
        result.warnings.append(
            f"switch states unread ({switches.unreachable}): expected PoPs assume every "
            "switch is On"
        )
    return {
        (app, region): partner
        for region, state in switches.states.items()
        if state == "Off"
        for app, partner in switches.partners.get(region, {}).items()
        if switches.states.get(partner) != "Off"
    }
