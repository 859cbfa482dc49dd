"""`plan` and `apply`: the diff that makes Route 53 and CloudFront match the policy, and the
checks made before any write.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any

from geoproxy.aws.session import AwsSettings
from geoproxy.core.cloudfront import DistributionPlan
from geoproxy.core.desired import DesiredApp, in_zone
from geoproxy.core.diff import calculate_app, prune_plan
from geoproxy.core.edge.plan import FunctionPlan, LiveFunction
from geoproxy.core.failover import Failover
from geoproxy.core.guardrails import drain_lines, plan_for_guardrails
from geoproxy.core.live import LiveApp
from geoproxy.core.names import state_name
from geoproxy.core.plan import Plan
from geoproxy.core.routing import AppRouting
from geoproxy.errors import Finding, GeoproxyError, findings
from geoproxy.pipeline.apps import AppRun, each_app
from geoproxy.pipeline.compiled import Authority, Compiled, scoped
from geoproxy.pipeline.reads import (
    _unsearched,
    orphan_warnings,
    orphans_in,
    read_distributions,
    read_health_checks,
    read_live,
    read_other_zones,
)
from geoproxy.pipeline.recovery import recovery_of
from geoproxy.pipeline.switches import switch_plan


def compute_plan(
    compiled: Compiled,
    aws: AwsSettings,
    *,
    adopt: bool = False,
    prune: bool = False,
    all_zones: bool = False,
    app_names: tuple[str, ...] = (),
    force: bool = False,
    override_compliance: str | None = None,
    who: Callable[[str, Failover], str | None] | None = None,
) -> Plan:
    """The diff that makes Route 53 and CloudFront match the policy, keeping failovers.
    Orphans are listed (on unscoped runs); with `prune`, the plan deletes them too;
    `all_zones` searches every public zone of the account for them, not only the policy's.

    A state record that cannot be believed (pipeline.state) refuses the plan, unless
    `force`: then it is ignored and rewritten. A failover that breaks a compliance rule is
    kept only with `override_compliance` given to this run (DNS is not an authority);
    `who(state name, failover)` names who declared it, from the audit log, where known."""
    names = scoped(compiled, app_names)
    if names is not None and prune:
        raise GeoproxyError(
            "--prune looks at every application's records: it cannot be scoped with --app",
            hint="run it without --app",
        )
    if names is not None and all_zones:
        raise GeoproxyError(
            "--all-zones searches every zone for orphans: it cannot be scoped with --app",
            hint="run it without --app",
        )
    read_cloudfront = read_distributions(compiled, aws, names)
    distributions, functions = read_cloudfront.plans, read_cloudfront.functions
    read = read_live(
        compiled, aws, names, distributions=distributions, force_whole=prune or all_zones
    )
    live, zones = read.apps, read.zones
    if all_zones:
        holders = dict.fromkeys(app.account for app in compiled.loaded.policy.applications)
        zones = {**zones, **read_other_zones(aws, zones, holders)}
    checks = read_health_checks(compiled, aws, live, zones)
    switches = switch_plan(compiled, aws)
    nonce = secrets.token_hex(6)  # this run's health checks get CallerReferences never used
    plan = Plan([], warnings=list(compiled.warnings), pruning=prune, switches=switches)
    desired: list[DesiredApp] = []

    def authority(routing: AppRouting) -> Authority:
        state = state_name(routing.app.record)
        return Authority(
            run_override=override_compliance,
            who=(lambda failover: who(state, failover)) if who else None,
        )

    for run in each_app(
        compiled,
        live,
        checks,
        names,
        nonce=nonce,
        distributions=distributions,
        switches=switches,
        authority=authority,
    ):
        desired.append(run.resolved.desired)
        _plan_app(plan, run, distributions.get(run.name), functions, adopt=adopt, force=force)
    plan.recovery = recovery_of(compiled, read)  # from the zone lookups: no request
    plan.orphans = orphans_in(compiled, zones, desired, checks)
    plan.warnings.extend(orphan_warnings(compiled, plan.orphans, prune))
    plan.warnings.extend(_unsearched(read.partial))
    if prune:
        plan.apps.extend(prune_plan(orphan) for orphan in plan.orphans)
    # The zones' guardrails, from the lookups already made (no request): what waits.
    plan.zone_features = dict(read.zone_features)
    plan_for_guardrails(plan, read.zone_features)
    plan.warnings.extend(drain_lines(plan))
    _check_distributions(plan, distributions, aws)
    _check_delegations(plan, live, aws, zones)
    _check_country_header(plan, aws)
    return plan


def _plan_app(
    plan: Plan,
    run: AppRun,
    distribution: DistributionPlan | None,
    functions: Mapping[str, LiveFunction],
    *,
    adopt: bool,
    force: bool,
) -> None:
    """One application's part of the plan: its records, health checks, distribution and
    edge function, and what refuses or qualifies them."""
    app, resolved = run.routing.app, run.resolved
    if force:
        plan.warnings.extend(
            f"{finding}; --force: this write rewrites it from what can be believed"
            for finding in run.believed.invalid
        )
    else:
        plan.problems.extend(run.believed.invalid)
    app_plan = calculate_app(resolved.desired, run.live, adopt=adopt)
    app_plan.health_checks = run.health
    app_plan.distribution = distribution
    if resolved.function is not None and app.name in functions:
        app_plan.function = FunctionPlan(app.name, resolved.function, functions[app.name])
    if distribution is not None:
        plan.problems.extend(findings(app.name, "distribution", distribution.problems))
        plan.warnings.extend(distribution.warnings)
    plan.apps.append(app_plan)
    plan.warnings.extend(resolved.warnings)
    plan.problems.extend(resolved.problems)
    if app.cloudfront:
        plan.warnings.extend(
            f"{app.name}: alias {alias} is not in zone {app.zone}; geoproxy makes no DNS "
            "record for it"
            for alias in app.cloudfront.aliases
            if not in_zone(alias, app.zone)
        )


def _check_distributions(
    plan: Plan, distributions: dict[str, DistributionPlan], aws: AwsSettings
) -> None:
    """Aliases a distribution would add must be free (CNAMEAlreadyExists), and its viewer
    names must be ready for it (certificate, DNS)."""
    clashes = (
        _alias_clashes(distributions, aws)
        if any(d.aliases_added for d in distributions.values())
        else {}
    )
    plan.problems.extend(
        Finding(message, app=app, code="viewer_alias") for (app, _), message in clashes.items()
    )
    _check_viewers(
        plan,
        [
            (
                d.app,
                d.distribution_id,
                d.new_config,
                [a for a in d.aliases_added if (d.app, a) not in clashes],
            )
            for d in distributions.values()
            if d.changes
        ],
        aws,
    )


def _check_country_header(plan: Plan, aws: AwsSettings) -> None:
    """Before an edge function is published or associated: CloudFront-Viewer-Country must
    reach it on every fenced behaviour, or the fence would silently let everyone through; and
    every fenced behaviour must forward Host as cloudfront.host_header says, or fenced
    requests would reach the PoP with another Host than unfenced ones."""
    from geoproxy.core.edge.behaviours import fenced_behaviours

    writing = [
        app_plan
        for app_plan in plan.apps
        if app_plan.function is not None
        and app_plan.distribution is not None
        and app_plan.distribution.application is not None
        and (app_plan.function.has_changes or app_plan.distribution.changes)
    ]
    if not writing:
        return
    from geoproxy.aws.edge.preflight import CountryHeaderCheck

    checks: dict[str | None, CountryHeaderCheck] = {}  # one per account: policies are its
    for app_plan in writing:
        distribution = app_plan.distribution
        assert distribution is not None and distribution.application is not None
        account = aws.for_distribution(distribution.distribution_id)
        check = checks.setdefault(account.account_name, CountryHeaderCheck(account))
        config = distribution.new_config or distribution.config
        app = distribution.application
        fenced = fenced_behaviours(config, app)
        plan.problems.extend(
            findings(
                app_plan.name,
                "edge_preflight",
                check.problems(app_plan.name, distribution.distribution_id, fenced),
            )
        )
        assert app.cloudfront is not None
        plan.problems.extend(
            findings(
                app_plan.name,
                "edge_preflight",
                check.host_problems(
                    app_plan.name,
                    distribution.distribution_id,
                    fenced,
                    app.cloudfront.host_header,
                    app.record,
                ),
            )
        )


def _check_viewers(
    plan: Plan, updates: list[tuple[str, str, dict[str, Any], list[str]]], aws: AwsSettings
) -> None:
    """For each distribution the plan updates: (app, id, new config, aliases being added)."""
    from geoproxy.aws.preflight import ViewerCheck

    for app, distribution_id, new_config, adding in updates:
        # The certificate and the aliases are the distribution's account's.
        check = ViewerCheck(aws.for_distribution(distribution_id))
        problems, warnings = check.findings(app, distribution_id, new_config, adding)
        plan.problems.extend(findings(app, "viewer_alias", problems))
        plan.warnings.extend(warnings)


def _check_delegations(
    plan: Plan, live: Mapping[str, LiveApp], aws: AwsSettings, read_whole: Mapping[str, LiveApp]
) -> None:
    """Only for applications whose plan writes records: a no-op plan pays nothing."""
    from geoproxy.aws.preflight import DelegationCheck

    check = DelegationCheck(aws, read_whole)
    for app_plan in plan.apps:
        if not app_plan.changes or app_plan.name not in live:
            continue  # an orphan's plan only deletes: where it is delegated does not matter
        at_record = {
            r.record_type for r in live[app_plan.name].records if r.name == app_plan.record_name
        }
        problems, warnings = check.findings(app_plan.address, at_record)
        plan.problems.extend(findings(app_plan.name, "delegation", problems))
        plan.warnings.extend(warnings)


def _alias_clashes(
    distributions: Mapping[str, DistributionPlan], aws: AwsSettings
) -> dict[tuple[str, str], str]:
    """(app, alias) -> why CloudFront would refuse it: another distribution of this account
    carries it (named in full; ListConflictingAliases, for other accounts, masks ids). Read
    only when aliases are being added, so a no-op plan does not list the account."""
    from geoproxy.aws.live import CloudFrontReader

    # Listed once per account that holds a distribution adding aliases: "this account" is
    # the distribution's (accounts:, issue 26).
    listed: dict[str | None, dict[str, str]] = {}

    def owners(distribution_id: str) -> dict[str, str]:
        account = aws.for_distribution(distribution_id)
        if account.account_name not in listed:
            listed[account.account_name] = CloudFrontReader(account).alias_owners()
        return listed[account.account_name]

    return {
        (plan.app, alias): f"{plan.app}: alias {alias} is already used by CloudFront "
        f"distribution {owners(plan.distribution_id)[alias]}"
        for plan in distributions.values()
        if plan.aliases_added
        for alias in plan.aliases_added
        if alias in owners(plan.distribution_id)
        and owners(plan.distribution_id)[alias] != plan.distribution_id
    }
