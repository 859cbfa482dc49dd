"""Unit tests of geoproxy.core.healthchecks: identity, unique references, the diff."""

from __future__ import annotations

import hashlib
import json

from geoproxy.core.healthchecks import (
    HealthCheckSpec,
    LiveHealthCheck,
    plan_health_checks,
)
from geoproxy.core.names import REFERENCE_PREFIX, TAG_OWNER, TAG_POP, TAG_RECORD

RECORD = "origin.example.com"
CONFIG = {
    "Type": "HTTPS",
    "FullyQualifiedDomainName": "lb.example.com",
    "Port": 443,
    "ResourcePath": "/healthz",
    "RequestInterval": 30,
    "FailureThreshold": 3,
}
SPEC = HealthCheckSpec(RECORD, "eu-west-1", CONFIG)
TAGS = {TAG_RECORD: RECORD, TAG_POP: "eu-west-1", TAG_OWNER: "default"}


def live(
    reference: str,
    check_id: str = "hc-1",
    tags: dict[str, str] | None = None,
) -> LiveHealthCheck:
    return LiveHealthCheck(check_id, reference, CONFIG, TAGS if tags is None else tags)


def test_each_creation_gets_its_own_reference_within_64_characters() -> None:
    first = plan_health_checks({"eu-west-1": SPEC}, [], RECORD, "aaaaaaaaaaaa")
    second = plan_health_checks({"eu-west-1": SPEC}, [], RECORD, "bbbbbbbbbbbb")
    [a], [b] = first.create, second.create
    assert a.caller_reference != b.caller_reference
    assert a.identity == b.identity == SPEC.identity
    assert len(a.caller_reference) <= 64
    assert first.ids == {"eu-west-1": "pending:" + a.caller_reference}


def test_a_live_check_is_found_by_its_identity_whatever_its_nonce() -> None:
    plan = plan_health_checks(
        {"eu-west-1": SPEC},
        [live(REFERENCE_PREFIX + SPEC.identity + "-0123456789ab")],
        RECORD,
        "ffffffffffff",
    )
    assert plan.create == [] and plan.tag == [] and plan.delete == []
    assert plan.ids == {"eu-west-1": "hc-1"}


def test_references_of_geoproxy_0_1_are_recognised() -> None:
    digest = hashlib.sha256(
        json.dumps([RECORD, "eu-west-1", CONFIG], sort_keys=True).encode()
    ).hexdigest()
    plan = plan_health_checks(
        {"eu-west-1": SPEC}, [live(REFERENCE_PREFIX + digest[:48])], RECORD, "ffffffffffff"
    )
    assert plan.ids == {"eu-west-1": "hc-1"} and plan.create == []


def test_an_untagged_check_a_crash_left_is_tagged_not_duplicated() -> None:
    orphan = live(REFERENCE_PREFIX + SPEC.identity + "-0123456789ab", tags={})
    plan = plan_health_checks({"eu-west-1": SPEC}, [orphan], RECORD, "ffffffffffff")
    assert plan.create == [] and plan.tag == [(SPEC, "hc-1")]


def test_a_check_with_other_settings_is_replaced() -> None:
    old = live(REFERENCE_PREFIX + "0" * 40 + "-0123456789ab")
    plan = plan_health_checks({"eu-west-1": SPEC}, [old], RECORD, "ffffffffffff")
    assert [spec.nonce for spec in plan.create] == ["ffffffffffff"]
    assert plan.delete == [old]
