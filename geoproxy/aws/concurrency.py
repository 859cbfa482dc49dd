"""Reads of different hosted zones and distributions run side by side, in a small pool.

Route 53's rate limits are per account, and every Route 53 request of the run passes the
account's one limiter (aws/ratelimit.py: 10 requests a second with a burst of 50 across all
actions, per-action buckets where Route 53 documents them), whatever thread sends it; the pool
only bounds how many reads run at once. A run with one task uses no thread at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from geoproxy.aws.ratelimit import TokenBucket

__all__ = ["MAX_WORKERS", "TokenBucket", "run_all"]

T = TypeVar("T")

MAX_WORKERS = 4


def run_all(
    tasks: Sequence[Callable[[], T]],
    bucket: TokenBucket | None = None,
    max_workers: int = MAX_WORKERS,
) -> list[T]:
    """The tasks' results in order; the first failure (in task order) is raised once all
    have finished, so no read is left running behind an error message. `bucket`, if given,
    paces the tasks' starts (the account limiter already paces their requests)."""
    if len(tasks) <= 1:
        return [task() for task in tasks]

    def started(task: Callable[[], T]) -> T:
        if bucket is not None:
            bucket.take()
        return task()

    with ThreadPoolExecutor(max_workers=min(max_workers, len(tasks))) as pool:
        futures = [pool.submit(started, task) for task in tasks]
    return [future.result() for future in futures]
