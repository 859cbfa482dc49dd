"""The steps the writing commands share: show the plan, refuse what is unsafe, confirm,
write, report."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.text import Text

from geoproxy.cli import render, render_plan
from geoproxy.errors import (
    EXIT_OK,
    OVERRIDE_COMPLIANCE,
    ConflictError,
    GeoproxyError,
    Interrupted,
    RefusedError,
    StalePlanError,
    StateChangedError,
)

if TYPE_CHECKING:
    from geoproxy.aws.session import AwsSettings
    from geoproxy.cli.views import View
    from geoproxy.core.accounts import AccountRoutes
    from geoproxy.core.changeset import ChangeSet
    from geoproxy.core.plan import Plan
    from geoproxy.core.recovery import ZoneRecovery
    from geoproxy.policy.loader import LoadedPolicy


def show_plan(the_plan: Any, view: View) -> None:
    render.warnings(the_plan.warnings)
    view.plan(the_plan)


def refuse_if_unsafe(
    the_plan: Any, document: dict[str, Any], *, also_hint: str | None = None
) -> None:
    """Conflicts and broken safety rules stop here; JSON output still carries the plan.
    `also_hint` is a second way out the caller knows of, added to the hint."""
    from geoproxy.core.safety import check, refuse_conflicts

    if the_plan.conflicts:
        raise ConflictError(
            "records geoproxy does not own are in the way:\n  "
            + "\n  ".join(refuse_conflicts(the_plan)),
            hint="remove them, or run the same command with --adopt to replace them in the "
            "same atomic batch",
            output=document,
        )
    if problems := check(the_plan):
        overridable = any(problem.override == OVERRIDE_COMPLIANCE for problem in problems)
        hints = (
            [
                'choose a compliant PoP, or pass --override-compliance "REASON" '
                "to record why the rule may be broken"
            ]
            if overridable
            else []
        )
        raise RefusedError(
            "refusing to write:\n  " + "\n  ".join(problems),
            hint="; ".join(hints + ([also_hint] if also_hint else [])) or None,
            output=document,
        )


def confirm(yes: bool, question: str, what: str) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise RefusedError(
            f"refusing to {what} without confirmation: no terminal to ask on",
            hint="pass --yes to run non-interactively",
        )
    try:
        confirmed = click.confirm(question, default=False, err=True)
    except click.exceptions.Abort as abort:
        if isinstance(abort.__context__, KeyboardInterrupt):
            raise KeyboardInterrupt from None  # Ctrl-C at the prompt: 130, as anywhere
        confirmed = False  # end of input (Ctrl-D): a "no"
    if not confirmed:
        raise RefusedError(f"{what} cancelled; nothing was written")


def prepare_switches(
    the_plan: Plan,
    aws: AwsSettings,
    document: dict[str, Any],
    *,
    view: View,
    yes: bool,
    audit_log: Path | None,
    replan: Callable[[], Plan],
    compiled: Any = None,
) -> tuple[Plan, dict[str, Any]]:
    """Confirm once, prepare the switches in ARC and Route 53, and plan the records again
    (now gated by real health check ids): the plan and its document."""
    from geoproxy.pipeline.switches import prepare

    assert the_plan.switches is not None
    if not view.interactive and not yes:
        raise RefusedError(
            "refusing to apply without --yes: with --output json there is no plan on "
            "screen to confirm",
            hint="pass --yes, or drop --output json to review and confirm",
            output=document,
        )
    confirm(yes, "Apply these changes?", "apply")
    prepared = prepare(the_plan.switches, aws, audit_log, compiled)
    for action, name in prepared.writes:
        render.stderr.print(Text(f"switches: {action} {name}"))
    if prepared.endpoint:
        render.stderr.print(
            Text(f"switches: new routing controls set On through the {prepared.endpoint} endpoint")
        )
    again = replan()
    new_document = {
        **document,
        "plan": render_plan.plan_json(again),
        "switches_prepared": [{"action": a, "name": n} for a, n in prepared.writes],
    }
    return again, new_document


def confirm_on_screen(view: View, yes: bool, command: str, document: dict[str, Any]) -> None:
    """A confirmation is never asked without the plan in front of the person, and JSON
    output shows none: it is for scripts, which say --yes."""
    if not view.interactive and not yes:
        raise RefusedError(
            f"refusing to {command} without --yes: with --output json "
            "there is no plan on screen to confirm",
            hint="pass --yes, or drop --output json to review and confirm",
            output=document,
        )
    confirm(yes, "Apply these changes?", command)


def _applications(document: dict[str, Any]) -> list[Any]:
    """The plan's applications: a saved plan's document is the plan; a command's output
    carries it under "plan"."""
    plan = document.get("plan") if isinstance(document.get("plan"), dict) else document
    found = plan.get("applications") if isinstance(plan, dict) else None
    return found if isinstance(found, list) else []


def write_plan(
    changes: ChangeSet,
    aws: AwsSettings,
    document: dict[str, Any],
    *,
    command: str,
    view: View,
    yes: bool,
    no_wait: bool,
    audit_log: Path | None,
    timeout: float,
    who: str | None = None,
    reason: str = "",
    override_compliance: str | None = None,
    wait_deployed: bool = False,
    plan_file: Path | None = None,
    replan: Any = None,
) -> int:
    """The write path every command shares: confirm, then the pipeline writes; report.

    `replan()`, when given, is called once if Route 53 rejects a batch because the state
    changed underneath (StateChangedError): it re-reads, shows and checks the new plan
    (refusing what is unsafe, as the first time) and returns (changes, document), or None
    when nothing is left to do; the new plan is confirmed again (or --yes)."""
    from geoproxy.core.saved_plan_checks import plan_apps
    from geoproxy.pipeline.apply import Write, write_changes

    confirm_on_screen(view, yes, command, document)
    accepted: list[Any] = []

    def on_submit(batch: Any) -> None:
        accepted.append(batch)
        render.submitted(batch)

    write = Write(
        command,
        wait=not no_wait,
        timeout=timeout,
        wait_deployed=wait_deployed,
        audit_log=audit_log,
        who=who,
        reason=reason,
        override_compliance=override_compliance,
        plan_file=plan_file,
        apps=tuple((app.name, app.record) for app in plan_apps(_applications(document))),
    )
    try:
        with view.progress() as on_wait:
            result = write_changes(changes, aws, write, on_submit=on_submit, on_wait=on_wait)
    except KeyboardInterrupt:
        raise _interrupted(accepted) from None
    except StateChangedError as changed:
        from geoproxy.cli.replan import after_state_changed

        again = after_state_changed(changed, document, plan_file, replan, aws)
        if again is None:
            view.nothing_to_do(document, "Nothing to do: what is live now needs no change.")
            return EXIT_OK
        return write_plan(
            *again,
            command=command,
            view=view,
            yes=yes,
            no_wait=no_wait,
            audit_log=audit_log,
            timeout=timeout,
            who=who,
            reason=reason,
            override_compliance=override_compliance,
            wait_deployed=wait_deployed,
        )
    view.applied(document, result)
    return EXIT_OK


def finish_overlay_change(
    the_plan: Plan,
    aws: AwsSettings,
    document: dict[str, Any],
    *,
    view: View,
    dry_run: bool,
    nothing: str,
    out_file: Path | None,
    policy: LoadedPolicy,
    declared_at: str | None = None,
    overwrite: bool = False,
    **write: Any,
) -> int:
    from geoproxy.core.changeset import changeset_of

    if out_file is not None and not dry_run:
        raise GeoproxyError(
            "--out saves a plan to apply later: use it with --dry-run",
            hint=f"geoproxy {write['command']} ... --dry-run --out PLANFILE, "
            "then geoproxy apply PLANFILE",
        )
    if the_plan.has_changes:
        view.plan(the_plan)
    else:
        view.nothing_to_do(document, f"Nothing to do: {nothing}.")
        return EXIT_OK
    if dry_run:
        if out_file is not None:
            save(
                out_file,
                the_plan,
                document["plan"],
                command=write["command"],
                policy=policy,
                declared_at=declared_at,
                view=view,
                overwrite=overwrite,
                routes=aws.routes,
            )
        view.dry_run(document)
        return EXIT_OK
    return write_plan(changeset_of(the_plan), aws, document, view=view, **write)


def save(
    out_file: Path,
    the_plan: Plan,
    plan_document: dict[str, Any],
    *,
    command: str,
    policy: LoadedPolicy,
    view: View,
    declared_at: str | None = None,
    overwrite: bool = False,
    routes: AccountRoutes | None = None,
) -> None:
    """Write a saved plan that `geoproxy apply PLANFILE` applies exactly; `routes` says
    which account each write is in (accounts:)."""
    from geoproxy.pipeline.apply import save_plan_file

    save_plan_file(
        out_file,
        the_plan,
        plan_document,
        render_plan.plan_lines(the_plan),
        command=command,
        policy=policy,
        declared_at=declared_at,
        overwrite=overwrite,
        routes=routes,
    )
    view.saved(out_file)


def _interrupted(accepted: list[Any]) -> Interrupted:
    if not accepted:
        return Interrupted(
            "interrupted before Route 53 accepted any change batch",
            hint="run `geoproxy plan` to see what, if anything, is left to do",
        )
    changes = ", ".join(f"{b.change_id or '(id lost)'} (zone {b.zone_id})" for b in accepted)
    ids = " ".join(str(b.change_id) for b in accepted if b.change_id)
    wait = f"`geoproxy wait {ids}` waits for them; " if ids else ""
    return Interrupted(
        f"interrupted after Route 53 accepted change(s) {changes}: they will "
        "complete on their own (a batch is atomic)",
        hint=f"{wait}check with `geoproxy status` or `geoproxy plan`; a later "
        "phase (CloudFront, health-check clean-up) is completed by running "
        "the same command again",
    )


def refuse_mass_deletion(guarded: list[Any], document: dict[str, Any]) -> None:
    """The mass-deletion guard: refused with the counts, unless --force."""
    if guarded:
        raise RefusedError(
            "refusing to delete most of an application's records; nothing was written:\n  "
            + "\n  ".join(m.describe() for m in guarded),
            hint="if that is what you want, run the same command with --force",
            output=document,
        )


def apply_saved(
    path: Path,
    aws: AwsSettings,
    *,
    view: View,
    yes: bool,
    no_wait: bool,
    audit_log: Path | None,
    timeout: float,
    wait_deployed: bool,
    force: bool = False,
    verify_key: Path | None = None,
) -> int:
    """`apply PLANFILE`: exactly the saved writes, if what they expect is still live."""
    from geoproxy.cli.replan import saved_override
    from geoproxy.pipeline.apply import check_saved_plan, saved_mass_deletions

    saved, document = show_saved(path, view=view, verify_key=verify_key)
    check, changes = check_saved_plan(saved, aws)
    if check.stale:
        raise StalePlanError(
            f"the saved plan {path} is stale: what it expects is no longer live, so nothing "
            "was written:\n  "
            + "\n  ".join(
                f"{moved.what}: the plan expects {moved.expected}, live is {moved.live}"
                for moved in check.stale
            ),
            hint="make a new plan from what is live now: `geoproxy plan --out PLANFILE`",
            output=document,
        )
    if not force:
        # Counted from the changes and what is live: the file's `mass_deletions` is prose.
        refuse_mass_deletion(saved_mass_deletions(saved, check), document)
    render.warnings(check.warnings)
    if check.problems:
        raise RefusedError(
            "refusing to write the saved plan:\n  " + "\n  ".join(check.problems),
            output=document,
        )
    for step in check.applied:
        render.stderr.print(f"Already applied (an earlier run of this plan): {step}.")
    if check.pending.is_empty:
        view.already_applied(document, check.applied)
        return EXIT_OK
    return write_plan(
        changes,
        aws,
        document,
        command=saved.command,
        view=view,
        yes=yes,
        no_wait=no_wait,
        audit_log=audit_log,
        timeout=timeout,
        wait_deployed=wait_deployed,
        plan_file=path,
        override_compliance=saved_override(saved.document),
    )


def show_saved(path: Path, *, view: View, verify_key: Path | None) -> tuple[Any, dict[str, Any]]:
    """Load a saved plan, show its writes (rendered from its change set, never from the
    text stored beside it), and refuse it if the file itself is wrong: edited prose, a
    record or distribution it may not write, a missing or bad signature."""
    from geoproxy.aws.planfile.file import PlanFileError
    from geoproxy.pipeline.apply import load_saved_plan, verify_saved_plan

    saved = load_saved_plan(path)
    document: dict[str, Any] = {"plan_file": str(path), "plan": saved.document, "applied": False}
    view.saved_plan(path, saved)
    refusals = verify_saved_plan(saved, verify_key)
    if refusals:
        error = PlanFileError(
            f"refusing the saved plan {path}: it does not apply as reviewed, so nothing "
            "was written:\n  " + "\n  ".join(refusals),
            hint="make a new plan with `geoproxy plan --out PLANFILE` and review it",
        )
        error.output = {
            **document,
            "refusals": [
                {"code": finding.code, "app": finding.app, "message": str(finding)}
                for finding in refusals
            ],
        }
        raise error
    return saved, document


def enable_recovery(
    zones: list[ZoneRecovery],
    aws: AwsSettings,
    document: dict[str, Any],
    *,
    view: Any,
    yes: bool,
    timeout: float,
) -> None:
    """Confirm (the plan on screen says which zones), then enable accelerated recovery zone
    by zone, with progress on stderr; the zones' statuses go into `document`."""
    from geoproxy.cli.render_recovery import recovery_json
    from geoproxy.pipeline.recovery import enable_zones

    if not view.interactive and not yes:
        raise RefusedError(
            "refusing to apply without --yes: with --output json there is no plan on "
            "screen to confirm",
            hint="pass --yes, or drop --output json to review and confirm",
            output=document,
        )
    confirm(yes, "Apply these changes?", "apply")

    def progress(zone: str, status: str, seconds: float) -> None:
        if view.interactive and not render.QUIET:
            render.stderr.print(f"accelerated recovery on {zone}: {status} ({seconds:.0f}s)")

    after = enable_zones(aws, zones, timeout_s=timeout, on_progress=progress)
    document["accelerated_recovery"] = recovery_json(after)
    failed = [zone for zone in after if not zone.enabled]
    if failed:
        render.warnings(
            [
                f"accelerated recovery on {zone.zone} ({zone.zone_id}) ended {zone.status}; "
                "`geoproxy apply` asks again"
                for zone in failed
            ]
        )
