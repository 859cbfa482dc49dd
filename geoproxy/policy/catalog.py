"""Region catalog: which latency regions Route 53 accepts, where they are, and their ELB zones.

The list of regions is read from the installed botocore Route 53 model at run time, so a
botocore upgrade brings new regions; this module only adds what botocore cannot tell us:
a location for each region (to find the nearest PoP) and the canonical hosted zone ids that
alias records to its load balancers must name.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

# Route 53's own alias hosted zone for CloudFront distributions (same in every region).
CLOUDFRONT_HOSTED_ZONE_ID = "Z2FDTNDATAQYW2"

EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class RegionInfo:
    name: str
    metro: str
    latitude: float
    longitude: float
    alb_zone_id: str | None  # Application and Classic Load Balancers
    nlb_zone_id: str | None  # Network Load Balancers


# (metro, latitude, longitude, ALB/CLB zone id, NLB zone id). Locations are the region's
# metro area, good to a few tens of km: enough to rank PoPs, which are hundreds of km apart.
# Zone ids: https://docs.aws.amazon.com/general/latest/gr/elb.html
_KNOWN: dict[str, tuple[str, float, float, str | None, str | None]] = {
    "us-east-1": ("N. Virginia", 39.04, -77.49, "Z35SXDOTRQ7X7K", "Z26RNL4JYFTOTI"),
    "us-east-2": ("Ohio", 39.96, -83.00, "Z3AADJGX6KTTL2", "ZLMOA37VPKANP"),
    "us-west-1": ("N. California", 37.35, -121.96, "Z368ELLRRE2KJ0", "Z24FKFUX50B4VW"),
    "us-west-2": ("Oregon", 45.84, -119.70, "Z1H1FL5HABSF5", "Z18D5FSROUN65G"),
    "ca-central-1": ("Montreal", 45.50, -73.57, "ZQSVJUPU6J1EY", "Z2EPGBW3API2WT"),
    "ca-west-1": ("Calgary", 51.05, -114.07, "Z06473681N0SF6OS049SD", "Z02754302KBB00W2LKWZ9"),
    "mx-central-1": ("Queretaro", 20.59, -100.39, "Z023552324OKD1BB28BH5", "Z02031231H3ID6HYJ9A7U"),
    "sa-east-1": ("Sao Paulo", -23.55, -46.63, "Z2P70J7HTTTPLU", "ZTK26PT1VY4CU"),
    "eu-west-1": ("Dublin", 53.35, -6.26, "Z32O12XQLNTSW2", "Z2IFOLAFXWLO4F"),
    "eu-west-2": ("London", 51.51, -0.13, "ZHURV8PSTC4K8", "ZD4D7Y8KGAS4G"),
    "eu-west-3": ("Paris", 48.86, 2.35, "Z3Q77PNBQS71R4", "Z1CMS0P5QUZ6D5"),
    "eu-central-1": ("Frankfurt", 50.11, 8.68, "Z215JYRZR1TBD5", "Z3F0SRJ5LGBH90"),
    "eu-central-2": ("Zurich", 47.38, 8.54, "Z06391101F2ZOEP8P5EB3", "Z02239872DOALSIDCX66S"),
    "eu-north-1": ("Stockholm", 59.33, 18.07, "Z23TAZ6LKFMNIO", "Z1UDT6IFJ4EJM"),
    "eu-south-1": ("Milan", 45.46, 9.19, "Z3ULH7SSC9OV64", "Z23146JA1KNAFP"),
    "eu-south-2": ("Aragon", 41.65, -0.88, "Z0956581394HF5D5LXGAP", "Z1011216NVTVYADP1SSV"),
    "il-central-1": ("Tel Aviv", 32.09, 34.78, "Z09170902867EHPV2DABU", "Z0313266YDI6ZRHTGQY4"),
    "me-south-1": ("Bahrain", 26.23, 50.59, "ZS929ML54UICD", "Z3QSRYVP46NYYV"),
    "me-central-1": ("UAE", 25.20, 55.27, "Z08230872XQRWHG2XF6I", "Z00282643NTTLPANJJG2P"),
    "af-south-1": ("Cape Town", -33.92, 18.42, "Z268VQBMOI5EKX", "Z203XCE67M25HM"),
    "ap-south-1": ("Mumbai", 19.08, 72.88, "ZP97RAFLXTNZK", "ZVDDRBQ08TROA"),
    "ap-south-2": ("Hyderabad", 17.39, 78.49, "Z0173938T07WNTVAEPZN", "Z0711778386UTO08407HT"),
    "ap-east-1": ("Hong Kong", 22.32, 114.17, "Z3DQVH9N71FHZ0", "Z12Y7K3UBGUAD1"),
    "ap-east-2": ("Taipei", 25.03, 121.57, None, None),
    "ap-northeast-1": ("Tokyo", 35.68, 139.69, "Z14GRHDCWA56QT", "Z31USIVHYNEOWT"),
    "ap-northeast-2": ("Seoul", 37.57, 126.98, "ZWKZPGTI48KDX", "ZIBE1TIR4HY56"),
    "ap-northeast-3": ("Osaka", 34.69, 135.50, "Z5LXEXXYW11ES", "Z1GWIQ4HH19I5X"),
    "ap-southeast-1": ("Singapore", 1.35, 103.82, "Z1LMS91P8CMLE5", "ZKVM4W9LS7TM"),
    "ap-southeast-2": ("Sydney", -33.87, 151.21, "Z1GM3OXH4ZPM65", "ZCT6FZBF4DROD"),
    "ap-southeast-3": ("Jakarta", -6.21, 106.85, "Z08888821HLRG5A9ZRTER", "Z01971771FYVNCOVWJU1G"),
    "ap-southeast-4": (
        "Melbourne",
        -37.81,
        144.96,
        "Z09517862IB2WZLPXG76F",
        "Z01156963G8MIIL7X90IV",
    ),
    "ap-southeast-5": (
        "Kuala Lumpur",
        3.14,
        101.69,
        "Z06010284QMVVW7WO5J",
        "Z026317210H9ACVTRO6FB",
    ),
    "ap-southeast-6": ("Auckland", -36.85, 174.76, None, None),
    "ap-southeast-7": ("Bangkok", 13.76, 100.50, "Z0390008CMBRTHFGWBCB", "Z054363131YWATEMWRG5L"),
    "cn-north-1": ("Beijing", 39.90, 116.41, "Z1GDH35T77C1KE", "Z3QFB96KMJ7ED6"),
    "cn-northwest-1": ("Ningxia", 38.49, 106.23, "ZM7IZAIOVVDZF", "ZQEIKTCZ8352D"),
    "us-gov-east-1": ("Ohio (GovCloud)", 39.96, -83.00, "Z166TLBEWOO7G0", "Z1ZSMQQ6Q24QQ8"),
    "us-gov-west-1": ("Oregon (GovCloud)", 45.84, -119.70, "Z33AYJ8TM3BH4J", "ZMG1MZ2THAWF1"),
    "eusc-de-east-1": ("Brandenburg", 52.41, 12.53, None, None),
}

# ALB/CLB: [dualstack.]name-123.REGION.elb.amazonaws.com; NLB: name-123.elb.REGION.amazonaws.com
_ALB_NAME = re.compile(r"\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.elb\.amazonaws\.com(?:\.cn)?$")
_NLB_NAME = re.compile(r"\.elb\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$")


@dataclass(frozen=True)
class ElbTarget:
    region: str
    kind: str  # "alb" (ALB or CLB) or "nlb"


def parse_elb_target(dns_name: str) -> ElbTarget | None:
    """Recognise a load balancer DNS name and the region it lives in; None if it is not one."""
    name = dns_name.lower().rstrip(".")
    if match := _NLB_NAME.search(name):
        return ElbTarget(match["region"], "nlb")
    if match := _ALB_NAME.search(name):
        return ElbTarget(match["region"], "alb")
    return None


def _botocore_data() -> Path:
    """botocore's data folder, found without importing botocore: the policy layer stays
    free of the AWS SDK, and offline commands do not pay for loading it."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _read_json(base: Path) -> Any:
    """`base` as botocore ships it: plain JSON, or gzipped next to where it would be."""
    compressed = base.with_name(base.name + ".gz")
    if compressed.exists():
        with gzip.open(compressed, "rt", encoding="utf-8") as stream:
            return json.load(stream)
    return json.loads(base.read_text(encoding="utf-8"))


def ipv6_alias_name(dns_name: str) -> str:
    """The name an AAAA alias must target. An Application or Classic Load Balancer's own
    name answers only IPv4; its `dualstack.` name answers both (AWS re:Post, "Configure an
    ALB with IPv6": point the A and AAAA alias records at the DNS name "with a dualstack
    prefix"; the Route 53 console adds it). A Network Load Balancer has no such name: a
    dualstack NLB's own name answers AAAA (ELB User Guide for NLBs, "IP address types"), so
    it stays as it is, and so does any other target."""
    target = parse_elb_target(dns_name)
    name = dns_name.lower().rstrip(".")
    if target is None or target.kind != "alb" or name.startswith("dualstack."):
        return dns_name
    return "dualstack." + dns_name


@lru_cache(maxsize=1)
def botocore_latency_regions() -> tuple[str, ...]:
    """Every value of Route 53's ResourceRecordSetRegion enum in the installed botocore."""
    service = _botocore_data() / "route53"
    version = max(entry.name for entry in service.iterdir() if entry.is_dir())
    model = _read_json(service / version / "service-2.json")
    return tuple(model["shapes"]["ResourceRecordSetRegion"]["enum"])


@lru_cache(maxsize=1)
def _partitions() -> tuple[dict[str, Any], ...]:
    return tuple(_read_json(_botocore_data() / "endpoints.json")["partitions"])


@lru_cache(maxsize=64)
def partition_of(region: str) -> str:
    """The partition botocore's endpoint resolver would name: listed regions first, then
    each partition's region pattern; an unknown pattern counts as the commercial one."""
    for partition in _partitions():
        if region in partition.get("regions", {}):
            return str(partition["partition"])
    for partition in _partitions():
        if "regionRegex" in partition and re.match(partition["regionRegex"], region):
            return str(partition["partition"])
    return "aws"


@dataclass(frozen=True)
class Catalog:
    """The latency regions Route 53 accepts and what geoproxy knows about each."""

    latency_regions: tuple[str, ...]
    regions: dict[str, RegionInfo]

    @classmethod
    def load(cls, latency_regions: tuple[str, ...] | None = None) -> Catalog:
        names = latency_regions if latency_regions is not None else botocore_latency_regions()
        regions = {name: RegionInfo(name, *_KNOWN[name]) for name in names if name in _KNOWN}
        return cls(tuple(names), regions)

    def accepts(self, region: str) -> bool:
        return region in self.latency_regions

    def located(self, region: str) -> bool:
        return region in self.regions

    def unlocated(self) -> list[str]:
        """Regions Route 53 accepts but the catalog cannot place on the map."""
        return [name for name in self.latency_regions if name not in self.regions]

    def default_sources(self) -> list[str]:
        """What `source_regions: all` means: commercial-partition regions only.

        China, GovCloud and sovereign-cloud regions are separate partitions whose users
        a commercial-partition hosted zone does not serve, so they are never implied.
        """
        return [name for name in self.latency_regions if partition_of(name) == "aws"]

    def distance_km(self, region_a: str, region_b: str) -> float:
        a, b = self.regions[region_a], self.regions[region_b]
        return great_circle_km(a.latitude, a.longitude, b.latitude, b.longitude)

    def elb_zone_id(self, target: ElbTarget) -> str | None:
        info = self.regions.get(target.region)
        if info is None:
            return None
        return info.nlb_zone_id if target.kind == "nlb" else info.alb_zone_id


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance; accurate to well under 1% at the scales that matter here."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))
