"""The read pool and its token bucket, on a fake clock."""

from __future__ import annotations

import threading

import pytest

from geoproxy.aws.concurrency import TokenBucket, run_all
from tests.unit.aws.clock import FakeClock


def test_the_burst_is_free_then_tokens_come_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate_per_s=5, burst=3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        bucket.take()
    assert clock.slept == []
    bucket.take()
    assert clock.slept == [pytest.approx(0.2)]
    clock.now += 10  # idle: the bucket refills, but never past the burst
    for _ in range(3):
        bucket.take()
    assert len(clock.slept) == 1


def test_results_come_in_task_order_and_run_side_by_side() -> None:
    barrier = threading.Barrier(3, timeout=10)

    def task(value: int) -> int:
        barrier.wait()  # only passes if three tasks run at once
        return value

    assert run_all([lambda v=v: task(v) for v in (3, 1, 2)]) == [3, 1, 2]


def test_one_task_runs_in_the_calling_thread() -> None:
    assert run_all([threading.get_ident]) == [threading.get_ident()]


def test_the_first_failure_in_task_order_is_raised_after_all_finished() -> None:
    finished = []

    def fails(message: str) -> None:
        raise ValueError(message)

    def works() -> None:
        finished.append(True)

    with pytest.raises(ValueError, match="first"):
        run_all([works, lambda: fails("first"), lambda: fails("second"), works])
    assert finished == [True, True]
