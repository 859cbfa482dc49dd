"""Baseline: the least a plain boto3 script does to fail one application over.

    python bench/baselines/failover.py ZONE_ID RECORD_NAME FROM_TARGET TO_TARGET

One ListResourceRecordSets at the record's name (StartRecordName, MaxItems 300), then one
ChangeResourceRecordSets: for every record at the name that aliases to FROM_TARGET, an exact
DELETE of it as listed and a CREATE of the same record aliasing to TO_TARGET (its alias
target copied from a record that already points there), plus a CREATE of a TXT note beside
it, as geoproxy writes its failover state. No zone lookup and no wait for INSYNC: geoproxy
does both on top. The endpoint and credentials come from the environment.
"""

from __future__ import annotations

import sys
from typing import Any

import boto3


def main(zone_id: str, name: str, from_target: str, to_target: str) -> None:
    client = boto3.client("route53")
    name = name.rstrip(".") + "."
    page = client.list_resource_record_sets(
        HostedZoneId=zone_id, StartRecordName=name, MaxItems="300"
    )
    here = [r for r in page["ResourceRecordSets"] if r["Name"] == name]

    def aliases_to(record: dict[str, Any], dns_name: str) -> bool:
        alias = record.get("AliasTarget")
        return alias is not None and alias["DNSName"].rstrip(".") == dns_name.rstrip(".")

    destination = next(r["AliasTarget"] for r in here if aliases_to(r, to_target))
    changes: list[dict[str, Any]] = [
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": "_baseline." + name,
                "Type": "TXT",
                "TTL": 60,
                "ResourceRecords": [{"Value": f'"failover from={from_target} to={to_target}"'}],
            },
        }
    ]
    for record in here:
        if aliases_to(record, from_target):
            health = record["AliasTarget"]["EvaluateTargetHealth"]
            moved = {**record, "AliasTarget": {**destination, "EvaluateTargetHealth": health}}
            changes += [
                {"Action": "DELETE", "ResourceRecordSet": record},
                {"Action": "CREATE", "ResourceRecordSet": moved},
            ]
    response = client.change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Comment": "baseline failover", "Changes": changes}
    )
    print(f"{len(changes)} changes: {response['ChangeInfo']['Id']}")


if __name__ == "__main__":
    main(*sys.argv[1:5])
