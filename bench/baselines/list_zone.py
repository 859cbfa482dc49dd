"""Baseline: what a plain boto3 script pays to read one hosted zone whole.

    python bench/baselines/list_zone.py ZONE_ID

Paginated ListResourceRecordSets at Route 53's maximum page (300), every record kept in
memory, as `geoproxy plan` reads a zone. The endpoint and credentials come from the
environment (the benchmark points AWS_ENDPOINT_URL at its local emulator).
"""

from __future__ import annotations

import sys
from typing import Any

import boto3


def main(zone_id: str) -> None:
    client = boto3.client("route53")
    records: list[dict[str, Any]] = []
    request = {"HostedZoneId": zone_id, "MaxItems": "300"}
    while True:
        page = client.list_resource_record_sets(**request)
        records += page["ResourceRecordSets"]
        if not page["IsTruncated"]:
            break
        request["StartRecordName"] = page["NextRecordName"]
        request["StartRecordType"] = page["NextRecordType"]
        if "NextRecordIdentifier" in page:
            request["StartRecordIdentifier"] = page["NextRecordIdentifier"]
        else:
            request.pop("StartRecordIdentifier", None)
    print(f"{len(records)} record sets")


if __name__ == "__main__":
    main(sys.argv[1])
