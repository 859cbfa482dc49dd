"""core.importer: records as Route 53 lists them in, the application that reproduces them
and what it cannot say out. Every imported application is also written as YAML and read
back by the loader, and routed: it must send each source where the records do."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from geoproxy.core.import_targets import pair_names_to_read
from geoproxy.core.importer import (
    Imported,
    ImportRefused,
    default_name,
    infer_application,
)
from geoproxy.core.importer_yaml import policy_yaml
from geoproxy.core.records import LiveRecord
from geoproxy.core.routing import route_policy
from geoproxy.policy.latency import shipped_table
from geoproxy.policy.loader import LoadedPolicy, parse_yaml, validate_policy
from tests.builders import (
    AT,
    EUC1_ELB,
    EUC1_ZONE,
    EUW1_ELB,
    EUW1_ZONE,
    NAME,
    USE1_ELB,
    USE1_ZONE,
    ZONE,
    ZONE_ID,
    catalog,
    latency_record,
)


def _hand(source: str, pop: str | None = None, **options: Any) -> dict[str, Any]:
    """A latency record made by hand: its own set identifier."""
    return latency_record(source, pop, set_identifier=f"hand-{source}", **options)


def _import(*records: dict[str, Any], keep_zone_id: bool = False) -> Imported:
    imported = infer_application(
        name="shop",
        zone=ZONE,
        zone_id=ZONE_ID,
        record_name=NAME,
        records=[LiveRecord(record) for record in records],
        catalog=catalog(),
        table=shipped_table(),
        keep_zone_id=keep_zone_id,
    )
    _round_trip(imported)
    return imported


def _round_trip(imported: Imported) -> None:
    """The YAML loads as the same application, and routes every source as live."""
    text = policy_yaml(imported.app, owner="default", header=["test"], nearest=imported.nearest)
    data, source = parse_yaml(text, "imported")
    policy = validate_policy(data, "imported", source, catalog())
    assert policy.applications[0] == imported.app
    routing = route_policy(LoadedPolicy("imported", policy, source), catalog(), shipped_table())
    routed = {route.source_region: route.pop for route in routing.applications[0].routes}
    assert routed == imported.live


def _codes(imported: Imported) -> list[str]:
    return [finding.code for finding in imported.findings]


def test_a_nearest_map_imports_without_force_and_geoproxy_records_without_findings() -> None:
    imported = _import(
        latency_record("us-east-1", "us-east-1"), latency_record("eu-west-1", "eu-west-1")
    )

    assert imported.findings == []
    app = imported.app
    assert app.source_regions == ["eu-west-1", "us-east-1"]
    assert app.force == {}
    assert {pop: p.target for pop, p in app.pops.items()} == {
        "eu-west-1": EUW1_ELB,
        "us-east-1": USE1_ELB,
    }
    assert all(p.hosted_zone_id is None for p in app.pops.values())  # derived from the name
    assert app.zone_id is None and app.record_types == ["A"]


def test_force_only_where_the_live_map_differs_from_geoproxys_choice() -> None:
    imported = _import(
        _hand("us-east-1", "us-east-1"),
        _hand("eu-west-1", "eu-west-1"),
        _hand("me-south-1", "us-east-1"),
    )

    assert imported.app.force == {"me-south-1": "us-east-1"}
    assert imported.nearest is not None
    assert imported.nearest.route_for("me-south-1").pop == "eu-west-1"  # type: ignore[union-attr]
    assert _codes(imported) == ["import_set_identifier"]
    text = policy_yaml(imported.app, owner="default", header=[], nearest=imported.nearest)
    assert "me-south-1: us-east-1  # nearest: eu-west-1" in text


def test_a_target_that_is_no_load_balancer_is_reported_and_its_region_left_out() -> None:
    imported = _import(
        latency_record("us-east-1", "us-east-1"),
        latency_record("eu-west-1", target=("d111.cloudfront.net", "Z2FDTNDATAQYW2")),
        latency_record(
            "sa-east-1", target=("shop.s3-website-sa-east-1.amazonaws.com", "Z7KQH4QJS55SO")
        ),
    )

    assert imported.live == {"us-east-1": "us-east-1"}
    assert _codes(imported).count("import_target") == 2
    assert _codes(imported).count("import_left_out") == 2
    assert "d111.cloudfront.net" in imported.findings[0]


def test_value_records_and_latency_cnames_are_reported() -> None:
    values = {
        "Name": NAME + ".",
        "Type": "A",
        "SetIdentifier": "by-ip",
        "Region": "eu-west-1",
        "TTL": 60,
        "ResourceRecords": [{"Value": "192.0.2.1"}],
    }
    cname = {**values, "Type": "CNAME", "ResourceRecords": [{"Value": "x.example.net"}]}
    imported = _import(latency_record("us-east-1", "us-east-1"), values, cname)

    assert "eu-west-1" not in imported.live
    messages = " ".join(imported.findings)
    assert "answers with values (192.0.2.1), not an alias" in messages
    assert "geoproxy writes A and AAAA alias records only" in messages


def test_a_second_load_balancer_in_one_region_is_left_out() -> None:
    other = ("z-9.us-east-1.elb.amazonaws.com", USE1_ZONE)
    imported = _import(
        _hand("us-east-1", "us-east-1"),
        _hand("us-east-2", "us-east-1"),
        _hand("us-west-2", target=other),
    )

    assert imported.app.pops["us-east-1"].target == USE1_ELB  # the one most sources use
    assert "us-west-2" not in imported.live
    assert "import_pop_conflict" in _codes(imported)


def test_aaaa_records_to_the_dualstack_name_import_as_a_second_type() -> None:
    imported = _import(
        latency_record("us-east-1", "us-east-1"),
        latency_record(
            "us-east-1", target=("dualstack." + USE1_ELB, USE1_ZONE), record_type="AAAA"
        ),
    )

    assert imported.app.record_types == ["A", "AAAA"]
    assert imported.findings == []


def test_a_region_whose_types_disagree_is_left_out() -> None:
    imported = _import(
        latency_record("us-east-1", "us-east-1"),
        latency_record("eu-west-1", "eu-west-1"),
        latency_record("eu-west-1", "us-east-1", record_type="AAAA"),
    )

    assert imported.live == {"us-east-1": "us-east-1"}
    assert "import_mismatch" in _codes(imported)


def test_evaluate_target_health_on_all_records_is_kept_and_on_some_reported() -> None:
    everywhere = _import(
        latency_record("us-east-1", "us-east-1", health=True),
        latency_record("eu-west-1", "eu-west-1", health=True),
    )
    some = _import(
        latency_record("us-east-1", "us-east-1", health=True),
        latency_record("eu-west-1", "eu-west-1"),
    )

    assert everywhere.app.evaluate_target_health is True and everywhere.findings == []
    assert some.app.evaluate_target_health is False
    assert _codes(some) == ["import_target_health"]


def test_a_hand_made_zone_id_is_kept_only_when_asked() -> None:
    assert _import(latency_record("us-east-1", "us-east-1"), keep_zone_id=True).app.zone_id == (
        ZONE_ID
    )


def _pair(name: str, primary: tuple[str, str], secondary: tuple[str, str]) -> list[dict[str, Any]]:
    halves = []
    for role, (dns, zone) in (("PRIMARY", primary), ("SECONDARY", secondary)):
        record: dict[str, Any] = {
            "Name": name + ".",
            "Type": "A",
            "SetIdentifier": role.lower(),
            "Failover": role,
            "AliasTarget": {
                "HostedZoneId": zone,
                "DNSName": dns + ".",
                "EvaluateTargetHealth": True,
            },
        }
        if role == "PRIMARY":
            record["HealthCheckId"] = "hc-1"
        halves.append(record)
    return halves


def test_hand_made_failover_pairs_become_auto_failover() -> None:
    pair_name = "eu.pairs.example.com"
    records = [
        _hand("eu-west-1", target=(pair_name, ZONE_ID)),
        _hand("eu-central-1", target=(pair_name, ZONE_ID)),
        *_pair(pair_name, (EUW1_ELB, EUW1_ZONE), (EUC1_ELB, EUC1_ZONE)),
    ]
    assert pair_names_to_read([LiveRecord(r) for r in records], NAME, ZONE_ID) == [pair_name]

    imported = _import(*records)

    app = imported.app
    assert app.auto_failover is True
    assert imported.live == {"eu-central-1": "eu-west-1", "eu-west-1": "eu-west-1"}
    assert app.pops["eu-west-1"].failover_to == "eu-central-1"
    assert app.pops["eu-central-1"].failover_to == "eu-west-1"  # only a partner live
    assert app.force == {"eu-central-1": "eu-west-1"}
    codes = _codes(imported)
    assert codes.count("import_failover_pair") == 2  # a partner-only PoP; the pair's name
    assert "import_health_check" in codes


def test_pairs_beside_direct_routes_are_left_out() -> None:
    pair_name = "eu.pairs.example.com"
    imported = _import(
        _hand("us-east-1", "us-east-1"),
        _hand("eu-west-1", target=(pair_name, ZONE_ID)),
        *_pair(pair_name, (EUW1_ELB, EUW1_ZONE), (EUC1_ELB, EUC1_ZONE)),
    )

    assert imported.live == {"us-east-1": "us-east-1"}
    assert imported.app.auto_failover is False
    assert "import_failover_pair" in _codes(imported)


def test_an_alias_into_the_zone_that_is_no_pair_is_reported() -> None:
    imported = _import(
        _hand("us-east-1", "us-east-1"), _hand("eu-west-1", target=("www.example.com", ZONE_ID))
    )

    assert "holds no PRIMARY/SECONDARY failover pair" in imported.findings[0]


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([], "no record at origin.example.com in hosted zone example.com"),
        (
            [{"Name": NAME + ".", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": '"x"'}]}],
            "has no latency A or AAAA records to import",
        ),
        (
            [latency_record("us-east-1", target=("d1.cloudfront.net", "Z2FDTNDATAQYW2"))],
            "none of the latency records at origin.example.com can be expressed",
        ),
    ],
)
def test_nothing_to_import_is_refused(records: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ImportRefused, match=message):
        _import(*records)


def test_yaml_quotes_what_yaml_would_misread() -> None:
    imported = _import(latency_record("us-east-1", "us-east-1"))
    app = imported.app.model_copy(update={"name": "no"})
    assert "name: 'no'" in policy_yaml(app, owner="team-a", header=[])
    assert "owner: team-a" in policy_yaml(app, owner="team-a", header=[])


def test_yaml_names_the_latency_table_it_was_judged_by() -> None:
    imported = _import(latency_record("us-east-1", "us-east-1"))
    text = policy_yaml(imported.app, owner="default", header=[], latency_table="true")
    assert yaml.safe_load(text)["latency_table"] == "true"  # quoted: a path, not a bool
    assert "latency_table" not in policy_yaml(imported.app, owner="default", header=[])


@pytest.mark.parametrize(
    ("record", "expected"),
    [("origin.shop.example.com", "origin"), ("example.com", "example"), ("_x.example.com", "x")],
)
def test_default_name(record: str, expected: str) -> None:
    assert default_name(record, "example.com") == expected


def test_a_partner_behind_another_load_balancer_than_its_pop_is_left_out() -> None:
    pair_name = "eu.pairs.example.com"
    other = ("z-9.eu-central-1.elb.amazonaws.com", EUC1_ZONE)
    imported = _import(
        _hand("eu-west-1", target=(pair_name, ZONE_ID)),
        _hand("eu-central-1", target=("euc.pairs.example.com", ZONE_ID)),
        *_pair(pair_name, (EUW1_ELB, EUW1_ZONE), other),
        *_pair("euc.pairs.example.com", (EUC1_ELB, EUC1_ZONE), (EUW1_ELB, EUW1_ZONE)),
    )

    assert imported.live == {"eu-central-1": "eu-central-1"}
    assert "import_pop_conflict" in _codes(imported)
    assert "the SECONDARY at eu.pairs.example.com A aliases to z-9" in " ".join(imported.findings)


def test_a_load_balancer_only_a_left_out_source_uses_is_no_pop() -> None:
    imported = _import(
        _hand("us-east-1", "us-east-1"),
        _hand("eu-west-1", "eu-west-1"),
        _hand("eu-west-1", target=("x.example.net", "Z2FDTNDATAQYW2"), record_type="AAAA"),
    )

    assert list(imported.app.pops) == ["us-east-1"]
    assert imported.live == {"us-east-1": "us-east-1"}


def test_records_already_geoproxys_keep_their_owner() -> None:
    imported = _import(
        latency_record("us-east-1", "us-east-1", set_identifier="geoproxy:us-east-1@teamb"),
        latency_record("eu-west-1", "eu-west-1", set_identifier="geoproxy:eu-west-1@teamb"),
    )

    assert imported.owner == "teamb"
    assert imported.findings == []


def test_a_source_region_without_a_type_the_others_have_is_reported() -> None:
    imported = _import(
        latency_record("us-east-1", "us-east-1"),
        latency_record("eu-west-1", "eu-west-1"),
        latency_record(
            "us-east-1", target=("dualstack." + USE1_ELB, USE1_ZONE), record_type="AAAA"
        ),
    )

    assert imported.app.record_types == ["A", "AAAA"]
    assert _codes(imported) == ["import_record_types"]
    assert "source regions eu-west-1 have no AAAA record" in imported.findings[0]


def test_a_load_balancer_name_no_policy_could_hold_is_reported_not_a_crash() -> None:
    imported = _import(
        latency_record("us-east-1", "us-east-1"),
        latency_record("eu-west-1", target=("a\\052b.eu-west-1.elb.amazonaws.com", EUW1_ZONE)),
        latency_record("eu-west-2", target=("ok-1.eu-west-2.elb.amazonaws.com", "zone-9")),
    )

    assert imported.live == {"us-east-1": "us-east-1"}
    assert _codes(imported).count("import_target") == 2


def test_an_active_failover_in_geoproxys_state_is_reported() -> None:
    from geoproxy.core.failover import Failover
    from geoproxy.core.state import encode_failover, encode_header

    values = [
        encode_header("0123456789ab"),
        encode_failover(Failover("eu-west-1", "us-east-1", AT, "me")),
    ]
    state = {
        "Name": f"_geoproxy.{NAME}.",
        "Type": "TXT",
        "TTL": 60,
        "ResourceRecords": [{"Value": value} for value in values],
    }
    imported = _import(
        latency_record("us-east-1", "us-east-1"), latency_record("eu-west-1", "us-east-1"), state
    )

    assert _codes(imported) == ["import_failover_active"]
    assert "eu-west-1 fails over to us-east-1" in imported.findings[0]
