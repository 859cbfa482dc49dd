"""The requests geoproxy is expected to make, per command, as the request formulae page derives
them (docs/operations/request-formulae.md).

The benchmark prints these beside what the emulator counted, so a change in geoproxy's read
or write pattern shows up as a difference. They describe the benchmark's policies (no
CloudFront section, no auto_failover, one name between each record and its zone apex), not
every policy: see docs/operations/request-formulae.md for the general rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PAGE = 300  # ListResourceRecordSets MaxItems
ZONES_PAGE = 100  # ListHostedZones / ListHostedZonesByName MaxItems
BATCH_ELEMENTS = 1000  # ChangeResourceRecordSets elements per request


def pages(items: int, per_page: int) -> int:
    return max(1, -(-items // per_page))


def batches(groups: int, group_size: int) -> int:
    """Greedy packing of equal groups (one application's changes each, never split)."""
    return -(-groups // (BATCH_ELEMENTS // group_size)) if groups else 0


@dataclass(frozen=True)
class ZoneState:
    apps: int  # applications in the zone
    records: int  # record sets in the zone when the command reads it


@dataclass(frozen=True)
class Shape:
    zones: Mapping[str, ZoneState]
    latency_records: int  # per application: one per source region
    moved: int  # per application: latency records a failover from the PoP moves
    pending_polls: int  # GetChange answers PENDING this often before INSYNC

    def lookups(self) -> dict[str, int]:
        return {"ListHostedZonesByName": len(self.zones)}

    def listings(self) -> int:
        """Per zone the cheaper read (ties go to the whole zone): ceil(records / 300) for
        the whole zone, or one listing per application's names (each of these subtrees is
        one page: far below 300 records)."""
        return sum(min(pages(zone.records, PAGE), zone.apps) for zone in self.zones.values())

    def by_names(self) -> int:
        """Applications in zones read by names rather than whole."""
        return sum(
            zone.apps for zone in self.zones.values() if pages(zone.records, PAGE) > zone.apps
        )

    def writes(self, group_size: int) -> dict[str, int]:
        count = sum(batches(zone.apps, group_size) for zone in self.zones.values())
        return {"ChangeResourceRecordSets": count, "GetChange": count * (self.pending_polls + 1)}


def expected(command: str, shape: Shape) -> dict[str, int] | None:
    """Requests by operation; None for a command without a formula here."""
    if command in ("validate", "routes", "--help"):
        return {}
    if command == "plan (no-op)":
        return {**shape.lookups(), "ListResourceRecordSets": shape.listings()}
    if command in ("plan (empty)", "apply"):
        # A plan that writes records adds the delegation pre-flight: one ListHostedZones
        # listing, and, in a zone read by names, one listing per name between a record
        # and its apex (appNNN.<zone>: one per application).
        reads = {
            **shape.lookups(),
            "ListResourceRecordSets": shape.listings() + shape.by_names(),
            "ListHostedZones": pages(len(shape.zones), ZONES_PAGE),
        }
        if command == "plan (empty)":
            return reads
        # One CREATE per record, and the state record's (format v2: the first write of an
        # application creates it).
        return {**reads, **shape.writes(shape.latency_records + 1)}
    if command in ("failover", "failback"):
        # No orphan search and no pre-flight (the names already hold geoproxy's records).
        # Per application: DELETE+CREATE of each moved record, and of its failover state
        # TXT record (format v2: it exists from the first apply, and stays after failback).
        return {
            **shape.lookups(),
            "ListResourceRecordSets": shape.listings(),
            **shape.writes(2 * shape.moved + 2),
        }
    return None


def difference(expected_counts: dict[str, int], measured: dict[str, int]) -> str:
    """'' when equal, else e.g. 'ListResourceRecordSets 35≠36'."""
    names = sorted(set(expected_counts) | set(measured))
    return ", ".join(
        f"{name} {measured.get(name, 0)}≠{expected_counts.get(name, 0)}"
        for name in names
        if measured.get(name, 0) != expected_counts.get(name, 0)
    )
