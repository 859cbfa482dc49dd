"""The record model shared by desired state, live state and plans.

geoproxy owns a record when its SetIdentifier carries geoproxy's prefix and the policy's
owner (`geoproxy:<slot>@<owner>`); it never changes or deletes any other record unless told
to adopt it. A record with the prefix but no owner was written before owners existed: the
next apply of a policy that manages its name claims it by rewriting its SetIdentifier.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from geoproxy.core.names import OWNED_PREFIX, OWNED_WEIGHTED, owned_identifier, split_owner
from geoproxy.errors import printable

_OCTAL_ESCAPE = re.compile(r"\\(\d{3})")


def without_owner(record_set: dict[str, Any]) -> dict[str, Any]:
    """The record set as it would be without an owner marker: for comparing what Route 53
    answers, which the marker does not change."""
    if "SetIdentifier" not in record_set:
        return record_set
    return {**record_set, "SetIdentifier": split_owner(record_set["SetIdentifier"])[0]}


def decode_route53_name(name: str) -> str:
    """Route 53 returns names with a trailing dot and octal escapes (\\052 for *)."""
    return _OCTAL_ESCAPE.sub(lambda m: chr(int(m[1], 8)), name).lower().rstrip(".")


RecordKey = tuple[str, str, str]  # (name, type, set identifier or "")

_POLICY_FIELDS = (
    ("Region", "latency"),
    ("Weight", "weighted"),
    ("Failover", "failover"),
    ("GeoLocation", "geolocation"),
    ("GeoProximityLocation", "geoproximity"),
    ("MultiValueAnswer", "multivalue"),
    ("CidrRoutingConfig", "cidr"),
)


def routing_policy_of(record_set: dict[str, Any]) -> str:
    for field, policy in _POLICY_FIELDS:
        if field in record_set:
            return policy
    return "simple"


def slot_of(record_set: dict[str, Any]) -> str:
    """What must be unique among records of one routing policy at a name and type: the
    Region of latency records, the role of failover records, the identifier otherwise."""
    for field in ("Region", "Failover"):
        if field in record_set:
            return str(record_set[field])
    return str(record_set.get("SetIdentifier", ""))


def record_key(record_set: dict[str, Any]) -> RecordKey:
    return (
        decode_route53_name(record_set["Name"]),
        str(record_set["Type"]),
        str(record_set.get("SetIdentifier", "")),
    )


def base_key(record_set: dict[str, Any]) -> RecordKey:
    """The record's key with the owner marker left out: the same slot, whoever owns it."""
    return record_key(without_owner(record_set))


def canonical(record_set: dict[str, Any]) -> tuple[Any, ...]:
    """A record set in a form where equal means Route 53 would answer the same way:
    names lower-case without the trailing dot, values order-free, defaults filled in."""
    alias = record_set.get("AliasTarget")
    return (
        record_key(record_set),
        routing_policy_of(record_set),
        slot_of(record_set),
        record_set.get("TTL") if alias is None else None,
        tuple(sorted(entry["Value"] for entry in record_set.get("ResourceRecords", []))),
        (
            alias["HostedZoneId"],
            alias["DNSName"].lower().rstrip("."),
            bool(alias.get("EvaluateTargetHealth", False)),
        )
        if alias
        else None,
        record_set.get("HealthCheckId"),
    )


@dataclass(frozen=True, eq=False)
class RecordSet:
    """One record set, built once, in every form geoproxy compares it by.

    Desired records produce one (`DesiredRecord.record_set`) and live records wrap one
    (`LiveRecord.record_set`), so the diff, failovers and status compare the same type:
    `wire` is what ChangeResourceRecordSets takes and ListResourceRecordSets lists (an
    exact DELETE sends a live one back unchanged); `key` is (name, type, set identifier);
    `base_key` the key without the owner marker (the same slot, whoever owns it);
    `canonical` is equal when Route 53 would answer alike."""

    wire: dict[str, Any]

    @functools.cached_property
    def key(self) -> RecordKey:
        return record_key(self.wire)

    @functools.cached_property
    def base_key(self) -> RecordKey:
        return base_key(self.wire)

    @functools.cached_property
    def canonical(self) -> tuple[Any, ...]:
        return canonical(self.wire)

    @functools.cached_property
    def routing_policy(self) -> str:
        return routing_policy_of(self.wire)

    @functools.cached_property
    def slot(self) -> str:
        return slot_of(self.wire)

    def answers_like(self, other: RecordSet) -> bool:
        return self.canonical == other.canonical


@dataclass(frozen=True)
class AliasTarget:
    dns_name: str
    hosted_zone_id: str
    evaluate_target_health: bool = False

    def to_route53(self) -> dict[str, Any]:
        return {
            "HostedZoneId": self.hosted_zone_id,
            "DNSName": self.dns_name + ".",
            "EvaluateTargetHealth": self.evaluate_target_health,
        }


@dataclass(frozen=True)
class LatencyRecord:
    """A latency alias record as geoproxy writes it."""

    name: str
    record_type: str
    source_region: str
    target: AliasTarget
    owner: str | None = None

    @property
    def set_identifier(self) -> str:
        return owned_identifier(self.source_region, self.owner)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.name, self.record_type, self.source_region)

    def to_route53(self) -> dict[str, Any]:
        return {
            "Name": self.name + ".",
            "Type": self.record_type,
            "SetIdentifier": self.set_identifier,
            "Region": self.source_region,
            "AliasTarget": self.target.to_route53(),
        }


@dataclass(frozen=True)
class FailoverRecord:
    """One half of an auto-failover pair: PRIMARY answers while healthy, else SECONDARY."""

    name: str
    record_type: str
    role: str  # "PRIMARY" or "SECONDARY"
    target: AliasTarget
    pop: str  # the PoP region the target belongs to
    health_check_id: str | None = None
    owner: str | None = None

    @property
    def set_identifier(self) -> str:
        return owned_identifier(self.role.lower(), self.owner)

    def to_route53(self) -> dict[str, Any]:
        record_set: dict[str, Any] = {
            "Name": self.name + ".",
            "Type": self.record_type,
            "SetIdentifier": self.set_identifier,
            "Failover": self.role,
            "AliasTarget": self.target.to_route53(),
        }
        if self.health_check_id:
            record_set["HealthCheckId"] = self.health_check_id
        return record_set


@dataclass(frozen=True)
class OwnedAliasRecord:
    """A single alias that geoproxy owns where Route 53 would otherwise need a simple record
    (CloudFront viewer aliases, direct PoP names). It is a weighted record with one member:
    Route 53 always answers with it, as with a simple record, and its SetIdentifier marks it
    as geoproxy's, so it can be changed and deleted without guessing whose it is."""

    name: str
    record_type: str
    role: str  # "viewer" or "direct"
    target: AliasTarget
    owner: str | None = None

    @property
    def set_identifier(self) -> str:
        return owned_identifier(self.role, self.owner)

    def to_route53(self) -> dict[str, Any]:
        return {
            "Name": self.name + ".",
            "Type": self.record_type,
            "SetIdentifier": self.set_identifier,
            "Weight": 1,
            "AliasTarget": self.target.to_route53(),
        }


@dataclass(frozen=True)
class LiveRecord:
    """A record set exactly as Route 53 listed it; `raw` is what an exact DELETE must send."""

    raw: dict[str, Any]

    @functools.cached_property
    def record_set(self) -> RecordSet:
        return RecordSet(self.raw)

    @functools.cached_property
    def name(self) -> str:
        return decode_route53_name(self.raw["Name"])

    @property
    def record_type(self) -> str:
        return str(self.raw["Type"])

    @property
    def set_identifier(self) -> str | None:
        return self.raw.get("SetIdentifier")

    @property
    def base_identifier(self) -> str | None:
        """The SetIdentifier without geoproxy's owner marker (`geoproxy:eu-west-1`)."""
        identifier = self.set_identifier
        return split_owner(identifier)[0] if identifier is not None else None

    @property
    def owner(self) -> str | None:
        """The owner marked on one of geoproxy's records; None if unmarked or not geoproxy's."""
        return split_owner(self.set_identifier or "")[1] if self.owned else None

    def ours(self, owner: str) -> bool:
        """geoproxy's record of this owner, or one written before owners (claimable)."""
        return self.owned and self.owner in (None, owner)

    @property
    def base_key(self) -> RecordKey:
        return (self.name, self.record_type, self.base_identifier or "")

    @property
    def region(self) -> str | None:
        return self.raw.get("Region")

    @property
    def is_latency(self) -> bool:
        return self.region is not None

    @property
    def owned(self) -> bool:
        """geoproxy's own alias records carry its SetIdentifier prefix (latency records and
        the failover pairs behind them); the failover state TXT is recognised in `state`."""
        policy = self.routing_policy
        base = split_owner(self.set_identifier or "")[0]
        return (
            base.startswith(OWNED_PREFIX)
            and "AliasTarget" in self.raw
            and (
                policy in ("latency", "failover")
                or (policy == "weighted" and base in OWNED_WEIGHTED)
            )
        )

    @property
    def routing_policy(self) -> str:
        return self.record_set.routing_policy

    @property
    def slot(self) -> str:
        return self.record_set.slot

    @property
    def key(self) -> RecordKey:
        return self.record_set.key

    def alias_target(self) -> AliasTarget | None:
        alias = self.raw.get("AliasTarget")
        if alias is None:
            return None
        return AliasTarget(
            alias["DNSName"].lower().rstrip("."),
            alias["HostedZoneId"],
            bool(alias.get("EvaluateTargetHealth", False)),
        )

    def describe(self) -> str:
        """For people: anyone may have written this record, so no control character of its
        name, set identifier or region reaches a message."""
        parts = [f"{self.name} {self.record_type} ({self.routing_policy}"]
        if self.set_identifier:
            parts.append(f", set identifier {self.set_identifier!r}")
        if self.region:
            parts.append(f", region {self.region}")
        return printable("".join(parts) + ")")

    def value_text(self) -> str:
        target = self.alias_target()
        if target:
            return printable(f"alias {target.dns_name}")
        values = [entry["Value"] for entry in self.raw.get("ResourceRecords", [])]
        return printable(", ".join(values)) if values else "-"
