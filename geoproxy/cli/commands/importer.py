"""`import`: write the policy that reproduces a hand-made latency record set. Reads only."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import click

from geoproxy.aws.session import AwsSettings
from geoproxy.cli.lazy import LazyModule
from geoproxy.cli.options import (
    aws_options,
    chosen_latency_table,
    latency_table_option,
    output_option,
    reports_errors,
)
from geoproxy.errors import EXIT_IMPORT_FINDINGS, EXIT_OK, GeoproxyError, printable

render = LazyModule("geoproxy.cli.render")


def _check_out(out: Path | None, overwrite: bool, table: Path | None) -> None:
    """Before any AWS call: a policy is yours once written, so --out never replaces an
    existing file (an earlier import's included) without --overwrite, nor the latency
    table this run reads, even with it."""
    if out is None:
        return
    from geoproxy.cli.outputs import check_outputs

    if os.path.lexists(out) and not overwrite:
        raise GeoproxyError(
            f"--out {out} exists; not overwriting it",
            hint="choose another file, or pass --overwrite to replace it",
        )
    check_outputs(
        [("--out", out, lambda _: False)], [("the latency table", table)], overwrite=overwrite
    )


@click.command("import")
@click.option("--zone", required=True, metavar="ZONE", help="The public hosted zone's name.")
@click.option(
    "--zone-id",
    default=None,
    metavar="ID",
    help="The hosted zone's id, when several public zones have its name; the policy "
    "then names it (`zone_id:`).",
)
@click.option(
    "--record",
    required=True,
    metavar="NAME",
    help="The latency-routed name to import (the zone itself or a name inside it).",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the policy to this file (never over an existing one without "
    "--overwrite); default: print it on stdout.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Let --out replace an existing file (a policy is yours once written, so "
    "without it import never replaces one, not even an earlier import).",
)
@click.option(
    "--name",
    "app_name",
    default=None,
    metavar="APP",
    help="The application's name in the policy (default: the record's first label).",
)
@click.option(
    "--owner",
    default=None,
    metavar="OWNER",
    help="The policy's `owner:`, marked on the records `apply --adopt` takes over "
    "(default: the owner already marked on them if they are geoproxy's, else `default`).",
)
@latency_table_option
@output_option
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when import has findings (something the policy cannot say, or that "
    "`apply --adopt` rewrites), 0 when none, 1 on error.",
)
@aws_options
@reports_errors
def import_(
    zone: str,
    zone_id: str | None,
    record: str,
    out_file: Path | None,
    overwrite: bool,
    app_name: str | None,
    owner: str | None,
    output: str,
    detailed_exitcode: bool,
    aws: AwsSettings,
) -> int:
    """Write the policy that reproduces an existing latency record set (and the failover
    pairs behind it), for `apply --adopt` to take over without moving a route.

    PoPs come from load balancer alias targets; `force` only where the live map differs
    from geoproxy's choice (by --latency-table FILE when given, which the policy then
    names). What the policy cannot say is listed (stderr, or the JSON).
    """
    from geoproxy.core.importer import APP_NAME, default_name
    from geoproxy.pipeline.importer import (
        check_names,
        check_zone_id,
        import_record,
        load_import_table,
        write_policy_file,
    )
    from geoproxy.policy.models import OWNER_PATTERN

    zone_name, record_name = check_names(zone, record)
    zone_id = check_zone_id(zone_id)
    name = app_name or default_name(record_name, zone_name)
    if not re.match(APP_NAME, name):
        raise GeoproxyError(
            f"--name {printable(name)!r} is not an application name: up to 64 letters, "
            "digits, `_`, `.` and `-`, starting with a letter or digit"
        )
    if owner is not None and not re.match(OWNER_PATTERN, owner):
        raise GeoproxyError(
            f"--owner {printable(owner)!r} is not an owner: up to 63 lower-case letters, "
            "digits, `.`, `_` and `-`"
        )
    table_file = chosen_latency_table()
    _check_out(out_file, overwrite, table_file)
    # Read and checked before any AWS call: a bad table is one message, nothing read.
    table = load_import_table(table_file, out_file) if table_file is not None else None
    result = import_record(
        aws,
        zone=zone_name,
        record=record_name,
        name=name,
        zone_id=zone_id,
        owner=owner,
        table=table,
    )
    imported = result.imported
    if out_file is not None:
        from geoproxy.cli.commands.schema import write_schema_beside

        write_policy_file(out_file, result.text, overwrite=overwrite)
        # Where the policy's first line points editors, as init writes it.
        write_schema_beside(out_file, quiet_stdout=True)
    if output == "json":
        document: dict[str, object] = {
            "zone": result.zone,
            "zone_id": result.zone_id,
            "record": result.record,
            "application": imported.app.name,
            "owner": result.owner,
            "latency_table": table.path if table is not None else None,
            "routes": imported.live,
            "force": dict(imported.app.force),
            "findings": [{"code": f.code, "message": str(f)} for f in imported.findings],
        }
        document["out" if out_file is not None else "policy"] = (
            str(out_file) if out_file is not None else result.text
        )
        render.emit_json(document)
    else:
        if out_file is None:
            sys.stdout.write(result.text)
            sys.stdout.flush()
        for finding in imported.findings:
            render.stderr.print(f"Finding: {printable(str(finding))}")
        app = imported.app
        summary = (
            f"{len(imported.live)} source region(s), {len(app.pops)} PoP(s), "
            f"{len(app.force)} forced, {len(imported.findings)} finding(s)"
        )
        where = f"Wrote {out_file}: " if out_file is not None else "Imported: "
        render.stderr.print(where + summary + ".")
    return EXIT_IMPORT_FINDINGS if detailed_exitcode and imported.findings else EXIT_OK
