"""Accelerated recovery's zone features (zone_features.py) and the "control plane down" switch
(outage.py). Sources are cited in those modules."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ConnectionClosedError

from tests.strictaws import StrictMotoServer
from tests.strictaws.fixtures import NO_RETRY, error_of

pytest_plugins = ["tests.strictaws.fixtures"]


@pytest.fixture
def r53(aws: StrictMotoServer) -> Any:
    return aws.client("route53", config=NO_RETRY)


def zone(r53: Any, name: str = "example.com", **kw: Any) -> str:
    return str(r53.create_hosted_zone(Name=name, CallerReference=name, **kw)["HostedZone"]["Id"])


def features(r53: Any, zone_id: str) -> dict[str, Any] | None:
    return r53.get_hosted_zone(Id=zone_id)["HostedZone"].get("Features")


def test_enabling_accelerated_recovery_goes_enabling_then_enabled(r53: Any) -> None:
    z = zone(r53)
    assert features(r53, z) is None  # never touched
    r53.update_hosted_zone_features(HostedZoneId=z, EnableAcceleratedRecovery=True)
    assert features(r53, z) == {"AcceleratedRecoveryStatus": "ENABLING"}
    assert error_of(
        r53.update_hosted_zone_features, HostedZoneId=z, EnableAcceleratedRecovery=False
    ) == ("PriorRequestNotComplete", 400)
    assert features(r53, z) == {"AcceleratedRecoveryStatus": "ENABLED"}
    r53.update_hosted_zone_features(HostedZoneId=z, EnableAcceleratedRecovery=False)
    assert features(r53, z) == {"AcceleratedRecoveryStatus": "DISABLING"}
    assert features(r53, z) == {"AcceleratedRecoveryStatus": "DISABLED"}


def test_one_zone_enabling_at_a_time_and_public_zones_only(aws: StrictMotoServer, r53: Any) -> None:
    first, second = zone(r53, "a.example"), zone(r53, "b.example")
    r53.update_hosted_zone_features(HostedZoneId=first, EnableAcceleratedRecovery=True)
    call = r53.update_hosted_zone_features
    assert error_of(call, HostedZoneId=second, EnableAcceleratedRecovery=True)[0] == (
        "PriorRequestNotComplete"
    )
    features(r53, first)
    features(r53, first)  # ENABLED now
    call(HostedZoneId=second, EnableAcceleratedRecovery=True)
    private = zone(
        r53,
        "internal.example",
        VPC={"VPCRegion": "eu-west-1", "VPCId": "vpc-1"},
        HostedZoneConfig={"PrivateZone": True, "Comment": ""},
    )
    assert error_of(call, HostedZoneId=private, EnableAcceleratedRecovery=True) == (
        "InvalidInput",
        400,
    )
    assert error_of(call, HostedZoneId="ZNOSUCHZONE", EnableAcceleratedRecovery=True) == (
        "NoSuchHostedZone",
        404,
    )
    assert aws.zone_features.status(second) == "ENABLING"


def test_the_control_planes_fail_and_the_data_planes_answer(
    aws: StrictMotoServer, r53: Any
) -> None:
    z = zone(r53)
    arc = aws.client("route53-recovery-control-config", region_name="us-west-2", config=NO_RETRY)
    cluster = arc.create_cluster(ClusterName="c")["Cluster"]
    control = arc.create_routing_control(ClusterArn=cluster["ClusterArn"], RoutingControlName="x")[
        "RoutingControl"
    ]["RoutingControlArn"]
    aws.control_plane_down()
    aws.reset_log()
    assert error_of(r53.list_hosted_zones) == ("ServiceUnavailable", 503)
    assert (
        error_of(r53.update_hosted_zone_features, HostedZoneId=z, EnableAcceleratedRecovery=True)[0]
        == "ServiceUnavailable"
    )
    assert error_of(aws.client("cloudfront", config=NO_RETRY).list_distributions)[1] == 503
    assert error_of(arc.list_clusters)[1] == 503
    assert error_of(aws.client("sts", config=NO_RETRY).get_caller_identity)[1] == 503
    regional = aws.client("sts", region_name="eu-west-1", config=NO_RETRY)
    assert regional.get_caller_identity()["Account"] == "123456789012"
    endpoint = cluster["ClusterEndpoints"][3]
    data_plane = aws.client(
        "route53-recovery-cluster",
        endpoint_url=endpoint["Endpoint"],
        region_name=endpoint["Region"],
        config=NO_RETRY,
    )
    data_plane.update_routing_control_state(RoutingControlArn=control, RoutingControlState="On")
    assert aws.dns.answer(z, "example.com", "NS").code == "NOERROR"
    refused = [c.operation for c in aws.calls if c.refused == "control plane down"]
    assert refused == [
        "ListHostedZones",
        "UpdateHostedZoneFeatures",
        "ListDistributions",
        "ListClusters",
        "GetCallerIdentity",
    ]
    aws.control_plane_down(False)
    r53.list_hosted_zones()


def test_after_the_failover_enabled_zones_take_record_changes(
    aws: StrictMotoServer, r53: Any
) -> None:
    enabled, other = zone(r53, "a.example"), zone(r53, "b.example")
    r53.update_hosted_zone_features(HostedZoneId=enabled, EnableAcceleratedRecovery=True)
    features(r53, enabled)
    features(r53, enabled)
    record = {
        "Name": "x.a.example",
        "Type": "A",
        "TTL": 60,
        "ResourceRecords": [{"Value": "192.0.2.1"}],
    }
    batch = {"Changes": [{"Action": "CREATE", "ResourceRecordSet": record}]}
    aws.control_plane_down(accelerated_recovery_active=True)
    change = r53.change_resource_record_sets(HostedZoneId=enabled, ChangeBatch=batch)
    r53.get_change(Id=change["ChangeInfo"]["Id"])
    assert r53.get_hosted_zone(Id=enabled)["HostedZone"]["Features"][
        "AcceleratedRecoveryStatus"
    ] == ("ENABLED")
    other_batch = {
        "Changes": [{"Action": "CREATE", "ResourceRecordSet": {**record, "Name": "x.b.example"}}]
    }
    assert (
        error_of(r53.change_resource_record_sets, HostedZoneId=other, ChangeBatch=other_batch)[1]
        == 503
    )
    assert error_of(r53.list_hosted_zones_by_name)[1] == 503  # by name: not in the set


def test_a_disconnecting_outage_drops_connections(aws: StrictMotoServer) -> None:
    aws.control_plane_down(how="disconnect")
    client = aws.client("route53", config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(ConnectionClosedError):
        client.list_hosted_zones()
    with pytest.raises(ValueError):
        aws.control_plane_down(how="slow")
