"""Live state: read the hosted zones and the records at each managed name from Route 53.

Reads only what the plan needs: one zone lookup per zone, then per zone the cheaper of one
listing of the whole zone, shared by all of its applications (and searched for orphans by
plan, apply and status), and a listing per application that starts at its record name and
stops as soon as it is past it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from geoproxy.aws.concurrency import run_all
from geoproxy.aws.session import AwsSettings, aws_errors
from geoproxy.core.healthchecks import LiveHealthCheck
from geoproxy.core.live import LiveApp, LiveRead
from geoproxy.core.names import REFERENCE_PREFIX
from geoproxy.core.records import LiveRecord, decode_route53_name
from geoproxy.core.zone_features import NOT_REPORTED, ZoneFeatures, features_from
from geoproxy.errors import AwsError

PAGE_SIZE = "300"  # Route 53's maximum for ListResourceRecordSets


class Route53Reader:
    def __init__(self, aws: AwsSettings) -> None:
        self._aws = aws
        self._zones: dict[tuple[str, str | None], tuple[str, str]] = {}
        self._sizes: dict[str, int] = {}  # zone id -> ResourceRecordSetCount, when given
        # zone id -> Features.AcceleratedRecoveryStatus, when the lookup said: free, since
        # GetHostedZone (the lookup by `zone_id`) carries it.
        self.features: dict[str, str] = {}
        # zone id -> everything its Features said (guardrails, change history), from the
        # same lookup: no request of its own.
        self._zone_features: dict[str, ZoneFeatures] = {}

    def _client(self, zone: str) -> Any:
        """Route 53 in the account that holds `zone` (name or id): the application's."""
        return self._aws.for_zone(zone).client("route53")

    def zone(self, zone_name: str, zone_id: str | None) -> tuple[str, str]:
        """(zone id, zone name) of the public hosted zone, cached per zone."""
        key = (zone_name, zone_id)
        if key not in self._zones:
            self._zones[key] = (
                self._zone_by_id(zone_name, zone_id) if zone_id else self._zone_by_name(zone_name)
            )
            self._aws.routes.learn_zone(zone_name, self._zones[key][0])
        return self._zones[key]

    def _zone_by_id(self, zone_name: str, zone_id: str) -> tuple[str, str]:
        client = self._client(zone_id)
        where = self._aws.for_zone(zone_id).in_account(f"hosted zone {zone_id}")
        with aws_errors(f"read {where}"):
            try:
                zone = client.get_hosted_zone(Id=zone_id)["HostedZone"]
            except client.exceptions.NoSuchHostedZone:
                raise AwsError(f"{where} does not exist") from None
        actual = decode_route53_name(zone["Name"])
        if zone.get("Config", {}).get("PrivateZone", False):
            raise AwsError(
                f"hosted zone {zone_id} is a private zone; CloudFront resolves "
                "origins in public DNS",
                hint="set `zone_id` to the public zone",
            )
        if actual != zone_name:
            raise AwsError(
                f"hosted zone {zone_id} is {actual}, not {zone_name}",
                hint="fix `zone` or `zone_id` in the policy",
            )
        self._remember_size(zone_id, zone)
        self._zone_features[zone_id] = features_from(zone)
        status = (zone.get("Features") or {}).get("AcceleratedRecoveryStatus")
        if isinstance(status, str):
            self.features[zone_id] = status
        return zone_id, actual

    def _zone_by_name(self, zone_name: str) -> tuple[str, str]:
        """Zones of this name, public and private (split horizon), follow one another in
        ListHostedZonesByName's order: page on while the next one still has the name."""
        named: list[dict[str, Any]] = []
        request = {"DNSName": zone_name, "MaxItems": "100"}
        client = self._client(zone_name)
        this_account = self._aws.for_zone(zone_name).in_account("this account")
        while True:
            with aws_errors(f"look up hosted zone {zone_name}"):
                response = client.list_hosted_zones_by_name(**request)
            page = [
                zone
                for zone in response["HostedZones"]
                if decode_route53_name(zone["Name"]) == zone_name
            ]
            named += page
            if (
                not response.get("IsTruncated")
                or len(page) < len(response["HostedZones"])
                or decode_route53_name(response.get("NextDNSName", "")) != zone_name
            ):
                break
            request = {
                "DNSName": response["NextDNSName"],
                "HostedZoneId": response["NextHostedZoneId"],
                "MaxItems": "100",
            }
        public = [zone for zone in named if not zone.get("Config", {}).get("PrivateZone", False)]
        if not public and named:
            ids = ", ".join(zone["Id"].split("/")[-1] for zone in named)
            raise AwsError(
                f"hosted zone {zone_name} exists in {this_account} only as a private "
                f"zone ({ids}); CloudFront resolves origins in public DNS",
                hint=f"create a public hosted zone {zone_name} (a split-horizon "
                "pair keeps the private one), or set `zone` to a public zone",
            )
        if not public:
            raise AwsError(
                f"no public hosted zone named {zone_name} in {this_account}",
                hint="create the zone, or check the profile and account in use",
            )
        if len(public) > 1:
            ids = ", ".join(zone["Id"].split("/")[-1] for zone in public)
            raise AwsError(
                f"several public hosted zones are named {zone_name} ({ids})",
                hint="set `zone_id` in the policy to pick one",
            )
        zone_id = public[0]["Id"].split("/")[-1]
        self._remember_size(zone_id, public[0])
        self._zone_features[zone_id] = features_from(public[0])
        return zone_id, zone_name

    def _remember_size(self, zone_id: str, zone: dict[str, Any]) -> None:
        if isinstance(zone.get("ResourceRecordSetCount"), int):
            self._sizes[zone_id] = zone["ResourceRecordSetCount"]

    def zone_features(self, zone_id: str) -> ZoneFeatures:
        """What the zone's lookup said of its features (nothing said: none assumed)."""
        return self._zone_features.get(zone_id, NOT_REPORTED)

    def size(self, zone_id: str) -> int | None:
        """How many record sets the zone holds, as its lookup said (None: not said)."""
        return self._sizes.get(zone_id)

    def zone_records(self, zone_id: str) -> tuple[LiveRecord, ...]:
        """Every record set in the zone: one listing, ceil(records / 300) calls."""
        records: list[LiveRecord] = []
        request: dict[str, str] = {"HostedZoneId": zone_id, "MaxItems": PAGE_SIZE}
        while True:
            with aws_errors(f"list the records of hosted zone {zone_id}"):
                page = self._client(zone_id).list_resource_record_sets(**request)
            records += [LiveRecord(raw) for raw in page["ResourceRecordSets"]]
            if not page.get("IsTruncated"):
                return tuple(records)
            _next_page(request, page)

    def public_zones(self, accounts: Iterable[str | None] = (None,)) -> list[tuple[str, str]]:
        """(zone id, zone name) of every public hosted zone the credentials of `accounts`
        (names; None: the base credentials) can list: ListHostedZones, 100 a page (its
        maximum), in each. Private zones are skipped: CloudFront resolves origins in public
        DNS, so geoproxy never writes there. Each zone is then read in its account."""
        found: list[tuple[str, str]] = []
        for account in accounts:
            settings = self._aws.for_account(account)
            client = settings.client("route53")
            request: dict[str, str] = {"MaxItems": "100"}
            while True:
                with aws_errors(f"list hosted zones in {settings.in_account('this account')}"):
                    page = client.list_hosted_zones(**request)
                for zone in page["HostedZones"]:
                    if zone.get("Config", {}).get("PrivateZone", False):
                        continue
                    zone_id = zone["Id"].split("/")[-1]
                    found.append((zone_id, decode_route53_name(zone["Name"])))
                    if account is not None:
                        self._aws.routes.zones.setdefault(zone_id, account)
                if not page.get("IsTruncated"):
                    break
                request["Marker"] = page["NextMarker"]
        return found

    def subtree(self, zone_id: str, name: str, *, below: bool = True) -> tuple[LiveRecord, ...]:
        """Every record set at `name` (and, with `below`, under it). Route 53 lists names
        sorted by their labels reversed, so a subtree is one contiguous run: start at the
        name, stop at the first name outside it; follows paging by name, type and id."""
        records: list[LiveRecord] = []
        request: dict[str, str] = {
            "HostedZoneId": zone_id,
            "StartRecordName": name,
            "MaxItems": PAGE_SIZE,
        }
        while True:
            with aws_errors(f"list records at {name}"):
                page = self._client(zone_id).list_resource_record_sets(**request)
            for raw in page["ResourceRecordSets"]:
                listed = decode_route53_name(raw["Name"])
                if listed != name and not (below and listed.endswith("." + name)):
                    return tuple(records)
                records.append(LiveRecord(raw))
            if not page.get("IsTruncated"):
                return tuple(records)
            _next_page(request, page)

    def read_app(
        self, zone: str, zone_id: str | None, record_name: str, other_names: tuple[str, ...] = ()
    ) -> LiveApp:
        """Everything geoproxy keeps for an application: its record and the names below it
        (auto-failover pairs, failover state, direct PoP names) in one listing, plus
        `other_names` (viewer aliases) that lie elsewhere in the zone."""
        found_id, zone_name = self.zone(zone, zone_id)
        records = list(self.subtree(found_id, record_name))
        for name in sorted(set(other_names)):
            if name != record_name and not name.endswith("." + record_name):
                records.extend(self.subtree(found_id, name, below=False))
        return LiveApp(found_id, zone_name, tuple(records))


def _next_page(request: dict[str, str], page: dict[str, Any]) -> None:
    """ListResourceRecordSets pages by name, type and (for records that have one) id."""
    request["StartRecordName"] = page["NextRecordName"]
    request["StartRecordType"] = page["NextRecordType"]
    if "NextRecordIdentifier" in page:
        request["StartRecordIdentifier"] = page["NextRecordIdentifier"]
    else:
        request.pop("StartRecordIdentifier", None)


class HealthCheckReader:
    """geoproxy's Route 53 health checks (CallerReference prefix), with their tags."""

    def __init__(self, aws: AwsSettings) -> None:
        self._aws = aws.for_health_checks()  # in the applications' account

    def read(self) -> list[LiveHealthCheck]:
        client = self._aws.client("route53")
        found: list[dict[str, Any]] = []
        request: dict[str, str] = {"MaxItems": "1000"}
        while True:
            with aws_errors("list health checks"):
                page = client.list_health_checks(**request)
            found += [
                check
                for check in page["HealthChecks"]
                if check["CallerReference"].startswith(REFERENCE_PREFIX)
            ]
            if not page.get("IsTruncated"):
                break
            request["Marker"] = page["NextMarker"]
        tags: dict[str, dict[str, str]] = {}
        ids = [check["Id"] for check in found]
        for start in range(0, len(ids), 10):  # ListTagsForResources takes ten ids a call
            with aws_errors("read health check tags"):
                response = client.list_tags_for_resources(
                    ResourceType="healthcheck", ResourceIds=ids[start : start + 10]
                )
            for entry in response["ResourceTagSets"]:
                tags[entry["ResourceId"]] = {tag["Key"]: tag["Value"] for tag in entry["Tags"]}
        return [
            LiveHealthCheck(
                check["Id"],
                check["CallerReference"],
                check["HealthCheckConfig"],
                tags.get(check["Id"], {}),
            )
            for check in found
        ]


class MissingDistribution(AwsError):
    """GetDistribution: NoSuchDistribution (`destroy` goes on without it)."""


class CloudFrontReader:
    """The distributions the policy names, read once per run."""

    def __init__(self, aws: AwsSettings) -> None:
        self._aws = aws

    def distribution(self, distribution_id: str) -> tuple[dict[str, Any], str]:
        """GetDistribution: (the Distribution, with config, domain name and status; ETag)."""
        aws = self._aws.for_distribution(distribution_id)
        client = aws.client("cloudfront")
        with aws_errors(aws.in_account(f"read CloudFront distribution {distribution_id}")):
            try:
                response = client.get_distribution(Id=distribution_id)
            except client.exceptions.NoSuchDistribution:
                raise MissingDistribution(
                    aws.in_account(f"CloudFront distribution {distribution_id}")
                    + " does not exist",
                    hint="geoproxy manages an existing distribution; check "
                    "`cloudfront.distribution_id`",
                ) from None
        return response["Distribution"], response["ETag"]

    def alias_owners(self) -> dict[str, str]:
        """alias -> id of the distribution that carries it, across the account."""
        return {
            alias.lower().rstrip("."): summary["Id"]
            for summary in self.summaries()
            for alias in (summary.get("Aliases") or {}).get("Items") or []
        }

    def summaries(self) -> list[dict[str, Any]]:
        """ListDistributions, every page: each summary carries the distribution's aliases,
        origins and cache behaviours (with their function associations)."""
        client = self._aws.client("cloudfront")
        found: list[dict[str, Any]] = []
        request: dict[str, str] = {}
        while True:
            with aws_errors("list CloudFront distributions"):
                listing = client.list_distributions(**request)["DistributionList"]
            found += listing.get("Items") or []
            if not listing.get("IsTruncated"):
                return found
            request["Marker"] = listing["NextMarker"]


@dataclass(frozen=True)
class AppNames:
    """What one application keeps in Route 53: its zone, record, and viewer alias names."""

    app: str
    zone: str
    zone_id: str | None
    record: str
    aliases: tuple[str, ...] = ()


def _calls_by_name(names: AppNames) -> int:
    """The fewest listings that read one application by its names."""
    below = [a for a in names.aliases if a != names.record and not a.endswith("." + names.record)]
    return 1 + len(set(below))


def read_apps(aws: AwsSettings, wanted: list[AppNames], *, force_whole: bool = False) -> LiveRead:
    """Each application's records. Zones are looked up and read side by side. A zone is
    listed whole (one listing for all of its applications, and what the orphan search
    needs) unless that costs more calls than listing each application's names, which
    its ResourceRecordSetCount tells before reading; then its name goes to `partial`.
    `force_whole` lists every zone whole (pruning)."""
    reader = Route53Reader(aws)
    # Made here, one per account: boto3 sessions are not thread-safe, clients are.
    for names in wanted or [AppNames("", "", None, "")]:
        aws.for_zone(names.zone).client("route53")
    keys = list(dict.fromkeys((names.zone, names.zone_id) for names in wanted))
    found = dict(
        zip(keys, run_all([functools.partial(reader.zone, *key) for key in keys]), strict=True)
    )
    by_zone: dict[str, list[AppNames]] = {}
    for names in wanted:
        by_zone.setdefault(found[(names.zone, names.zone_id)][0], []).append(names)
    result = LiveRead()

    def read(zone_id: str) -> None:
        here = by_zone[zone_id]
        size = reader.size(zone_id)
        by_name = sum(_calls_by_name(names) for names in here)
        if force_whole or size is None or math.ceil(max(size, 1) / int(PAGE_SIZE)) <= by_name:
            zone_name = found[(here[0].zone, here[0].zone_id)][1]
            zone = LiveApp(zone_id, zone_name, reader.zone_records(zone_id))
            result.zones[zone_id] = zone
            result.apps.update(
                zone.split({names.app: (names.record, names.aliases) for names in here})
            )
            return
        result.partial.append(here[0].zone)
        for names in here:
            result.apps[names.app] = reader.read_app(
                names.zone, names.zone_id, names.record, names.aliases
            )

    run_all([functools.partial(read, zone_id) for zone_id in by_zone])
    result.apps = {names.app: result.apps[names.app] for names in wanted}  # policy order
    result.zone_ids = {zone_name: zone_id for zone_id, zone_name in found.values()}
    result.features = dict(reader.features)
    result.zone_features = {zone_id: reader.zone_features(zone_id) for zone_id, _ in found.values()}
    return result
