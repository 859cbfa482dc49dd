"""`destroy`: read what geoproxy owns for some applications, plan its removal, and write it.

The plan is the usual one with nothing desired for those applications (`core.destroy`), so its
record deletions go through the same batches, guard and writer as `apply`'s. The order is the
safe one: any distribution that used the origin name is pointed at `--detach-origin` first (and
loses geoproxy's edge function), then the records are deleted, then the health checks, and last
the edge function, if no other distribution runs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from geoproxy.aws.execute import ApplyResult, SubmitCallback, WaitCallback
from geoproxy.aws.session import AwsSettings
from geoproxy.core.changeset import (
    ChangeSet,
    DistributionUpdate,
    HealthCheckToDelete,
    changeset_of,
)
from geoproxy.core.desired import in_zone
from geoproxy.core.destroy import (
    DestroyTarget,
    DetachRebase,
    OriginUse,
    destroy_app_plan,
    detach_config,
    function_users,
    is_origin_name,
    origin_uses,
)
from geoproxy.core.edge.fence import has_viewer_fence
from geoproxy.core.edge.plan import LiveFunction
from geoproxy.core.managed_fields import FieldChange
from geoproxy.core.names import function_name
from geoproxy.core.plan import Plan
from geoproxy.errors import Finding, GeoproxyError
from geoproxy.pipeline.apply import Write, write_changes
from geoproxy.pipeline.compiled import Compiled, scoped
from geoproxy.pipeline.destroy_switches import SwitchRemoval, switch_removal
from geoproxy.pipeline.reads import read_distributions, read_health_checks, read_live

DETACH_HINT = (
    "pass --detach-origin DOMAIN to point the distribution's origin at DOMAIN first (geoproxy "
    "never kept the distribution's config from before it took over)"
)


@dataclass(frozen=True)
class FunctionFate:
    """An application's edge function: deleted (with the ETag read) or kept for others."""

    app: str
    name: str
    etag: str | None  # the ETag to delete it with; None: kept
    kept_for: tuple[str, ...] = ()  # the distributions that still run it


@dataclass(frozen=True)
class Detach:
    """One distribution's update before the records go."""

    update: DistributionUpdate
    changes: tuple[FieldChange, ...]


@dataclass
class DestroyPlan:
    plan: Plan  # the record and health check deletions, under the mass-deletion guard
    targets: list[DestroyTarget]
    detach_origin: str | None = None
    in_use: list[OriginUse] = field(default_factory=list)
    detaches: list[Detach] = field(default_factory=list)
    functions: list[FunctionFate] = field(default_factory=list)
    switches: SwitchRemoval = field(default_factory=SwitchRemoval)

    @property
    def has_changes(self) -> bool:
        return bool(
            self.plan.has_changes
            or self.detaches
            or any(f.etag for f in self.functions)
            or not self.switches.empty
        )

    def changeset(self) -> ChangeSet:
        """The writes in their phases: the distributions first (there are no records before
        them: every deletion is in the phase after), then records, then health checks."""
        changes = changeset_of(self.plan)
        changes.distributions = [detach.update for detach in self.detaches]
        # The switches' checks once the pairs that use them are gone (INSYNC).
        changes.delete_health_checks += [
            HealthCheckToDelete(check.id) for check in self.switches.checks
        ]
        return changes


def compute_destroy(
    compiled: Compiled,
    aws: AwsSettings,
    *,
    app_names: tuple[str, ...] = (),
    detach_origin: str | None = None,
) -> DestroyPlan:
    """What destroying the applications (all, without `app_names`) removes, and what refuses
    it: a distribution that uses an origin name, unless `detach_origin`."""
    from geoproxy.aws.live import CloudFrontReader

    names = scoped(compiled, app_names)
    apps = [
        routing.app
        for routing in compiled.routing.applications
        if names is None or routing.app.name in names
    ]
    distributions = read_distributions(compiled, aws, names, missing_ok=True)
    read = read_live(compiled, aws, names, distributions=distributions.plans)
    checks = read_health_checks(compiled, aws, read.apps)
    reader = CloudFrontReader(aws)
    # Every distribution of the account: any may use the origin name, not only the
    # policy's (one listing a hundred distributions). With `accounts:`, of each account
    # that holds one of these applications' distributions.
    holders = dict.fromkeys(app.cloudfront.account for app in apps if app.cloudfront)
    summaries = [
        summary
        for account in holders or (None,)
        for summary in CloudFrontReader(aws.for_account(account)).summaries()
    ]
    targets = []
    for app in apps:
        live = read.apps[app.name]
        plan = distributions.plans.get(app.name)
        aliases = [
            *(app.cloudfront.aliases if app.cloudfront else ()),
            *(plan.live_aliases if plan else ()),
        ]
        targets.append(
            DestroyTarget(
                app.name,
                live.zone_id,
                live.zone_name,
                app.record,
                tuple(dict.fromkeys(a for a in aliases if in_zone(a, app.zone))),
                function_name(compiled.owner, app.name)
                if app.cloudfront and has_viewer_fence(app)
                else None,
                app.cloudfront.distribution_id if app.cloudfront else None,
            )
        )
    the_plan = Plan(
        [
            destroy_app_plan(target, compiled.owner, read.apps[target.name].records, checks)
            for target in targets
        ],
        warnings=list(compiled.warnings),
    )
    the_plan.warnings.extend(_viewer_warnings(the_plan, targets))
    the_plan.warnings.extend(
        f"{app}: CloudFront distribution {distribution_id} no longer exists: nothing to "
        "detach from it; its records go"
        for app, distribution_id in distributions.missing.items()
    )
    result = DestroyPlan(the_plan, targets, detach_origin)
    result.switches = switch_removal(compiled, aws, {t.name for t in targets})
    result.in_use = [use for t in targets for use in origin_uses(summaries, t.record_name)]
    if result.in_use and detach_origin is None:
        the_plan.problems.extend(
            Finding(
                f"{use.describe()}: destroying it would leave the distribution without an origin",
                app=_target_of(use, targets).name,
                code="origin_in_use",
                override="--detach-origin",
            )
            for use in result.in_use
        )
        return result
    _plan_distributions(result, summaries, distributions.plans, reader)
    _function_fates(result, summaries, distributions.functions)
    return result


def _viewer_warnings(the_plan: Plan, targets: list[DestroyTarget]) -> list[str]:
    """The viewer records go with the rest: the distribution keeps its aliases, and its
    viewers reach it by them again only through a record someone makes after."""
    warnings = []
    for app_plan, target in zip(the_plan.apps, targets, strict=True):
        viewers = sorted({c.name for c in app_plan.changes if c.name in target.viewer_names})
        if viewers:
            warnings.append(
                f"{target.name}: its viewer records ({', '.join(viewers)}) are deleted too; "
                "the distribution keeps these aliases, and viewers reach it by them again "
                "once you create records of your own for them"
            )
    return warnings


def _target_of(use: OriginUse, targets: list[DestroyTarget]) -> DestroyTarget:
    return next(t for t in targets if is_origin_name(use.domain_name, t.record_name))


def _plan_distributions(
    result: DestroyPlan,
    summaries: list[dict[str, Any]],
    read: dict[str, Any],
    reader: Any,
) -> None:
    """Which distributions to update (those using an origin name, and each application's own
    that runs its function) and which functions go."""
    records: dict[str, list[str]] = {}
    for use in result.in_use:
        target = _target_of(use, result.targets)
        records.setdefault(use.distribution_id, [])
        if target.record_name not in records[use.distribution_id]:
            records[use.distribution_id].append(target.record_name)
    functions: dict[str, list[str]] = {}
    for target in result.targets:
        if target.function is None:
            continue
        for distribution_id in function_users(summaries, target.function):
            # Off its own distribution, and off any being detached; another distribution
            # that runs it keeps it (and the function then stays).
            if distribution_id == target.distribution_id or distribution_id in records:
                functions.setdefault(distribution_id, []).append(target.function)
    configs = {plan.distribution_id: (plan.config, plan.etag) for plan in read.values()}
    for distribution_id in sorted(set(records) | set(functions)):
        if distribution_id not in configs:
            distribution, etag = reader.distribution(distribution_id)
            configs[distribution_id] = (distribution["DistributionConfig"], etag)
        config, etag = configs[distribution_id]
        new, changes = config, []
        for record_name in records.get(distribution_id, []):
            new, found = detach_config(new, record_name, result.detach_origin, None)
            changes += found
        for function in functions.get(distribution_id, []):
            new, found = detach_config(new, "", None, function)
            changes += found
        if not changes:
            continue
        result.detaches.append(
            Detach(
                DistributionUpdate(
                    "destroy",
                    distribution_id,
                    etag,
                    config,
                    new,
                    [change.path for change in changes],
                    DetachRebase(
                        tuple(records.get(distribution_id, [])),
                        result.detach_origin,
                        tuple(functions.get(distribution_id, [])),
                    ),
                ),
                tuple(changes),
            )
        )


def _function_fates(
    result: DestroyPlan, summaries: list[dict[str, Any]], functions: Mapping[str, LiveFunction]
) -> None:
    """Each fenced application's function goes, unless a distribution that is not being
    updated here still runs it."""
    for target in result.targets:
        if target.function is None:
            continue
        others = tuple(
            distribution_id
            for distribution_id in function_users(summaries, target.function)
            if not any(
                change.new is None and change.old == target.function
                for detach in result.detaches
                if detach.update.distribution_id == distribution_id
                for change in detach.changes
            )
        )
        if others:
            result.functions.append(FunctionFate(target.name, target.function, None, others))
            result.plan.warnings.append(
                f"{target.name}: edge function {target.function} is kept: CloudFront "
                f"distribution {', '.join(others)} still runs it, and it sends fenced viewers "
                "to direct PoP names that destroy deletes"
            )
            continue
        live = functions.get(target.name)  # read with the distribution: no request here
        if live is not None and live.development_etag is not None:
            result.functions.append(
                FunctionFate(target.name, target.function, live.development_etag)
            )


@dataclass
class DestroyResult:
    applied: ApplyResult
    functions_deleted: list[str] = field(default_factory=list)
    switches_deleted: list[str] = field(default_factory=list)  # "<kind> <name>"


def _delete_switches(
    destroy: DestroyPlan, aws: AwsSettings, write: Write, result: DestroyResult
) -> None:
    """ARC's rules, controls and panel that no application needs any more, in that order."""
    from geoproxy.aws.arc import ArcConfig
    from geoproxy.aws.audit import AuditLog

    writes = destroy.switches.writes()
    if not writes:
        return
    config = ArcConfig(aws)
    audit = AuditLog.open(write.audit_log)
    actions = {"rule": "DeleteSafetyRule", "control": "DeleteRoutingControl"}
    try:
        for kind, name, arn in writes:
            if config.delete(kind, arn):
                result.switches_deleted.append(f"{kind} {name}")
                if audit is not None:
                    audit.record(
                        command=write.command,
                        who=write.who,
                        service="route53-recovery-control-config",
                        action=actions.get(kind, "DeleteControlPanel"),
                        name=name,
                        arn=arn,
                    )
    finally:
        if audit is not None:
            audit.close()


def write_destroy(
    destroy: DestroyPlan,
    aws: AwsSettings,
    write: Write,
    *,
    on_submit: SubmitCallback | None = None,
    on_wait: WaitCallback | None = None,
) -> DestroyResult:
    """Distributions, records, health checks (the one writer, in its phases); then the
    edge functions no distribution runs any more."""
    from geoproxy.aws.audit import AuditLog
    from geoproxy.aws.edge.functions import delete

    changes = destroy.changeset()
    applied = (
        write_changes(changes, aws, write, on_submit=on_submit, on_wait=on_wait)
        if not changes.is_empty
        else ApplyResult()
    )
    result = DestroyResult(applied)
    _delete_switches(destroy, aws, write, result)
    for fate in destroy.functions:
        if fate.etag is None:
            continue
        try:
            deleted = delete(fate.name, fate.etag, aws)
        except GeoproxyError as error:
            done = " (the distributions, records and health checks are done)" * bool(
                not changes.is_empty
            )
            raise GeoproxyError(
                f"{error.message}{done}", hint="run the same `geoproxy destroy` again"
            ) from error
        if deleted:
            result.functions_deleted.append(fate.name)
            audit = AuditLog.open(write.audit_log)
            if audit is not None:
                audit.record(
                    command=write.command,
                    who=write.who,
                    service="cloudfront",
                    action="DeleteFunction",
                    function=fate.name,
                    app=fate.app,
                )
                audit.close()
    return result
