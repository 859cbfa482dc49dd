"""The record model shared by desired state, live state and plans.

geoproxy owns a latency record when its SetIdentifier carries geoproxy's prefix; it never
changes or deletes any other record unless told to adopt it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

OWNED_PREFIX = "geoproxy:"

_OCTAL_ESCAPE = re.compile(r"\\(\d{3})")


def set_identifier_for(source_region: str) -> str:
    return f"{OWNED_PREFIX}{source_region}"


def decode_route53_name(name: str) -> str:
    """Route 53 returns names with a trailing dot and octal escapes (\\052 for *)."""
    return _OCTAL_ESCAPE.sub(lambda m: chr(int(m[1], 8)), name).lower().rstrip(".")


@dataclass(frozen=True)
class AliasTarget:
    dns_name: str
    hosted_zone_id: str
    evaluate_target_health: bool = False

    def same_as(self, other: AliasTarget) -> bool:
        return (
            self.dns_name.lower().rstrip(".") == other.dns_name.lower().rstrip(".")
            and self.hosted_zone_id == other.hosted_zone_id
            and self.evaluate_target_health == other.evaluate_target_health
        )


@dataclass(frozen=True)
class LatencyRecord:
    """A latency alias record as geoproxy writes it."""

    name: str
    record_type: str
    source_region: str
    target: AliasTarget

    @property
    def set_identifier(self) -> str:
        return set_identifier_for(self.source_region)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.name, self.record_type, self.source_region)

    def to_route53(self) -> dict[str, Any]:
        return {
            "Name": self.name + ".",
            "Type": self.record_type,
            "SetIdentifier": self.set_identifier,
            "Region": self.source_region,
            "AliasTarget": {
                "HostedZoneId": self.target.hosted_zone_id,
                "DNSName": self.target.dns_name + ".",
                "EvaluateTargetHealth": self.target.evaluate_target_health,
            },
        }


@dataclass(frozen=True)
class LiveRecord:
    """A record set exactly as Route 53 listed it; `raw` is what an exact DELETE must send."""

    raw: dict[str, Any]

    @property
    def name(self) -> str:
        return decode_route53_name(self.raw["Name"])

    @property
    def record_type(self) -> str:
        return str(self.raw["Type"])

    @property
    def set_identifier(self) -> str | None:
        return self.raw.get("SetIdentifier")

    @property
    def region(self) -> str | None:
        return self.raw.get("Region")

    @property
    def is_latency(self) -> bool:
        return self.region is not None

    @property
    def owned(self) -> bool:
        return (
            self.is_latency
            and (self.set_identifier or "").startswith(OWNED_PREFIX)
            and "AliasTarget" in self.raw
        )

    @property
    def routing_policy(self) -> str:
        for key, policy in (("Region", "latency"), ("Weight", "weighted"),
                            ("Failover", "failover"), ("GeoLocation", "geolocation"),
                            ("GeoProximityLocation", "geoproximity"),
                            ("MultiValueAnswer", "multivalue"), ("CidrRoutingConfig", "cidr")):
            if key in self.raw:
                return policy
        return "simple"

    def alias_target(self) -> AliasTarget | None:
        alias = self.raw.get("AliasTarget")
        if alias is None:
            return None
        return AliasTarget(
            alias["DNSName"].lower().rstrip("."),
            alias["HostedZoneId"],
            bool(alias.get("EvaluateTargetHealth", False)),
        )

    def as_latency(self) -> LatencyRecord | None:
        target = self.alias_target()
        if not self.owned or target is None or self.region is None:
            return None
        return LatencyRecord(self.name, self.record_type, self.region, target)

    def describe(self) -> str:
        parts = [f"{self.name} {self.record_type} ({self.routing_policy}"]
        if self.set_identifier:
            parts.append(f", set identifier {self.set_identifier!r}")
        if self.region:
            parts.append(f", region {self.region}")
        return "".join(parts) + ")"

    def value_text(self) -> str:
        target = self.alias_target()
        if target:
            return f"alias {target.dns_name}"
        values = [entry["Value"] for entry in self.raw.get("ResourceRecords", [])]
        return ", ".join(values) if values else "-"
