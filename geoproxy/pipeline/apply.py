"""The write flows: what `apply`, `apply PLANFILE`, `failover`, `failback` and `wait` do once
the CLI has shown the plan and had it confirmed.

The CLI asks and renders; this module writes (through `aws.execute`, the one writer), keeps the
audit log, saves and checks plan files, and returns result objects for the views to render.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoproxy.aws.audit import AuditLog, utc_now
from geoproxy.aws.execute import (
    DEFAULT_WAIT_TIMEOUT_S,
    ApplyResult,
    SubmitCallback,
    WaitCallback,
    run,
    wait_insync,
)
from geoproxy.aws.planfile.check import SavedCheck, check_saved
from geoproxy.aws.planfile.file import SavedPlan, load_plan, save_plan
from geoproxy.aws.planfile.signature import signature_findings
from geoproxy.aws.protections import list_protections
from geoproxy.aws.session import AwsSettings, caller_identity
from geoproxy.aws.submit import SubmittedBatch
from geoproxy.core.accounts import AccountRoutes
from geoproxy.core.changeset import ChangeSet, changeset_of
from geoproxy.core.guardrails import protected_findings
from geoproxy.core.plan import Plan
from geoproxy.core.safety import MassDeletion, mass_deletions
from geoproxy.core.saved_plan_checks import (
    distribution_findings,
    is_owned,
    keyed_changes,
    mass_deletions_of,
    plan_apps,
    prose_findings,
    record_findings,
    review_lines,
)
from geoproxy.core.saved_plan_rules import stamp_failovers
from geoproxy.errors import AwsError, Finding, RefusedError
from geoproxy.policy.loader import LoadedPolicy

__all__ = [
    "ApplyResult",
    "SubmittedBatch",
    "WaitCallback",
    "Write",
    "check_saved_plan",
    "load_saved_plan",
    "save_plan_file",
    "saved_mass_deletions",
    "verify_saved_plan",
    "wait_for_changes",
    "write_changes",
]


@dataclass(frozen=True)
class Write:
    """How one confirmed write runs, and what its audit lines say."""

    command: str  # apply, failover or failback: the batches' comment and the audit log's
    wait: bool = True
    timeout: float = DEFAULT_WAIT_TIMEOUT_S
    wait_deployed: bool = False
    audit_log: Path | None = None
    who: str | None = None  # the caller, when known already (else asked of STS for the log)
    reason: str = ""
    override_compliance: str | None = None
    plan_file: Path | None = None
    # (name, record name) of the plan's applications: each batch's comment names those it
    # writes, so Route 53's change history says who last wrote each (core/history.py).
    apps: tuple[tuple[str, str], ...] = ()


def write_changes(
    changes: ChangeSet,
    aws: AwsSettings,
    write: Write,
    *,
    on_submit: SubmitCallback | None = None,
    on_wait: WaitCallback | None = None,
) -> ApplyResult:
    """Write the changes in their phases, one audit line per accepted write. First, for
    `apply`, one listing of each zone's record set protections: a write that would touch a
    protected name and type is refused before anything is written. `failover` and `failback`
    keep their three requests (the DR path: lookup, list, change) and explain a protection
    only if Route 53 rejects the batch for one (aws.submit)."""
    if write.command == "apply":
        refuse_protected(changes, aws)
    audit = AuditLog.open(write.audit_log)
    who = write.who
    if audit is not None and who is None:
        caller = caller_identity(aws)
        who = caller.arn or caller.label
    saved = {"plan_file": str(write.plan_file)} if write.plan_file is not None else {}

    def log_write(entry: dict[str, Any]) -> None:
        if audit is not None:
            # Two fields: a failover with both --reason and --override-compliance keeps both
            # (the state record that also holds them is deleted by failback).
            audit.record(
                command=write.command,
                who=who,
                reason=write.reason or None,
                override_compliance=write.override_compliance or None,
                **saved,
                **entry,
            )

    try:
        return run(
            changes,
            aws,
            wait=write.wait,
            on_wait=on_wait,
            comment=f"geoproxy {write.command}",
            timeout_s=write.timeout,
            on_write=log_write,
            on_submit=on_submit,
            wait_deployed=write.wait_deployed,
            apps=write.apps,
        )
    finally:
        if audit is not None:
            audit.close()


def refuse_protected(changes: ChangeSet, aws: AwsSettings) -> None:
    """RefusedError naming each protection the changes touch (ListResourceRecordSetProtections
    once per zone written)."""
    zones = list(dict.fromkeys(zone_id for zone_id, _ in changes.batches))
    protections = {}
    for zone_id in zones:
        try:
            protections[zone_id] = list_protections(aws, zone_id)
        except AwsError as error:
            # The control plane is down and accelerated recovery serves only "a limited set
            # of API methods" (accelerated-recovery.html): the write goes on, and a
            # protection's rejection is still explained (aws.submit).
            if not error.unavailable:
                raise
    refused = protected_findings(changes.batches, protections)
    if refused:
        raise RefusedError(
            "refused: nothing was written.\n  " + "\n  ".join(refused),
            hint="a record set protection is someone's decision that the name must not change; "
            "geoproxy never removes one",
        )


def save_plan_file(
    out_file: Path,
    the_plan: Plan,
    plan_document: dict[str, Any],
    text: list[str],
    *,
    command: str,
    policy: LoadedPolicy,
    declared_at: str | None = None,
    overwrite: bool = False,
    routes: AccountRoutes | None = None,
) -> None:
    """A saved plan that `geoproxy apply PLANFILE` applies exactly. Its text is rendered from
    its changes (so that the file's prose can be checked against them: `text`, the plan as
    `plan` printed it, is for the screen only)."""
    del text
    guarded = mass_deletions(the_plan) if command == "apply" else []
    changes = changeset_of(the_plan)
    save_plan(
        out_file,
        command=command,
        plan_document=plan_document,
        changes=changes,
        text=review_lines(changes),
        owner=policy.policy.owner,
        # Only a plan made with --adopt replaces records geoproxy does not own: without it,
        # such a plan has conflicts and is never saved.
        adopt=any(c.action == "update" and not is_owned(c.deleted) for c in keyed_changes(changes)),
        policy_file=policy.file,
        policy_sha256=policy.sha256,
        failover_declared_at=declared_at,
        overwrite=overwrite,
        mass_deletions=[{"app": m.app, "deleting": m.deleting, "of": m.of} for m in guarded],
        routes=routes,
    )


def load_saved_plan(path: Path) -> SavedPlan:
    return load_plan(path)


def verify_saved_plan(saved: SavedPlan, verify_key: Path | None) -> list[Finding]:
    """Offline: what in the file itself refuses it. Its changes against its own
    applications, summary and text; its signature, when a verifying key is configured."""
    apps = plan_apps(saved.document.get("applications") or [])
    found = signature_findings(saved, verify_key)
    found += record_findings(saved.changes, apps, owner=saved.owner, adopt=saved.adopt)
    found += distribution_findings(saved.changes, apps)
    found += prose_findings(
        saved.changes,
        saved.document.get("summary"),
        saved.text if saved.format_version >= 2 else None,
    )
    return found


def saved_mass_deletions(saved: SavedPlan, check: SavedCheck) -> list[MassDeletion]:
    """The mass-deletion guard, counted from the plan's changes and what is live (the
    file's own `mass_deletions` is prose, and an edited `[]` must not switch it off)."""
    apps = plan_apps(saved.document.get("applications") or [])
    return mass_deletions_of(saved.changes, apps, check.live)


def check_saved_plan(saved: SavedPlan, aws: AwsSettings) -> tuple[SavedCheck, ChangeSet]:
    """What of a saved plan is applied, still to do or stale, and the writes left to make
    (failovers declared in it stamped with this apply's time). Its calls go to the
    accounts the plan names (it reads no policy)."""
    if saved.routes is not None:
        aws.use_accounts(saved.routes)
    # The delegation pre-flight belongs to `plan`/`apply`, as when the plan was made.
    check = check_saved(
        saved.changes, aws, saved.document.get("applications") if saved.command == "apply" else None
    )
    return check, stamp_failovers(check.pending, saved.failover_declared_at, utc_now())


def wait_for_changes(
    change_ids: tuple[str, ...], aws: AwsSettings, timeout: float, on_wait: WaitCallback | None
) -> tuple[list[SubmittedBatch], float]:
    """Wait until Route 53 reports each change INSYNC: the batches and the seconds it took."""
    batches = [SubmittedBatch("", change_id.split("/")[-1], 0) for change_id in change_ids]
    started = time.monotonic()
    wait_insync(batches, aws, started, timeout, on_wait)
    return batches, time.monotonic() - started
