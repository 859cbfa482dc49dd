"""The country-header pre-flight's pure rules (geoproxy/aws/edge/preflight.py): which policy
configs and legacy settings put CloudFront-Viewer-Country in the request, by the module's
[CP], [ORP] and [LEG]. Its reads against the emulator are in tests/e2e/test_edge_preflight.py."""

from __future__ import annotations

from typing import Any

import pytest

from geoproxy.aws.edge.preflight import (
    HEADER,
    cache_policy_delivers,
    legacy_headers,
    names_header,
    origin_request_policy_delivers,
)
from geoproxy.core.edge.function import COUNTRY_HEADER


def headers(behaviour: str, *names: str) -> dict[str, Any]:
    config: dict[str, Any] = {"HeaderBehavior": behaviour}
    if names:
        config["Headers"] = {"Quantity": len(names), "Items": list(names)}
    return config


def test_the_message_spelling_is_the_name_the_function_reads() -> None:
    assert HEADER.lower() == COUNTRY_HEADER


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["CloudFront-Viewer-Country"], True),
        (["cloudfront-viewer-country"], True),
        (["Accept", "CLOUDFRONT-VIEWER-COUNTRY "], True),
        (["CloudFront-Viewer-Country-Name", "CloudFront-Viewer-City"], False),
        (["*"], False),
        ([], False),
        (None, False),
    ],
)
def test_header_names_match_in_any_case_and_only_exactly(
    names: list[str] | None, expected: bool
) -> None:
    assert names_header(names) is expected


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (headers("whitelist", "Host", "CloudFront-Viewer-Country"), True),
        (headers("whitelist", "Host"), False),
        (headers("none"), False),
        # A list under `none` is not one CloudFront uses: only `whitelist` puts names in the key.
        (headers("none", "CloudFront-Viewer-Country"), False),
    ],
)
def test_a_cache_policy_delivers_only_a_header_it_lists(
    config: dict[str, Any], expected: bool
) -> None:
    policy = {"Name": "p", "ParametersInCacheKeyAndForwardedToOrigin": {"HeadersConfig": config}}
    assert cache_policy_delivers(policy) is expected


def test_a_cache_policy_without_parameters_delivers_nothing() -> None:
    assert cache_policy_delivers({"Name": "p"}) is False


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (headers("whitelist", "CloudFront-Viewer-Country"), True),
        (headers("allViewerAndWhitelistCloudFront", "CloudFront-Viewer-Country"), True),
        (headers("allViewerAndWhitelistCloudFront", "CloudFront-Viewer-City"), False),
        (headers("allViewer"), False),  # viewer headers only: CloudFront's own are named or absent
        (headers("allExcept", "Host"), False),
        (headers("allExcept", "CloudFront-Viewer-Country"), False),  # listed to be left out
        (headers("none"), False),
        ({}, False),
    ],
)
def test_an_origin_request_policy_delivers_only_a_header_it_adds_by_name(
    config: dict[str, Any], expected: bool
) -> None:
    assert origin_request_policy_delivers({"Name": "p", "HeadersConfig": config}) is expected


def test_legacy_headers_are_read_only_from_forwarded_values() -> None:
    assert legacy_headers({"CachePolicyId": "x"}) is None
    forwarded = {"QueryString": False, "Cookies": {"Forward": "none"}}
    assert legacy_headers({"ForwardedValues": {**forwarded, "Headers": {"Quantity": 0}}}) == []
    assert legacy_headers(
        {"ForwardedValues": {**forwarded, "Headers": {"Quantity": 1, "Items": ["*"]}}}
    ) == ["*"]
    assert legacy_headers({"ForwardedValues": forwarded}) == []
