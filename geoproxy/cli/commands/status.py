"""Where traffic goes now: `status`, and `wait` for changes to reach INSYNC."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from geoproxy.aws.session import AwsSettings
from geoproxy.cli.lazy import LazyModule
from geoproxy.cli.options import (
    DEFAULT_TIMEOUT_S,
    MAX_TIMEOUT_S,
    Seconds,
    app_option,
    aws_options,
    chosen_latency_table,
    map_options,
    output_option,
    policy_option,
    reports_errors,
)
from geoproxy.core.accounts import routes_of
from geoproxy.errors import EXIT_OK

render = LazyModule("geoproxy.cli.render")
recovery_status = LazyModule("geoproxy.cli.recovery_status")
render_map = LazyModule("geoproxy.cli.maps.render")
views = LazyModule("geoproxy.cli.views")
map_panels = LazyModule("geoproxy.cli.maps.panels")
if TYPE_CHECKING:  # the real module, for its signatures; loaded only when a command runs
    from geoproxy.cli.commands import dr_switches
else:
    dr_switches = LazyModule("geoproxy.cli.commands.dr_switches")


@click.command()
@policy_option
@output_option
@aws_options
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when live matches the policy, 2 on drift, missing or foreign "
    "records (viewer records too), an invalid state record, orphans, an edge function or "
    "distribution that differs, a live breach or anything plan would refuse, or a partial "
    "failover; 4 when only complete, consistent failovers differ; 1 on error.",
)
@click.option(
    "--audit-log",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="GEOPROXY_AUDIT_LOG",
    help="Read who declared each failover from this audit log (default: "
    "GEOPROXY_AUDIT_LOG); the public state record does not say.",
)
@app_option
@map_options
@reports_errors
def status(
    policy_file: Path,
    output: str,
    aws: AwsSettings,
    detailed_exitcode: bool,
    audit_log: Path | None,
    app_names: tuple[str, ...],
    html_file: Path | None,
    svg_file: Path | None,
    overwrite: bool,
) -> int:
    """Where each source region's traffic goes now, and why it differs from the policy;
    --html/--svg also draw it on a world map."""
    from dataclasses import replace

    from geoproxy.aws.audit import AuditTrail, utc_now
    from geoproxy.cli.outputs import check_maps
    from geoproxy.core.names import state_name
    from geoproxy.core.status import status_exit_code
    from geoproxy.pipeline import compile_policy, compute_status

    maps = html_file is not None or svg_file is not None
    compiled = compile_policy(policy_file, latency_table=chosen_latency_table())
    aws.use_accounts(routes_of(compiled.loaded.policy))
    if maps:  # before reading Route 53: a typo in a path should cost no AWS call
        check_maps(
            compiled, html_file, svg_file, overwrite=overwrite, more=(("the audit log", audit_log),)
        )
    read_at = utc_now()
    recovery: list[Any] = []
    features: list[str] = []
    statuses, warnings, orphans = compute_status(compiled, aws, app_names, recovery, features)
    extra = recovery_status.status_extra(compiled, aws, audit_log, recovery)
    if compiled.loaded.policy.accounts:  # which account holds what, beside each application
        extra.accounts = {
            app.name: {
                "zone": app.account,
                "distribution": app.cloudfront.account if app.cloudfront else None,
            }
            for app in compiled.loaded.policy.applications
        }
    if features:  # each zone's guardrails and history, and what more would do: every time
        extra.document["zone_features"] = features
        extra.text = recovery_status.with_lines(extra.text, features)
    trail = AuditTrail.read(audit_log)
    for app_status in statuses:
        # Route 53's change history, where the zone has it, else the local audit log.
        state = state_name(app_status.record)
        app_status.failovers = [
            replace(f, by=f.by or trail.who(state, f.at) or "") for f in app_status.failovers
        ]
        if not app_status.who_source and (audit_log or trail.writes):
            app_status.who_source = "audit_log"
    switches = dr_switches.switch_status(compiled, aws, statuses)
    if switches is not None:
        warnings = [*warnings, *switches.findings]
    render.warnings(warnings)
    views.view_for(output).status(statuses, warnings, orphans, switches, extra)
    if maps:
        document = map_panels.status_document(compiled, statuses, policy_file, read_at)
        for line in render_map.write_maps(document, html_file, svg_file):
            render.stderr.print(line)
    return status_exit_code(statuses, orphans) if detailed_exitcode else EXIT_OK


@click.command()
@click.argument("change_ids", nargs=-1, required=True, metavar="CHANGE_ID...")
@output_option
@aws_options
@click.option(
    "--timeout",
    type=Seconds(MAX_TIMEOUT_S),
    default=DEFAULT_TIMEOUT_S,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for INSYNC.",
)
@reports_errors
def wait(change_ids: tuple[str, ...], output: str, aws: AwsSettings, timeout: float) -> int:
    """Wait until Route 53 reports the changes INSYNC (the ids apply and failover print,
    e.g. after --no-wait or an interrupted run); several ids for a split apply."""
    from geoproxy.pipeline.apply import wait_for_changes

    view = views.view_for(output)
    with view.progress() as on_wait:
        batches, seconds = wait_for_changes(change_ids, aws, timeout, on_wait)
    view.waited(batches, seconds)
    return EXIT_OK
