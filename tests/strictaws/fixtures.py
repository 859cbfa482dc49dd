"""pytest fixtures; load with `pytest_plugins = ["tests.strictaws.fixtures"]`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

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


# One attempt: a test asserts the emulator's answer, not botocore's retries of it.
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture
def cf(aws: StrictMotoServer) -> Any:
    return aws.client("cloudfront", config=NO_RETRY)


def error_of(call: Any, **kwargs: Any) -> tuple[str, int]:
    """(error code, HTTP status) of a call that must fail."""
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    response = err.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # AWS's managed cache policy
BEHAVIOUR: dict[str, Any] = {
    "TargetOriginId": "origin",
    "ViewerProtocolPolicy": "allow-all",
    "CachePolicyId": CACHING_OPTIMIZED,
}


def distribution_config(reference: str) -> dict[str, Any]:
    """The least CreateDistribution accepts: one custom origin, its default behaviour."""
    return {
        "CallerReference": reference,
        "Comment": "",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "origin",
                    "DomainName": "origin.example.net",
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                    },
                }
            ],
        },
        "DefaultCacheBehavior": dict(BEHAVIOUR),
    }
