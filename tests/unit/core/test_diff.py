"""Unit tests of desired state, the record model and the diff (geoproxy.core.diff)."""

from __future__ import annotations

from typing import Any

import pytest

from geoproxy.core.desired import DesiredApp, desired_app
from geoproxy.core.diff import calculate_app
from geoproxy.core.live import LiveApp
from geoproxy.core.names import owned_identifier
from geoproxy.core.plan import Plan, RecordChange
from geoproxy.core.records import AliasTarget, LatencyRecord, LiveRecord, decode_route53_name
from geoproxy.core.routing import route_policy
from geoproxy.core.safety import check, refuse_conflicts
from geoproxy.policy.models import DEFAULT_OWNER, Application
from tests import builders
from tests.builders import application, loaded_policy, pops
from tests.unit.conftest import EUW1_ELB, EUW1_ZONE, NAME, USE1_ELB, USE1_ZONE, ZONE_ID


def shop(**overrides: Any) -> Application:
    return application(
        source_regions=["us-east-1", "eu-west-2", "eu-west-1"],
        pops=pops("us-east-1", "eu-west-1"),
        **overrides,
    )


SHOP = shop()

# What routing must give for SHOP: source region -> (PoP target, its ALB zone).
EXPECTED = {
    "eu-west-1": (EUW1_ELB, EUW1_ZONE),
    "eu-west-2": (EUW1_ELB, EUW1_ZONE),
    "us-east-1": (USE1_ELB, USE1_ZONE),
}


def desired_from(*apps: Application, owner: str = DEFAULT_OWNER) -> list[DesiredApp]:
    """The desired records of `apps`, routed without a latency table (so by distance)."""
    loaded = loaded_policy(*apps, owner=owner)
    routing = route_policy(loaded, builders.catalog())
    return [
        desired_app(app, builders.catalog(), owner=loaded.policy.owner)
        for app in routing.applications
    ]


@pytest.fixture
def desired() -> DesiredApp:
    return desired_from(SHOP)[0]


# Live records, spelt the way ListResourceRecordSets returns them.


def latency_raw(
    region: str,
    dns_name: str,
    zone_id: str,
    *,
    set_id: str | None = None,
    name: str = NAME + ".",
    record_type: str = "A",
    health: bool = False,
) -> dict[str, Any]:
    return {
        "Name": name,
        "Type": record_type,
        "SetIdentifier": set_id if set_id is not None else f"geoproxy:{region}@default",
        "Region": region,
        "AliasTarget": {
            "HostedZoneId": zone_id,
            "DNSName": dns_name + ".",
            "EvaluateTargetHealth": health,
        },
    }


def simple_raw(record_type: str, *values: str, name: str = NAME + ".") -> dict[str, Any]:
    return {
        "Name": name,
        "Type": record_type,
        "TTL": 300,
        "ResourceRecords": [{"Value": value} for value in values],
    }


def live(*raws: dict[str, Any]) -> LiveApp:
    return LiveApp(ZONE_ID, "example.com", tuple(LiveRecord(raw) for raw in raws))


def in_sync() -> list[dict[str, Any]]:
    return [latency_raw(region, dns, zone) for region, (dns, zone) in EXPECTED.items()]


def actions(plan_changes: list[RecordChange]) -> list[tuple[str, str, str | None]]:
    return [(c.action, c.record_type, c.source_region) for c in plan_changes]


# --- records ------------------------------------------------------------------------------------


def test_latency_record_to_route53() -> None:
    record = LatencyRecord(NAME, "A", "eu-west-2", AliasTarget(EUW1_ELB, EUW1_ZONE, True))
    assert record.set_identifier == "geoproxy:eu-west-2"
    assert record.key == (NAME, "A", "eu-west-2")
    assert record.to_route53() == {
        "Name": "origin.example.com.",
        "Type": "A",
        "SetIdentifier": "geoproxy:eu-west-2",
        "Region": "eu-west-2",
        "AliasTarget": {
            "HostedZoneId": "Z32O12XQLNTSW2",
            "DNSName": "b-2.eu-west-1.elb.amazonaws.com.",
            "EvaluateTargetHealth": True,
        },
    }
    assert owned_identifier("us-east-1", None) == "geoproxy:us-east-1"


def test_desired_records_from_routing(desired: DesiredApp) -> None:
    assert (desired.name, desired.zone, desired.zone_id, desired.record_name) == (
        "shop",
        "example.com",
        None,
        NAME,
    )
    assert desired.record_types == ("A",)
    got = {
        d.record.source_region: (d.record.target.dns_name, d.record.target.hosted_zone_id)
        for d in desired.records
    }
    assert got == EXPECTED
    assert len(desired.records) == 3
    for d in desired.records:
        assert d.record.name == NAME
        assert d.record.record_type == "A"
        assert d.record.target.evaluate_target_health is False
        assert d.route.source_region == d.record.source_region
        assert d.route.reason == "nearest"
    london = next(d for d in desired.records if d.record.source_region == "eu-west-2")
    assert london.record.to_route53() == latency_raw("eu-west-2", EUW1_ELB, EUW1_ZONE)


def test_desired_records_per_type() -> None:
    app = desired_from(shop(record_types=["AAAA", "A"]))[0]
    assert app.record_types == ("AAAA", "A")
    assert sorted((d.record.record_type, d.record.source_region) for d in app.records) == [
        ("A", "eu-west-1"),
        ("A", "eu-west-2"),
        ("A", "us-east-1"),
        ("AAAA", "eu-west-1"),
        ("AAAA", "eu-west-2"),
        ("AAAA", "us-east-1"),
    ]


def test_decode_route53_name() -> None:
    assert decode_route53_name("\\052.example.com.") == "*.example.com"
    assert decode_route53_name("Origin.Example.COM.") == "origin.example.com"
    assert decode_route53_name("a\\100b.example.com") == "a@b.example.com"
    assert decode_route53_name("example.com") == "example.com"


@pytest.mark.parametrize(
    ("raw", "owned"),
    [
        (latency_raw("eu-west-1", EUW1_ELB, EUW1_ZONE), True),
        (latency_raw("eu-west-1", EUW1_ELB, EUW1_ZONE, set_id="geoproxy:"), True),
        (latency_raw("eu-west-1", EUW1_ELB, EUW1_ZONE, set_id="legacy-eu"), False),
        (latency_raw("eu-west-1", EUW1_ELB, EUW1_ZONE, set_id="GEOPROXY:eu-west-1"), False),
        (latency_raw("eu-west-1", EUW1_ELB, EUW1_ZONE, set_id="x-geoproxy:eu-west-1"), False),
        # A latency record with values instead of an alias: not geoproxy's.
        (
            {
                **simple_raw("A", "192.0.2.1"),
                "SetIdentifier": "geoproxy:eu-west-1",
                "Region": "eu-west-1",
            },
            False,
        ),
        # A weighted alias with geoproxy's prefix: not a latency record, so not geoproxy's.
        (
            {
                "Name": NAME + ".",
                "Type": "A",
                "SetIdentifier": "geoproxy:eu-west-1",
                "Weight": 10,
                "AliasTarget": {
                    "HostedZoneId": EUW1_ZONE,
                    "DNSName": EUW1_ELB + ".",
                    "EvaluateTargetHealth": False,
                },
            },
            False,
        ),
        (simple_raw("A", "192.0.2.1"), False),
        (
            {
                "Name": NAME + ".",
                "Type": "A",
                "AliasTarget": {
                    "HostedZoneId": EUW1_ZONE,
                    "DNSName": EUW1_ELB + ".",
                    "EvaluateTargetHealth": False,
                },
            },
            False,
        ),
    ],
)
def test_live_record_owned(raw: dict[str, Any], owned: bool) -> None:
    record = LiveRecord(raw)
    assert record.owned is owned


def test_live_record_accessors() -> None:
    record = LiveRecord(
        latency_raw(
            "eu-west-2",
            "B-2.EU-WEST-1.elb.amazonaws.com",
            EUW1_ZONE,
            name="Origin.Example.com.",
            health=True,
        )
    )
    assert record.name == NAME
    assert record.record_type == "A"
    assert record.region == "eu-west-2"
    assert record.set_identifier == "geoproxy:eu-west-2@default"
    assert record.base_identifier == "geoproxy:eu-west-2"
    assert record.owner == "default"
    assert record.base_key == (NAME, "A", "geoproxy:eu-west-2")
    assert record.is_latency
    assert record.routing_policy == "latency"
    assert record.alias_target() == AliasTarget(EUW1_ELB, EUW1_ZONE, True)
    assert record.describe() == (
        "origin.example.com A (latency, set identifier 'geoproxy:eu-west-2@default', "
        "region eu-west-2)"
    )
    assert record.value_text() == f"alias {EUW1_ELB}"
    simple = LiveRecord(simple_raw("A", "192.0.2.1", "192.0.2.2"))
    assert simple.routing_policy == "simple"
    assert not simple.is_latency
    assert simple.alias_target() is None
    assert simple.describe() == "origin.example.com A (simple)"
    assert simple.value_text() == "192.0.2.1, 192.0.2.2"


def test_empty_live_creates_everything(desired: DesiredApp) -> None:
    plan = calculate_app(desired, live())
    assert (plan.name, plan.zone_id, plan.zone_name, plan.record_name) == (
        "shop",
        ZONE_ID,
        "example.com",
        NAME,
    )
    assert actions(plan.changes) == [
        ("create", "A", "eu-west-1"),
        ("create", "A", "eu-west-2"),
        ("create", "A", "us-east-1"),
    ]
    assert plan.conflicts == [] and plan.unchanged == [] and plan.untouched == []
    for change in plan.changes:
        assert change.old is None and change.new is not None
        assert change.name == NAME
        dns, zone = EXPECTED[change.source_region or ""]
        assert change.route53_changes() == [
            {
                "Action": "CREATE",
                "ResourceRecordSet": latency_raw(change.source_region or "", dns, zone),
            }
        ]


def test_identical_live_is_unchanged(desired: DesiredApp) -> None:
    plan = calculate_app(desired, live(*in_sync()))
    assert plan.changes == []
    assert plan.conflicts == []
    assert plan.untouched == []
    assert sorted(d.record.source_region for d in plan.unchanged) == sorted(EXPECTED)
    whole = Plan([plan])
    assert not whole.has_changes
    assert whole.summary() == {
        "create": 0,
        "update": 0,
        "delete": 0,
        "unchanged": 3,
        "conflicts": 0,
        "health_checks_to_create": 0,
        "health_checks_to_delete": 0,
        "distribution_fields": 0,
        "functions": 0,
        "orphans": 0,
    }
    assert check(whole) == []


def test_live_spelling_differences_are_unchanged(desired: DesiredApp) -> None:
    raws = in_sync()
    for raw in raws:
        raw["Name"] = "ORIGIN.example.COM."
        raw["AliasTarget"]["DNSName"] = raw["AliasTarget"]["DNSName"].upper()
    plan = calculate_app(desired, live(*raws))
    assert plan.changes == []
    assert len(plan.unchanged) == 3


def test_changed_target_is_one_update(desired: DesiredApp) -> None:
    raws = in_sync()
    old = latency_raw("eu-west-2", "old-9.eu-west-1.elb.amazonaws.com", EUW1_ZONE)
    raws[1] = old
    plan = calculate_app(desired, live(*raws))
    assert actions(plan.changes) == [("update", "A", "eu-west-2")]
    change = plan.changes[0]
    assert change.old is not None and change.old.raw is old
    assert change.new is not None and change.new.record.target.dns_name == EUW1_ELB
    assert change.note == ""
    assert change.route53_changes() == [
        {"Action": "DELETE", "ResourceRecordSet": old},
        {"Action": "CREATE", "ResourceRecordSet": latency_raw("eu-west-2", EUW1_ELB, EUW1_ZONE)},
    ]
    assert len(plan.unchanged) == 2
    assert Plan([plan]).summary() == {
        "create": 0,
        "update": 1,
        "delete": 0,
        "unchanged": 2,
        "conflicts": 0,
        "health_checks_to_create": 0,
        "health_checks_to_delete": 0,
        "distribution_fields": 0,
        "functions": 0,
        "orphans": 0,
    }


@pytest.mark.parametrize("field", ["zone", "health"])
def test_changed_zone_or_health_is_an_update(desired: DesiredApp, field: str) -> None:
    raws = in_sync()
    if field == "zone":
        raws[0]["AliasTarget"]["HostedZoneId"] = "Z2IFOLAFXWLO4F"
    else:
        raws[0]["AliasTarget"]["EvaluateTargetHealth"] = True
    plan = calculate_app(desired, live(*raws))
    assert actions(plan.changes) == [("update", "A", "eu-west-1")]


def test_owned_record_for_region_left_the_policy_is_deleted(desired: DesiredApp) -> None:
    gone = latency_raw("ap-south-1", USE1_ELB, USE1_ZONE)
    plan = calculate_app(desired, live(*in_sync(), gone))
    assert actions(plan.changes) == [("delete", "A", "ap-south-1")]
    change = plan.changes[0]
    assert change.old is not None and change.old.raw is gone and change.new is None
    assert change.note == "source region left the policy"
    assert change.route53_changes() == [{"Action": "DELETE", "ResourceRecordSet": gone}]


def test_owned_record_of_type_no_longer_managed_is_deleted(desired: DesiredApp) -> None:
    aaaa = latency_raw("eu-west-1", EUW1_ELB, EUW1_ZONE, record_type="AAAA")
    plan = calculate_app(desired, live(*in_sync(), aaaa))
    assert actions(plan.changes) == [("delete", "AAAA", "eu-west-1")]
    assert plan.changes[0].note == "record type no longer managed"


def test_foreign_latency_record_for_undesired_region_is_untouched(desired: DesiredApp) -> None:
    foreign = latency_raw("ap-south-1", USE1_ELB, USE1_ZONE, set_id="manual-aps1")
    for adopt in (False, True):
        plan = calculate_app(desired, live(*in_sync(), foreign), adopt=adopt)
        assert plan.changes == []
        assert plan.conflicts == []
        assert [r.raw for r in plan.untouched] == [foreign]


def test_foreign_latency_record_for_desired_region_conflicts(desired: DesiredApp) -> None:
    raws = in_sync()
    foreign = latency_raw("eu-west-2", EUW1_ELB, EUW1_ZONE, set_id="legacy-euw2")
    raws[1] = foreign
    plan = calculate_app(desired, live(*raws))
    assert [(c.record.raw, c.reason) for c in plan.conflicts] == [
        (foreign, "a latency record for eu-west-2 that geoproxy does not own")
    ]
    assert actions(plan.changes) == [("create", "A", "eu-west-2")]
    assert check(Plan([plan])) == [
        "shop: origin.example.com A (latency, set identifier 'legacy-euw2', region eu-west-2) "
        "is in the way: a latency record for eu-west-2 that geoproxy does not own"
    ]
    assert refuse_conflicts(Plan([plan])) == check(Plan([plan]))


def test_adopt_replaces_foreign_latency_record(desired: DesiredApp) -> None:
    raws = in_sync()
    # Even with the very same target, adopting must rewrite it under geoproxy's identifier.
    foreign = latency_raw("eu-west-2", EUW1_ELB, EUW1_ZONE, set_id="legacy-euw2")
    raws[1] = foreign
    plan = calculate_app(desired, live(*raws), adopt=True)
    assert plan.conflicts == []
    assert actions(plan.changes) == [("update", "A", "eu-west-2")]
    change = plan.changes[0]
    assert change.old is not None and change.old.raw is foreign
    assert change.note.startswith("adopted")
    assert change.route53_changes() == [
        {"Action": "DELETE", "ResourceRecordSet": foreign},
        {"Action": "CREATE", "ResourceRecordSet": latency_raw("eu-west-2", EUW1_ELB, EUW1_ZONE)},
    ]
    assert check(Plan([plan])) == []


def test_simple_record_at_the_name_conflicts(desired: DesiredApp) -> None:
    simple = simple_raw("A", "192.0.2.10")
    plan = calculate_app(desired, live(simple))
    assert [(c.record.raw, c.reason) for c in plan.conflicts] == [
        (
            simple,
            "a simple record; Route 53 cannot mix it with latency records at the same name "
            "and type",
        )
    ]
    assert check(Plan([plan])) == [
        "shop: origin.example.com A (simple) is in the way: a simple record; Route 53 cannot "
        "mix it with latency records at the same name and type"
    ]
    assert Plan([plan]).summary()["conflicts"] == 1


def test_adopt_deletes_simple_record_before_creates(desired: DesiredApp) -> None:
    simple = simple_raw("A", "192.0.2.10")
    plan = calculate_app(desired, live(simple), adopt=True)
    assert plan.conflicts == []
    assert actions(plan.changes) == [
        ("delete", "A", None),
        ("create", "A", "eu-west-1"),
        ("create", "A", "eu-west-2"),
        ("create", "A", "us-east-1"),
    ]
    delete = plan.changes[0]
    assert delete.old is not None and delete.old.raw is simple and delete.new is None
    assert delete.note.startswith("adopted")
    assert delete.route53_changes() == [{"Action": "DELETE", "ResourceRecordSet": simple}]
    assert check(Plan([plan])) == []


def test_weighted_record_at_the_name_conflicts(desired: DesiredApp) -> None:
    weighted = {**simple_raw("A", "192.0.2.10"), "SetIdentifier": "blue", "Weight": 100}
    plan = calculate_app(desired, live(weighted))
    assert [c.reason for c in plan.conflicts] == [
        "a weighted record; Route 53 cannot mix it with latency records at the same name and type"
    ]


def test_cname_at_the_name_conflicts(desired: DesiredApp) -> None:
    cname = simple_raw("CNAME", "elsewhere.example.net")
    plan = calculate_app(desired, live(cname))
    assert [(c.record.raw, c.reason) for c in plan.conflicts] == [
        (cname, "a CNAME cannot share its name with geoproxy's records")
    ]
    assert check(Plan([plan])) == [
        "shop: origin.example.com CNAME (simple) is in the way: a CNAME cannot share its name "
        "with geoproxy's records"
    ]


def test_adopt_deletes_cname(desired: DesiredApp) -> None:
    cname = simple_raw("CNAME", "elsewhere.example.net")
    plan = calculate_app(desired, live(cname), adopt=True)
    assert plan.conflicts == []
    deletes = [c for c in plan.changes if c.action == "delete"]
    assert [(c.record_type, c.old.raw if c.old else None) for c in deletes] == [("CNAME", cname)]
    assert sorted(actions(plan.changes)) == [
        ("create", "A", "eu-west-1"),
        ("create", "A", "eu-west-2"),
        ("create", "A", "us-east-1"),
        ("delete", "CNAME", None),
    ]


def test_adopt_deletes_cname_before_creates(desired: DesiredApp) -> None:
    cname = simple_raw("CNAME", "elsewhere.example.net")
    plan = calculate_app(desired, live(cname), adopt=True)
    assert plan.changes[0].action == "delete"
    assert plan.changes[0].record_type == "CNAME"


@pytest.mark.parametrize(
    "raw",
    [
        simple_raw("TXT", '"v=spf1 -all"'),
        simple_raw("MX", "10 mail.example.com"),
        simple_raw("AAAA", "2001:db8::1"),  # A latency records and a simple AAAA may share a name
    ],
)
def test_other_types_at_the_name_are_untouched(desired: DesiredApp, raw: dict[str, Any]) -> None:
    for adopt in (False, True):
        plan = calculate_app(desired, live(*in_sync(), raw), adopt=adopt)
        assert plan.changes == [] and plan.conflicts == []
        assert [r.raw for r in plan.untouched] == [raw]


def test_records_at_other_names_are_ignored(desired: DesiredApp) -> None:
    others = [
        simple_raw("A", "192.0.2.1", name="www.example.com."),
        simple_raw("CNAME", "x.example.net", name="cdn.origin.example.com."),
        latency_raw("ap-south-1", USE1_ELB, USE1_ZONE, name="other.example.com."),
        latency_raw("eu-west-2", USE1_ELB, USE1_ZONE, name="other.example.com."),
    ]
    for adopt in (False, True):
        plan = calculate_app(desired, live(*in_sync(), *others), adopt=adopt)
        assert plan.changes == [] and plan.conflicts == []
        # Names below the record are geoproxy's to look after, but a record it neither owns
        # nor needs there is left as it is.
        assert [record.name for record in plan.untouched] == ["cdn.origin.example.com"]
        assert len(plan.unchanged) == 3


def test_mixed_plan_order_and_summary() -> None:
    app = desired_from(shop(record_types=["A", "AAAA"]))[0]
    raws = [
        simple_raw("A", "192.0.2.10"),
        latency_raw("us-east-1", "old.us-east-1.elb.amazonaws.com", USE1_ZONE, record_type="AAAA"),
        latency_raw("ap-south-1", USE1_ELB, USE1_ZONE),
        latency_raw("eu-west-1", EUW1_ELB, EUW1_ZONE),
    ]
    plan = calculate_app(app, live(*raws), adopt=True)
    # Per type: deletes, then updates, then creates, each by source region.
    assert actions(plan.changes) == [
        ("delete", "A", None),
        ("delete", "A", "ap-south-1"),
        ("update", "AAAA", "us-east-1"),
        ("create", "A", "eu-west-2"),
        ("create", "A", "us-east-1"),
        ("create", "AAAA", "eu-west-1"),
        ("create", "AAAA", "eu-west-2"),
    ]
    whole = Plan([plan], warnings=["w"])
    assert whole.changes == plan.changes
    assert whole.summary() == {
        "create": 4,
        "update": 1,
        "delete": 2,
        "unchanged": 1,
        "conflicts": 0,
        "health_checks_to_create": 0,
        "health_checks_to_delete": 0,
        "distribution_fields": 0,
        "functions": 0,
        "orphans": 0,
    }


def test_plan_over_several_apps() -> None:
    api = application(
        name="api", record="api.example.com", source_regions=["us-east-1"], pops=pops("us-east-1")
    )
    apps = desired_from(SHOP, api)
    shop = calculate_app(apps[0], live(simple_raw("A", "192.0.2.10")))
    api = calculate_app(apps[1], live())
    whole = Plan([shop, api])
    assert [(c.name, c.action) for c in whole.changes] == [
        (NAME, "create"),
        (NAME, "create"),
        (NAME, "create"),
        ("api.example.com", "create"),
    ]
    assert len(whole.conflicts) == 1
    assert whole.has_changes
    assert check(whole) == [
        "shop: origin.example.com A (simple) is in the way: a simple record; Route 53 cannot "
        "mix it with latency records at the same name and type"
    ]
    assert check(whole, rules=[]) == []
    assert check(whole, rules=[lambda p: ["a"], lambda p: ["b", "c"]]) == ["a", "b", "c"]
