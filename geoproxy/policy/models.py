"""The routing policy's schema: pydantic models, the single source of truth.

Per-field rules live here; rules that need the region catalog or a whole application live
in `checks`, and reading YAML with its source map in `loader`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from geoproxy.policy.catalog import Catalog, parse_elb_target

RecordType = Literal["A", "AAAA"]
YamlPath = tuple[str | int, ...]

_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_ZONE_ID = re.compile(r"^(/hostedzone/)?[A-Z0-9]{1,32}$")


def normalize_dns_name(value: str) -> str:
    """Lower-case, without the trailing dot: how geoproxy compares every DNS name."""
    name = value.strip().lower().rstrip(".")
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_DNS_LABEL.match(label) for label in labels):
        raise ValueError(f"{value!r} is not a valid DNS name")
    return name


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HealthCheck(StrictModel):
    """A Route 53 health check of a PoP, used by its auto-failover pair's PRIMARY record."""

    protocol: Literal["HTTPS", "HTTP", "TCP"] = "HTTPS"
    port: int | None = Field(default=None, ge=1, le=65535)  # default: 443 HTTPS, 80 HTTP
    path: str = "/"
    fqdn: str | None = None  # default: the PoP's target
    request_interval: Literal[10, 30] = 30
    failure_threshold: int = Field(default=3, ge=1, le=10)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or len(value) > 255:
            raise ValueError("path must start with / and be at most 255 characters")
        return value

    @field_validator("fqdn")
    @classmethod
    def _fqdn(cls, value: str | None) -> str | None:
        return normalize_dns_name(value) if value is not None else None

    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return {"HTTPS": 443, "HTTP": 80}.get(self.protocol, 443)


class Pop(StrictModel):
    """One application PoP: the load balancer (or other alias target) in one AWS region."""

    target: str
    hosted_zone_id: str | None = None
    failover_to: str | None = None  # the partner PoP `geoproxy failover` uses without --to
    health_check: HealthCheck | None = None  # only with the application's auto_failover

    @field_validator("target")
    @classmethod
    def _target_is_dns_name(cls, value: str) -> str:
        return normalize_dns_name(value)

    @field_validator("hosted_zone_id")
    @classmethod
    def _zone_id_shape(cls, value: str | None) -> str | None:
        if value is not None and not _ZONE_ID.match(value):
            raise ValueError(f"{value!r} is not a hosted zone id (like Z35SXDOTRQ7X7K)")
        return value.removeprefix("/hostedzone/") if value else value


class ComplianceRule(StrictModel):
    """Sources whose names match `sources` may only be routed to PoPs matching `allowed_pops`."""

    name: str = Field(min_length=1)
    sources: list[str] = Field(min_length=1)
    allowed_pops: list[str] = Field(min_length=1)

    @field_validator("sources", "allowed_pops")
    @classmethod
    def _lower_case_globs(cls, patterns: list[str]) -> list[str]:
        # Region names are lower-case and globs match case-sensitively: `EU-*` matches none.
        upper = [pattern for pattern in patterns if pattern != pattern.lower()]
        if upper:
            raise ValueError(f"patterns match lower-case region names, so {upper[0]!r} "
                             f"matches none; write {upper[0].lower()!r}")
        return patterns


DEFAULT_TIMEOUT_MAX = 60


class OriginSettings(StrictModel):
    """The custom origin geoproxy keeps on the distribution (its domain is the record)."""

    protocol_policy: Literal["https-only", "http-only", "match-viewer"] = "https-only"
    https_port: int = Field(default=443, ge=1, le=65535)
    http_port: int = Field(default=80, ge=1, le=65535)
    read_timeout: int = Field(default=30, ge=1, le=180)
    keepalive_timeout: int = Field(default=5, ge=1, le=180)
    ssl_protocols: list[Literal["TLSv1.2", "TLSv1.1", "TLSv1", "SSLv3"]] = Field(
        default_factory=lambda: ["TLSv1.2"], min_length=1)
    connection_attempts: int = Field(default=3, ge=1, le=3)
    connection_timeout: int = Field(default=10, ge=1, le=10)
    # CloudFront accepts response and keep-alive timeouts up to 60 s; up to 180 s only once
    # AWS raised the account's quota (CloudFront Developer Guide, "Values that you specify
    # when you create or update a distribution": response timeout, keep-alive timeout).
    timeout_quota_raised: bool = False

    @model_validator(mode="after")
    def _timeouts_within_quota(self) -> OriginSettings:
        if not self.timeout_quota_raised:
            over = [f"{key} {value}" for key, value in (
                ("read_timeout", self.read_timeout),
                ("keepalive_timeout", self.keepalive_timeout)) if value > DEFAULT_TIMEOUT_MAX]
            if over:
                raise ValueError(
                    f"{' and '.join(over)} s exceed CloudFront's default maximum of "
                    f"{DEFAULT_TIMEOUT_MAX} s, which UpdateDistribution would refuse; if AWS "
                    "raised this account's origin timeout quota, set `timeout_quota_raised: "
                    "true`")
        return self

    @field_validator("ssl_protocols")
    @classmethod
    def _unique_protocols(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a protocol is listed twice")
        return value


class GeoRestriction(StrictModel):
    type: Literal["whitelist", "blacklist", "none"] = "none"
    countries: list[str] = Field(default_factory=list)

    @field_validator("countries", mode="before")
    @classmethod
    def _yaml_booleans(cls, value: Any) -> Any:
        if isinstance(value, list) and any(isinstance(item, bool) for item in value):
            raise ValueError("YAML reads NO, YES, ON and OFF as booleans: quote country codes "
                             "(e.g. 'NO' for Norway)")
        return value

    @field_validator("countries")
    @classmethod
    def _iso_codes(cls, value: list[str]) -> list[str]:
        from geoproxy.policy.countries import ISO_3166_ALPHA2

        unknown = [code for code in value if code not in ISO_3166_ALPHA2]
        if unknown:
            raise ValueError(f"not ISO 3166-1 alpha-2 country codes: {', '.join(unknown)}")
        if len(set(value)) != len(value):
            raise ValueError("a country is listed twice")
        return value

    @model_validator(mode="after")
    def _countries_match_type(self) -> GeoRestriction:
        if self.type == "none" and self.countries:
            raise ValueError("type `none` takes no countries")
        if self.type != "none" and not self.countries:
            raise ValueError(f"type `{self.type}` needs at least one country")
        return self


class OriginFailover(StrictModel):
    """A CloudFront origin group: the geo origin first, one PoP directly as the fallback."""

    secondary_pop: str
    status_codes: list[Literal[400, 403, 404, 416, 500, 502, 503, 504]] = Field(
        default_factory=lambda: [500, 502, 503, 504], min_length=1)

    @field_validator("status_codes")
    @classmethod
    def _unique_codes(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("a status code is listed twice")
        return value


class CloudFront(StrictModel):
    distribution_id: str = Field(pattern=r"^[A-Z0-9]{8,20}$")
    origin_id: str | None = Field(default=None, min_length=1, max_length=128)
    origin: OriginSettings = Field(default_factory=OriginSettings)
    aliases: list[str] = Field(default_factory=list)
    geo_restriction: GeoRestriction = Field(default_factory=GeoRestriction)
    origin_failover: OriginFailover | None = None

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, value: list[str]) -> list[str]:
        names = [normalize_dns_name(alias) for alias in value]
        if len(set(names)) != len(names):
            raise ValueError("an alias is listed twice")
        return names


class Application(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    zone: str
    zone_id: str | None = None
    record: str
    record_types: list[RecordType] = Field(default_factory=lambda: ["A"], min_length=1)
    source_regions: Literal["all"] | list[str] = "all"
    pops: dict[str, Pop] = Field(min_length=1)
    force: dict[str, str] = Field(default_factory=dict)
    # How "nearest" is judged: by measured inter-region round trips (the latency table), or
    # by great-circle distance between region metros, as geoproxy 0.1 did.
    nearest: Literal["latency", "distance"] = "latency"
    evaluate_target_health: bool = False
    # Per PoP, a Route 53 failover pair (PoP, then its `failover_to` partner) behind the
    # latency records, so an unhealthy PoP fails over to its declared, compliant partner.
    auto_failover: bool = False
    compliance: list[ComplianceRule] = Field(default_factory=list)
    cloudfront: CloudFront | None = None

    @property
    def origin_id(self) -> str:
        assert self.cloudfront is not None
        return self.cloudfront.origin_id or f"geoproxy-{self.name}"

    @field_validator("zone", "record")
    @classmethod
    def _dns_names(cls, value: str) -> str:
        return normalize_dns_name(value)

    @field_validator("zone_id")
    @classmethod
    def _zone_id_shape(cls, value: str | None) -> str | None:
        return Pop._zone_id_shape(value)

    @field_validator("record_types")
    @classmethod
    def _unique_types(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("record_types lists a type twice")
        return value

    @field_validator("source_regions")
    @classmethod
    def _source_list(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list):
            if not value:
                raise ValueError("source_regions is empty; use `all` or name regions")
            if len(set(value)) != len(value):
                raise ValueError("source_regions lists a region twice")
        return value

    def hosted_zone_id_of(self, pop_region: str, catalog: Catalog) -> str:
        pop = self.pops[pop_region]
        if pop.hosted_zone_id:
            return pop.hosted_zone_id
        elb = parse_elb_target(pop.target)
        zone_id = catalog.elb_zone_id(elb) if elb else None
        assert zone_id, "validated at load time"
        return zone_id


# The owner goes into every SetIdentifier geoproxy writes (`geoproxy:<slot>@<owner>`) and into
# its health checks' tags: short, lower-case, and without `@`.
OWNER_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,62}$"
DEFAULT_OWNER = "default"


class Policy(StrictModel):
    version: Literal[1]
    # Whose records these are, like external-dns's --txt-owner-id: two policies that share a
    # hosted zone need different owners, or each would see the other's records as orphans.
    owner: str = Field(default=DEFAULT_OWNER, pattern=OWNER_PATTERN)
    # A latency table of one's own (the shipped one's JSON shape), relative to the policy
    # file; `--latency-table FILE` overrides it.
    latency_table: str | None = Field(default=None, min_length=1)
    applications: list[Application] = Field(min_length=1)

    def application(self, name: str) -> Application:
        for app in self.applications:
            if app.name == name:
                return app
        raise KeyError(name)
