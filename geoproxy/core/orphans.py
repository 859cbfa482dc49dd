"""Orphans: records of this policy's owner that no application of the policy manages any more.

An application removed from the policy leaves its records behind; without this, `plan` would
say "No changes" while they keep answering. Only records marked with the policy's owner
(`geoproxy:<slot>@<owner>`) can be orphans: records of another owner, records geoproxy wrote
before owners existed, and records geoproxy never wrote are never listed or touched.

Records are grouped by the application they belonged to, found from their names: latency
records sit at the application's record, PoP pairs at `<pop>._failover.<record>`, direct
PoP names at `<pop>.<record>`; the failover state TXT at `_geoproxy.<record>` carries no
marker and goes with the owner's latency records at its record name. A viewer alias record
is its own group. Health checks tagged with this owner and an orphaned record go with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from geoproxy.core.healthchecks import LiveHealthCheck
from geoproxy.core.names import STATE_LABEL, Slot, direct_parts, is_slot, pair_parts
from geoproxy.core.records import LiveRecord
from geoproxy.core.state import is_state_record


@dataclass(frozen=True)
class Orphan:
    zone_id: str
    zone_name: str
    root: str  # the record name of the application the records belonged to, or a viewer alias
    kind: str  # "application" or "viewer alias"
    records: tuple[LiveRecord, ...]
    health_checks: tuple[LiveHealthCheck, ...] = ()

    @property
    def name(self) -> str:
        """How plans and the guard name it (an application's name is gone with the policy)."""
        return f"orphan {self.root}"


def root_of(record: LiveRecord) -> tuple[str, str]:
    """(root name, kind) of one of geoproxy's records, from its name and identifier: the
    application record it belongs to (its own name, `<pop>._failover.<root>` for a PoP pair,
    `<pop>.<root>` for a direct name), or a viewer alias."""
    base = record.base_identifier
    if is_slot(base, Slot.VIEWER):
        return record.name, "viewer alias"
    pair = pair_parts(record.name) if record.raw.get("Failover") else None
    if pair is not None:
        return pair[1], "application"
    if is_slot(base, Slot.DIRECT):
        return direct_parts(record.name)[1], "application"
    return record.name, "application"


def belongs_to(record: LiveRecord, record_name: str) -> bool:
    """Whether an owned record is one the application at `record_name` keeps: by its shape,
    not merely by lying below the name. An application at the zone apex has every name of
    the zone below it; another application's orphans there are not its records."""
    root, kind = root_of(record)
    return kind == "application" and root == record_name


def find_orphans(
    owner: str,
    zone_id: str,
    zone_name: str,
    records: Iterable[LiveRecord],
    managed: Callable[[LiveRecord], bool],
    health_checks: Iterable[LiveHealthCheck] = (),
) -> list[Orphan]:
    """The orphans in one zone's records; `managed(record)` says whether an application of
    the policy keeps `record` (those are its plan's business, never orphans)."""
    records = list(records)
    groups: dict[tuple[str, str], list[LiveRecord]] = {}
    for record in records:
        if record.owned and record.owner == owner and not managed(record):
            groups.setdefault(root_of(record), []).append(record)
    roots = {root for root, kind in groups if kind == "application"}
    for record in records:
        if record.name.startswith(STATE_LABEL + "."):
            root = record.name.split(".", 1)[1]
            if root in roots and is_state_record(record, root) and not managed(record):
                groups[(root, "application")].append(record)
    checks = [check for check in health_checks if check.owner == owner and check.record in roots]
    return [
        Orphan(
            zone_id,
            zone_name,
            root,
            kind,
            tuple(group),
            tuple(c for c in checks if c.record == root),
        )
        for (root, kind), group in sorted(groups.items())
    ]
