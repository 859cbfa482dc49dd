"""Fixtures of the pure unit tests: the region catalog, and the names and ids their
applications use (defined beside the builders that use them, in `tests/builders.py`)."""

from __future__ import annotations

import pytest

from geoproxy.policy.catalog import Catalog
from tests import builders
from tests.builders import (  # noqa: F401  (re-exported: the tests import them from here)
    AT,
    EUC1_ELB,
    EUC1_ZONE,
    EUW1_ELB,
    EUW1_ZONE,
    NAME,
    TARGETS,
    USE1_ELB,
    USE1_ZONE,
    ZONE_ID,
)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return builders.catalog()
