"""pytest fixtures; load with `pytest_plugins = ["tests.strictaws.fixtures"]`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from geoproxy.sandbox.strict.server import StrictMotoServer


@pytest.fixture(scope="session")
def strict_aws_server() -> Iterator[StrictMotoServer]:
    """One server for the whole session: starting moto's app is the slow part."""
    with StrictMotoServer() as server:
        yield server


@pytest.fixture
def aws(strict_aws_server: StrictMotoServer) -> Iterator[StrictMotoServer]:
    """The session's server, emptied before each test so tests cannot see each other's state."""
    strict_aws_server.reset()
    yield strict_aws_server
