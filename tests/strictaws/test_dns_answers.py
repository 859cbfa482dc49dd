"""Health checks that follow ARC (health.py) and Route 53's authoritative answers
(dns_answers.py, and TestDNSAnswer through it). Sources are cited in those modules."""

from __future__ import annotations

from typing import Any

import pytest

from tests.strictaws import StrictMotoServer
from tests.strictaws.fixtures import NO_RETRY, error_of

pytest_plugins = ["tests.strictaws.fixtures"]

ELB_ZONE = "Z32O12XQLNTSW2"  # eu-west-1's load balancer zone
ELB = {
    "eu-west-1": "pop-eu-west-1.elb.amazonaws.com.",
    "eu-central-1": "pop-eu-central-1.elb.amazonaws.com.",
    "us-east-1": "pop-us-east-1.elb.amazonaws.com.",
}


@pytest.fixture
def r53(aws: StrictMotoServer) -> Any:
    return aws.client("route53", config=NO_RETRY)


@pytest.fixture
def control(aws: StrictMotoServer) -> tuple[str, Any]:
    """A routing control (Off, as new ones are) and a cluster client to flip it."""
    arc = aws.client("route53-recovery-control-config", region_name="us-west-2", config=NO_RETRY)
    cluster = arc.create_cluster(ClusterName="c")["Cluster"]
    arn = arc.create_routing_control(ClusterArn=cluster["ClusterArn"], RoutingControlName="eu")[
        "RoutingControl"
    ]["RoutingControlArn"]
    endpoint = cluster["ClusterEndpoints"][1]
    client = aws.client(
        "route53-recovery-cluster",
        endpoint_url=endpoint["Endpoint"],
        region_name=endpoint["Region"],
        config=NO_RETRY,
    )
    return arn, client


def flip(control: tuple[str, Any], state: str) -> None:
    control[1].update_routing_control_state(RoutingControlArn=control[0], RoutingControlState=state)


def recovery_check(r53: Any, arn: str, ref: str = "rc") -> str:
    config = {"Type": "RECOVERY_CONTROL", "RoutingControlArn": arn}
    return str(
        r53.create_health_check(CallerReference=ref, HealthCheckConfig=config)["HealthCheck"]["Id"]
    )


def endpoint_check(r53: Any, ref: str = "ep") -> str:
    config = {"Type": "HTTPS", "FullyQualifiedDomainName": "pop.example.net", "Port": 443}
    return str(
        r53.create_health_check(CallerReference=ref, HealthCheckConfig=config)["HealthCheck"]["Id"]
    )


def status(r53: Any, check: str) -> set[str]:
    observations = r53.get_health_check_status(HealthCheckId=check)["HealthCheckObservations"]
    return {o["StatusReport"]["Status"].split(":")[0] for o in observations}


def test_a_recovery_control_check_keeps_its_control_and_follows_its_state(
    aws: StrictMotoServer, r53: Any, control: tuple[str, Any]
) -> None:
    check = recovery_check(r53, control[0])
    config = r53.get_health_check(HealthCheckId=check)["HealthCheck"]["HealthCheckConfig"]
    assert (config["Type"], config["RoutingControlArn"]) == ("RECOVERY_CONTROL", control[0])
    listed = r53.list_health_checks()["HealthChecks"][0]["HealthCheckConfig"]
    assert listed["RoutingControlArn"] == control[0]
    assert status(r53, check) == {"Failure"}  # a new control is Off
    flip(control, "On")
    assert status(r53, check) == {"Success"} and aws.health.healthy(check)
    flip(control, "Off")
    assert not aws.health.healthy(check)


def test_a_recovery_control_check_needs_an_existing_control(r53: Any) -> None:
    config = {"Type": "RECOVERY_CONTROL"}
    assert error_of(r53.create_health_check, CallerReference="x", HealthCheckConfig=config) == (
        "InvalidInput",
        400,
    )
    config["RoutingControlArn"] = (
        "arn:aws:route53-recovery-control::123456789012:controlpanel/x/routingcontrol/y"
    )
    assert error_of(r53.create_health_check, CallerReference="y", HealthCheckConfig=config)[0] == (
        "InvalidInput"
    )


def test_a_calculated_check_combines_switch_and_endpoint(
    aws: StrictMotoServer, r53: Any, control: tuple[str, Any]
) -> None:
    switch, endpoint = recovery_check(r53, control[0]), endpoint_check(r53)
    both = {"Type": "CALCULATED", "ChildHealthChecks": [switch, endpoint], "HealthThreshold": 2}
    calc = r53.create_health_check(CallerReference="calc", HealthCheckConfig=both)["HealthCheck"][
        "Id"
    ]
    inverted = r53.create_health_check(
        CallerReference="inv", HealthCheckConfig={**both, "Inverted": True}
    )["HealthCheck"]["Id"]
    assert not aws.health.healthy(calc) and aws.health.healthy(inverted)
    flip(control, "On")
    assert aws.health.healthy(calc) and status(r53, calc) == {"Success"}
    aws.health.set_status(endpoint, False)
    assert not aws.health.healthy(calc) and aws.health.healthy(inverted)
    with pytest.raises(ValueError):
        aws.health.set_status(switch, True)  # it follows its control


# -- the authoritative-answer model ----------------------------------------------------------------
def alias(name: str, target: str, zone: str, **extra: Any) -> dict[str, Any]:
    rrset = {
        "Name": name,
        "Type": "A",
        "AliasTarget": {"HostedZoneId": zone, "DNSName": target, "EvaluateTargetHealth": True},
        **extra,
    }
    return {"Action": "CREATE", "ResourceRecordSet": rrset}


@pytest.fixture
def routed(r53: Any, control: tuple[str, Any]) -> dict[str, str]:
    """geoproxy's shape: latency records for origin.example.com, eu-west-1's behind a
    failover pair whose PRIMARY (the eu-west-1 PoP) is gated by the switch and whose
    SECONDARY is the eu-central-1 PoP, with an endpoint check of its own."""
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="z")["HostedZone"]["Id"]
    zone_id = zone.rpartition("/")[2]
    switch, partner = recovery_check(r53, control[0]), endpoint_check(r53)
    pair = "eu-west-1.pair.example.com."
    changes = [
        alias(
            pair,
            ELB["eu-west-1"],
            ELB_ZONE,
            SetIdentifier="p",
            Failover="PRIMARY",
            HealthCheckId=switch,
        ),
        alias(
            pair,
            ELB["eu-central-1"],
            ELB_ZONE,
            SetIdentifier="s",
            Failover="SECONDARY",
            HealthCheckId=partner,
        ),
        alias("origin.example.com.", pair, zone_id, SetIdentifier="eu-west-1", Region="eu-west-1"),
        alias(
            "origin.example.com.",
            ELB["us-east-1"],
            ELB_ZONE,
            SetIdentifier="us-east-1",
            Region="us-east-1",
        ),
    ]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})
    flip(control, "On")
    return {"zone": zone, "partner": partner}


def targets(aws: StrictMotoServer, routed: dict[str, str], region: str) -> list[str]:
    return aws.dns.answer(routed["zone"], "origin.example.com", "A", region).targets


def test_latency_picks_the_resolvers_region_else_the_nearest(
    aws: StrictMotoServer, routed: dict[str, str]
) -> None:
    answer = aws.dns.answer(routed["zone"], "origin.example.com", "A", "eu-west-1")
    assert answer.targets == [ELB["eu-west-1"]] and answer.code == "NOERROR"
    assert answer.path[0].startswith("latency eu-west-1 (the resolver's region")
    assert targets(aws, routed, "eu-west-2") == [ELB["eu-west-1"]]  # London: Ireland is nearest
    assert targets(aws, routed, "us-east-2") == [ELB["us-east-1"]]
    assert (
        aws.dns.answer(routed["zone"], "missing.example.com", "A", "eu-west-1").code == "NXDOMAIN"
    )


def test_a_switch_turned_off_moves_the_answer_to_the_secondary(
    aws: StrictMotoServer, routed: dict[str, str], control: tuple[str, Any]
) -> None:
    flip(control, "Off")
    answer = aws.dns.answer(routed["zone"], "origin.example.com", "A", "eu-west-1")
    assert answer.targets == [ELB["eu-central-1"]]
    assert "failover SECONDARY s" in answer.path


def test_both_unhealthy_answers_the_primary_and_latency_falls_through(
    aws: StrictMotoServer, r53: Any, routed: dict[str, str], control: tuple[str, Any]
) -> None:
    flip(control, "Off")
    aws.health.set_status(routed["partner"], False)
    zone = routed["zone"]
    pair = aws.dns.answer(zone, "eu-west-1.pair.example.com", "A", "eu-west-1")
    assert pair.targets == [ELB["eu-west-1"]] and not pair.healthy  # the PRIMARY, regardless
    assert "every record unhealthy" in pair.path[0]
    # The latency alias evaluates its target's health: unhealthy, so the next-best region.
    assert targets(aws, routed, "eu-west-1") == [ELB["us-east-1"]]


def test_test_dns_answer_follows_resolver_ip_and_by_default_not_health(
    aws: StrictMotoServer, r53: Any, routed: dict[str, str], control: tuple[str, Any]
) -> None:
    def ask(region: str | None = None, **kw: Any) -> list[str]:
        extra = {"ResolverIP": aws.dns.resolver_ip(region)} if region else {}
        answer = r53.test_dns_answer(
            HostedZoneId=routed["zone"],
            RecordName="origin.example.com",
            RecordType="A",
            **extra,
            **kw,
        )
        return list(answer["RecordData"])

    eu, us = ELB["eu-west-1"], ELB["us-east-1"]
    from geoproxy.sandbox.strict.dns_answers import alias_addresses

    assert ask("eu-west-1") == alias_addresses(eu)
    assert ask() == alias_addresses(us)  # no ResolverIP: a resolver in us-east-1
    assert ask("us-east-1", EDNS0ClientSubnetIP=aws.dns.resolver_ip("eu-west-1")) == (
        alias_addresses(eu)
    )
    flip(control, "Off")
    assert ask("eu-west-1") == alias_addresses(eu)  # undocumented: conservatively, no health
    aws.dns.test_answer_uses_health = True
    assert ask("eu-west-1") == alias_addresses(ELB["eu-central-1"])


def test_an_alias_target_outside_the_zone_can_be_made_unhealthy(
    aws: StrictMotoServer, routed: dict[str, str]
) -> None:
    aws.dns.set_target_healthy(ELB["eu-west-1"], False)  # EvaluateTargetHealth sees it
    assert targets(aws, routed, "eu-west-1") == [ELB["eu-central-1"]]
