"""The live read model: what `live` read for one application, and how a zone read whole is
split among the applications it holds.

Pure: the readers in `geoproxy.aws.live` build it; the diff, status and failovers read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from geoproxy.core.failover import Failover
from geoproxy.core.records import LiveRecord
from geoproxy.core.state import is_state_record, overlay_of
from geoproxy.core.zone_features import ZoneFeatures


@dataclass(frozen=True)
class LiveApp:
    """What `live` read for one application: its zone and every record at its name."""

    zone_id: str
    zone_name: str
    records: tuple[LiveRecord, ...]

    def state_record(self, record_name: str) -> LiveRecord | None:
        """geoproxy's failover state record for the application at `record_name`, if any."""
        return next(
            (record for record in self.records if is_state_record(record, record_name)), None
        )

    def overlay(self, record_name: str) -> dict[str, Failover]:
        return overlay_of(self.state_record(record_name))

    def split(self, wanted: Mapping[str, tuple[str, Iterable[str]]]) -> dict[str, LiveApp]:
        """What each application keeps in a zone read whole: its record, the names below
        it, and its viewer alias names; `wanted` maps each application to (record name,
        alias names). One pass, walking each name's suffixes: a zone of 10,000 records
        and 300 applications costs 10,000 short walks, not 3,000,000 comparisons."""
        by_record = {record: app for app, (record, _) in wanted.items()}
        by_alias: dict[str, list[str]] = {}
        for app, (_, aliases) in wanted.items():
            for alias in set(aliases):
                by_alias.setdefault(alias, []).append(app)
        found: dict[str, list[LiveRecord]] = {app: [] for app in wanted}
        for record in self.records:
            apps = [*by_alias.get(record.name, ())]
            owner = next(
                (by_record[suffix] for suffix in suffixes(record.name) if suffix in by_record), None
            )
            if owner is not None and owner not in apps:
                apps.append(owner)
            for app in apps:
                found[app].append(record)
        return {
            app: LiveApp(self.zone_id, self.zone_name, tuple(records))
            for app, records in found.items()
        }


def suffixes(name: str) -> Iterator[str]:
    """The name and every name above it: a.b.c, b.c, c."""
    while True:
        yield name
        if "." not in name:
            return
        name = name.split(".", 1)[1]


@dataclass
class LiveRead:
    """What one run read of Route 53: each application's records, the zones read whole (by
    zone id; the orphan search looks there), and the names of zones not read whole."""

    apps: dict[str, LiveApp] = field(default_factory=dict)
    zones: dict[str, LiveApp] = field(default_factory=dict)
    partial: list[str] = field(default_factory=list)
    zone_ids: dict[str, str] = field(default_factory=dict)  # zone name -> id, as looked up
    # zone id -> AcceleratedRecoveryStatus, as GetHostedZone said (lookups by zone_id only)
    features: dict[str, str] = field(default_factory=dict)
    # zone id -> everything its lookup's Features said (change history, guardrails)
    zone_features: dict[str, ZoneFeatures] = field(default_factory=dict)
