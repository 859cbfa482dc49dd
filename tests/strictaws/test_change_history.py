"""Route 53 Change History in the strict layer (change_history.py, where the sources are
cited): what is recorded, the three reads, their windows, order, paging and errors, and the
lag."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from geoproxy.sandbox.strict.change_history import Refused, parse_bound
from tests.strictaws import StrictMotoServer
from tests.strictaws.fixtures import NO_RETRY, error_of

pytest_plugins = ["tests.strictaws.fixtures"]


@pytest.fixture
def r53(aws: StrictMotoServer) -> Any:
    return aws.client("route53", config=NO_RETRY)


def zone(r53: Any, name: str = "example.com") -> str:
    return str(r53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"])


def create(r53: Any, zone_id: str, name: str, comment: str | None = None) -> dict[str, Any]:
    batch: dict[str, Any] = {
        "Changes": [
            {
                "Action": "CREATE",
                "ResourceRecordSet": {
                    "Name": name,
                    "Type": "A",
                    "TTL": 60,
                    "ResourceRecords": [{"Value": "192.0.2.1"}],
                },
            }
        ]
    }
    if comment is not None:
        batch["Comment"] = comment
    return dict(
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch=batch)["ChangeInfo"]
    )


def summaries(r53: Any, zone_id: str, **kw: Any) -> list[dict[str, Any]]:
    return list(
        r53.list_hosted_zone_change_batches(HostedZoneId=zone_id, **kw)["ChangeBatchSummaries"]
    )


def iso(at: Any) -> str:
    return str(at.isoformat(timespec="milliseconds"))


def test_without_change_history_every_read_is_feature_not_enabled(r53: Any) -> None:
    z = zone(r53)
    assert r53.get_hosted_zone(Id=z)["HostedZone"].get("Features") is None
    assert error_of(r53.list_hosted_zone_change_batches, HostedZoneId=z) == (
        "FeatureNotEnabled",
        403,
    )
    assert error_of(r53.get_hosted_zone_change_batch, HostedZoneId=z, ChangeId="C1") == (
        "FeatureNotEnabled",
        403,
    )
    assert error_of(r53.list_resource_record_set_changes, HostedZoneId=z) == (
        "FeatureNotEnabled",
        403,
    )
    assert error_of(r53.list_hosted_zone_change_batches, HostedZoneId="ZNONE") == (
        "NoSuchHostedZone",
        404,
    )


def test_enabled_history_is_reported_by_both_zone_lookups(aws: StrictMotoServer, r53: Any) -> None:
    z = zone(r53)
    starts = aws.change_history.enable(z)
    for found in (
        r53.get_hosted_zone(Id=z)["HostedZone"],
        r53.list_hosted_zones_by_name(DNSName="example.com")["HostedZones"][0],
    ):
        history = found["Features"]["ChangeHistory"]
        assert history["Status"] == "ENABLED"
        assert abs(history["RetentionStartsAt"] - starts) < timedelta(milliseconds=1)


def test_each_accepted_batch_is_recorded_with_who_when_request_comment_count(
    aws: StrictMotoServer, r53: Any
) -> None:
    z = zone(r53)
    aws.change_history.enable(z)
    info = create(r53, z, "A.example.com", "geoproxy apply [gp-1]")
    with pytest.raises(ClientError):  # rejected: already exists, and never recorded
        create(r53, z, "a.example.com")
    aws.change_history.identity = "arn:aws:sts::111122223333:assumed-role/Ops/jane"
    second = create(r53, z, "b.example.com")
    (newest, oldest) = summaries(r53, z)
    assert oldest["ChangeId"] == info["Id"].rpartition("/")[2]
    assert oldest["Operation"] == "ChangeResourceRecordSets"
    assert oldest["SubmittedBy"] == "arn:aws:sts::123456789012:user/moto"  # moto's caller
    assert oldest["Comment"] == "geoproxy apply [gp-1]"
    assert oldest["ChangeCount"] == 1
    assert oldest["RequestId"]
    assert abs(oldest["SubmittedAt"] - info["SubmittedAt"]) < timedelta(milliseconds=1)
    assert newest["ChangeId"] == second["Id"].rpartition("/")[2]
    assert newest["SubmittedBy"] == "arn:aws:sts::111122223333:assumed-role/Ops/jane"
    assert "Comment" not in newest


def test_a_lost_response_is_still_in_the_history(aws: StrictMotoServer, r53: Any) -> None:
    z = zone(r53)
    aws.change_history.enable(z)
    aws.inject_lost_response("ChangeResourceRecordSets")
    with pytest.raises(ConnectionClosedError):
        create(r53, z, "a.example.com", "lost")
    assert [s["Comment"] for s in summaries(r53, z)] == ["lost"]


def test_the_lag_hides_a_batch_from_the_first_reads(aws: StrictMotoServer, r53: Any) -> None:
    z = zone(r53)
    aws.change_history.enable(z)
    aws.change_history.lag_reads = 2
    info = create(r53, z, "a.example.com")
    assert summaries(r53, z) == []
    assert error_of(r53.get_hosted_zone_change_batch, HostedZoneId=z, ChangeId=info["Id"]) == (
        "NoSuchChange",
        404,
    )
    assert len(summaries(r53, z)) == 1  # "a later request for the same range might return more"


def test_window_order_and_retention(aws: StrictMotoServer, r53: Any) -> None:
    z = zone(r53)
    starts = aws.change_history.enable(z)
    first, second = create(r53, z, "a.example.com"), create(r53, z, "b.example.com")
    at = summaries(r53, z, SortOrder="ASCENDING")
    assert [s["ChangeId"] for s in at] == [
        first["Id"].rpartition("/")[2],
        second["Id"].rpartition("/")[2],
    ]
    # SubmittedAfter is included, SubmittedBefore excluded.
    same = iso(at[0]["SubmittedAt"])
    assert (
        summaries(r53, z, SubmittedAfter=same, SubmittedBefore=iso(at[1]["SubmittedAt"]))[0][
            "ChangeId"
        ]
        == at[0]["ChangeId"]
    )
    code, status = error_of(
        r53.list_hosted_zone_change_batches,
        HostedZoneId=z,
        SubmittedAfter=iso(starts - timedelta(days=1)),
    )
    assert (code, status) == ("InvalidInput", 400)
    assert error_of(
        r53.list_hosted_zone_change_batches,
        HostedZoneId=z,
        SubmittedAfter=same,
        SubmittedBefore=same,
    ) == ("InvalidInput", 400)
    assert error_of(
        r53.list_hosted_zone_change_batches, HostedZoneId=z, SubmittedAfter="yesterday"
    ) == ("InvalidInput", 400)


def test_paging_and_start_after_change_id(aws: StrictMotoServer, r53: Any) -> None:
    z = zone(r53)
    aws.change_history.enable(z)
    ids = [create(r53, z, f"n{i}.example.com")["Id"].rpartition("/")[2] for i in range(3)]
    page = r53.list_hosted_zone_change_batches(HostedZoneId=z, MaxResults="2")
    assert [s["ChangeId"] for s in page["ChangeBatchSummaries"]] == ids[::-1][:2]
    rest = r53.list_hosted_zone_change_batches(
        HostedZoneId=z, MaxResults="2", NextToken=page["NextToken"]
    )
    assert [s["ChangeId"] for s in rest["ChangeBatchSummaries"]] == ids[:1]
    assert "NextToken" not in rest
    assert error_of(
        r53.list_hosted_zone_change_batches,
        HostedZoneId=z,
        SortOrder="ASCENDING",
        NextToken=page["NextToken"],
    ) == ("InvalidInput", 400)
    assert error_of(r53.list_hosted_zone_change_batches, HostedZoneId=z, NextToken="junk") == (
        "InvalidPaginationToken",
        400,
    )
    assert error_of(r53.list_hosted_zone_change_batches, HostedZoneId=z, MaxResults="1001") == (
        "InvalidInput",
        400,
    )
    after = summaries(r53, z, StartAfterChangeId=ids[0], SortOrder="ASCENDING")
    assert [s["ChangeId"] for s in after] == ids[1:]
    assert error_of(
        r53.list_hosted_zone_change_batches, HostedZoneId=z, StartAfterChangeId=ids[0]
    ) == (
        "InvalidInput",
        400,
    )


def test_one_batch_and_the_changes_to_one_name(aws: StrictMotoServer, r53: Any) -> None:
    z, other = zone(r53), zone(r53, "example.org")
    aws.change_history.enable(z)
    aws.change_history.enable(other)
    info = create(r53, z, "A.Example.com", "one")
    create(r53, z, "b.example.com")
    got = r53.get_hosted_zone_change_batch(HostedZoneId=z, ChangeId=info["Id"])  # with /change/
    assert got["ChangeBatchSummary"]["Comment"] == "one"
    assert got["ChangeBatch"]["Changes"] == [
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": "a.example.com.",
                "Type": "A",
                "TTL": 60,
                "ResourceRecords": [{"Value": "192.0.2.1"}],
            },
        }
    ]
    assert error_of(r53.get_hosted_zone_change_batch, HostedZoneId=other, ChangeId=info["Id"]) == (
        "NoSuchChange",
        404,
    )
    changes = r53.list_resource_record_set_changes(
        HostedZoneId=z, RecordName="a.example.com", RecordType="A"
    )["ResourceRecordSetChanges"]
    assert [(c["Action"], c["ResourceRecordSet"]["Name"]) for c in changes] == [
        ("CREATE", "a.example.com.")
    ]
    assert (
        len(r53.list_resource_record_set_changes(HostedZoneId=z)["ResourceRecordSetChanges"]) == 2
    )
    assert error_of(
        r53.list_resource_record_set_changes, HostedZoneId=z, RecordName="a.example.com"
    ) == ("InvalidInput", 400)
    assert error_of(r53.list_resource_record_set_changes, HostedZoneId=z, MaxResults="101") == (
        "InvalidInput",
        400,
    )


def test_reset_forgets_history(aws: StrictMotoServer, r53: Any) -> None:
    z = zone(r53)
    aws.change_history.enable(z)
    aws.change_history.lag_reads = 3
    aws.reset()
    assert aws.change_history.lag_reads == 0
    assert aws.change_history.batches(z) == []


def test_time_bounds_round_up_to_the_millisecond_and_take_offsets() -> None:
    assert (
        parse_bound("2026-12-01T00:00:00.0001Z").isoformat() == "2026-12-01T00:00:00.001000+00:00"
    )
    assert parse_bound("2026-12-01T05:30:00.123+05:30").isoformat() == (
        "2026-12-01T00:00:00.123000+00:00"
    )
    with pytest.raises(Refused):
        parse_bound("2026-12-01 00:00:00Z")


def test_a_lag_in_seconds_hides_a_new_batch(aws: StrictMotoServer, r53: Any) -> None:
    z = zone(r53)
    aws.change_history.enable(z)
    aws.change_history.lag_s = 3600.0
    create(r53, z, "a.example.com")
    assert summaries(r53, z) == []
    aws.change_history.lag_s = 0.0
    assert len(summaries(r53, z)) == 1
