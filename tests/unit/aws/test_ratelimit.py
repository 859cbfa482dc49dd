"""The account's Route 53 limiter (geoproxy/aws/ratelimit.py) on a fake clock: the buckets AWS's
throttling page documents, both drawn from by every request."""

from __future__ import annotations

import pytest

from geoproxy.aws.ratelimit import CHANGES_ENV, Route53Limiter
from tests.unit.aws.clock import FakeClock


def test_the_account_bucket_takes_a_burst_of_50_then_10_a_second() -> None:
    clock = FakeClock()
    limiter = Route53Limiter(clock, clock.sleep)
    for index in range(50):  # spread over actions, so only the account bucket binds
        limiter.acquire(f"Read{index % 5}")
    assert clock.slept == []
    limiter.acquire("Read0")
    assert sum(clock.slept) == pytest.approx(0.1)


def test_create_health_check_has_its_own_slower_bucket() -> None:
    clock = FakeClock()
    limiter = Route53Limiter(clock, clock.sleep)
    for _ in range(50):
        limiter.acquire("CreateHealthCheck")
    clock.now += 5  # the account bucket refills fully; CreateHealthCheck's by 2.5 tokens
    clock.slept.clear()
    for _ in range(3):
        limiter.acquire("CreateHealthCheck")
    assert sum(clock.slept) == pytest.approx(1.0)  # the third waits for half a token at 0.5/s


def test_delete_health_check_bursts_15_at_3_a_second() -> None:
    clock = FakeClock()
    limiter = Route53Limiter(clock, clock.sleep)
    for _ in range(15):
        limiter.acquire("DeleteHealthCheck")
    assert clock.slept == []
    limiter.acquire("DeleteHealthCheck")
    assert sum(clock.slept) == pytest.approx(1 / 3)


def test_the_change_bucket_counts_record_changes_only_when_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeClock()
    assert Route53Limiter(clock, clock.sleep).changes is None  # numbers not documented here
    monkeypatch.setenv(CHANGES_ENV, "100")
    limiter = Route53Limiter(clock, clock.sleep)
    limiter.acquire("ChangeResourceRecordSets", changes=100)
    assert clock.slept == []
    limiter.acquire("ChangeResourceRecordSets", changes=50)
    assert sum(clock.slept) == pytest.approx(0.5)


def test_the_hook_counts_a_batchs_changes_from_its_body(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CHANGES_ENV, "2")
    clock = FakeClock()
    limiter = Route53Limiter(clock, clock.sleep)

    class Request:
        body = b"<ChangeBatch><Changes>" + b"<Change><Action>CREATE</Action></Change>" * 4

    for _ in range(2):
        limiter.before_send(Request(), event_name="before-send.route53.ChangeResourceRecordSets")
    # Four changes empty a bucket of 2 (a batch larger than the bucket waits for a full one);
    # the next batch waits for it to refill at 2 a second.
    assert sum(clock.slept) == pytest.approx(1.0)
