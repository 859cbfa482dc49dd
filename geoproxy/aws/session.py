"""AWS sessions and clients, and the translation of AWS failures into clear user errors.

Everything that talks to AWS gets its clients here, so the credential chain, `--profile`,
`--endpoint-url` / `AWS_ENDPOINT_URL` and retry behaviour are the same for every command.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from geoproxy.errors import AwsError

# Route 53 and CloudFront are global services signed in us-east-1.
GLOBAL_REGION = "us-east-1"

_CREDENTIAL_CODES = {
    "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
    "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId", "AuthFailure",
}


@dataclass
class AwsSettings:
    profile: str | None = None
    endpoint_url: str | None = None  # None: boto3's own resolution, which honours AWS_ENDPOINT_URL
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._make_client(service)
        return self._clients[service]

    def _make_client(self, service: str) -> Any:
        import boto3
        import botocore.exceptions
        from botocore.config import Config

        try:
            session = boto3.Session(profile_name=self.profile)
        except botocore.exceptions.ProfileNotFound:
            raise AwsError(f"AWS profile {self.profile!r} is not configured",
                           hint="list profiles with `aws configure list-profiles`") from None
        # Standard retry mode retries Throttling and PriorRequestNotComplete with backoff;
        # AWS_RETRY_MODE and AWS_MAX_ATTEMPTS still override it, as for any AWS tool.
        mode = os.environ.get("AWS_RETRY_MODE") or "standard"
        config = Config(retries={"mode": mode}, connect_timeout=10, read_timeout=60)
        with aws_errors(f"create a {service} client"):
            return session.client(service, region_name=GLOBAL_REGION,
                                  endpoint_url=self.endpoint_url, config=config)


@dataclass(frozen=True)
class Caller:
    """Who is calling, as far as STS can tell; `label` omits the account id."""

    arn: str | None
    problem: str | None = None

    @property
    def label(self) -> str:
        if self.arn is None:
            return f"unknown ({self.problem})"
        # arn:aws:sts::123456789012:assumed-role/Ops/alice -> assumed-role/Ops/alice
        return self.arn.split(":", 5)[-1]


def caller_identity(aws: AwsSettings) -> Caller:
    """STS GetCallerIdentity; an emulator or a denied call gives an explicit unknown."""
    try:
        with aws_errors("identify the caller"):
            return Caller(str(aws.client("sts").get_caller_identity()["Arn"]))
    except AwsError as error:
        return Caller(None, f"GetCallerIdentity failed: {error.message}")


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn botocore's exceptions into one-line AwsErrors that say what failed and why."""
    import botocore.exceptions as bx

    try:
        yield
    except bx.NoCredentialsError:
        raise AwsError(f"cannot {action}: no AWS credentials found",
                       hint="configure credentials (environment, profile, SSO) or pass "
                            "--profile") from None
    except (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ConnectionClosedError,
            bx.ReadTimeoutError) as error:
        raise AwsError(f"cannot {action}: AWS endpoint unreachable ({error})") from None
    except bx.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        message = error.response.get("Error", {}).get("Message", "")
        if code in _CREDENTIAL_CODES:
            raise AwsError(f"cannot {action}: AWS rejected the credentials ({code}: {message})",
                           hint="check the profile or the AWS_* variables") from None
        if code in ("AccessDenied", "AccessDeniedException"):
            raise AwsError(f"cannot {action}: access denied ({message})") from None
        raise AwsError(f"cannot {action}: {code}: {message}") from None
    except bx.BotoCoreError as error:
        raise AwsError(f"cannot {action}: {error}") from None
