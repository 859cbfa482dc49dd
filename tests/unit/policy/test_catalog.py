"""Unit tests of geoproxy.catalog: latency regions, partitions, ELB names and zones, distances."""

from __future__ import annotations

import math
import subprocess
import sys

import botocore.session
import pytest

from geoproxy.policy.catalog import (
    CLOUDFRONT_HOSTED_ZONE_ID,
    Catalog,
    ElbTarget,
    botocore_latency_regions,
    great_circle_km,
    ipv6_alias_name,
    parse_elb_target,
    partition_of,
)


def _route53_region_enum() -> list[str]:
    """Read the enum straight from botocore's model, independently of geoproxy."""
    model = botocore.session.get_session().get_service_model("route53")
    return list(model.shape_for("ResourceRecordSetRegion").enum)


# --- latency regions ---------------------------------------------------------------------------


def test_latency_regions_equal_botocore_enum(catalog: Catalog) -> None:
    enum = _route53_region_enum()
    assert list(botocore_latency_regions()) == enum
    assert list(catalog.latency_regions) == enum
    assert len(set(catalog.latency_regions)) == len(catalog.latency_regions)


def test_partition_matches_botocore_resolver() -> None:
    # geoproxy reads botocore's endpoints.json itself (no botocore import at run time); it
    # must name the partition botocore's own resolver names, for every latency region.
    session = botocore.session.get_session()
    for region in botocore_latency_regions():
        assert partition_of(region) == session.get_partition_for_region(region), region
    assert partition_of("cn-north-1") == "aws-cn"
    assert partition_of("xx-new-1") == "aws"


def test_catalog_does_not_import_botocore() -> None:
    script = (
        "import sys; from geoproxy.policy.catalog import Catalog; Catalog.load(); "
        "assert 'botocore' not in sys.modules, 'botocore imported'"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


def test_enum_contains_well_known_regions(catalog: Catalog) -> None:
    for region in (
        "us-east-1",
        "eu-west-1",
        "ap-southeast-1",
        "me-south-1",
        "cn-north-1",
        "us-gov-west-1",
    ):
        assert catalog.accepts(region)
    assert not catalog.accepts("eu-west-9")
    assert not catalog.accepts("EU-WEST-1")


def test_every_botocore_region_is_located(catalog: Catalog) -> None:
    # The installed botocore is not newer than the catalog: nothing is unlocated.
    assert catalog.unlocated() == []
    assert set(catalog.regions) == set(catalog.latency_regions)


def test_default_sources_exclude_other_partitions(catalog: Catalog) -> None:
    sources = catalog.default_sources()
    excluded = [r for r in catalog.latency_regions if r.startswith(("cn-", "us-gov-", "eusc-"))]
    assert {
        "cn-north-1",
        "cn-northwest-1",
        "us-gov-east-1",
        "us-gov-west-1",
        "eusc-de-east-1",
    } <= set(excluded)
    assert not any(r.startswith(("cn-", "us-gov-", "eusc-")) for r in sources)
    # Everything else is kept, in the botocore order.
    assert sources == [r for r in catalog.latency_regions if r not in excluded]
    assert "us-east-1" in sources
    assert "eu-west-1" in sources
    assert "me-south-1" in sources


def test_default_sources_of_explicit_list() -> None:
    catalog = Catalog.load(("us-east-1", "cn-north-1", "us-gov-west-1", "eu-west-1"))
    assert catalog.default_sources() == ["us-east-1", "eu-west-1"]


def test_unknown_region_is_unlocated() -> None:
    regions = (*botocore_latency_regions(), "xx-new-1")
    catalog = Catalog.load(latency_regions=regions)
    assert catalog.unlocated() == ["xx-new-1"]
    assert catalog.accepts("xx-new-1")
    assert not catalog.located("xx-new-1")
    assert catalog.located("eu-west-1")
    assert "xx-new-1" not in catalog.regions


def test_region_info_fields(catalog: Catalog) -> None:
    info = catalog.regions["eu-west-1"]
    assert info.name == "eu-west-1"
    assert info.metro == "Dublin"
    assert info.alb_zone_id == "Z32O12XQLNTSW2"
    assert info.nlb_zone_id == "Z2IFOLAFXWLO4F"


def test_cloudfront_zone_id() -> None:
    assert CLOUDFRONT_HOSTED_ZONE_ID == "Z2FDTNDATAQYW2"


# --- ELB names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dns_name", "expected"),
    [
        ("x.eu-west-1.elb.amazonaws.com", ElbTarget("eu-west-1", "alb")),
        ("dualstack.x.eu-west-1.elb.amazonaws.com", ElbTarget("eu-west-1", "alb")),
        ("my-alb-1234567890.us-east-1.elb.amazonaws.com.", ElbTarget("us-east-1", "alb")),
        ("internal-app-99.ap-southeast-1.elb.amazonaws.com", ElbTarget("ap-southeast-1", "alb")),
        ("MY-ALB-1.EU-WEST-2.ELB.AMAZONAWS.COM", ElbTarget("eu-west-2", "alb")),
        ("x.us-gov-west-1.elb.amazonaws.com", ElbTarget("us-gov-west-1", "alb")),
        ("x.cn-north-1.elb.amazonaws.com.cn", ElbTarget("cn-north-1", "alb")),
        ("x.elb.eu-west-1.amazonaws.com", ElbTarget("eu-west-1", "nlb")),
        ("my-nlb-0123abcd.elb.us-east-1.amazonaws.com.", ElbTarget("us-east-1", "nlb")),
        ("x.elb.cn-northwest-1.amazonaws.com.cn", ElbTarget("cn-northwest-1", "nlb")),
    ],
)
def test_parse_elb_target(dns_name: str, expected: ElbTarget) -> None:
    assert parse_elb_target(dns_name) == expected


@pytest.mark.parametrize(
    "dns_name",
    [
        "d111111abcdef8.cloudfront.net",
        "origin.example.com",
        "x.eu-west-1.amazonaws.com",
        "elb.amazonaws.com",
        "bucket.s3.eu-west-1.amazonaws.com",
        "x.eu-west-1.elb.amazonaws.com.evil.example",
    ],
)
def test_parse_non_elb_is_none(dns_name: str) -> None:
    assert parse_elb_target(dns_name) is None


@pytest.mark.parametrize(
    ("target", "zone_id"),
    [
        (ElbTarget("eu-west-1", "alb"), "Z32O12XQLNTSW2"),
        (ElbTarget("eu-west-1", "nlb"), "Z2IFOLAFXWLO4F"),
        (ElbTarget("us-east-1", "alb"), "Z35SXDOTRQ7X7K"),
        (ElbTarget("us-east-1", "nlb"), "Z26RNL4JYFTOTI"),
        (ElbTarget("us-east-2", "alb"), "Z3AADJGX6KTTL2"),
        (ElbTarget("us-east-2", "nlb"), "ZLMOA37VPKANP"),
        (ElbTarget("us-west-2", "alb"), "Z1H1FL5HABSF5"),
        (ElbTarget("us-west-2", "nlb"), "Z18D5FSROUN65G"),
    ],
)
def test_elb_zone_id(catalog: Catalog, target: ElbTarget, zone_id: str) -> None:
    assert catalog.elb_zone_id(target) == zone_id


def test_elb_zone_id_from_parsed_names(catalog: Catalog) -> None:
    alb = parse_elb_target("dualstack.x.eu-west-1.elb.amazonaws.com")
    nlb = parse_elb_target("x.elb.eu-west-1.amazonaws.com")
    assert alb is not None and nlb is not None
    assert catalog.elb_zone_id(alb) == "Z32O12XQLNTSW2"
    assert catalog.elb_zone_id(nlb) == "Z2IFOLAFXWLO4F"


def test_elb_zone_id_unknown_region_is_none(catalog: Catalog) -> None:
    assert catalog.elb_zone_id(ElbTarget("xx-new-1", "alb")) is None
    extended = Catalog.load((*botocore_latency_regions(), "xx-new-1"))
    assert extended.elb_zone_id(ElbTarget("xx-new-1", "nlb")) is None


# --- distances -----------------------------------------------------------------------------------


def test_distance_london_dublin(catalog: Catalog) -> None:
    # London to Dublin is about 460 km as the crow flies.
    assert catalog.distance_km("eu-west-2", "eu-west-1") == pytest.approx(460, rel=0.05)


def test_distance_is_symmetric_and_zero_to_self(catalog: Catalog) -> None:
    assert catalog.distance_km("eu-west-1", "eu-west-1") == 0.0
    assert catalog.distance_km("us-east-1", "eu-west-1") == pytest.approx(
        catalog.distance_km("eu-west-1", "us-east-1")
    )


def test_distance_new_york_region_to_paris_region(catalog: Catalog) -> None:
    # Northern Virginia to Paris: about 6,200 km.
    assert catalog.distance_km("us-east-1", "eu-west-3") == pytest.approx(6200, rel=0.05)


def test_great_circle_quarter_and_half_circumference() -> None:
    circumference = 2 * math.pi * 6371.0
    assert great_circle_km(0, 0, 0, 90) == pytest.approx(circumference / 4)
    assert great_circle_km(0, 0, 0, 180) == pytest.approx(circumference / 2)
    assert great_circle_km(90, 0, -90, 0) == pytest.approx(circumference / 2)
    assert great_circle_km(10, 20, 10, 20) == 0.0


def test_distance_to_unlocated_region_raises() -> None:
    catalog = Catalog.load(("eu-west-1", "xx-new-1"))
    with pytest.raises(KeyError):
        catalog.distance_km("eu-west-1", "xx-new-1")


@pytest.mark.parametrize(
    ("name", "ipv6"),
    [
        ("shop-1.eu-west-1.elb.amazonaws.com", "dualstack.shop-1.eu-west-1.elb.amazonaws.com"),
        (
            "dualstack.shop-1.eu-west-1.elb.amazonaws.com",
            "dualstack.shop-1.eu-west-1.elb.amazonaws.com",
        ),
        ("Shop-1.EU-West-1.ELB.amazonaws.com.", "dualstack.Shop-1.EU-West-1.ELB.amazonaws.com."),
        ("net-1.elb.eu-west-1.amazonaws.com", "net-1.elb.eu-west-1.amazonaws.com"),  # NLB
        ("d111111abcdef8.cloudfront.net", "d111111abcdef8.cloudfront.net"),
    ],
)
def test_ipv6_alias_name(name: str, ipv6: str) -> None:
    assert ipv6_alias_name(name) == ipv6
