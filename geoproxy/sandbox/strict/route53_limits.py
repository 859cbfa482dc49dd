"""Route 53's documented API rate limits, enforced by the emulator when a test asks for them.

Route 53 Developer Guide, "Throttling for Amazon Route 53 API requests": token buckets per
account; every request draws from the account's bucket (burst 50, 10 a second) and from its
action's (50 and 10 by default; CreateHealthCheck 50 and 0.5, DeleteHealthCheck 15 and 3,
GetHealthCheckStatus 4 and 1); an empty bucket answers HTTP 400 `Throttling` "Rate exceeded".
The bucket sizes are geoproxy's own (aws/ratelimit.py), so the client and the emulator cannot
drift apart. The record-change bucket is not enforced: its numbers are not documented here.

Real time, never a test's clock: a test asserts how many requests were refused, not how
long anything took. `slack` extra tokens per bucket absorb requests that leave the client
paced and arrive bunched.
"""

from __future__ import annotations

import threading
import time

from geoproxy.aws.ratelimit import ACCOUNT_BURST, ACCOUNT_RATE, DEFAULT_ACTION, PER_ACTION


class _Bucket:
    def __init__(self, burst: float, rate: float) -> None:
        self.burst, self.rate = burst, rate
        self.tokens, self.stamp = burst, time.monotonic()

    def refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now


class Route53Limits:
    """(service, operation) -> whether Route 53 would take the request now (and takes it)."""

    def __init__(self, slack: int = 2) -> None:
        self._slack = slack
        self._lock = threading.Lock()
        self._account = _Bucket(ACCOUNT_BURST + slack, ACCOUNT_RATE)
        self._actions: dict[str, _Bucket] = {}

    def __call__(self, service: str, operation: str) -> bool:
        if service != "route53":
            return True
        with self._lock:
            if operation not in self._actions:
                burst, rate = PER_ACTION.get(operation, DEFAULT_ACTION)
                self._actions[operation] = _Bucket(burst + self._slack, rate)
            buckets = (self._account, self._actions[operation])
            for bucket in buckets:
                bucket.refill()
            if any(bucket.tokens < 1 for bucket in buckets):
                return False
            for bucket in buckets:
                bucket.tokens -= 1
            return True
