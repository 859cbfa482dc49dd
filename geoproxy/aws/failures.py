"""AWS failures as clear user errors: botocore's exceptions become one-line AwsErrors that
say what failed and why (which endpoint, whose credentials, what answered)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from geoproxy.aws.retry import EndpointProblem, GaveUp
from geoproxy.errors import AwsError, printable

_CREDENTIAL_CODES = {
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidAccessKeyId",
    "AuthFailure",
}


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn botocore's exceptions into one-line AwsErrors that say what failed and why."""
    import botocore.exceptions as bx

    try:
        yield
    except EndpointProblem as problem:
        raise endpoint_error(action, problem) from None
    except GaveUp as gave_up:
        last = translate(action, gave_up.error)
        raise AwsError(
            last.message + f" (on every one of {gave_up.attempts} attempts in "
            f"{gave_up.elapsed_s:.0f} s; geoproxy stopped at the retry deadline)",
            hint=last.hint
            or (
                "run the command again when AWS is calmer, or allow "
                "longer with --retry-deadline SECONDS"
            ),
            unavailable=last.unavailable,
        ) from None
    except bx.BotoCoreError as error:  # ClientError is not a BotoCoreError: both are caught
        raise translate(action, error) from None
    except bx.ClientError as error:
        raise translate(action, error) from None


def endpoint_error(action: str, problem: EndpointProblem) -> AwsError:
    """Nothing usable at the endpoint: say which endpoint, and what answered there."""
    where = f" (from {problem.source})" if problem.source else ""
    endpoint = printable(problem.endpoint)
    if problem.reachable:
        message = (
            f"cannot {action}: {endpoint}{where} answered {printable(problem.answered)}"
            f" to {problem.operation}, which is not an AWS answer"
        )
        hint = (
            "point --endpoint-url (or AWS_ENDPOINT_URL) at an AWS API or an emulator "
            "such as moto, or check the proxy between here and AWS"
        )
    else:
        message = (
            f"cannot {action}: AWS endpoint unreachable: nothing answers at "
            f"{endpoint}{where}: "
            f"{printable(problem.answered)}"
        )
        hint = (
            "check the URL and that the emulator is running; geoproxy retries an "
            "explicitly given endpoint only once"
        )
    return AwsError(message, hint=hint, unavailable=not problem.reachable)


def translate(action: str, error: BaseException) -> AwsError:
    import botocore.exceptions as bx

    if isinstance(error, EndpointProblem):
        return endpoint_error(action, error)
    if isinstance(error, bx.NoCredentialsError):
        return AwsError(
            f"cannot {action}: no AWS credentials found",
            hint="configure credentials (environment, profile, SSO) or pass --profile",
        )
    if isinstance(
        error,
        (
            bx.EndpointConnectionError,
            bx.ConnectTimeoutError,
            bx.ConnectionClosedError,
            bx.ReadTimeoutError,
        ),
    ):
        return AwsError(f"cannot {action}: AWS endpoint unreachable ({error})", unavailable=True)
    if isinstance(error, bx.ClientError):
        code = error.response.get("Error", {}).get("Code", "Unknown")
        # AWS's text, or an endpoint's: one line, no control characters.
        message = printable(str(error.response.get("Error", {}).get("Message", "")))
        if code in _CREDENTIAL_CODES:
            return AwsError(
                f"cannot {action}: AWS rejected the credentials ({code}: {message})",
                hint="check the profile or the AWS_* variables",
            )
        if code in ("AccessDenied", "AccessDeniedException"):
            return AwsError(f"cannot {action}: access denied ({message})")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return AwsError(
            f"cannot {action}: {code}: {message}",
            unavailable=isinstance(status, int) and status >= 500,
        )
    return AwsError(f"cannot {action}: {printable(str(error))}")
