"""`geoproxy import`: read a hand-made latency record set, infer the policy that reproduces
it (core/importer.py), check that policy with the loader and the router every command
uses, and write it.

Reads only: the zone lookup, one listing from the record's name (its subtree holds
geoproxy-style pairs), and one listing per hand-made failover pair elsewhere in the zone.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from geoproxy import __version__
from geoproxy.aws.live import Route53Reader
from geoproxy.aws.session import AwsSettings
from geoproxy.core.import_targets import pair_names_to_read
from geoproxy.core.importer import Imported, infer_application
from geoproxy.core.importer_yaml import policy_yaml
from geoproxy.core.routing import route_policy
from geoproxy.errors import GeoproxyError
from geoproxy.policy.catalog import Catalog
from geoproxy.policy.latency import LatencyTable, load_table, shipped_table
from geoproxy.policy.loader import LoadedPolicy, parse_yaml, validate_policy
from geoproxy.policy.models import DEFAULT_OWNER, Pop, normalize_dns_name


@dataclass(frozen=True)
class ImportResult:
    """The imported policy's text (validated), what it reproduces, and the findings."""

    text: str
    imported: Imported
    zone_id: str
    zone: str
    record: str
    owner: str = DEFAULT_OWNER


@dataclass(frozen=True)
class ImportTable:
    """A --latency-table the import judges `nearest` by, and the path the policy names it
    by: relative to the policy file, as `latency_table:` is read."""

    table: LatencyTable
    path: str


def load_import_table(file: Path, out: Path | None, catalog: Catalog | None = None) -> ImportTable:
    """The table, checked as `plan --latency-table` checks it. The policy's path is relative
    to --out's directory, or, printed on stdout, to the current one (where
    `import ... > routing.yaml` puts it); an absolute path stays absolute."""
    catalog = catalog or Catalog.load()
    table = load_table(file, set(catalog.latency_regions) | set(catalog.regions))
    if file.is_absolute():
        path = str(file)
    else:
        base = out.parent if out is not None else Path(".")
        path = Path(os.path.relpath(os.path.abspath(file), os.path.abspath(base))).as_posix()
    return ImportTable(table, path)


def check_names(zone: str, record: str) -> tuple[str, str]:
    """--zone and --record as geoproxy compares names; refused before any AWS call."""
    try:
        zone_name, record_name = normalize_dns_name(zone), normalize_dns_name(record)
    except ValueError as error:
        raise GeoproxyError(str(error)) from None
    if record_name != zone_name and not record_name.endswith("." + zone_name):
        raise GeoproxyError(
            f"--record {record_name} is not in --zone {zone_name}",
            hint="the record must be the zone itself or a name inside it",
        )
    return zone_name, record_name


def check_zone_id(zone_id: str | None) -> str | None:
    """--zone-id in the policy's own shape (`Pop._zone_id_shape`): a `/hostedzone/`
    prefix goes."""
    if zone_id is None:
        return None
    try:
        return Pop._zone_id_shape(zone_id)
    except ValueError as error:
        raise GeoproxyError(f"--zone-id: {error}") from None


def import_record(
    aws: AwsSettings,
    *,
    zone: str,
    record: str,
    name: str,
    zone_id: str | None = None,
    owner: str | None = None,
    catalog: Catalog | None = None,
    table: ImportTable | None = None,
) -> ImportResult:
    """The policy of the latency set at `record`. The zone is looked up as the policy
    will look it up: by `zone_id` when given (which the policy then names), else by name.
    The owner: `owner`, else the one marked on the records if they are geoproxy's.
    `nearest` is judged by `table` when given (the policy then names it), else the
    shipped table."""
    catalog = catalog or Catalog.load()
    latency = table.table if table is not None else shipped_table()
    reader = Route53Reader(aws)
    given_id = zone_id
    zone_id, zone_name = reader.zone(zone, given_id)
    records = list(reader.subtree(zone_id, record))
    for pair in pair_names_to_read(records, record, zone_id):
        records.extend(reader.subtree(zone_id, pair, below=False))
    imported = infer_application(
        name=name,
        zone=zone_name,
        zone_id=zone_id,
        record_name=record,
        records=records,
        catalog=catalog,
        table=latency,
        keep_zone_id=given_id is not None,
    )
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    header = [
        f"Imported by geoproxy {__version__} from {record} (zone {zone_name}) at {stamp}.",
        "Review it, then: geoproxy plan --adopt, and geoproxy apply --adopt.",
    ]
    owner = owner or imported.owner or DEFAULT_OWNER
    text = policy_yaml(
        imported.app,
        owner=owner,
        header=header,
        nearest=imported.nearest,
        latency_table=table.path if table is not None else None,
    )
    _check_reproduces(text, imported, catalog, latency)
    return ImportResult(text, imported, zone_id, zone_name, record, owner)


def _check_reproduces(text: str, imported: Imported, catalog: Catalog, table: LatencyTable) -> None:
    """The text is a policy the loader accepts, and routing it (by the table it names)
    gives the live map: what every later command will read, checked before anything is
    written."""
    file = "the imported policy"
    data, source = parse_yaml(text, file)
    policy = validate_policy(data, file, source, catalog)
    loaded = LoadedPolicy(file, policy, source, hashlib.sha256(text.encode()).hexdigest())
    routing = route_policy(loaded, catalog, table).applications[0]
    routed = {route.source_region: route.pop for route in routing.routes}
    if routed != imported.live:
        moved = sorted(
            s for s in set(routed) | set(imported.live) if routed.get(s) != imported.live.get(s)
        )
        raise GeoproxyError(
            "internal: the imported policy would route "
            + ", ".join(f"{s} to {routed.get(s)} (live: {imported.live.get(s)})" for s in moved)
            + "; nothing was written"
        )


def write_policy_file(path: Path, text: str, *, overwrite: bool) -> None:
    """Atomically. Without `overwrite`, never over an existing file, even one created
    meanwhile: the rename is a link that fails if the name exists."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=".geoproxy-import-", dir=directory)
    except OSError as error:
        raise GeoproxyError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)
        if overwrite:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)
    except FileExistsError:
        raise GeoproxyError(
            f"{path} exists; not overwriting it",
            hint="choose another --out file, or pass --overwrite to replace it",
        ) from None
    except OSError as error:
        raise GeoproxyError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        if os.path.lexists(temporary):
            os.unlink(temporary)
