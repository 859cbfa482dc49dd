"""Fixtures of the pure unit tests: the region catalog and the names and ids their policies use.

The ELB names are made up; their hosted zone ids are AWS's documented ALB zones per region.
"""

from __future__ import annotations

import pytest

from geoproxy.policy.catalog import Catalog

NAME = "origin.example.com"
ZONE_ID = "ZHOSTED123"
AT = "2026-01-02T03:04:05Z"

USE1_ELB = "a-1.us-east-1.elb.amazonaws.com"
EUW1_ELB = "b-2.eu-west-1.elb.amazonaws.com"
EUC1_ELB = "c-3.eu-central-1.elb.amazonaws.com"
USE1_ZONE = "Z35SXDOTRQ7X7K"  # us-east-1 ALB
EUW1_ZONE = "Z32O12XQLNTSW2"  # eu-west-1 ALB
EUC1_ZONE = "Z215JYRZR1TBD5"  # eu-central-1 ALB

# PoP -> (ELB target, its ALB hosted zone id)
TARGETS = {
    "us-east-1": (USE1_ELB, USE1_ZONE),
    "eu-west-1": (EUW1_ELB, EUW1_ZONE),
    "eu-central-1": (EUC1_ELB, EUC1_ZONE),
}


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()
