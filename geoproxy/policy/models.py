"""The routing policy's schema: pydantic models, the single source of truth.

Per-field rules live here; rules that need the region catalog or a whole application live
in `checks`, and reading YAML with its source map in `loader`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from geoproxy.policy.accounts import ACCOUNT_FIELD_DESCRIPTION, ACCOUNT_NAME, Account
from geoproxy.policy.catalog import Catalog, parse_elb_target
from geoproxy.policy.recovery import Recovery

RecordType = Literal["A", "AAAA"]
SslProtocol = Literal["TLSv1.2", "TLSv1.1", "TLSv1", "SSLv3"]
FailoverStatus = Literal[400, 403, 404, 416, 500, 502, 503, 504]
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
    """A Route 53 health check of this PoP, created and deleted by geoproxy. It is attached to
    the PRIMARY record of the PoP's failover pair, so it needs `auto_failover: true`: while the
    check fails, Route 53 sends the PoP's traffic to its `failover_to` partner."""

    protocol: Literal["HTTPS", "HTTP", "TCP"] = Field(
        default="HTTPS",
        examples=["HTTPS", "TCP"],
        description="How Route 53's health checkers test the PoP (the check's `Type`): `HTTPS` "
        "and `HTTP` request `path` and expect a 2xx or 3xx status; `TCP` only opens "
        "a connection to `port`.",
    )
    port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        examples=[443, 8443],
        description="The port checked. Default: 443 for `HTTPS`, 80 for `HTTP`; a `TCP` check "
        "has no default and needs one.",
    )
    path: str = Field(
        default="/",
        examples=["/", "/healthz"],
        description="The request path (`ResourcePath`) of `HTTPS` and `HTTP` checks: starts "
        "with `/`, at most 255 characters. Not used by `TCP` checks.",
    )
    fqdn: str | None = Field(
        default=None,
        examples=["health.shop.example.com"],
        description="The host name Route 53's checkers resolve and connect to "
        "(`FullyQualifiedDomainName`); for `HTTPS` it is also sent as the TLS "
        "server name (SNI). Default: the PoP's `target`.",
    )
    request_interval: Literal[10, 30] = Field(
        default=30,
        examples=[30, 10],
        description="Seconds between two checks from each Route 53 health checker "
        "(`RequestInterval`): 10 or 30. 10 notices a failure sooner and costs more.",
    )
    failure_threshold: int = Field(
        default=3,
        ge=1,
        le=10,
        examples=[3],
        description="How many checks in a row must fail before Route 53 considers the PoP "
        "unhealthy (`FailureThreshold`).",
    )

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
    """One PoP of an application: the load balancer (or other alias target) in one AWS
    region, whose name is its key under `pops`."""

    target: str = Field(
        examples=["shop-euw1-456.eu-west-1.elb.amazonaws.com"],
        description="The alias target that this PoP's traffic reaches, normally the DNS name of "
        "the load balancer in this region. Compared lower-case, without the "
        "trailing dot.",
    )
    hosted_zone_id: str | None = Field(
        default=None,
        examples=["Z1LMS91P8CMLE5"],
        description="The alias target's hosted zone id (upper-case letters and digits; a "
        "`/hostedzone/` prefix is removed). Default: derived from a load balancer's "
        "DNS name; required for any other target.",
    )
    failover_to: str | None = Field(
        default=None,
        examples=["eu-central-1"],
        description="This PoP's failover partner, another key of the application's `pops`: "
        "where `geoproxy failover --from <this PoP>` sends its traffic without "
        "`--to`, and, with `auto_failover`, where Route 53 sends it while the PoP is "
        "unhealthy. The compliance rules must allow it.",
    )
    health_check: HealthCheck | None = Field(
        default=None,
        examples=[{"protocol": "HTTPS", "path": "/healthz"}],
        description="A Route 53 health check of this PoP; only with the application's "
        "`auto_failover: true`. Default: none, and the failover pair follows the "
        "load balancer's own health.",
    )

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
    """A fence: source regions whose names match `sources` may only be routed to PoPs whose
    regions match `allowed_pops`. Every route (forced or nearest), failover partner and
    CloudFront origin failover is checked against it; a breach makes the policy invalid, and
    geoproxy never re-routes quietly to satisfy it."""

    name: str = Field(
        min_length=1,
        examples=["gdpr"],
        description="The rule's name, shown in errors and by `geoproxy routes`.",
    )
    sources: list[str] = Field(
        min_length=1,
        examples=[["eu-*"], ["me-south-1", "me-central-1"]],
        description="Shell-style globs (`*`, `?`, `[...]`), matched case-sensitively against "
        "source region names: the rule applies to the regions that match one. "
        "Region names are lower-case, so the globs must be too.",
    )
    allowed_pops: list[str] = Field(
        min_length=1,
        examples=[["eu-*"], ["eu-west-1", "eu-central-1"]],
        description="Globs matched against PoP region names: the only PoPs the rule's sources "
        "may reach. At least one of the application's PoPs must match.",
    )
    viewer_countries: list[str] = Field(
        default_factory=list,
        examples=[["EU", "GB", "CH"], ["EEA"], ["DE", "AT", "NO"]],
        description="Viewers' countries the rule also fences at the edge, whatever edge "
        "serves them: ISO 3166-1 alpha-2 codes (upper case) and the groups `EU` "
        "(the 27 member states) and `EEA` (the EU plus IS, LI and NO). A CloudFront "
        "Function that geoproxy generates sends each fenced country's requests to "
        "the allowed PoP nearest it; the application needs a `cloudfront` section. "
        "No country twice, also through a group. Quote `'NO'` (Norway): YAML reads "
        "a bare NO as false. Default: none, and the rule fences source regions "
        "only.",
    )

    @field_validator("sources", "allowed_pops")
    @classmethod
    def _lower_case_globs(cls, patterns: list[str]) -> list[str]:
        # Region names are lower-case and globs match case-sensitively: `EU-*` matches none.
        upper = [pattern for pattern in patterns if pattern != pattern.lower()]
        if upper:
            raise ValueError(
                f"patterns match lower-case region names, so {upper[0]!r} "
                f"matches none; write {upper[0].lower()!r}"
            )
        return patterns

    @field_validator("viewer_countries", mode="before")
    @classmethod
    def _viewer_yaml_booleans(cls, value: Any) -> Any:
        return _refuse_yaml_booleans(value)

    @field_validator("viewer_countries")
    @classmethod
    def _viewer_codes(cls, value: list[str]) -> list[str]:
        from geoproxy.policy.countries import COUNTRY_GROUPS, ISO_3166_ALPHA2

        unknown = [
            code for code in value if code not in ISO_3166_ALPHA2 and code not in COUNTRY_GROUPS
        ]
        if unknown:
            # `de` and `eu` are the likely slips: country codes and group names are upper case.
            hints = [
                f"{code!r} (write {code.upper()!r})"
                if code.upper() in ISO_3166_ALPHA2 or code.upper() in COUNTRY_GROUPS
                else repr(code)
                for code in unknown
            ]
            raise ValueError(
                "not ISO 3166-1 alpha-2 country codes or groups "
                f"({', '.join(COUNTRY_GROUPS)}): {', '.join(hints)}"
            )
        # Each country once, also through a group, as everywhere else in the policy: a repeat
        # changes nothing, but often means a group was misread (EEA already holds all of EU).
        covered: dict[str, list[str]] = {}
        for entry in value:
            for code in COUNTRY_GROUPS.get(entry, frozenset({entry})):
                covered.setdefault(code, []).append(entry)
        repeats: dict[tuple[str, ...], list[str]] = {}
        for code, entries in sorted(covered.items()):
            if len(entries) > 1:
                repeats.setdefault(tuple(entries), []).append(code)
        if repeats:
            parts = [_repeat(entries, codes, COUNTRY_GROUPS) for entries, codes in repeats.items()]
            raise ValueError(
                f"a country is listed more than once: {'; '.join(parts)}; list each country once"
            )
        return value


def _refuse_yaml_booleans(value: Any) -> Any:
    """Country lists: YAML 1.1 reads a bare NO (Norway) as false, so a boolean in one is a
    country code that lost its quotes."""
    if isinstance(value, list) and any(isinstance(item, bool) for item in value):
        raise ValueError(
            "YAML reads NO, YES, ON and OFF as booleans: quote country codes (e.g. 'NO' for Norway)"
        )
    return value


def _some(codes: list[str], shown: int = 6) -> str:
    """`AT, BE` or, for many, `27 countries (AT, BE, BG, ...)`: messages stay one line."""
    if len(codes) <= shown:
        return ", ".join(codes)
    return f"{len(codes)} countries ({', '.join(codes[:3])}, ...)"


def _repeat(entries: tuple[str, ...], codes: list[str], groups: Any) -> str:
    """How `codes` came to be listed more than once: `DE listed and also in EU`."""
    named = [entry for entry in entries if entry in groups]
    literal = len(entries) - len(named)
    if not named:
        return f"{_some(codes)} listed {'twice' if literal == 2 else f'{literal} times'}"
    if not literal:
        return f"{_some(codes)} in both {' and '.join(named)}"
    return f"{_some(codes)} listed and also in {' and '.join(named)}"


DEFAULT_TIMEOUT_MAX = 60


def _default_ssl_protocols() -> list[SslProtocol]:
    return ["TLSv1.2"]


class OriginSettings(StrictModel):
    """The custom origin geoproxy keeps on the distribution. Its domain name is always the
    application's `record`; every key is optional."""

    protocol_policy: Literal["https-only", "http-only", "match-viewer"] = Field(
        default="https-only",
        examples=["https-only"],
        description="How CloudFront connects to the origin (`OriginProtocolPolicy`): HTTPS "
        "only, HTTP only, or the viewer's protocol. With HTTPS, the PoPs' "
        "certificates must cover the `record`.",
    )
    https_port: int = Field(
        default=443,
        ge=1,
        le=65535,
        examples=[443],
        description="The port CloudFront connects to for HTTPS (`HTTPSPort`).",
    )
    http_port: int = Field(
        default=80,
        ge=1,
        le=65535,
        examples=[80],
        description="The port CloudFront connects to for HTTP (`HTTPPort`).",
    )
    read_timeout: int = Field(
        default=30,
        ge=1,
        le=180,
        examples=[30],
        description="Seconds CloudFront waits for the origin's response "
        "(`OriginReadTimeout`): at most 60, or 180 with `timeout_quota_raised`.",
    )
    keepalive_timeout: int = Field(
        default=5,
        ge=1,
        le=180,
        examples=[5],
        description="Seconds CloudFront keeps an idle connection to the origin open "
        "(`OriginKeepaliveTimeout`): at most 60, or 180 with "
        "`timeout_quota_raised`.",
    )
    ssl_protocols: list[SslProtocol] = Field(
        default_factory=_default_ssl_protocols,
        min_length=1,
        examples=[["TLSv1.2"]],
        description="The TLS versions CloudFront may use with the origin "
        "(`OriginSslProtocols`); no repeats.",
    )
    connection_attempts: int = Field(
        default=3,
        ge=1,
        le=3,
        examples=[3],
        description="How many times CloudFront tries to connect to the origin "
        "(`ConnectionAttempts`).",
    )
    connection_timeout: int = Field(
        default=10,
        ge=1,
        le=10,
        examples=[10],
        description="Seconds CloudFront waits for each connection attempt "
        "(`ConnectionTimeout`). Attempts times this is how long a cache miss can "
        "wait on a PoP that accepts no connection.",
    )
    # CloudFront accepts response and keep-alive timeouts up to 60 s; up to 180 s only once
    # AWS raised the account's quota (CloudFront Developer Guide, "Values that you specify
    # when you create or update a distribution": response timeout, keep-alive timeout).
    timeout_quota_raised: bool = Field(
        default=False,
        examples=[True],
        description="Set `true` only if AWS raised this account's CloudFront quotas for origin "
        "response and keep-alive timeouts: `read_timeout` and `keepalive_timeout` "
        "may then be up to 180 seconds instead of 60.",
    )

    @model_validator(mode="after")
    def _timeouts_within_quota(self) -> OriginSettings:
        if not self.timeout_quota_raised:
            over = [
                f"{key} {value}"
                for key, value in (
                    ("read_timeout", self.read_timeout),
                    ("keepalive_timeout", self.keepalive_timeout),
                )
                if value > DEFAULT_TIMEOUT_MAX
            ]
            if over:
                raise ValueError(
                    f"{' and '.join(over)} s exceed CloudFront's default maximum of "
                    f"{DEFAULT_TIMEOUT_MAX} s, which UpdateDistribution would refuse; if AWS "
                    "raised this account's origin timeout quota, set `timeout_quota_raised: "
                    "true`"
                )
        return self

    @field_validator("ssl_protocols")
    @classmethod
    def _unique_protocols(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a protocol is listed twice")
        return value


class GeoRestriction(StrictModel):
    """The distribution's geo restriction: which viewers' countries CloudFront serves."""

    type: Literal["whitelist", "blacklist", "none"] = Field(
        default="none",
        examples=["blacklist", "whitelist"],
        description="`whitelist`: only viewers in `countries` are served; `blacklist`: viewers "
        "in `countries` are refused; `none`: no restriction, and no `countries`.",
    )
    countries: list[str] = Field(
        default_factory=list,
        examples=[["KP"], ["DE", "FR", "NO"]],
        description="ISO 3166-1 alpha-2 country codes, upper case, no repeats; `whitelist` and "
        "`blacklist` need at least one. Quote `'NO'` (Norway): YAML reads a bare "
        "NO as false.",
    )

    @field_validator("countries", mode="before")
    @classmethod
    def _yaml_booleans(cls, value: Any) -> Any:
        return _refuse_yaml_booleans(value)

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


def _default_failover_statuses() -> list[FailoverStatus]:
    return [500, 502, 503, 504]


class OriginFailover(StrictModel):
    """A CloudFront origin group: geoproxy's origin first, one PoP directly as the fallback
    for `GET`, `HEAD` and `OPTIONS` requests the primary fails."""

    secondary_pop: str = Field(
        examples=["eu-west-1"],
        description="The fallback PoP, a key of the application's `pops`, reached from any edge "
        "through the direct name `<secondary_pop>.<record>`. Every compliance rule "
        "that applies to one of the application's source regions must allow it.",
    )
    status_codes: list[FailoverStatus] = Field(
        default_factory=_default_failover_statuses,
        min_length=1,
        examples=[[500, 502, 503, 504], [502, 503, 504]],
        description="The primary's HTTP status codes that make CloudFront try the secondary "
        "(it also does on connection failures and timeouts); no repeats.",
    )

    @field_validator("status_codes")
    @classmethod
    def _unique_codes(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("a status code is listed twice")
        return value


class CloudFront(StrictModel):
    """The existing CloudFront distribution in front of the PoPs. geoproxy then also manages
    its origin, default cache behaviour target, aliases, geo restriction and optional origin
    group, and writes the aliases' records; it leaves everything else on it as it is."""

    account: str | None = Field(
        default=None,
        pattern=ACCOUNT_NAME,
        examples=["edge"],
        description="CloudFront (distribution and edge function) calls: "
        + ACCOUNT_FIELD_DESCRIPTION,
    )
    distribution_id: str = Field(
        pattern=r"^[A-Z0-9]{8,20}$",
        examples=["E2EXAMPLE123"],
        description="The id of the existing distribution. At most one application per "
        "distribution.",
    )
    origin_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        examples=["geoproxy-shop"],
        description="The `Id` of geoproxy's origin on the distribution. Default: "
        "`geoproxy-<name>`. With `origin_failover`, ids that start with "
        "`<origin_id>-` are geoproxy's too.",
    )
    origin: OriginSettings = Field(
        default_factory=OriginSettings,
        examples=[{"protocol_policy": "https-only", "read_timeout": 30}],
        description="The settings of geoproxy's origin (and, with `origin_failover`, of the "
        "secondary's). Default: each key's default.",
    )
    aliases: list[str] = Field(
        default_factory=list,
        examples=[["shop.example.com"]],
        description="The distribution's alternate domain names, exactly: an alias not listed is "
        "removed, so an empty list removes them all. No wildcards or repeats; "
        "geoproxy writes their alias records when they are in the zone.",
    )
    geo_restriction: GeoRestriction = Field(
        default_factory=GeoRestriction,
        examples=[{"type": "blacklist", "countries": ["KP"]}],
        description="The distribution's geo restriction, exactly. Default: `type: none`, which "
        "removes an existing restriction.",
    )
    origin_failover: OriginFailover | None = Field(
        default=None,
        examples=[{"secondary_pop": "eu-west-1"}],
        description="A CloudFront origin group with one PoP as the fallback. Default: none.",
    )
    host_header: Literal["viewer", "origin"] = Field(
        default="viewer",
        examples=["viewer"],
        description="The Host header (and TLS SNI) the edge fence gives a fenced request, "
        "which must be what the behaviour gives unfenced ones: `viewer`, the "
        "viewer's Host, for behaviours that forward Host (such as the managed "
        "origin request policy AllViewerAndCloudFrontHeaders-2022-06; the PoPs' "
        "certificates must then cover the viewer's aliases), or `origin`, the "
        "application's `record`, for behaviours that do not (such as "
        "AllViewerExceptHostHeader; the certificates then cover the `record`). "
        "`plan` refuses a fenced behaviour that does otherwise. Default: `viewer`.",
    )
    origin_shield: Literal["refuse", "allow"] = Field(
        default="refuse",
        examples=["refuse"],
        description="Whether `apply` may proceed while Origin Shield is enabled on geoproxy's "
        "origin. With it, CloudFront sends every request through the shield's "
        "region, so Route 53 answers every latency question from there (one PoP "
        "serves everyone) and fenced traffic is fetched and cached through that "
        "region. Default: `refuse`, a plan problem.",
    )

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, value: list[str]) -> list[str]:
        names = [normalize_dns_name(alias) for alias in value]
        if len(set(names)) != len(names):
            raise ValueError("an alias is listed twice")
        return names


_EXAMPLE_POPS = {
    "us-east-1": {"target": "shop-use1-123.us-east-1.elb.amazonaws.com"},
    "eu-west-1": {"target": "shop-euw1-456.eu-west-1.elb.amazonaws.com"},
}


def _default_record_types() -> list[RecordType]:
    return ["A"]


class Application(StrictModel):
    """One application: one CloudFront origin name (`record`), written as one Route 53
    latency record per source region and record type, each an alias to the PoP that the
    region's traffic must reach."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        examples=["shop"],
        description="The application's name in messages, plans and `--app NAME`; unique in the "
        "policy.",
    )
    zone: str = Field(
        examples=["example.com"], description="The public Route 53 hosted zone that holds `record`."
    )
    account: str | None = Field(
        default=None,
        pattern=ACCOUNT_NAME,
        examples=["dns"],
        description="Route 53 calls for this application's zone: " + ACCOUNT_FIELD_DESCRIPTION,
    )
    zone_id: str | None = Field(
        default=None,
        examples=["Z0EXAMPLE12345"],
        description="The hosted zone's id (a `/hostedzone/` prefix is removed); geoproxy checks "
        "that the zone's name is `zone`. Default: looked up by `zone`, which then "
        "needs exactly one public zone of that name.",
    )
    record: str = Field(
        examples=["origin.shop.example.com"],
        description="The origin name CloudFront connects to: `zone` itself or a name inside "
        "it, and one application's only. geoproxy also keeps its own records below "
        "it.",
    )
    record_types: list[RecordType] = Field(
        default_factory=_default_record_types,
        min_length=1,
        examples=[["A"], ["A", "AAAA"]],
        description="The record types written, one set of latency records each: `A`, and "
        "`AAAA` for IPv6; no repeats.",
    )
    source_regions: Literal["all"] | list[str] = Field(
        default="all",
        examples=["all", ["eu-west-1", "us-east-1"]],
        description="The source regions that get a latency record: `all` (every Route 53 "
        "latency region of the commercial partition) or a list of Route 53 latency "
        "regions. Keys of `force` are always added.",
    )
    pops: dict[str, Pop] = Field(
        min_length=1,
        max_length=40,
        examples=[_EXAMPLE_POPS],
        description="The application's PoPs, keyed by the AWS region each is in (a Route 53 "
        "latency region).",
    )
    force: dict[str, str] = Field(
        default_factory=dict,
        examples=[{"me-south-1": "us-east-1"}],
        description="Source region to PoP region: that source's traffic goes to that PoP, "
        "whatever is nearest. Each value must be a key of `pops`; the compliance "
        "rules still apply.",
    )
    nearest: Literal["latency", "distance"] = Field(
        default="latency",
        examples=["latency", "distance"],
        description="How the nearest PoP of a source without `force` is judged: `latency`, the "
        "shortest measured round trip in the latency table; `distance`, the "
        "shortest great-circle distance between region metros (geoproxy 0.1's "
        "rule).",
    )
    evaluate_target_health: bool = Field(
        default=False,
        examples=[False],
        description="Without `auto_failover`: sets `EvaluateTargetHealth` on every latency "
        "record, so Route 53 skips an unhealthy PoP for the next-nearest region's, "
        "which can break a compliance fence (`validate` warns). No effect with "
        "`auto_failover`.",
    )
    auto_failover: bool = Field(
        default=False,
        examples=[True],
        description="If `true`, a Route 53 failover pair stands behind each PoP's latency "
        "records, so Route 53 itself sends an unhealthy PoP's traffic to its "
        "`failover_to` partner (one hop). Every PoP then needs a compliant partner.",
    )
    compliance: list[ComplianceRule] = Field(
        default_factory=list,
        max_length=100,
        examples=[[{"name": "gdpr", "sources": ["eu-*"], "allowed_pops": ["eu-*"]}]],
        description="Rules that fence where source regions may be routed. Every route is "
        "checked against them; none re-routes anything.",
    )
    cloudfront: CloudFront | None = Field(
        default=None,
        examples=[{"distribution_id": "E2EXAMPLE123", "aliases": ["shop.example.com"]}],
        description="The existing CloudFront distribution in front of the PoPs, which geoproxy "
        "then also manages. Default: none, and geoproxy makes no CloudFront "
        "request.",
    )

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
    """A geoproxy routing policy (`routing.yaml`): which CloudFront origin names to route, to
    which regional PoPs, and the compliance fences their traffic must stay within."""

    version: Literal[1] = Field(examples=[1], description="The policy format's version; always 1.")
    # Like external-dns's --txt-owner-id: two policies that share a hosted zone need different
    # owners, or each would see the other's records as orphans.
    owner: str = Field(
        default=DEFAULT_OWNER,
        pattern=OWNER_PATTERN,
        examples=["default", "team-shop"],
        description="Whose records these are: geoproxy marks every record it writes "
        "(`geoproxy:<slot>@<owner>`) and tags its health checks with it, and only "
        "this owner's records can be orphans or pruned. Policies that share a "
        "hosted zone need different owners.",
    )
    latency_table: str | None = Field(
        default=None,
        min_length=1,
        examples=["latency.json"],
        description="A latency table of your own (JSON, the shipped table's shape), relative to "
        "the policy file; `--latency-table FILE` overrides it. Default: the table "
        "geoproxy ships.",
    )
    accounts: dict[Annotated[str, StringConstraints(pattern=ACCOUNT_NAME)], Account] = Field(
        default_factory=dict,
        examples=[
            {
                "dns": {"role_arn": "arn:aws:iam::111111111111:role/geoproxy-dns"},
                "edge": {"role_arn": "arn:aws:iam::222222222222:role/geoproxy-edge"},
                "sso": {"profile": "prod-dns"},
            }
        ],
        description="The AWS accounts geoproxy acts in, by a name of yours that "
        "`applications[].account`, `applications[].cloudfront.account` and "
        "`recovery.arc.account` refer to: a role to assume or a named profile each. Default: "
        "none, and every call uses the base credentials.",
    )
    applications: list[Application] = Field(
        min_length=1,
        max_length=1000,
        examples=[
            [
                {
                    "name": "shop",
                    "zone": "example.com",
                    "record": "origin.shop.example.com",
                    "pops": _EXAMPLE_POPS,
                }
            ]
        ],
        description="The applications, one origin name each; names and records are unique.",
    )
    recovery: Recovery = Field(
        default_factory=Recovery,
        examples=[
            {
                "switches": "arc",
                "arc": {
                    "cluster_arn": "arn:aws:route53-recovery-control::111122223333:cluster/0abc",
                    "control_panel": "geoproxy-prod",
                },
                "accelerated_recovery": True,
            }
        ],
        description="How failover works when the Route 53 control plane is down: data-plane "
        "switches (ARC routing controls) and accelerated recovery. Default: neither.",
    )

    def application(self, name: str) -> Application:
        for app in self.applications:
            if app.name == name:
                return app
        raise KeyError(name)
