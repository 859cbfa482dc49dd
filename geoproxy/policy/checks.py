"""Policy rules beyond the schema: regions, PoP targets, forces, uniqueness and the edge fence.

They run after pydantic has checked the shape, so each can name the exact YAML path it is
about (the bad PoP entry, the second application) and all problems are reported at once.
"""

from __future__ import annotations

import difflib
from fnmatch import fnmatchcase

from geoproxy.errors import Finding, Issue
from geoproxy.policy.catalog import Catalog, parse_elb_target
from geoproxy.policy.countries import country_locations, expand_countries
from geoproxy.policy.models import Application, ComplianceRule, Policy


def region_problem(region: str, catalog: Catalog, what: str) -> str | None:
    if catalog.accepts(region):
        return None
    close = difflib.get_close_matches(region, catalog.latency_regions, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{what} {region!r} is not a Route 53 latency region{hint}"


def _application_issues(app: Application, index: int, catalog: Catalog) -> list[Issue]:
    path = ("applications", index)
    issues: list[Issue] = []

    def problem(where: tuple[str | int, ...], message: str | None) -> None:
        if message:
            issues.append(Issue((*path, *where), message))

    if app.record != app.zone and not app.record.endswith("." + app.zone):
        problem(("record",), f"record {app.record} does not lie inside zone {app.zone}")
    if isinstance(app.source_regions, list):
        for position, region in enumerate(app.source_regions):
            problem(("source_regions", position), region_problem(region, catalog, "source region"))
    for region, pop in app.pops.items():
        where = ("pops", region)
        bad_region = region_problem(region, catalog, "PoP region")
        problem(where, bad_region)
        if bad_region:
            continue
        elb = parse_elb_target(pop.target)
        if elb and elb.region != region:
            problem(
                (*where, "target"),
                f"target {pop.target} is a load balancer in {elb.region}, not in {region}",
            )
        elif pop.hosted_zone_id is None and (elb is None or catalog.elb_zone_id(elb) is None):
            problem(
                (*where, "target"),
                f"cannot tell the alias hosted zone id of {pop.target}; set `hosted_zone_id`",
            )
        if pop.failover_to is not None and (
            pop.failover_to == region or pop.failover_to not in app.pops
        ):
            others = ", ".join(other for other in app.pops if other != region) or "none"
            problem(
                (*where, "failover_to"),
                f"failover_to {pop.failover_to} is not another of this application's "
                f"pops ({others})",
            )
    for region, pop in app.pops.items():
        if app.auto_failover and pop.failover_to is None:
            problem(("pops", region), "auto_failover needs a `failover_to` partner for every PoP")
        if pop.health_check is not None and not app.auto_failover:
            problem(
                ("pops", region, "health_check"),
                "health_check is used by auto_failover's failover pairs; set "
                "`auto_failover: true` (a health check on plain latency records would "
                "let Route 53 send traffic past the compliance rules)",
            )
        if (
            pop.health_check
            and pop.health_check.protocol == "TCP"
            and pop.health_check.port is None
        ):
            problem(("pops", region, "health_check", "port"), "a TCP health check needs a port")
    if app.cloudfront and app.cloudfront.origin_failover:
        secondary = app.cloudfront.origin_failover.secondary_pop
        if secondary not in app.pops:
            problem(
                ("cloudfront", "origin_failover", "secondary_pop"),
                f"{secondary} is not one of this application's pops ({', '.join(app.pops)})",
            )
    for source, pop_region in app.force.items():
        where = ("force", source)
        problem(where, region_problem(source, catalog, "forced source region"))
        if pop_region not in app.pops:
            problem(
                where,
                f"forces {source} to {pop_region}, which is not one of this "
                f"application's pops ({', '.join(app.pops)})",
            )
    issues.extend(Issue((*path, *where), message) for where, message in _fence_problems(app))
    return issues


def allowed_pops(rule: ComplianceRule, pops: list[str]) -> list[str]:
    """The PoPs among `pops` that `rule` allows, in their order."""
    return [pop for pop in pops if any(fnmatchcase(pop, glob) for glob in rule.allowed_pops)]


def viewer_fences(app: Application) -> dict[str, list[int]]:
    """Each fenced viewer country and the indexes of the compliance rules that fence it."""
    fenced: dict[str, list[int]] = {}
    for index, rule in enumerate(app.compliance):
        for code in expand_countries(rule.viewer_countries):
            fenced.setdefault(code, []).append(index)
    return dict(sorted(fenced.items()))


def _rule_names(app: Application, indexes: list[int] | tuple[int, ...]) -> str:
    names = [repr(app.compliance[index].name) for index in indexes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _fence_problems(app: Application) -> list[tuple[tuple[str | int, ...], str]]:
    """The edge fence (`viewer_countries`): it lives on the distribution, every fenced
    country must have a PoP that all of its rules allow, and geoproxy must know where each
    fenced country is to choose the nearest."""
    fencing = [index for index, rule in enumerate(app.compliance) if rule.viewer_countries]
    if not fencing:
        return []
    problems: list[tuple[tuple[str | int, ...], str]] = []
    pops = sorted(app.pops)
    if app.cloudfront is None:
        for index in fencing:
            problems.append(
                (
                    ("compliance", index, "viewer_countries"),
                    f"compliance rule {app.compliance[index].name!r} fences viewer "
                    "countries, which geoproxy enforces with a CloudFront Function on "
                    "the application's distribution; add a `cloudfront` section",
                )
            )
    empty = set()
    for index in fencing:
        if not allowed_pops(app.compliance[index], pops):
            empty.add(index)
            problems.append(
                (
                    ("compliance", index, "allowed_pops"),
                    f"compliance rule {app.compliance[index].name!r} fences viewer "
                    f"countries but allows none of the application's PoPs "
                    f"({', '.join(pops)})",
                )
            )
    # A country fenced by several rules may reach only the PoPs all of them allow.
    clashes: dict[tuple[int, ...], list[str]] = {}
    locations = country_locations()
    for code, indexes in viewer_fences(app).items():
        if code not in locations:
            problems.append(
                (
                    ("compliance", indexes[0], "viewer_countries"),
                    f"geoproxy knows no location for {code}, so the edge fence cannot "
                    "choose the PoP nearest it",
                )
            )
        if len(indexes) > 1 and not empty & set(indexes):
            shared = set(pops)
            for index in indexes:
                shared &= set(allowed_pops(app.compliance[index], pops))
            if not shared:
                clashes.setdefault(tuple(indexes), []).append(code)
    for rules, codes in clashes.items():
        allowed = "; ".join(
            f"{app.compliance[index].name!r} allows "
            f"{', '.join(allowed_pops(app.compliance[index], pops))}"
            for index in rules
        )
        problems.append(
            (
                ("compliance", rules[-1], "viewer_countries"),
                f"viewer countries {', '.join(codes)} are fenced by compliance rules "
                f"{_rule_names(app, rules)}, and no PoP of the application is "
                f"allowed by all of them ({allowed})",
            )
        )
    problems.extend(_origin_failover_problems(app, fencing, pops))
    return problems


def _origin_failover_problems(
    app: Application, fencing: list[int], pops: list[str]
) -> list[tuple[tuple[str | int, ...], str]]:
    failover = app.cloudfront.origin_failover if app.cloudfront else None
    if failover is None or failover.secondary_pop not in app.pops:
        return []
    # A CloudFront Function changes only an origin group's primary origin, so CloudFront
    # retries a fenced viewer's failed request on the secondary PoP as it is.
    return [
        (
            ("cloudfront", "origin_failover", "secondary_pop"),
            f"compliance rule {rule.name!r}: origin failover would retry "
            f"requests of its fenced viewer countries on "
            f"{failover.secondary_pop}, which the rule does not allow (the "
            "edge fence changes only the origin group's primary)",
        )
        for rule in (app.compliance[index] for index in fencing)
        if failover.secondary_pop not in allowed_pops(rule, pops)
    ]


def viewer_fence_warnings(app: Application) -> list[str]:
    """What the edge fence cannot do for a valid policy: fail closed when no PoP satisfies
    every rule that fences viewer countries (requests without a country header are then
    left to latency routing)."""
    fencing = [index for index, rule in enumerate(app.compliance) if rule.viewer_countries]
    if not fencing:
        return []
    pops = sorted(app.pops)
    shared = set(pops)
    for index in fencing:
        shared &= set(allowed_pops(app.compliance[index], pops))
    if shared:
        return []
    return [
        Finding(
            f"{app.name}: no PoP is allowed by every rule that fences viewer "
            f"countries ({_rule_names(app, fencing)}), so the edge fence cannot fail "
            "closed: requests without a CloudFront-Viewer-Country header are left to "
            "latency routing",
            app=app.name,
            code="no_fail_closed_pop",
        )
    ]


def check_policy(policy: Policy, catalog: Catalog) -> list[Issue]:
    issues: list[Issue] = []
    first_with_name: dict[str, int] = {}
    first_with_record: dict[str, int] = {}
    first_with_alias: dict[str, str] = {}
    first_with_distribution: dict[str, str] = {}
    records = {app.record: app.name for app in policy.applications}
    for index, app in enumerate(policy.applications):
        issues.extend(_application_issues(app, index, catalog))
        if app.name in first_with_name:
            issues.append(
                Issue(
                    ("applications", index, "name"),
                    f"applications[{first_with_name[app.name]}] is already named {app.name!r}",
                )
            )
        first_with_name.setdefault(app.name, index)
        # One application per name, whatever the types: geoproxy's records at a name (and its
        # state beside it) belong to exactly one application.
        if app.record in first_with_record:
            other = policy.applications[first_with_record[app.record]]
            issues.append(
                Issue(
                    ("applications", index, "record"),
                    f"{app.record} is already managed by application {other.name!r}",
                )
            )
        first_with_record.setdefault(app.record, index)
        # An application's subtree is its record and every name below it (its state record,
        # failover pairs and direct PoP names live there): another application inside it
        # would see those records as its own and delete them on every other apply.
        for record, name in records.items():
            if app.record.endswith("." + record) and name != app.name:
                issues.append(
                    Issue(
                        ("applications", index, "record"),
                        f"{app.record} lies below {record}, the record of "
                        f"application {name!r}: geoproxy keeps that "
                        f"application's own records below its name, so "
                        f"{app.name!r} and {name!r} would delete each other's "
                        "records; use names that do not nest",
                    )
                )
        if app.cloudfront:
            distribution_id = app.cloudfront.distribution_id
            if first_with_distribution.setdefault(distribution_id, app.name) != app.name:
                issues.append(
                    Issue(
                        ("applications", index, "cloudfront", "distribution_id"),
                        f"distribution {distribution_id} is already managed by application "
                        f"{first_with_distribution[distribution_id]!r}: one distribution has one "
                        "default behaviour, one set of aliases and one geo restriction",
                    )
                )
        issues.extend(_alias_issues(app, index, records, first_with_alias))
    issues.extend(_accelerated_recovery_issues(policy))
    issues.extend(account_issues(policy))
    return issues


def _alias_issues(
    app: Application, index: int, records: dict[str, str], first_with_alias: dict[str, str]
) -> list[Issue]:
    """A viewer alias is nobody's origin name, and one application's alone."""
    issues = []
    for position, alias in enumerate(app.cloudfront.aliases if app.cloudfront else []):
        owner = next(
            (
                name
                for record, name in records.items()
                if alias == record or alias.endswith("." + record)
            ),
            None,
        )
        if owner is not None:
            issues.append(
                Issue(
                    ("applications", index, "cloudfront", "aliases", position),
                    f"alias {alias} is the origin name of application "
                    f"{owner!r} or below it; viewers and origins need "
                    "different names",
                )
            )
        if alias in first_with_alias and first_with_alias[alias] != app.name:
            issues.append(
                Issue(
                    ("applications", index, "cloudfront", "aliases", position),
                    f"{alias} is already an alias of application {first_with_alias[alias]!r}",
                )
            )
        first_with_alias.setdefault(alias, app.name)
    return issues


def _accelerated_recovery_issues(policy: Policy) -> list[Issue]:
    """Under accelerated recovery, Route 53's control plane may answer from us-west-2 after
    its own failover, with only a limited set of API methods, all addressed by hosted zone
    id (Route 53 Developer Guide, "Enabling accelerated recovery for managing public DNS
    records", https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/accelerated-recovery.html,
    "Additional considerations"): a zone looked up by name (ListHostedZonesByName) could not
    be found at the moment it matters, so each zone needs its id in the policy."""
    if not policy.recovery.accelerated_recovery:
        return []
    return [
        Issue(
            ("applications", index, "zone_id"),
            f"recovery.accelerated_recovery needs `zone_id` for zone {app.zone}: during "
            "Route 53's control-plane failover only calls by zone id work, so a lookup "
            "by name would fail when it matters",
        )
        for index, app in enumerate(policy.applications)
        if not app.zone_id
    ]


def account_issues(policy: Policy) -> list[Issue]:
    """Every `account:` names an entry of `accounts:`: a misspelt name would otherwise send
    an application's writes with the base credentials, into another account."""
    known = set(policy.accounts)
    defined = ", ".join(sorted(known)) or "none"

    def unknown(path: tuple[str | int, ...], name: str | None) -> list[Issue]:
        if name is None or name in known:
            return []
        return [Issue(path, f"account {name!r} is not defined in `accounts:` ({defined})")]

    issues: list[Issue] = []
    zone_accounts: dict[str, str | None] = {}
    checks = policy.recovery.switches == "arc" or any(
        app.auto_failover for app in policy.applications
    )
    for index, app in enumerate(policy.applications):
        issues += unknown(("applications", index, "account"), app.account)
        # One zone, one account: its records, state record and batches are one zone's.
        first = zone_accounts.setdefault(app.zone, app.account)
        if first != app.account:
            issues.append(
                Issue(
                    ("applications", index, "account"),
                    f"zone {app.zone} is already in account {first or '(base credentials)'!r} "
                    "for another application; every application of a zone names the same "
                    "account",
                )
            )
        # geoproxy keeps its health checks (auto_failover's, the switches') in one account,
        # the zones': its simplification (Route 53 lets a record use another account's
        # health check through the API, Knowledge Center "route-53-cross-account-health-
        # checks"), which keeps finding, tagging and deleting them to one listing.
        first_account = policy.applications[0].account
        if checks and app.account != first_account:
            issues.append(
                Issue(
                    ("applications", index, "account"),
                    f"with auto_failover or `recovery.switches: arc`, every application is "
                    f"in one account (geoproxy keeps its health checks in the zones' one "
                    f"account); the first application's is "
                    f"{first_account or '(base credentials)'!r}",
                )
            )
        if app.cloudfront:
            issues += unknown(
                ("applications", index, "cloudfront", "account"), app.cloudfront.account
            )
    arc = policy.recovery.arc
    if arc is not None:
        issues += unknown(("recovery", "arc", "account"), arc.account)
        # The RECOVERY_CONTROL health checks live with the records (the zones' account) and
        # refer to geoproxy's routing controls, which are made in the account that asks ARC:
        # the same one. A cluster another account owns is shared to it through AWS RAM.
        zones = policy.applications[0].account
        if arc.account != zones and all(app.account == zones for app in policy.applications):
            issues.append(
                Issue(
                    ("recovery", "arc", "account"),
                    f"recovery.arc.account is {arc.account or '(base credentials)'!r} but the "
                    f"applications are in {zones or '(base credentials)'!r}: geoproxy's "
                    "routing controls and the health checks that follow them live in the "
                    "zones' account (share a cluster owned elsewhere to it through AWS RAM)",
                )
            )
    return issues
