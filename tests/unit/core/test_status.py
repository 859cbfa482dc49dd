"""Unit tests of geoproxy.status: where each source region's traffic goes, and why."""

from __future__ import annotations

from typing import Any

import pytest

from geoproxy.core.desired import desired_app
from geoproxy.core.failover import Failover, apply_overlay
from geoproxy.core.live import LiveApp
from geoproxy.core.routing import AppRouting
from geoproxy.core.state import StateRecord
from geoproxy.core.status import AppStatus, RegionStatus, app_status
from geoproxy.policy.models import Application
from tests import builders
from tests.builders import application, in_sync, latency_record, live_app
from tests.unit.conftest import AT, NAME, TARGETS, ZONE_ID

USE1, EUW1, EUC1 = (TARGETS[pop][0] for pop in ("us-east-1", "eu-west-1", "eu-central-1"))


def shop(**overrides: Any) -> Application:
    return application(
        source_regions=["us-east-1", "eu-west-1", "eu-west-2", "eu-central-1"], **overrides
    )


BASE = {
    "eu-central-1": "eu-central-1",
    "eu-west-1": "eu-west-1",
    "eu-west-2": "eu-west-1",
    "us-east-1": "us-east-1",
}
EUW1_TO_EUC1 = Failover("eu-west-1", "eu-central-1", AT, "alice", "power loss")
EUC1_TO_USE1 = Failover("eu-central-1", "us-east-1", AT, "bob")


@pytest.fixture
def routing() -> AppRouting:
    return builders.routing(shop())


def latency_raw(
    source: str,
    dns: str,
    zone: str,
    *,
    set_id: str | None = None,
    record_type: str = "A",
    health: bool = False,
) -> dict[str, Any]:
    return latency_record(
        source, target=(dns, zone), set_identifier=set_id, record_type=record_type, health=health
    )


def at_pop(source: str, pop: str, **kwargs: Any) -> dict[str, Any]:
    return latency_raw(source, *TARGETS[pop], **kwargs)


def live(*raws: dict[str, Any]) -> LiveApp:
    return live_app(*raws)


def status_of(resolved: AppRouting, overlay: dict[str, Failover], live_app: LiveApp) -> AppStatus:
    """app_status for routes that already carry `overlay` (as pipeline.resolve_app gives)."""
    desired = desired_app(resolved, builders.catalog(), overlay.values())
    pops_by_target = {pop.target: region for region, pop in resolved.app.pops.items()}
    return app_status(desired, overlay, live_app, pops_by_target)


def rows(status: AppStatus) -> dict[str, RegionStatus]:
    assert len({r.source_region for r in status.regions}) == len(status.regions)
    return {r.source_region: r for r in status.regions}


def test_all_ok(routing: AppRouting) -> None:
    status = status_of(routing, {}, live(*in_sync(BASE)))
    assert (status.name, status.record, status.zone_id) == ("shop", NAME, ZONE_ID)
    assert status.failovers == []
    assert status.extra == []
    assert status.healthy is True
    assert status.regions == [
        RegionStatus(source, "A", "ok", pop, TARGETS[pop][0], pop, pop, (), "")
        for source, pop in sorted(BASE.items())
    ]


def test_failover_rows(routing: AppRouting) -> None:
    overlay = {"eu-west-1": EUW1_TO_EUC1}
    resolved = apply_overlay(routing, overlay)
    moved = {**BASE, "eu-west-1": "eu-central-1", "eu-west-2": "eu-central-1"}
    state = StateRecord.of(NAME, overlay.values()).to_route53()
    status = status_of(resolved, overlay, live(*in_sync(moved), state))
    assert status.failovers == [EUW1_TO_EUC1]
    assert status.healthy is True
    assert status.extra == []
    got = rows(status)
    for source in ("eu-west-1", "eu-west-2"):
        assert got[source] == RegionStatus(
            source,
            "A",
            "failover",
            "eu-central-1",
            EUC1,
            "eu-west-1",
            "eu-central-1",
            (EUW1_TO_EUC1,),
            "",
        )
    assert got["eu-central-1"] == RegionStatus(
        "eu-central-1", "A", "ok", "eu-central-1", EUC1, "eu-central-1", "eu-central-1", (), ""
    )
    assert got["us-east-1"].state == "ok"


def test_chained_failover_rows(routing: AppRouting) -> None:
    overlay = {"eu-west-1": EUW1_TO_EUC1, "eu-central-1": EUC1_TO_USE1}
    resolved = apply_overlay(routing, overlay)
    everything_to_us = {source: "us-east-1" for source in BASE}
    status = status_of(resolved, overlay, live(*in_sync(everything_to_us)))
    got = rows(status)
    assert got["eu-west-2"] == RegionStatus(
        "eu-west-2",
        "A",
        "failover",
        "us-east-1",
        USE1,
        "eu-west-1",
        "us-east-1",
        (EUW1_TO_EUC1, EUC1_TO_USE1),
        "",
    )
    assert got["eu-central-1"] == RegionStatus(
        "eu-central-1",
        "A",
        "failover",
        "us-east-1",
        USE1,
        "eu-central-1",
        "us-east-1",
        (EUC1_TO_USE1,),
        "",
    )
    assert got["us-east-1"].state == "ok"
    assert status.healthy is True


def test_failover_not_yet_applied_is_drift(routing: AppRouting) -> None:
    overlay = {"eu-west-1": EUW1_TO_EUC1}
    resolved = apply_overlay(routing, overlay)
    status = status_of(resolved, overlay, live(*in_sync(BASE)))
    assert rows(status)["eu-west-2"] == RegionStatus(
        "eu-west-2",
        "A",
        "drift",
        "eu-west-1",
        EUW1,
        "eu-west-1",
        "eu-central-1",
        (EUW1_TO_EUC1,),
        "live points at eu-west-1, expected eu-central-1: changed outside geoproxy, or a "
        "policy change not yet applied",
    )
    assert status.healthy is False


def test_drift_to_another_pop(routing: AppRouting) -> None:
    records = in_sync({**BASE, "eu-west-2": "us-east-1"})
    status = status_of(routing, {}, live(*records))
    got = rows(status)
    assert got["eu-west-2"] == RegionStatus(
        "eu-west-2",
        "A",
        "drift",
        "us-east-1",
        USE1,
        "eu-west-1",
        "eu-west-1",
        (),
        "live points at us-east-1, expected eu-west-1: changed outside geoproxy, or a policy "
        "change not yet applied",
    )
    assert [r.state for r in status.regions].count("ok") == 3
    assert status.healthy is False


def test_drift_to_an_elb_outside_the_policy(routing: AppRouting) -> None:
    elb = "zzz-9.ap-southeast-1.elb.amazonaws.com"
    records = in_sync({s: p for s, p in BASE.items() if s != "us-east-1"})
    records.append(latency_raw("us-east-1", elb.upper(), "Z1LMS91P8CMLE5"))
    got = rows(status_of(routing, {}, live(*records)))["us-east-1"]
    assert (got.state, got.live_pop, got.live_target) == ("drift", "ap-southeast-1", elb)


def test_drift_to_a_non_elb_target(routing: AppRouting) -> None:
    records = in_sync({s: p for s, p in BASE.items() if s != "us-east-1"})
    records.append(latency_raw("us-east-1", "d111abcdef8.cloudfront.net", "Z2FDTNDATAQYW2"))
    got = rows(status_of(routing, {}, live(*records)))["us-east-1"]
    assert (got.state, got.live_pop, got.live_target) == (
        "drift",
        "d111abcdef8.cloudfront.net",
        "d111abcdef8.cloudfront.net",
    )
    assert got.detail.startswith("live points at d111abcdef8.cloudfront.net, expected us-east-1")


def test_missing(routing: AppRouting) -> None:
    records = in_sync({s: p for s, p in BASE.items() if s != "eu-west-2"})
    status = status_of(routing, {}, live(*records))
    assert rows(status)["eu-west-2"] == RegionStatus(
        "eu-west-2",
        "A",
        "missing",
        None,
        None,
        "eu-west-1",
        "eu-west-1",
        (),
        "no record; run `geoproxy apply`",
    )
    assert status.healthy is False


def test_missing_during_failover_carries_the_chain(routing: AppRouting) -> None:
    overlay = {"eu-west-1": EUW1_TO_EUC1}
    status = status_of(apply_overlay(routing, overlay), overlay, live())
    got = rows(status)["eu-west-2"]
    assert (got.state, got.policy_pop, got.effective_pop, got.failovers) == (
        "missing",
        "eu-west-1",
        "eu-central-1",
        (EUW1_TO_EUC1,),
    )
    assert {r.state for r in status.regions} == {"missing"}


def test_foreign(routing: AppRouting) -> None:
    records = in_sync({s: p for s, p in BASE.items() if s != "eu-west-1"})
    records.append(at_pop("eu-west-1", "eu-west-1", set_id="hand-made"))
    status = status_of(routing, {}, live(*records))
    assert rows(status)["eu-west-1"] == RegionStatus(
        "eu-west-1",
        "A",
        "foreign",
        None,
        None,
        "eu-west-1",
        "eu-west-1",
        (),
        "a latency record geoproxy does not own: origin.example.com A (latency, set identifier "
        "'hand-made', region eu-west-1)",
    )
    assert status.healthy is False
    assert status.extra == []


def test_unowned_non_latency_records_do_not_count(routing: AppRouting) -> None:
    records = in_sync({s: p for s, p in BASE.items() if s != "eu-west-1"})
    records.append(
        {"Name": NAME + ".", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": '"hello"'}]}
    )
    got = rows(status_of(routing, {}, live(*records)))["eu-west-1"]
    assert got.state == "missing"


def test_records_at_other_names_are_ignored(routing: AppRouting) -> None:
    records = in_sync({s: p for s, p in BASE.items() if s != "eu-west-1"})
    other = at_pop("eu-west-1", "eu-west-1")
    other["Name"] = "www.example.com."
    status = status_of(routing, {}, live(*records, other))
    assert rows(status)["eu-west-1"].state == "missing"
    assert status.extra == []


def test_extra_owned_records(routing: AppRouting) -> None:
    records = in_sync(BASE)
    records.append(at_pop("ap-northeast-1", "us-east-1"))
    records.append(at_pop("us-east-1", "us-east-1", record_type="AAAA"))
    records.append(at_pop("sa-east-1", "us-east-1", set_id="hand-made"))  # not owned
    status = status_of(routing, {}, live(*records))
    assert status.extra == [
        "origin.example.com A (latency, set identifier 'geoproxy:ap-northeast-1@default', region "
        "ap-northeast-1)",
        "origin.example.com AAAA (latency, set identifier 'geoproxy:us-east-1@default', region "
        "us-east-1)",
    ]
    assert {r.state for r in status.regions} == {"ok"}
    assert status.healthy is True  # extra records are listed, not counted as unhealthy


def test_rows_per_record_type() -> None:
    routing = builders.routing(shop(record_types=["A", "AAAA"]))
    # AAAA aliases to an ALB name its `dualstack.` name: the plain one answers only IPv4.
    dualstack = latency_raw(
        "eu-west-1",
        "dualstack." + TARGETS["eu-west-1"][0],
        TARGETS["eu-west-1"][1],
        record_type="AAAA",
    )
    status = status_of(routing, {}, live(*in_sync(BASE), dualstack))
    assert [(r.record_type, r.source_region, r.state) for r in status.regions] == [
        ("A", "eu-central-1", "ok"),
        ("A", "eu-west-1", "ok"),
        ("A", "eu-west-2", "ok"),
        ("A", "us-east-1", "ok"),
        ("AAAA", "eu-central-1", "missing"),
        ("AAAA", "eu-west-1", "ok"),
        ("AAAA", "eu-west-2", "missing"),
        ("AAAA", "us-east-1", "missing"),
    ]
    assert status.healthy is False
    plain = in_sync({"eu-west-1": "eu-west-1"}, record_type="AAAA")
    status = status_of(routing, {}, live(*in_sync(BASE), *plain))
    assert rows_of_type(status, "AAAA")["eu-west-1"].state == "drift"  # answers no IPv6


def rows_of_type(status: AppStatus, record_type: str) -> dict[str, RegionStatus]:
    return {r.source_region: r for r in status.regions if r.record_type == record_type}


def test_evaluate_target_health_not_applied_is_drift() -> None:
    routing = builders.routing(shop(evaluate_target_health=True))
    status = status_of(routing, {}, live(*in_sync(BASE, health=False)))
    assert {r.state for r in status.regions} == {"drift"}
    assert status.healthy is False
