"""The steps the writing commands share: show the plan, refuse what is unsafe, confirm,
write, report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from geoproxy.aws.session import AwsSettings
from geoproxy.cli import render
from geoproxy.errors import EXIT_OK, ConflictError, GeoproxyError, Interrupted, RefusedError


def show_plan(the_plan: Any, output: str) -> None:
    render.warnings(the_plan.warnings)
    if output != "json":
        render.plan_text(the_plan)


def refuse_if_unsafe(the_plan: Any, document: dict[str, Any]) -> None:
    """Conflicts and broken safety rules stop here; JSON output still carries the plan."""
    from geoproxy.core.plan import check, refuse_conflicts

    if the_plan.conflicts:
        error: GeoproxyError = ConflictError(
            "records geoproxy does not own are in the way:\n  "
            + "\n  ".join(refuse_conflicts(the_plan)),
            hint="remove them, or run the same command with --adopt to replace them in the "
                 "same atomic batch",
        )
    elif problems := check(the_plan):
        error = RefusedError("refusing to write:\n  " + "\n  ".join(problems))
        if any("compliance rule" in problem for problem in problems):
            error.hint = ('choose a compliant PoP, or pass --override-compliance "REASON" '
                          "to record why the rule may be broken")
    else:
        return
    error.output = document
    raise error


def confirm(yes: bool, question: str, what: str) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise RefusedError(f"refusing to {what} without confirmation: no terminal to ask on",
                           hint="pass --yes to run non-interactively")
    try:
        confirmed = click.confirm(question, default=False, err=True)
    except click.exceptions.Abort:
        confirmed = False
    if not confirmed:
        raise RefusedError(f"{what} cancelled; nothing was written")


def write_plan(the_plan: Any, aws: AwsSettings, document: dict[str, Any], *, command: str,
           output: str, yes: bool, no_wait: bool, audit_log: Path | None, timeout: float,
           who: str | None = None, reason: str = "", wait_deployed: bool = False) -> int:
    """The write path every command shares: confirm, audit, apply, wait, report."""
    from geoproxy.aws.audit import AuditLog
    from geoproxy.aws.execute import apply_plan
    from geoproxy.aws.session import caller_identity

    confirm(yes, "Apply these changes?", command)
    audit = AuditLog.open(audit_log)

    def log_write(write: dict[str, Any]) -> None:
        if audit is not None:
            audit.record(command=command, who=who, reason=reason or None, **write)

    if audit is not None and who is None:
        caller = caller_identity(aws)
        who = caller.arn or caller.label
    accepted: list[Any] = []

    def on_submit(batch: Any) -> None:
        accepted.append(batch)
        render.submitted(batch)

    try:
        with render.wait_progress(enabled=output != "json") as on_wait:
            result = apply_plan(the_plan, aws, wait=not no_wait, on_wait=on_wait,
                                comment=f"geoproxy {command}", timeout_s=timeout,
                                on_write=log_write, on_submit=on_submit,
                                wait_deployed=wait_deployed)
    except KeyboardInterrupt:
        raise _interrupted(accepted) from None
    finally:
        if audit is not None:
            audit.close()
    if output == "json":
        document.update(applied=True, **render.apply_result_json(result))
        render.emit_json(document)
    else:
        render.apply_result_text(result)
    return EXIT_OK



def finish_overlay_change(the_plan: Any, aws: AwsSettings, document: dict[str, Any], *,
                           output: str, dry_run: bool, nothing: str, **write: Any) -> int:
    if output != "json" and the_plan.has_changes:
        render.plan_text(the_plan)
    if not the_plan.has_changes:
        if output == "json":
            render.emit_json(document)
        else:
            render.stdout.print(f"Nothing to do: {nothing}.")
        return EXIT_OK
    if dry_run:
        if output == "json":
            render.emit_json(document)
        else:
            render.stdout.print("Dry run: nothing was written.")
        return EXIT_OK
    return write_plan(the_plan, aws, document, output=output, **write)




def _interrupted(accepted: list[Any]) -> Interrupted:
    if not accepted:
        return Interrupted("interrupted before Route 53 accepted any change batch",
                           hint="run `geoproxy plan` to see what, if anything, is left to do")
    changes = ", ".join(f"{b.change_id or '(id lost)'} (zone {b.zone_id})" for b in accepted)
    return Interrupted(f"interrupted after Route 53 accepted change(s) {changes}: they will "
                       "complete on their own (a batch is atomic)",
                       hint="check with `geoproxy status` or `geoproxy plan`; a later phase "
                            "(CloudFront, health-check clean-up) is completed by running the "
                            "same command again")
