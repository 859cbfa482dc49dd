"""Unit tests of geoproxy.aws.retry: what is retried, full-jitter backoff, the deadline."""

from __future__ import annotations

from typing import Any

import botocore.exceptions as bx
import pytest

from geoproxy.aws.retry import GaveUp, RetryingClient, RetryNotice, RetryPolicy, Verdict, classify


def client_error(code: str, status: int = 400) -> bx.ClientError:
    return bx.ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "Op",
    )


@pytest.mark.parametrize(
    ("error", "verdict"),
    [
        (client_error("Throttling"), Verdict.NOT_APPLIED),
        (client_error("PriorRequestNotComplete"), Verdict.NOT_APPLIED),
        (client_error("Anything", 429), Verdict.NOT_APPLIED),
        (bx.EndpointConnectionError(endpoint_url="http://x"), Verdict.NOT_APPLIED),
        (bx.ConnectTimeoutError(endpoint_url="http://x"), Verdict.NOT_APPLIED),
        (client_error("InternalError", 500), Verdict.UNKNOWN),
        (client_error("ServiceUnavailable", 503), Verdict.UNKNOWN),
        (bx.ConnectionClosedError(endpoint_url="http://x"), Verdict.UNKNOWN),
        (bx.ReadTimeoutError(endpoint_url="http://x"), Verdict.UNKNOWN),
        (client_error("InvalidChangeBatch"), Verdict.FINAL),
        (client_error("AccessDenied", 403), Verdict.FINAL),
        (ValueError("a bug"), Verdict.FINAL),
    ],
)
def test_classify(error: BaseException, verdict: Verdict) -> None:
    assert classify(error) is verdict


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def policy(
    clock: FakeClock, deadline: float, jitter: float = 1.0, notices: list[RetryNotice] | None = None
) -> RetryPolicy:
    return RetryPolicy(
        deadline_s=deadline,
        base_s=1.0,
        cap_s=20.0,
        sleep=clock.sleep,
        clock=lambda: clock.now,
        jitter=lambda: jitter,
        notify=notices.append if notices is not None else None,
    )


def test_backoff_doubles_up_to_the_cap_with_full_jitter() -> None:
    clock = FakeClock()
    attempts = policy(clock, deadline=1000).start("Op")
    for _ in range(7):
        attempts.wait(client_error("Throttling"))
    assert clock.sleeps == [1, 2, 4, 8, 16, 20, 20]
    half = FakeClock()
    attempts = policy(half, deadline=1000, jitter=0.5).start("Op")
    for _ in range(3):
        attempts.wait(client_error("Throttling"))
    assert half.sleeps == [0.5, 1, 2]  # a random share of the window, never more


def test_gives_up_before_a_sleep_would_cross_the_deadline() -> None:
    clock = FakeClock()
    notices: list[RetryNotice] = []
    attempts = policy(clock, deadline=10, notices=notices).start("ChangeResourceRecordSets")
    error = client_error("Throttling")
    with pytest.raises(GaveUp) as gave_up:
        for _ in range(10):
            attempts.wait(error)
    assert clock.sleeps == [1, 2, 4]  # 7 s; the next 8 s would end past 10 s
    assert gave_up.value.attempts == 4 and gave_up.value.error is error
    assert [(n.attempt, n.why) for n in notices] == [
        (2, "Throttling"),
        (3, "Throttling"),
        (4, "Throttling"),
    ]


class Flaky:
    """A fake boto3 client: fails with `errors` in turn, then answers."""

    def __init__(self, errors: list[BaseException]) -> None:
        self.errors = errors
        self.calls = 0
        self.exceptions = "exceptions"

    def list_things(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": kwargs}


def test_retrying_client_retries_transient_failures_and_passes_the_rest() -> None:
    clock = FakeClock()
    flaky = Flaky([client_error("Throttling"), bx.ConnectionClosedError(endpoint_url="x")])
    wrapped = RetryingClient(flaky, policy(clock, deadline=100), {"list_things": "ListThings"})
    assert wrapped.list_things(Name="a") == {"ok": {"Name": "a"}}
    assert flaky.calls == 3
    assert wrapped.exceptions == "exceptions"
    final = Flaky([client_error("AccessDenied", 403)])
    with pytest.raises(bx.ClientError):
        RetryingClient(final, policy(clock, deadline=100), {}).list_things()
    assert final.calls == 1


def test_a_refused_connection_retries_once_at_an_explicit_endpoint_and_to_the_deadline_at_aws() -> (
    None
):
    from geoproxy.aws.retry import EndpointProblem, RetryingClient

    class Refusing:
        class meta:
            endpoint_url = "http://127.0.0.1:1"

        def __init__(self) -> None:
            self.calls = 0

        def get_hosted_zone(self, **_: Any) -> None:
            self.calls += 1
            raise bx.EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    policy = RetryPolicy(
        deadline_s=60, base_s=1, sleep=sleep, clock=lambda: clock[0], jitter=lambda: 1.0
    )
    explicit = Refusing()
    with pytest.raises(EndpointProblem):
        RetryingClient(explicit, policy, {}, endpoint_source="--endpoint-url").get_hosted_zone()
    assert explicit.calls == 2  # one retry at most
    aws_own = Refusing()
    with pytest.raises(GaveUp):
        RetryingClient(aws_own, policy, {}).get_hosted_zone()
    assert aws_own.calls > 2  # AWS's own endpoints: the --retry-deadline contract stays
