"""Route 53's API rate limits, as AWS documents them, kept on the client side: one limiter
per account, which every Route 53 request of the run (reads, writes, polls, any thread)
passes before it is sent.

Route 53 Developer Guide, "Throttling for Amazon Route 53 API requests"
(throttling-api-requests.html), which replaced the old "five requests per second per AWS
account" (the AWS Networking & Content Delivery blog, "Introducing change-based throttling
for Amazon Route 53 APIs": the default "doubled ... from 5 to 10 requests per second"):

- Route 53 throttles per account with token buckets: "Bucket maximum capacity is your burst"
  and "Bucket refill rate is your sustained rate"; a throttled request gets HTTP 400,
  `Throttling`, "Rate exceeded".
- Request rate, at two levels: "all Amazon Route 53 API requests from your account draw from
  one bucket" (capacity 50, refill 10 a second), and "each API action also has its own
  bucket"; "a request consumes tokens from both buckets". Per action the default is also
  50/10; the page lists others, of which geoproxy calls CreateHealthCheck (50, 0.5 a second),
  DeleteHealthCheck (15, 3) and GetHealthCheckStatus (4, 1).
- Change throughput: "the number of individual DNS record changes per second, aggregated
  across the API actions that modify DNS data", a separate bucket. Its size and refill rate
  could not be read from the copies of the page at hand, so geoproxy does not guess them:
  GEOPROXY_ROUTE53_CHANGES_PER_S (and GEOPROXY_ROUTE53_CHANGE_BURST, default the same) turn
  that bucket on; without them a throttled batch is retried as before (retry.py), never
  resent blindly.

Waiting here costs nothing when the run stays under the limits, which a run alone in an
account does; it keeps a large run from spending its retry deadline on Throttling answers.
Other tools in the account share the same buckets, which no client can see: the retries
stay the safety net.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

ACCOUNT_BURST, ACCOUNT_RATE = 50, 10.0
DEFAULT_ACTION = (50, 10.0)
PER_ACTION: dict[str, tuple[int, float]] = {
    "CreateHealthCheck": (50, 0.5),
    "DeleteHealthCheck": (15, 3.0),
    "GetHealthCheckStatus": (4, 1.0),
    "GetHealthCheckLastFailureReason": (4, 1.0),
}
CHANGES_ENV, CHANGE_BURST_ENV = "GEOPROXY_ROUTE53_CHANGES_PER_S", "GEOPROXY_ROUTE53_CHANGE_BURST"
# The actions that modify DNS data, whose record changes the change bucket counts.
CHANGING = frozenset({"ChangeResourceRecordSets"})


class TokenBucket:
    """A token bucket: `burst` tokens at most, `rate_per_s` more every second."""

    def __init__(
        self,
        rate_per_s: float,
        burst: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._rate = rate_per_s
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()

    def take(self, tokens: float = 1.0) -> float:
        """Wait until `tokens` are free (at most the burst: a request larger than the bucket
        waits for a full one), take them, and return the seconds waited."""
        tokens = min(tokens, self._burst)
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
                self._stamp = now
                if self._tokens >= tokens:
                    self._tokens -= tokens
                    return waited
                wait = (tokens - self._tokens) / self._rate
            self._sleep(wait)
            waited += wait


def _env_float(name: str) -> float | None:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return None
    return value if value > 0 else None


class Route53Limiter:
    """The account's buckets: the account-wide one, one per action, and (when configured) the
    record-change one. Thread-safe: the pool in concurrency.py shares it."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock, self._sleep = clock, sleep
        self.account = TokenBucket(ACCOUNT_RATE, ACCOUNT_BURST, clock, sleep)
        self._actions: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()
        rate = _env_float(CHANGES_ENV)
        self.changes = (
            TokenBucket(rate, _env_float(CHANGE_BURST_ENV) or rate, clock, sleep) if rate else None
        )
        self.waited_s = 0.0  # for the curious (bench): time spent waiting on the buckets

    def action(self, operation: str) -> TokenBucket:
        with self._lock:
            if operation not in self._actions:
                burst, rate = PER_ACTION.get(operation, DEFAULT_ACTION)
                self._actions[operation] = TokenBucket(rate, burst, self._clock, self._sleep)
            return self._actions[operation]

    def acquire(self, operation: str, changes: int = 0) -> None:
        """Before one request of `operation` (carrying `changes` record changes) is sent."""
        waited = self.action(operation).take()
        waited += self.account.take()
        if self.changes is not None and changes:
            waited += self.changes.take(changes)
        self.waited_s += waited

    def before_send(self, request: Any, event_name: str = "", **_: Any) -> None:
        """botocore's `before-send.route53` hook: every attempt of every request (each one
        is a request to Route 53, so each takes its tokens)."""
        operation = event_name.rsplit(".", 1)[-1]
        changes = 0
        if operation in CHANGING:
            body = getattr(request, "body", b"") or b""
            if isinstance(body, str):
                body = body.encode()
            changes = body.count(b"<Change>")
        self.acquire(operation, changes)
        return None
