"""Route 53 record set protections: the one listing geoproxy makes of a zone's protections
before it writes there (ListResourceRecordSetProtections, Route 53 API Reference,
https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSetProtections.html:
at most 300 a page, NextToken while there are more). geoproxy never creates or deletes one.
"""

from __future__ import annotations

from typing import Any

from geoproxy.aws.session import AwsSettings, aws_errors
from geoproxy.core.guardrails import Protection, norm


def list_protections(aws: AwsSettings, zone_id: str) -> list[Protection]:
    """Every protection of the zone: one request, and one more per further page."""
    client = aws.for_zone(zone_id).client("route53")  # the zone's account (accounts:)
    found: list[Protection] = []
    kwargs: dict[str, Any] = {"HostedZoneId": zone_id}
    with aws_errors(f"list the record set protections of hosted zone {zone_id}"):
        while True:
            page = client.list_resource_record_set_protections(**kwargs)
            found += [
                Protection(norm(str(p["RecordName"])), str(p["RecordType"]), p.get("Comment"))
                for p in page.get("ResourceRecordSetProtections") or []
            ]
            if not page.get("NextToken"):
                return found
            kwargs["NextToken"] = page["NextToken"]
