"""What `recovery.switches: arc` asks of a policy, checked offline by `validate` (issue 25).

Pure. A switch turns a whole PoP region Off for every application with a PoP there; Route 53
then answers that PoP's failover pairs with their SECONDARY, the PoP's `failover_to`
partner. So every PoP that serves traffic (a source region routed to it, or fenced viewer
countries the edge fence sends to its direct name) needs a partner, and the partner must be
allowed by every compliance rule of every source region and viewer country that reaches the
PoP: a flip is not checked again at incident time (it makes no control-plane call), so it
must be compliant by construction. ARC's quotas bound what one control panel holds.
"""

from __future__ import annotations

from geoproxy.core.edge.fence import EdgeFence
from geoproxy.core.routing import AppRouting, matches, rules_for
from geoproxy.core.switches import (
    MAX_CONTROLS_PER_PANEL,
    MAX_SAFETY_RULES_PER_PANEL,
    plan_switches,
)
from geoproxy.errors import Issue
from geoproxy.policy.models import Application, Policy


def switched(policy: Policy) -> bool:
    return policy.recovery.switches == "arc"


def _app_issues(
    app: Application, index: int, routing: AppRouting, fence: EdgeFence | None
) -> list[Issue]:
    path: tuple[str | int, ...] = ("applications", index, "pops")
    issues: list[Issue] = []
    served: dict[str, list[str]] = {}
    for route in routing.routes:
        served.setdefault(route.pop, []).append(route.source_region)
    viewers: dict[str, list[str]] = {}
    for entry in fence.countries if fence else ():
        viewers.setdefault(entry.base_pop, []).append(entry.country)
    if fence and fence.fail_closed:
        viewers.setdefault(fence.fail_closed.base_pop, [])
    for pop in sorted(set(served) | set(viewers)):
        partner = app.pops[pop].failover_to
        if partner is None:
            who = [
                *([f"source regions {', '.join(served[pop])}"] if pop in served else []),
                *([f"viewer countries {', '.join(viewers[pop])}"] if viewers.get(pop) else []),
                *(
                    ["the edge fence's fail-closed route"]
                    if pop not in served and not viewers.get(pop)
                    else []
                ),
            ]
            issues.append(
                Issue(
                    (*path, pop),
                    f"recovery.switches is `arc`: PoP {pop} serves {' and '.join(who)}, so "
                    "its switch needs a `failover_to` partner to send them to",
                )
            )
            continue
        if not app.auto_failover:  # else routing's auto_failover checks name each source
            issues += _source_breaches(app, (*path, pop, "failover_to"), pop, partner, served)
        if fence is not None:
            issues += _viewer_breaches(fence, (*path, pop, "failover_to"), pop, partner)
    return issues


def _source_breaches(
    app: Application,
    path: tuple[str | int, ...],
    pop: str,
    partner: str,
    served: dict[str, list[str]],
) -> list[Issue]:
    """Source regions that reach `pop` and whose rules forbid its partner."""
    breaches: dict[str, list[str]] = {}
    for source in served.get(pop, []):
        for rule in rules_for(source, app.compliance):
            if not matches(partner, rule.allowed_pops):
                breaches.setdefault(rule.name, []).append(source)
    return [
        Issue(
            path,
            f"compliance rule {rule_name!r}: source regions {', '.join(sources)} "
            f"reach PoP {pop}, whose failover partner {partner} the rule does "
            "not allow; turning its switch Off (recovery.switches: arc) would "
            "send them there",
        )
        for rule_name, sources in breaches.items()
    ]


def _viewer_breaches(
    fence: EdgeFence, path: tuple[str | int, ...], pop: str, partner: str
) -> list[Issue]:
    """Fenced viewer countries (and the fail-closed route) that reach `pop` and whose rules
    forbid its partner."""
    issues: list[Issue] = []
    countries: dict[tuple[str, ...], list[str]] = {}
    for entry in fence.countries:
        if entry.base_pop == pop and partner not in entry.allowed:
            countries.setdefault(entry.rules, []).append(entry.country)
    for rules, codes in countries.items():
        names = " and ".join(repr(rule) for rule in rules)
        issues.append(
            Issue(
                path,
                f"compliance rule {names}: viewer countries {', '.join(codes)} reach PoP "
                f"{pop} through the edge fence, whose failover partner {partner} the "
                "rule does not allow; turning its switch Off (recovery.switches: arc) "
                "would send them there",
            )
        )
    closed = fence.fail_closed
    if closed is not None and closed.base_pop == pop:
        broken = [
            rule.name
            for rule in fence.rules
            if not any(matches(partner, [glob]) for glob in rule.allowed_pops)
        ]
        if broken:
            issues.append(
                Issue(
                    path,
                    f"compliance rules {', '.join(repr(name) for name in broken)}: the edge "
                    f"fence's fail-closed route reaches PoP {pop}, whose failover "
                    f"partner {partner} they do not allow; turning its switch Off "
                    "(recovery.switches: arc) would send requests without a country there",
                )
            )
    return issues


def switch_issues(
    policy: Policy, routings: list[AppRouting], fences: dict[str, EdgeFence | None]
) -> list[Issue]:
    """Every problem `switches: arc` finds in a policy that is otherwise valid (each
    application's routes and its edge fence, by application name, already computed)."""
    if not switched(policy):
        return []
    issues: list[Issue] = []
    for index, routing in enumerate(routings):
        app = routing.app
        issues.extend(_app_issues(app, index, routing, fences.get(app.name)))
    desired = plan_switches(policy, routings)
    if len(desired.controls) > MAX_CONTROLS_PER_PANEL:
        issues.append(
            Issue(
                ("recovery", "arc"),
                f"{len(desired.controls)} PoP regions need a routing control each, more than "
                f"ARC's {MAX_CONTROLS_PER_PANEL} per control panel",
            )
        )
    if len(desired.rules) > MAX_SAFETY_RULES_PER_PANEL:
        issues.append(
            Issue(
                ("recovery", "arc"),
                f"the compliance fences need {len(desired.rules)} safety rules, more than "
                f"ARC's {MAX_SAFETY_RULES_PER_PANEL} per control panel",
            )
        )
    return issues
