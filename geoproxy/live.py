"""Live state: read the hosted zones and the records at each managed name from Route 53.

Reads only what the plan needs: one zone lookup per zone and a listing that starts at the
application's record name and stops as soon as it is past it, never a whole-zone scan.
"""

from __future__ import annotations

from typing import Any

from geoproxy.aws import AwsSettings, aws_errors
from geoproxy.errors import AwsError
from geoproxy.healthchecks import REFERENCE_PREFIX, LiveHealthCheck
from geoproxy.plan import LiveApp
from geoproxy.records import LiveRecord, decode_route53_name
from geoproxy.state import state_name

PAGE_SIZE = "300"  # Route 53's maximum for ListResourceRecordSets


class Route53Reader:
    def __init__(self, aws: AwsSettings) -> None:
        self._aws = aws
        self._zones: dict[tuple[str, str | None], tuple[str, str]] = {}

    @property
    def _client(self) -> Any:
        return self._aws.client("route53")

    def zone(self, zone_name: str, zone_id: str | None) -> tuple[str, str]:
        """(zone id, zone name) of the public hosted zone, cached per zone."""
        key = (zone_name, zone_id)
        if key not in self._zones:
            self._zones[key] = (
                self._zone_by_id(zone_name, zone_id) if zone_id else self._zone_by_name(zone_name)
            )
        return self._zones[key]

    def _zone_by_id(self, zone_name: str, zone_id: str) -> tuple[str, str]:
        with aws_errors(f"read hosted zone {zone_id}"):
            try:
                zone = self._client.get_hosted_zone(Id=zone_id)["HostedZone"]
            except self._client.exceptions.NoSuchHostedZone:
                raise AwsError(f"hosted zone {zone_id} does not exist") from None
        actual = decode_route53_name(zone["Name"])
        if zone.get("Config", {}).get("PrivateZone", False):
            raise AwsError(f"hosted zone {zone_id} is a private zone; CloudFront resolves "
                           "origins in public DNS", hint="set `zone_id` to the public zone")
        if actual != zone_name:
            raise AwsError(f"hosted zone {zone_id} is {actual}, not {zone_name}",
                           hint="fix `zone` or `zone_id` in the policy")
        return zone_id, actual

    def _zone_by_name(self, zone_name: str) -> tuple[str, str]:
        with aws_errors(f"look up hosted zone {zone_name}"):
            response = self._client.list_hosted_zones_by_name(DNSName=zone_name, MaxItems="10")
        public = [
            zone for zone in response["HostedZones"]
            if decode_route53_name(zone["Name"]) == zone_name
            and not zone.get("Config", {}).get("PrivateZone", False)
        ]
        if not public:
            raise AwsError(f"no public hosted zone named {zone_name} in this account",
                           hint="create the zone, or check the profile and account in use")
        if len(public) > 1:
            ids = ", ".join(zone["Id"].split("/")[-1] for zone in public)
            raise AwsError(f"several public hosted zones are named {zone_name} ({ids})",
                           hint="set `zone_id` in the policy to pick one")
        return public[0]["Id"].split("/")[-1], zone_name

    def records_at(self, zone_id: str, *names: str) -> tuple[LiveRecord, ...]:
        """Every record set from the first of `names` to the last in Route 53's order (the
        names and whatever sorts between them), stopping once past the last; follows paging
        by name, type and identifier."""
        first, last = min(names, key=listing_order), max(names, key=listing_order)
        records: list[LiveRecord] = []
        request: dict[str, str] = {"HostedZoneId": zone_id, "StartRecordName": first,
                                   "MaxItems": PAGE_SIZE}
        while True:
            with aws_errors(f"list records at {first}"):
                page = self._client.list_resource_record_sets(**request)
            for raw in page["ResourceRecordSets"]:
                name = decode_route53_name(raw["Name"])
                if listing_order(name) > listing_order(last):
                    return tuple(records)  # sorted listing: nothing of ours can follow
                if listing_order(name) >= listing_order(first):
                    records.append(LiveRecord(raw))
            if not page.get("IsTruncated"):
                return tuple(records)
            request["StartRecordName"] = page["NextRecordName"]
            request["StartRecordType"] = page["NextRecordType"]
            if "NextRecordIdentifier" in page:
                request["StartRecordIdentifier"] = page["NextRecordIdentifier"]
            else:
                request.pop("StartRecordIdentifier", None)

    def read_app(self, zone: str, zone_id: str | None, record_name: str) -> LiveApp:
        """The application's records, its auto-failover pairs (`<pop>._failover.<record>`) and
        its failover state record (`_geoproxy.<record>`): one listing reads them all."""
        found_id, zone_name = self.zone(zone, zone_id)
        return LiveApp(found_id, zone_name,
                       self.records_at(found_id, record_name, state_name(record_name)))


def listing_order(name: str) -> tuple[str, ...]:
    """Route 53 lists names sorted by their labels reversed (com, example, www)."""
    return tuple(reversed(name.split(".")))


class HealthCheckReader:
    """geoproxy's Route 53 health checks (CallerReference prefix), with their tags."""

    def __init__(self, aws: AwsSettings) -> None:
        self._aws = aws

    def read(self) -> list[LiveHealthCheck]:
        client = self._aws.client("route53")
        found: list[dict[str, Any]] = []
        request: dict[str, str] = {"MaxItems": "1000"}
        while True:
            with aws_errors("list health checks"):
                page = client.list_health_checks(**request)
            found += [check for check in page["HealthChecks"]
                      if check["CallerReference"].startswith(REFERENCE_PREFIX)]
            if not page.get("IsTruncated"):
                break
            request["Marker"] = page["NextMarker"]
        tags: dict[str, dict[str, str]] = {}
        ids = [check["Id"] for check in found]
        for start in range(0, len(ids), 10):  # ListTagsForResources takes ten ids a call
            with aws_errors("read health check tags"):
                response = client.list_tags_for_resources(ResourceType="healthcheck",
                                                          ResourceIds=ids[start:start + 10])
            for entry in response["ResourceTagSets"]:
                tags[entry["ResourceId"]] = {tag["Key"]: tag["Value"] for tag in entry["Tags"]}
        return [LiveHealthCheck(check["Id"], check["CallerReference"],
                                check["HealthCheckConfig"], tags.get(check["Id"], {}))
                for check in found]
