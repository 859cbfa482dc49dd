"""What a hand-made latency record points at, for `geoproxy import` (core/importer.py): a
load balancer (its name gives the region), a failover pair of load balancers in the same
zone, or something a policy cannot say.

Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from geoproxy.core.records import LiveRecord
from geoproxy.policy.catalog import Catalog, parse_elb_target
from geoproxy.policy.models import normalize_dns_name

_ZONE_ID = re.compile(r"^[A-Z0-9]{1,32}$")  # what a policy's hosted_zone_id may be


@dataclass(frozen=True)
class Pair:
    """A PRIMARY/SECONDARY failover pair of load balancers that a latency record aliases to."""

    name: str
    primary: str  # PoP regions
    secondary: str
    primary_target: tuple[str, str]  # (DNS name, hosted zone id) of each half
    secondary_target: tuple[str, str]
    health_check_id: str | None


@dataclass(frozen=True)
class LiveRoute:
    """One latency record that the policy can express: where its source region goes."""

    record: LiveRecord
    source: str
    pop: str
    target: tuple[str, str]  # (DNS name, hosted zone id) the PoP's traffic reaches
    pair: Pair | None = None


def elb_region(target: tuple[str, str], catalog: Catalog) -> str | None:
    """The region of a load balancer alias target, None for any other target (and for a
    name or zone id a policy could not hold: anyone may have written the record)."""
    try:
        normalize_dns_name(target[0])
    except ValueError:
        return None
    if not _ZONE_ID.match(target[1]):
        return None
    elb = parse_elb_target(target[0])
    return elb.region if elb is not None and catalog.accepts(elb.region) else None


def alias_of(record: LiveRecord) -> tuple[str, str] | None:
    target = record.alias_target()
    return (target.dns_name, target.hosted_zone_id.removeprefix("/hostedzone/")) if target else None


def pair_at(
    name: str, record_type: str, records: Sequence[LiveRecord], catalog: Catalog
) -> Pair | str:
    """The failover pair of load balancers at `name`, or why what is there is not one."""
    halves = {
        str(record.raw.get("Failover")): record
        for record in records
        if record.name == name
        and record.record_type == record_type
        and record.routing_policy == "failover"
    }
    primary, secondary = halves.get("PRIMARY"), halves.get("SECONDARY")
    if primary is None or secondary is None:
        return f"{name} {record_type} holds no PRIMARY/SECONDARY failover pair"
    targets = (alias_of(primary), alias_of(secondary))
    if targets[0] is None or targets[1] is None:
        return f"the failover pair at {name} {record_type} is not made of aliases"
    regions = (elb_region(targets[0], catalog), elb_region(targets[1], catalog))
    if regions[0] is None or regions[1] is None:
        return f"the failover pair at {name} {record_type} does not alias to load balancers"
    return Pair(
        name, regions[0], regions[1], targets[0], targets[1], primary.raw.get("HealthCheckId")
    )


def resolve(
    record: LiveRecord, zone_id: str, records: Sequence[LiveRecord], catalog: Catalog
) -> LiveRoute | str:
    """Where one latency record sends its source region, or why the policy cannot say so."""
    region = str(record.region)
    target = alias_of(record)
    if target is None:
        return (
            f"{record.describe()} answers with values ({record.value_text()}), not an alias; "
            "geoproxy writes alias records to load balancers only"
        )
    if target[1] == zone_id:  # an alias inside the zone: a failover pair behind the record
        pair = pair_at(target[0], record.record_type, records, catalog)
        if isinstance(pair, str):
            return f"{record.describe()} aliases to {target[0]}, but {pair}"
        return LiveRoute(record, region, pair.primary, pair.primary_target, pair)
    pop = elb_region(target, catalog)
    if pop is None:
        return (
            f"{record.describe()} aliases to {target[0]} (hosted zone {target[1]}), which is "
            "not a load balancer (ALB, CLB or NLB); geoproxy's PoPs are load balancers "
            "whose names give their region"
        )
    return LiveRoute(record, region, pop, target)


def pair_names_to_read(records: Sequence[LiveRecord], record_name: str, zone_id: str) -> list[str]:
    """Names in the zone that the latency records at `record_name` alias to and that a
    listing of the record's own subtree did not cover (hand-made failover pairs)."""
    names = set()
    for record in records:
        target = alias_of(record) if record.name == record_name and record.is_latency else None
        below = target is not None and (
            target[0] == record_name or target[0].endswith("." + record_name)
        )
        if target is not None and target[1] == zone_id and not below:
            names.add(target[0])
    return sorted(names)
