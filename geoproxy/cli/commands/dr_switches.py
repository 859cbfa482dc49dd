"""`failover`/`failback --via switches` and `apply SWITCHPLAN`: the data-plane path (issue
25). The CLI asks and renders; the pipeline (pipeline/switch_dr.py) reads and flips."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoproxy.aws.session import AwsSettings
from geoproxy.errors import EXIT_OK, AwsError, GeoproxyError, RefusedError
from geoproxy.pipeline.compiled import Compiled

if TYPE_CHECKING:
    from geoproxy.cli.views import View

VIA = ("switches", "records")


def chosen_via(compiled: Compiled, via: str | None) -> str:
    """`--via`, default `switches` when the policy has them, else `records`."""
    if via is None:
        return "switches" if compiled.loaded.policy.recovery.switches == "arc" else "records"
    return via


def records_command(
    command: str, policy_file: Path, region: str, to: str | None, apps: tuple[str, ...]
) -> str:
    """The same move through the records (needs the Route 53 control plane)."""
    words = ["geoproxy", command, "-f", str(policy_file), "--from", region, "--via", "records"]
    if to:
        words += ["--to", to]
    for app in apps:
        words += ["--app", app]
    return shlex.join([*words, "--yes"])


@contextmanager
def needs_control_plane(command: str, compiled: Compiled) -> Iterator[None]:
    """The records path reads and writes Route 53 records: when its API does not answer,
    say that this path needs the Route 53 control plane (in us-east-1), and what does not."""
    try:
        yield
    except AwsError as error:
        if not error.unavailable:
            raise
        switched = compiled.loaded.policy.recovery.switches == "arc"
        raise AwsError(
            f"{command} through the records needs the Route 53 control plane, which did not "
            f"answer: {error.message}",
            hint="the policy's switches need none: drop --via records"
            if switched
            else "prepare data-plane switches in calm weather (`recovery: {switches: arc}` "
            "and `geoproxy apply`), or enable accelerated recovery",
            unavailable=True,
        ) from None


@dataclass(frozen=True)
class Move:
    """What the command asked: a failover (Off) or failback (On) of one region's switch."""

    command: str
    policy_file: Path
    region: str
    to: str | None
    apps: tuple[str, ...]
    state: str


def switch_move_command(
    compiled: Compiled,
    aws: AwsSettings,
    asked: Move,
    *,
    yes: bool,
    dry_run: bool,
    out_file: Path | None,
    overwrite: bool,
    reason: str,
    audit_log: Path | None,
    view: View,
    override_compliance: str | None = None,
) -> int:
    command, region, to, apps, state = (
        asked.command,
        asked.region,
        asked.to,
        asked.apps,
        asked.state,
    )
    policy_file = asked.policy_file
    if override_compliance is not None:
        raise GeoproxyError(
            "--override-compliance does not apply to the switches: they only send "
            "traffic to the prepared, compliance-checked partners",
            hint="to go elsewhere, use --via records",
        )
    from geoproxy.aws.arc import NoEndpointAnswered
    from geoproxy.cli.flow import confirm
    from geoproxy.pipeline.switch_dr import audit_switch_move, run_switch_move, switch_document

    fallback = records_command(command, policy_file, region, to, apps)
    run = _planned(compiled, aws, asked, fallback)
    lines = _describe(run, command)
    view.said(lines)
    if not run.changes:
        view.nothing_to_do(
            switch_document(run, command=command, dry_run=dry_run),
            f"Nothing to do: the switch of {region} is already {state}.",
        )
        return EXIT_OK
    if dry_run:
        if out_file is not None:
            _save(run, compiled, asked, lines, out_file, overwrite=overwrite, aws=aws)
            view.saved(out_file)
        view.dry_run(switch_document(run, command=command, dry_run=True))
        return EXIT_OK
    if not view.interactive and not yes:
        raise RefusedError(
            f"refusing to {command} without --yes: with --output json there is no plan on "
            "screen to confirm",
            hint="pass --yes, or drop --output json to review and confirm",
        )
    confirm(yes, "Flip this switch?", command)
    try:
        run_switch_move(run, aws)
    except NoEndpointAnswered as error:
        raise _no_endpoint(error, fallback) from None
    audit_switch_move(run, aws, command=command, reason=reason, audit_log=audit_log)
    assert run.answered is not None
    skipped = ", ".join(f"{r} ({why})" for r, why in run.not_answering)
    view.said(
        [
            f"{run.control.name} is {state}: the {run.answered.region} cluster endpoint "
            f"answered ({run.answered.url})"
            + (f"; not answering: {skipped}" if skipped else "")
            + ". No control-plane call was made."
        ]
    )
    view.finished(switch_document(run, command=command, dry_run=False))
    return EXIT_OK


def _planned(compiled: Compiled, aws: AwsSettings, asked: Move, fallback: str) -> Any:
    """The switch move, or an error that also says how to do it through the records."""
    from geoproxy.aws.arc import NoEndpointAnswered
    from geoproxy.pipeline.switch_dr import plan_switch_move

    try:
        return plan_switch_move(
            compiled, aws, asked.region, to=asked.to, apps=asked.apps, state=asked.state
        )
    except NoEndpointAnswered as error:
        raise _no_endpoint(error, fallback) from None
    except AwsError:
        raise
    except GeoproxyError as error:
        raise GeoproxyError(
            error.message,
            hint=((error.hint + "; ") if error.hint else "") + f"through the records: {fallback}",
        ) from None


def _save(
    run: Any,
    compiled: Compiled,
    asked: Move,
    lines: list[str],
    out_file: Path,
    *,
    overwrite: bool,
    aws: AwsSettings,
) -> None:
    """A saved switch plan: applied later with no read of any control plane."""
    from geoproxy.aws.planfile.switches import save_switch_plan

    save_switch_plan(
        out_file,
        command=asked.command,
        policy_file=str(compiled.loaded.file),
        region=asked.region,
        state=asked.state,
        controls=[(run.control.name, run.control.arn)],
        endpoints=run.endpoints,
        applications=run.move.apps,
        partners=dict(run.move.partners),
        text=lines,
        overwrite=overwrite,
        # The ARC account (recovery.arc.account): `apply` reads no policy to find it.
        account=aws.routes.accounts.get(aws.routes.arc) if aws.routes.arc else None,
    )


def _describe(run: Any, command: str) -> list[str]:
    move = run.move
    lines = [
        f"{command} through the data plane: routing control {run.control.name} "
        f"{run.control.state or '?'} -> {move.state}",
        f"  shared by: {', '.join(move.apps)}",
    ]
    if move.state == "Off":
        lines += [
            f"  {app}: {move.region} -> {partner} (its failover pair's SECONDARY)"
            for app, partner in sorted(move.partners.items())
        ]
        lines.append(
            "  Route 53 answers a pair whose SECONDARY is unhealthy too with its PRIMARY: if "
            "a partner is down as well, its traffic comes back here"
        )
    return lines


def _no_endpoint(error: AwsError, fallback: str) -> AwsError:
    failed = AwsError(
        f"{error.message}; nothing was changed. Move the traffic through the records "
        f"instead (needs the Route 53 control plane):\n  {fallback}",
        hint="the cluster's endpoints are in recovery.arc.endpoints; AWS keeps at least three "
        "of the five available",
    )
    return failed


def apply_switch_plan_command(
    saved: Any, aws: AwsSettings, *, yes: bool, view: View, audit_log: Path | None
) -> int:
    """`apply SWITCHPLAN`: its one data-plane write, nothing read first."""
    from geoproxy.aws.arc import NoEndpointAnswered
    from geoproxy.cli.flow import confirm
    from geoproxy.pipeline.switch_dr import apply_switch_plan, audit_flip

    if saved.routes is not None:
        aws.use_accounts(saved.routes)  # its ARC account, from the plan
    view.saved_plan(saved.path, saved)
    if not view.interactive and not yes:
        raise RefusedError(
            "refusing to apply without --yes: with --output json there is no plan on screen "
            "to confirm",
            hint="pass --yes, or drop --output json to review and confirm",
        )
    confirm(yes, "Flip this switch?", "apply")
    try:
        answered = apply_switch_plan(saved, aws)
    except NoEndpointAnswered as error:
        fallback = records_command(
            saved.command, Path(saved.policy_file), saved.region, None, saved.applications
        )
        raise _no_endpoint(error, fallback) from None
    audit_flip(
        aws,
        answered,
        command=saved.command,
        reason="",
        audit_log=audit_log,
        controls=list(saved.controls),
        state=saved.state,
        region=saved.region,
        apps=saved.applications,
        plan_file=saved.path,
    )
    view.said(
        [
            f"{', '.join(name for name, _ in saved.controls)} is {saved.state}: the "
            f"{answered.region} cluster endpoint answered. No control-plane call was made."
        ]
    )
    view.finished(
        {
            "plan_file": str(saved.path),
            "via": "switches",
            "applied": True,
            "state": saved.state,
            "routing_controls": [name for name, _ in saved.controls],
            "endpoint": answered.region,
            "endpoints_failed": [{"region": r, "why": w} for r, w in answered.failed],
        }
    )
    return EXIT_OK


def switch_status(compiled: Compiled, aws: AwsSettings, statuses: list[Any]) -> Any:
    from geoproxy.pipeline.switch_dr import switch_status as read

    return read(compiled, aws, statuses)
