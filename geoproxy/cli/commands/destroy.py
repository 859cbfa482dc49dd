"""`destroy`: remove everything geoproxy owns for some applications."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from geoproxy.aws.session import AwsSettings
from geoproxy.cli.lazy import LazyModule
from geoproxy.cli.options import (
    app_option,
    aws_options,
    chosen_latency_table,
    output_option,
    overwrite_option,
    policy_option,
    reports_errors,
    write_options,
)
from geoproxy.core.accounts import routes_of
from geoproxy.errors import EXIT_CHANGES, EXIT_OK, GeoproxyError, RefusedError

render = LazyModule("geoproxy.cli.render")
render_plan = LazyModule("geoproxy.cli.render_plan")
views = LazyModule("geoproxy.cli.views")
if TYPE_CHECKING:
    from geoproxy.cli import flow
    from geoproxy.pipeline.destroy import DestroyPlan
else:
    flow = LazyModule("geoproxy.cli.flow")


@click.command()
@policy_option
@output_option
@aws_options
@write_options
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show what would be removed, and write nothing.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="With --dry-run: exit 0 when there is nothing to destroy, 2 when there is.",
)
@click.option(
    "--detach-origin",
    metavar="DOMAIN",
    default=None,
    help="Point every CloudFront origin that uses the application's origin name at DOMAIN "
    "first (other origin settings kept); without it, such a distribution refuses destroy.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Destroy even past the mass-deletion guard (more than 30% of an application's "
    "routing records, from 10 up; a destroy deletes them all).",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="PLANFILE",
    help="With --dry-run: save the record and health check deletions as a plan that "
    "`geoproxy apply PLANFILE` applies exactly (not when a distribution or an edge "
    "function must change too).",
)
@overwrite_option
@app_option(orphans=False)
@reports_errors
def destroy(
    policy_file: Path,
    output: str,
    aws: AwsSettings,
    yes: bool,
    no_wait: bool,
    audit_log: Path | None,
    timeout: float,
    dry_run: bool,
    detailed_exitcode: bool,
    detach_origin: str | None,
    force: bool,
    out_file: Path | None,
    overwrite: bool,
    app_names: tuple[str, ...],
) -> int:
    """Remove everything geoproxy owns for the applications (all without --app): their
    records, state record, health checks, the edge function's association (and the function,
    if no other distribution runs it). Records geoproxy does not own are never touched.

    Asks for the application's name to be typed, unless --yes.
    """
    from geoproxy.cli.outputs import check_plan_out
    from geoproxy.core.safety import mass_deletions
    from geoproxy.pipeline import compile_policy
    from geoproxy.pipeline.destroy import DETACH_HINT, compute_destroy

    if detailed_exitcode and not dry_run:
        raise GeoproxyError("--detailed-exitcode goes with --dry-run")
    if out_file is not None and not dry_run:
        raise GeoproxyError(
            "--out saves a plan to apply later: use it with --dry-run",
            hint="geoproxy destroy ... --dry-run --out PLANFILE, then geoproxy apply PLANFILE",
        )
    domain = _domain(detach_origin)
    compiled = compile_policy(policy_file, latency_table=chosen_latency_table())
    aws.use_accounts(routes_of(compiled.loaded.policy))  # each zone and distribution's
    check_plan_out(compiled, out_file, overwrite=overwrite)  # before reading AWS
    planned = compute_destroy(compiled, aws, app_names=app_names, detach_origin=domain)
    view = views.view_for(output)
    guarded = mass_deletions(planned.plan)
    if not force:
        planned.plan.warnings.extend(f"{m.describe()}; destroy needs --force" for m in guarded)
    document = _document(planned)  # with the guard's warnings
    if planned.plan.has_changes:
        flow.show_plan(planned.plan, view)
    else:  # "No changes. Live records match the policy." would say the wrong thing here
        render.warnings(planned.plan.warnings)
    if view.interactive:
        _show_extras(planned)
    flow.refuse_if_unsafe(planned.plan, document, also_hint=DETACH_HINT)
    if not planned.has_changes:
        view.nothing_to_do(document, "Nothing to destroy: geoproxy owns nothing of them.")
        return EXIT_OK
    if dry_run:
        if out_file is not None:
            _save(
                planned,
                out_file,
                document,
                compiled=compiled,
                view=view,
                overwrite=overwrite,
                routes=aws.routes,
            )
        view.dry_run(document)
        return EXIT_CHANGES if detailed_exitcode else EXIT_OK
    if not force:
        flow.refuse_mass_deletion(guarded, document)
    _confirm(view, yes, [target.name for target in planned.targets], document)
    return _write(
        planned, aws, document, view=view, no_wait=no_wait, audit_log=audit_log, timeout=timeout
    )


def _save(
    planned: DestroyPlan,
    out_file: Path,
    document: dict[str, Any],
    *,
    compiled: Any,
    view: Any,
    overwrite: bool,
    routes: Any = None,
) -> None:
    """A saved plan holds record and health check changes; a distribution moved or a
    function deleted are not in it, so such a destroy is not saved rather than half-saved."""
    if (
        planned.detaches
        or any(fate.etag for fate in planned.functions)
        or planned.switches.writes()
    ):
        raise GeoproxyError(
            "this destroy also changes CloudFront (a distribution's origin or association, "
            "or an edge function) or ARC, which a saved plan does not hold; nothing was saved",
            hint="run `geoproxy destroy` itself (with --detach-origin where needed)",
        )
    flow.save(
        out_file,
        planned.plan,
        document["plan"],
        command="destroy",
        policy=compiled.loaded,
        view=view,
        overwrite=overwrite,
        routes=routes,
    )
    document["plan_file"] = str(out_file)


def _domain(value: str | None) -> str | None:
    """--detach-origin's DOMAIN: a DNS name CloudFront can use as an origin."""
    import re

    if value is None:
        return None
    domain = value.strip().lower().rstrip(".")
    label = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
    if not re.fullmatch(rf"{label}(\.{label})+", domain) or len(domain) > 253:
        raise GeoproxyError(
            f"--detach-origin {value!r} is not a domain name",
            hint="give the name the distribution's origin should use instead, such as "
            "legacy.example.net",
        )
    return domain


def _confirm(view: Any, yes: bool, names: list[str], document: dict[str, Any]) -> None:
    """The application's name typed at the prompt: a destroy is not undone by a `y`."""
    if yes:
        return
    if not view.interactive:
        raise RefusedError(
            "refusing to destroy without --yes: with --output json there is no plan on "
            "screen to confirm",
            hint="pass --yes, or drop --output json to review and confirm",
            output=document,
        )
    if not sys.stdin.isatty():
        raise RefusedError(
            "refusing to destroy without confirmation: no terminal to ask on",
            hint="pass --yes to run non-interactively",
        )
    expected = " ".join(names)
    what = "the application's name" if len(names) == 1 else "the applications' names"
    try:
        typed = click.prompt(
            f"Type {what} ({expected}) to destroy", default="", show_default=False, err=True
        )
    except click.exceptions.Abort as abort:
        if isinstance(abort.__context__, KeyboardInterrupt):
            raise KeyboardInterrupt from None
        typed = ""  # end of input: no confirmation
    if " ".join(str(typed).split()) != expected:
        raise RefusedError(f"destroy cancelled: {expected!r} was not typed; nothing was written")


def _write(
    planned: DestroyPlan,
    aws: AwsSettings,
    document: dict[str, Any],
    *,
    view: Any,
    no_wait: bool,
    audit_log: Path | None,
    timeout: float,
) -> int:
    from geoproxy.pipeline.apply import Write
    from geoproxy.pipeline.destroy import write_destroy

    write = Write("destroy", wait=not no_wait, timeout=timeout, audit_log=audit_log)
    accepted: list[Any] = []

    def on_submit(batch: Any) -> None:
        accepted.append(batch)
        render.submitted(batch)

    try:
        with view.progress() as on_wait:
            result = write_destroy(planned, aws, write, on_submit=on_submit, on_wait=on_wait)
    except KeyboardInterrupt:
        # Which batches Route 53 took, as apply says it; a re-run finishes the rest.
        raise flow._interrupted(accepted) from None
    document["functions_deleted"] = result.functions_deleted
    document["switches_deleted"] = result.switches_deleted
    view.applied(document, result.applied)
    if view.interactive:
        for name in result.functions_deleted:
            render.stdout.print(f"Deleted CloudFront function {name}.")
        for what in result.switches_deleted:
            render.stdout.print(f"Deleted ARC {what}.", markup=False)
    return EXIT_OK


def _document(planned: DestroyPlan) -> dict[str, Any]:
    return {
        "plan": render_plan.plan_json(planned.plan),
        "applications": [target.name for target in planned.targets],
        "detach_origin": planned.detach_origin,
        "origins_in_use": [
            {
                "distribution_id": use.distribution_id,
                "origin_id": use.origin_id,
                "domain_name": use.domain_name,
            }
            for use in planned.in_use
        ],
        "distributions": [
            {
                "distribution_id": detach.update.distribution_id,
                "etag": detach.update.etag,
                "changes": [
                    {"field": change.path, "before": change.old, "after": change.new}
                    for change in detach.changes
                ],
            }
            for detach in planned.detaches
        ],
        "functions": [
            {
                "app": fate.app,
                "name": fate.name,
                "action": "delete" if fate.etag else "keep",
                "used_by": list(fate.kept_for),
            }
            for fate in planned.functions
        ],
        "switches": [
            {"kind": kind, "name": name, "arn": arn}
            for kind, name, arn in planned.switches.writes()
        ],
        "switch_health_checks": [check.id for check in planned.switches.checks],
        "applied": False,
    }


def _show_extras(planned: DestroyPlan) -> None:
    """What the record plan does not show: the distributions first, the functions last."""
    from rich.text import Text

    for detach in planned.detaches:
        for change in detach.changes:
            after = "(removed)" if change.new is None else change.new
            render.stdout.print(
                Text(
                    f"~ cloudfront {detach.update.distribution_id} {change.path}: "
                    f"{change.old} -> {after}"
                )
            )
    for fate in planned.functions:
        if fate.etag:
            render.stdout.print(Text(f"- cloudfront function {fate.name}"))
    for check in planned.switches.checks:
        render.stdout.print(Text(f"- route53 health check {check.id} (a switch's)"))
    for kind, name, _ in planned.switches.writes():
        render.stdout.print(Text(f"- arc {kind} {name}"))
