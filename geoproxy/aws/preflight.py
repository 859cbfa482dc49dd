"""Pre-flight reads before the first write: is the zone geoproxy writes into the one that
answers for the record, and will CloudFront accept the distribution's aliases?

A record below a delegation is written where no resolver looks: if the zone holds an NS
record set at a name between its apex and the record (or at the record itself), that part
of the name space is served by other name servers, and geoproxy refuses. A more specific
hosted zone that exists for such a name but is not delegated to only gets a warning: it is
harmless until someone delegates to it. These reads cost one ListResourceRecordSets per
distinct name strictly between an apex and a record (none in a zone the run already listed
whole), and one ListHostedZones listing (100 zones a page) per run, and happen only when the
plan writes records.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from geoproxy.aws.session import AwsSettings, aws_errors
from geoproxy.core.cloudfront import config_aliases, covers, viewer_certificate
from geoproxy.core.live import LiveApp
from geoproxy.core.plan import AppAddress
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

    def __init__(self, aws: AwsSettings, read_whole: Mapping[str, LiveApp] | None = None) -> None:
        self._aws = aws
        self._delegated: dict[tuple[str, str], bool] = {}
        # Per account (accounts:, issue 26): the zone's account is listed.
        self._public_zones: dict[str | None, dict[str, str]] = {}
        # Zones this run already listed whole: their NS record sets are known, no read.
        self._ns_names = {
            zone_id: {r.name for r in zone.records if r.record_type == "NS"}
            for zone_id, zone in (read_whole or {}).items()
        }

    def _is_delegated(self, zone_id: str, name: str) -> bool:
        if zone_id in self._ns_names:
            return name in self._ns_names[zone_id]
        if (zone_id, name) not in self._delegated:
            with aws_errors(f"look for a delegation at {name}"):
                page = (
                    self._aws.for_zone(zone_id)
                    .client("route53")
                    .list_resource_record_sets(
                        HostedZoneId=zone_id,
                        StartRecordName=name,
                        StartRecordType="NS",
                        MaxItems="1",
                    )
                )
            self._delegated[(zone_id, name)] = any(
                decode_route53_name(r["Name"]) == name and r["Type"] == "NS"
                for r in page["ResourceRecordSets"]
            )
        return self._delegated[(zone_id, name)]

    def _zones(self, zone_id: str) -> dict[str, str]:
        """Public hosted zone name -> id, for the whole account of `zone_id`, listed once."""
        aws = self._aws.for_zone(zone_id)
        if aws.account_name not in self._public_zones:
            found: dict[str, str] = {}
            request: dict[str, str] = {"MaxItems": "100"}
            while True:
                with aws_errors("list hosted zones"):
                    page = aws.client("route53").list_hosted_zones(**request)
                for zone in page["HostedZones"]:
                    if not zone.get("Config", {}).get("PrivateZone", False):
                        found.setdefault(
                            decode_route53_name(zone["Name"]), zone["Id"].split("/")[-1]
                        )
                if not page.get("IsTruncated"):
                    break
                request["Marker"] = page["NextMarker"]
            self._public_zones[aws.account_name] = found
        return self._public_zones[aws.account_name]

    def findings(
        self, app: AppAddress, record_types_at_record: set[str] | None = None
    ) -> tuple[list[str], list[str]]:
        """(problems, warnings) about delegations above `app`'s record. The types of the
        records at the record name come from the plan's own listing when it has one."""
        problems: list[str] = []
        warnings: list[str] = []
        for name in names_below_apex(app.record_name, app.zone_name):
            delegated = (
                "NS" in record_types_at_record
                if name == app.record_name and record_types_at_record is not None
                else self._is_delegated(app.zone_id, name)
            )
            if delegated:
                problems.append(
                    f"{app.name}: {name} is delegated to other name servers by an NS record "
                    f"in zone {app.zone_name}, so resolvers never see {app.record_name} "
                    "there; write it in the delegated zone instead (set `zone` to it)"
                )
            elif name in self._zones(app.zone_id):
                warnings.append(
                    f"{app.name}: a public hosted zone {name} "
                    f"({self._zones(app.zone_id)[name]}) exists "
                    f"but is not delegated to from {app.zone_name}; geoproxy writes into "
                    f"{app.zone_name}. If {name} is ever delegated, move the application "
                    "to it"
                )
        return problems, warnings


class ViewerCheck:
    """Before a distribution update that carries aliases: does its viewer certificate cover
    every alias, and does another distribution (in any account) already use one being
    added? CloudFront would refuse the update after the Route 53 phase had been written.

    Reads, only for distributions the plan updates: one DescribeCertificate per ACM
    certificate (or ListServerCertificates pages for an IAM one), and one
    ListConflictingAliases per alias being added.
    """

    def __init__(self, aws: AwsSettings) -> None:
        self._aws = aws

    def findings(
        self, app: str, distribution_id: str, new_config: dict[str, Any], adding: list[str]
    ) -> tuple[list[str], list[str]]:
        aliases = config_aliases(new_config)
        if not aliases:
            return [], []
        kind, certificate = viewer_certificate(new_config)
        if kind == "default":
            return [
                f"{app}: distribution {distribution_id} uses CloudFront's default "
                f"certificate, which cannot serve aliases ({', '.join(aliases)}); attach "
                "an ACM certificate in us-east-1 that covers them"
            ], []
        assert certificate is not None
        if kind == "acm":
            problems, uncovered = self._acm(app, certificate, aliases)
            warnings: list[str] = []
        else:
            problems, warnings = self._iam(app, certificate, aliases)
            uncovered = []
        if problems:
            return problems, warnings
        for alias in adding:
            if alias not in uncovered:
                problems += self._conflicts(app, distribution_id, alias)
        return problems, warnings

    def _acm(self, app: str, arn: str, aliases: list[str]) -> tuple[list[str], list[str]]:
        region = arn.split(":")[3] if arn.count(":") >= 5 else ""
        if region != "us-east-1":
            return [
                f"{app}: the viewer certificate {arn} is in {region or 'no region'}; "
                "CloudFront uses ACM certificates from us-east-1 only"
            ], []
        client = self._aws.client("acm")
        with aws_errors(f"read the viewer certificate {arn}"):
            try:
                found = client.describe_certificate(CertificateArn=arn)["Certificate"]
            except client.exceptions.ResourceNotFoundException:
                return [f"{app}: the viewer certificate {arn} does not exist"], []
        if found.get("Status") != "ISSUED":
            return [
                f"{app}: the viewer certificate {arn} is {found.get('Status')}, not "
                "ISSUED; CloudFront can only use an issued certificate"
            ], []
        names = [found.get("DomainName", ""), *(found.get("SubjectAlternativeNames") or [])]
        uncovered = [alias for alias in aliases if not covers(names, alias)]
        if uncovered:
            return [
                f"{app}: the viewer certificate {arn} ({', '.join(sorted(set(names)))}) "
                f"does not cover {', '.join(uncovered)}; add them to the certificate "
                "(or drop the aliases)"
            ], uncovered
        return [], []

    def _iam(
        self, app: str, certificate_id: str, aliases: list[str]
    ) -> tuple[list[str], list[str]]:
        client = self._aws.client("iam")
        request: dict[str, str] = {"PathPrefix": "/cloudfront/"}
        while True:
            with aws_errors("list IAM server certificates"):
                page = client.list_server_certificates(**request)
            for metadata in page["ServerCertificateMetadataList"]:
                if metadata["ServerCertificateId"] == certificate_id:
                    name = metadata["ServerCertificateName"]
                    expiration = metadata.get("Expiration")
                    if expiration is not None and expiration <= datetime.now(timezone.utc):
                        return [
                            f"{app}: the IAM server certificate {name} expired on "
                            f"{expiration:%Y-%m-%d}"
                        ], []
                    # Its names are in the certificate body, which geoproxy does not parse.
                    return [], [
                        f"{app}: geoproxy cannot see which names the IAM server "
                        f"certificate {name} covers; CloudFront refuses the update "
                        f"unless it covers {', '.join(aliases)}"
                    ]
            if not page.get("IsTruncated"):
                return [
                    f"{app}: the IAM server certificate {certificate_id} does not exist "
                    "under the /cloudfront/ path"
                ], []
            request["Marker"] = page["Marker"]

    def _conflicts(self, app: str, distribution_id: str, alias: str) -> list[str]:
        """ListConflictingAliases masks ids: the queried distribution shows as its last
        characters, so it is told from the others by them."""
        client = self._aws.client("cloudfront")
        request: dict[str, Any] = {
            "DistributionId": distribution_id,
            "Alias": alias,
            "MaxItems": 100,
        }
        problems = []
        while True:
            with aws_errors(f"look for distributions that use {alias}"):
                listing = client.list_conflicting_aliases(**request)["ConflictingAliasesList"]
            for item in listing.get("Items") or []:
                if item["Alias"].lower().rstrip(".") != alias:
                    continue  # an overlapping wildcard: CloudFront allows it
                masked = str(item.get("DistributionId", ""))
                if masked.lstrip("*") and distribution_id.endswith(masked.lstrip("*")):
                    continue
                problems.append(
                    f"{app}: alias {alias} is already used by CloudFront "
                    f"distribution {masked} in account {item.get('AccountId')}; "
                    "CloudFront refuses it (CNAMEAlreadyExists) until it is "
                    "removed there"
                )
            marker = listing.get("NextMarker")
            if not marker:
                return problems
            request["Marker"] = marker
