"""Patient retries: exponential backoff with full jitter, bounded by a deadline per call.

AWS's advice for clients of its APIs is to retry throttling and transient errors, waiting
a random time between 0 and min(cap, base * 2**attempt) ("full jitter": AWS Architecture
Blog, "Exponential Backoff And Jitter"; the SDKs' standard retry mode in the AWS SDKs and
Tools Reference Guide does the same with a base of 1 s and a cap of 20 s). Route 53's rate
limits are per account, shared with every other tool (ratelimit.py keeps geoproxy's own
requests inside them), and it answers `PriorRequestNotComplete` while a zone is busy;
during a regional incident both are normal, so geoproxy keeps trying until a deadline
instead of after three attempts.

What may be retried blindly depends on what the error says about the request:
- NOT_APPLIED: AWS answered that it did not act (throttled, busy) or no connection was ever
  made. Retrying is always safe.
- UNKNOWN: the outcome is not known (the connection dropped or timed out after the request
  was sent, or a 5xx). Safe for reads; a write must first find out whether it landed.
- FINAL: anything else (validation, access denied, conflicts): retrying cannot help.
"""

from __future__ import annotations

import enum
import functools
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_DEADLINE_S = 120.0
BASE_DELAY_S = 1.0
MAX_DELAY_S = 20.0

# Codes that mean "not done, try later"; Route 53 uses Throttling and PriorRequestNotComplete,
# the others are the SDKs' list of throttling codes for the services geoproxy calls.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "PriorRequestNotComplete",
        "SlowDown",
        "RequestThrottled",
    }
)
# Transient server-side codes whose outcome is unknown.
TRANSIENT_CODES = frozenset(
    {
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
    }
)


class Verdict(enum.Enum):
    NOT_APPLIED = "not applied"
    UNKNOWN = "unknown"
    FINAL = "final"


def error_code(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def _http_status(error: BaseException) -> int:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return 0


def classify(error: BaseException) -> Verdict:
    import botocore.exceptions as bx

    if isinstance(error, bx.ClientError):
        code = error_code(error)
        if code in THROTTLING_CODES or _http_status(error) == 429:
            return Verdict.NOT_APPLIED
        if code in TRANSIENT_CODES or _http_status(error) >= 500:
            return Verdict.UNKNOWN
        return Verdict.FINAL
    # No connection was made: the request was never sent.
    if isinstance(error, (bx.EndpointConnectionError, bx.ConnectTimeoutError)):
        return Verdict.NOT_APPLIED
    # Sent, then the connection dropped or no answer came in time.
    if isinstance(error, (bx.ReadTimeoutError, bx.ConnectionClosedError, bx.HTTPClientError)):
        return Verdict.UNKNOWN
    return Verdict.FINAL


def describe(error: BaseException) -> str:
    code = error_code(error)
    if code:
        return code
    name = type(error).__name__
    return {
        "ConnectionClosedError": "connection dropped",
        "ReadTimeoutError": "timed out",
        "EndpointConnectionError": "endpoint unreachable",
        "ConnectTimeoutError": "connect timed out",
    }.get(name, name)


@dataclass(frozen=True)
class RetryNotice:
    """What a retry tells the operator: `what` failed with `why`; attempt `attempt` comes
    after `delay_s`."""

    what: str
    why: str
    attempt: int
    delay_s: float
    elapsed_s: float
    deadline_s: float


def env_deadline() -> float:
    """GEOPROXY_RETRY_DEADLINE, else the default; a bad value is the caller's to report."""
    value = os.environ.get("GEOPROXY_RETRY_DEADLINE")
    return float(value) if value else DEFAULT_DEADLINE_S


def _env_base_delay() -> float:
    """GEOPROXY_RETRY_BASE_DELAY shortens the backoff against a local emulator (tests)."""
    try:
        return max(float(os.environ.get("GEOPROXY_RETRY_BASE_DELAY", BASE_DELAY_S)), 0.0)
    except ValueError:
        return BASE_DELAY_S


@dataclass
class RetryPolicy:
    deadline_s: float = DEFAULT_DEADLINE_S
    base_s: float = field(default_factory=_env_base_delay)
    cap_s: float = MAX_DELAY_S
    notify: Callable[[RetryNotice], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    jitter: Callable[[], float] = random.random

    def start(self, what: str) -> Attempts:
        return Attempts(self, what, self.clock())


class GaveUp(Exception):
    """The deadline passed; `error` is the last failure."""

    def __init__(self, error: BaseException, attempts: int, elapsed_s: float) -> None:
        super().__init__(str(error))
        self.error = error
        self.attempts = attempts
        self.elapsed_s = elapsed_s


@dataclass
class Attempts:
    """One call's attempts: `wait(error)` sleeps before the next one, or gives up."""

    policy: RetryPolicy
    what: str
    started: float
    made: int = 1

    def wait(self, error: BaseException) -> None:
        policy = self.policy
        elapsed = policy.clock() - self.started
        delay = policy.jitter() * min(policy.cap_s, policy.base_s * 2 ** (self.made - 1))
        if elapsed + delay > policy.deadline_s:
            raise GaveUp(error, self.made, elapsed)
        self.made += 1
        if policy.notify is not None:
            policy.notify(
                RetryNotice(
                    self.what, describe(error), self.made, delay, elapsed, policy.deadline_s
                )
            )
        policy.sleep(delay)


# Headers AWS puts on every answer, errors included; an answer with none of them and no
# AWS-shaped error code came from something else (a proxy, a web server, a wrong port).
_AWS_HEADERS = ("x-amzn-requestid", "x-amz-request-id", "x-amz-id-2", "x-amzn-errortype")


def not_aws(error: BaseException) -> str | None:
    """What answered, when an error response is not AWS's: `HTTP 404 (text/html, server
    nginx)`; None for AWS's own answers and for failures without an answer."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    metadata = response.get("ResponseMetadata", {})
    headers = {str(k).lower(): str(v) for k, v in (metadata.get("HTTPHeaders") or {}).items()}
    if any(header in headers for header in _AWS_HEADERS):
        return None
    code = error_code(error)
    if code and not code.isdigit() and code != "Unknown":
        return None  # an AWS-shaped error body: an emulator that sends no request id
    status = metadata.get("HTTPStatusCode") or "?"
    about = [headers[h] for h in ("content-type",) if h in headers]
    about += [f"server {headers['server']}"] if "server" in headers else []
    return f"HTTP {status}" + (f" ({', '.join(about)})" if about else "")


def unreachable(error: BaseException) -> str | None:
    """Why no connection was made (refused, unknown host, connect timeout), else None."""
    import botocore.exceptions as bx

    if isinstance(error, bx.ConnectTimeoutError):
        return "the connection timed out"
    if not isinstance(error, bx.EndpointConnectionError):
        return None
    cause = error.kwargs.get("error")
    text = str(cause or error)
    if (
        type(cause).__name__ == "NameResolutionError"
        or "Name or service not known" in text
        or "nodename nor servname" in text
    ):
        return "the host name does not resolve"
    if "refused" in text.lower():
        return "the connection was refused"
    return f"no connection ({text})"


class EndpointProblem(Exception):
    """Nothing usable answers at the endpoint: raised at once (one retry at most) instead
    of retrying to the deadline. `answered` says what answered, or why nothing did."""

    def __init__(
        self, operation: str, endpoint: str, answered: str, *, source: str | None, reachable: bool
    ) -> None:
        super().__init__(answered)
        self.operation = operation
        self.endpoint = endpoint
        self.answered = answered
        self.source = source
        self.reachable = reachable


# Methods of a boto3 client that are not API calls.
_NOT_CALLS = frozenset(
    {"exceptions", "meta", "get_paginator", "can_paginate", "get_waiter", "close"}
)


class RetryingClient:
    """A boto3 client whose API calls retry NOT_APPLIED and UNKNOWN failures until the
    deadline. Only for calls that are safe to repeat: reads, and writes AWS makes
    idempotent (a health check's CallerReference, tags, a delete whose absence is fine).
    ChangeResourceRecordSets never goes through here: see `execute`."""

    def __init__(
        self,
        client: Any,
        policy: RetryPolicy,
        operation_names: dict[str, str],
        endpoint_source: str | None = None,
    ):
        self._client = client
        self._policy = policy
        self._operation_names = operation_names
        # Where an explicit endpoint came from (--endpoint-url, AWS_ENDPOINT_URL); None for
        # AWS's own endpoints, where the retry deadline holds for connections too.
        self._endpoint_source = endpoint_source

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name in _NOT_CALLS or name.startswith("_") or not callable(attribute):
            return attribute

        @functools.wraps(attribute)
        def call(**kwargs: Any) -> Any:
            operation = self._operation_names.get(name, name)
            attempts = self._policy.start(operation)
            while True:
                try:
                    return attribute(**kwargs)
                except Exception as error:
                    verdict = classify(error)
                    problem = self._fails_fast(error)
                    if problem is not None and (verdict is Verdict.FINAL or attempts.made >= 2):
                        answered, reachable = problem
                        raise EndpointProblem(
                            operation,
                            str(self._client.meta.endpoint_url),
                            answered,
                            source=self._endpoint_source,
                            reachable=reachable,
                        ) from None
                    if verdict is Verdict.FINAL:
                        raise
                    attempts.wait(error)

        return call

    def _fails_fast(self, error: BaseException) -> tuple[str, bool] | None:
        """(what answered, whether anything did) when retrying to the deadline is no use: a
        non-AWS answer anywhere, or no connection at an endpoint the user gave."""
        answered = not_aws(error)
        if answered is not None:
            return answered, True
        if self._endpoint_source is not None and (why := unreachable(error)) is not None:
            return why, False
        return None
