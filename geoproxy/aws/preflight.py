"""Pre-flight reads before the first write: is the zone geoproxy writes into the one that
answers for the record?

A record below a delegation is written where no resolver looks: if the zone holds an NS
record set at a name between its apex and the record (or at the record itself), that part
of the name space is served by other name servers, and geoproxy refuses. A more specific
hosted zone that exists for such a name but is not delegated to only gets a warning: it is
harmless until someone delegates to it. These reads cost one ListResourceRecordSets per
distinct name strictly between an apex and a record, and one ListHostedZones listing (100
zones a page) per run, and happen only when the plan writes records.
"""

from __future__ import annotations

from geoproxy.aws.session import AwsSettings, aws_errors
from geoproxy.core.plan import AppPlan
from geoproxy.core.records import decode_route53_name


def names_below_apex(record_name: str, zone_name: str) -> list[str]:
    """The record and every name above it, up to but not including the zone apex."""
    names = []
    name = record_name
    while name != zone_name and name.endswith("." + zone_name):
        names.append(name)
        name = name.split(".", 1)[1]
    return names


class DelegationCheck:
    """One run's pre-flight: names already looked at are not read again."""

    def __init__(self, aws: AwsSettings) -> None:
        self._client = aws.client("route53")
        self._delegated: dict[tuple[str, str], bool] = {}
        self._public_zones: dict[str, str] | None = None

    def _is_delegated(self, zone_id: str, name: str) -> bool:
        if (zone_id, name) not in self._delegated:
            with aws_errors(f"look for a delegation at {name}"):
                page = self._client.list_resource_record_sets(
                    HostedZoneId=zone_id, StartRecordName=name, StartRecordType="NS",
                    MaxItems="1")
            self._delegated[(zone_id, name)] = any(
                decode_route53_name(r["Name"]) == name and r["Type"] == "NS"
                for r in page["ResourceRecordSets"])
        return self._delegated[(zone_id, name)]

    def _zones(self) -> dict[str, str]:
        """Public hosted zone name -> id, for the whole account, listed once."""
        if self._public_zones is None:
            self._public_zones = {}
            request: dict[str, str] = {"MaxItems": "100"}
            while True:
                with aws_errors("list hosted zones"):
                    page = self._client.list_hosted_zones(**request)
                for zone in page["HostedZones"]:
                    if not zone.get("Config", {}).get("PrivateZone", False):
                        self._public_zones.setdefault(decode_route53_name(zone["Name"]),
                                                      zone["Id"].split("/")[-1])
                if not page.get("IsTruncated"):
                    break
                request["Marker"] = page["NextMarker"]
        return self._public_zones

    def findings(self, app: AppPlan,
                 record_types_at_record: set[str]) -> tuple[list[str], list[str]]:
        """(problems, warnings) about delegations above `app`'s record."""
        problems: list[str] = []
        warnings: list[str] = []
        for name in names_below_apex(app.record_name, app.zone_name):
            delegated = ("NS" in record_types_at_record if name == app.record_name
                         else self._is_delegated(app.zone_id, name))
            if delegated:
                problems.append(
                    f"{app.name}: {name} is delegated to other name servers by an NS record "
                    f"in zone {app.zone_name}, so resolvers never see {app.record_name} "
                    "there; write it in the delegated zone instead (set `zone` to it)")
            elif name in self._zones():
                warnings.append(
                    f"{app.name}: a public hosted zone {name} ({self._zones()[name]}) exists "
                    f"but is not delegated to from {app.zone_name}; geoproxy writes into "
                    f"{app.zone_name}. If {name} is ever delegated, move the application "
                    "to it")
        return problems, warnings
