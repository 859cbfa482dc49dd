"""Reads of different hosted zones and distributions run side by side, in a small pool.

Route 53's rate limit is per account (about five requests a second), so the pool's tasks
share a token bucket: each task (one zone's listing, one distribution) takes a token to
start, the burst lets a handful start at once, and the pages of one zone's listing, which
are sequential anyway, are never slowed down. A run with one task uses no thread at all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

MAX_WORKERS = 4
RATE_PER_S = 5.0  # Route 53's documented rate per account
BURST = 5


class TokenBucket:
    def __init__(self, rate_per_s: float = RATE_PER_S, burst: int = BURST,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._rate = rate_per_s
        self._burst = burst
        self._tokens = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()

    def take(self) -> None:
        """Wait until a token is free, then take it."""
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self._rate
            self._sleep(wait)


def run_all(tasks: Sequence[Callable[[], T]], bucket: TokenBucket | None = None,
            max_workers: int = MAX_WORKERS) -> list[T]:
    """The tasks' results in order; the first failure (in task order) is raised once all
    have finished, so no read is left running behind an error message."""
    if len(tasks) <= 1:
        return [task() for task in tasks]
    bucket = bucket or TokenBucket()

    def started(task: Callable[[], T]) -> T:
        bucket.take()
        return task()

    with ThreadPoolExecutor(max_workers=min(max_workers, len(tasks))) as pool:
        futures = [pool.submit(started, task) for task in tasks]
    return [future.result() for future in futures]
