"""The routing policy: its schema (pydantic models, the single source of truth) and loading.

Loading is strict: unknown keys, duplicate keys and unknown regions are errors, and every
error carries the YAML path and line it is about, so a user can fix the file in one pass.
Rules that need the region catalog or a whole application live in `policy_checks`.
"""

from __future__ import annotations

import difflib
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from geoproxy.errors import Issue, PolicyError
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


class Policy(StrictModel):
    version: Literal[1]
    applications: list[Application] = Field(min_length=1)

    def application(self, name: str) -> Application:
        for app in self.applications:
            if app.name == name:
                return app
        raise KeyError(name)


# --- loading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceMap:
    """Where each YAML path starts in the file, so errors can name a line."""

    lines: dict[YamlPath, int]

    def line_of(self, path: YamlPath) -> int | None:
        # An error about a missing key points at the nearest enclosing node that exists.
        for length in range(len(path), -1, -1):
            if path[:length] in self.lines:
                return self.lines[path[:length]]
        return None

    def locate(self, issues: list[Issue]) -> list[Issue]:
        return [Issue(issue.path, issue.message, self.line_of(issue.path)) for issue in issues]


@dataclass(frozen=True)
class LoadedPolicy:
    file: str
    policy: Policy
    source: SourceMap

    def error(self, issues: list[Issue]) -> PolicyError:
        """A PolicyError about this file, with lines filled in (used by later pipeline steps)."""
        return PolicyError(self.file, self.source.locate(issues))


def _to_python(node: yaml.Node, path: YamlPath, lines: dict[YamlPath, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _to_python(key_node, (*path, "<key>"), {})
            if key in result:
                raise _DuplicateKey(path, key, key_node.start_mark.line + 1)
            result[key] = _to_python(value_node, (*path, key), lines)
            # An error about an entry is about its key's line, even when the value is a block.
            lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*path, index), lines) for index, item in enumerate(node.value)]
    return yaml.SafeLoader("").construct_object(node, deep=True)


class _DuplicateKey(Exception):
    def __init__(self, path: YamlPath, key: object, line: int) -> None:
        self.issue = Issue((*path, str(key)), f"key {key!r} appears twice", line)


def parse_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise PolicyError(file, [Issue((), f"not valid YAML: {problem}",
                                       mark.line + 1 if mark else None)]) from None
    lines: dict[YamlPath, int] = {}
    if node is None:
        return None, SourceMap(lines)
    try:
        return _to_python(node, (), lines), SourceMap(lines)
    except _DuplicateKey as duplicate:
        raise PolicyError(file, [duplicate.issue]) from None


def _allowed_keys(path: YamlPath) -> list[str]:
    """The keys the schema allows at `path` (the parent of an unknown key), for hints."""
    annotation: Any = Policy
    for part in path:
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif origin in (list, dict):
            annotation = typing.get_args(annotation)[-1]
        else:
            return []
        while typing.get_origin(annotation) in (typing.Union, Annotated) or (
            type(annotation).__name__ == "UnionType"
        ):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = next(
                (a for a in members if typing.get_origin(a) in (list, dict)
                 or (isinstance(a, type) and issubclass(a, BaseModel))),
                members[0],
            )
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


# Keys whose type is a union: one plain sentence instead of one error per union member.
_UNION_EXPECTATIONS = {"source_regions": "`all` or a list of regions"}


def _issues_from(error: ValidationError) -> list[Issue]:
    issues = []
    seen_paths: set[YamlPath] = set()
    for detail in error.errors():
        path: YamlPath = tuple(part for part in detail["loc"] if not _is_union_tag(part))
        union_member = any(_is_union_tag(part) for part in detail["loc"])
        if union_member and path in seen_paths:
            continue  # one message per key, not one per member of its union type
        seen_paths.add(path)
        if union_member and str(path[-1]) in _UNION_EXPECTATIONS:
            expected = _UNION_EXPECTATIONS[str(path[-1])]
            issues.append(Issue(path, f"expected {expected}, got {detail['input']!r}"))
            continue
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            key = str(path[-1])
            close = difflib.get_close_matches(key, _allowed_keys(path[:-1]), n=1)
            message = f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
        elif detail["type"] == "missing":
            message = f"required key {str(path[-1])!r} is missing"
        issues.append(Issue(path, message))
    # A misspelt required key shows up twice (unknown + missing); the hint says it all.
    hinted = {(issue.path[:-1], issue.message.split("'")[-2]) for issue in issues
              if "did you mean" in issue.message}
    return [issue for issue in issues
            if not (issue.message.startswith("required key")
                    and (issue.path[:-1], str(issue.path[-1])) in hinted)]


def _is_union_tag(part: str | int) -> bool:
    # pydantic names the union member it tried (e.g. "list[str]", "literal['all']") in locs.
    return isinstance(part, str) and ("[" in part or part.startswith(("literal", "function")))


def validate_policy(data: Any, file: str, source: SourceMap, catalog: Catalog) -> Policy:
    """Schema first (pydantic), then the rules that need the region catalog."""
    from geoproxy.policy.checks import check_policy

    try:
        policy = Policy.model_validate(data)
    except ValidationError as error:
        raise PolicyError(file, source.locate(_issues_from(error))) from None
    issues = check_policy(policy, catalog)
    if issues:
        raise PolicyError(file, source.locate(issues))
    return policy


def load_policy(path: str | Path, catalog: Catalog) -> LoadedPolicy:
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(file, [Issue((), "file not found")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError(file, [Issue((), f"cannot read: {error}")]) from None
    data, source = parse_yaml(text, file)
    if not isinstance(data, dict):
        raise PolicyError(file, [Issue((), "expected a mapping with `version` and `applications`")])
    return LoadedPolicy(file, validate_policy(data, file, source, catalog), source)
