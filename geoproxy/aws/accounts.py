"""Sessions in the policy's accounts (issue 26): one per named account per run, from the
base credentials (default chain or `--profile`).

A `role_arn` account is reached with STS AssumeRole through a *regional* endpoint: the
global one (sts.amazonaws.com) is served by us-east-1 for calls from outside AWS and from
opt-in regions, and AWS recommends regional endpoints ("Manage AWS STS in an AWS Region",
IAM User Guide); a failover must not need it. The session is named `geoproxy-<command>` and
carries the caller's own identity as `SourceIdentity`, so CloudTrail shows the person, not
only the role session that Route 53's change history names ("Monitor and control actions
taken with assumed roles", IAM User Guide,
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html);
a trust policy that does not allow `sts:SetSourceIdentity` gets a session without it, said
once. botocore refreshes the credentials before they expire (RefreshableCredentials).
A `profile` account uses that named profile of the AWS config (SSO, or its own role).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from geoproxy.aws.failures import aws_errors
from geoproxy.core.accounts import AccountAccess
from geoproxy.errors import AwsError, printable

# Where STS is asked when no region is configured: a regional endpoint all the same.
DEFAULT_STS_REGION = "us-west-2"
# Asked when us-west-2's endpoint (configured or default) does not answer (unreachable,
# or 5xx after the retries).
FALLBACK_STS_REGION = "us-east-2"
US_EAST_1 = "us-east-1"
SESSION_SECONDS = 3600  # AssumeRole's default; botocore refreshes 15 min before the end
# SourceIdentity: 2-64 characters of [\w+=,.@-], not starting with `aws:` (STS API
# Reference, AssumeRole).
_NOT_SOURCE = re.compile(r"[^\w+=,.@-]", re.ASCII)
# AssumeRole in a region whose STS the role's account deactivated ("Manage AWS STS in an
# AWS Region", IAM User Guide): the next region is asked.
REGION_DISABLED = "RegionDisabledException"


def sts_region(configured: str | None) -> str:
    """The configured region (AWS_REGION, the profile's `region`), else us-west-2: never
    the global endpoint."""
    return configured or DEFAULT_STS_REGION


def sts_regions(configured: str | None) -> list[str]:
    """Where AssumeRole is asked, in order; the second only when the first does not answer.
    The configured region first, but for us-east-1, which goes second: it is down in the
    very event a failover is for, and waiting out its retries would delay the failover.
    "Session tokens from Regional AWS STS endpoints are valid in all AWS Regions" ("Manage
    AWS STS in an AWS Region", IAM User Guide,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_enable-regions.html)."""
    first = sts_region(configured)
    if first == US_EAST_1:
        return [DEFAULT_STS_REGION, US_EAST_1]
    return [first, DEFAULT_STS_REGION if first != DEFAULT_STS_REGION else FALLBACK_STS_REGION]


def sts_endpoint(region: str) -> str:
    """The regional endpoint, named outright: AWS_STS_REGIONAL_ENDPOINTS=legacy would
    otherwise send us-east-1's calls to the global one."""
    return f"https://sts.{region}.amazonaws.com"


def source_identity_of(arn: str | None) -> str | None:
    """The person in a caller ARN: the session name of an assumed role (SSO: the user's
    name or email), a user's name; None for the root user or what cannot be one."""
    if not arn:
        return None
    resource = arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    # assumed-role/ROLE/SESSION, user/PATH/NAME, federated-user/NAME: the last part.
    if kind not in ("assumed-role", "user", "federated-user"):
        return None
    name = rest.rpartition("/")[2]
    name = _NOT_SOURCE.sub("_", name)[:64]
    return name if len(name) >= 2 and not name.lower().startswith("aws:") else None


def assumed_session(
    sts: Sequence[Any],
    caller_arn: str | None,
    region: str,
    access: AccountAccess,
    command: str,
    note: Callable[[str], None],
) -> Any:
    """A boto3 session whose credentials are `access.role_arn` assumed with the base
    credentials' regional STS clients `sts` (the next asked only when one does not answer),
    refreshed before they expire. Fails here, naming
    the account and the role, when the role cannot be assumed: before any request in that
    account."""
    import boto3
    import botocore.session
    from botocore.credentials import RefreshableCredentials

    source = source_identity_of(caller_arn)
    said: list[bool] = []

    def fetch() -> dict[str, str]:
        nonlocal source
        request: dict[str, Any] = {
            "RoleArn": access.role_arn,
            "RoleSessionName": f"geoproxy-{command}"[:64],
            "DurationSeconds": SESSION_SECONDS,
        }
        if access.external_id:
            request["ExternalId"] = access.external_id
        answer = _assume(sts, access, request, source)
        if answer is None:  # the trust policy refused SetSourceIdentity: once more without
            source = None
            if not said:
                said.append(True)
                note(
                    f"account {access.label}: the role's trust policy does not allow "
                    "sts:SetSourceIdentity, so its sessions do not carry your identity "
                    "(CloudTrail shows the role session geoproxy-" + command + ")"
                )
            answer = _assume(sts, access, request, None)
        assert answer is not None
        credentials = answer["Credentials"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }

    refreshable = RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="sts-assume-role"
    )
    core = botocore.session.get_session()
    core._credentials = refreshable  # botocore's documented way has no public setter
    return boto3.Session(botocore_session=core, region_name=region)


def _assume(
    clients: Sequence[Any], access: AccountAccess, request: dict[str, Any], source: str | None
) -> dict[str, Any] | None:
    """AssumeRole's answer; None when it was refused only for the SourceIdentity. An
    endpoint that does not answer passes the request to the next; a refusal is final."""
    for index, client in enumerate(clients):
        try:
            return _assume_once(client, access, request, source)
        except AwsError as error:
            if error.unavailable and index + 1 < len(clients):
                continue
            raise
    raise AssertionError("no STS client")  # pragma: no cover - sts_regions gives two


def _assume_once(
    client: Any, access: AccountAccess, request: dict[str, Any], source: str | None
) -> dict[str, Any] | None:
    import botocore.exceptions as bx

    action = f"assume role {access.role_arn} for account {access.name!r}"
    try:
        with aws_errors(action):
            try:
                return dict(
                    client.assume_role(**request, **({"SourceIdentity": source} if source else {}))
                )
            except bx.ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                said = str(error.response.get("Error", {}).get("Message", ""))
                if source and (code == "AccessDenied" or "sourceidentity" in said.lower()):
                    return None
                if code == REGION_DISABLED:
                    raise AwsError(
                        f"cannot {action}: STS is deactivated in this region for the "
                        "role's account",
                        unavailable=True,  # the next region is asked
                    ) from None
                raise
    except AwsError as error:
        raise AwsError(
            error.message,
            hint="check the role's trust policy (it must allow sts:AssumeRole by your "
            "identity, with the external id when the policy sets one, and "
            "sts:SetSourceIdentity when your own session carries a source identity; "
            "`geoproxy iam-policy` prints the trust policy each role needs) and that "
            "your credentials are the ones meant",
            unavailable=error.unavailable,
        ) from None


def profile_session(access: AccountAccess) -> Any:
    import boto3
    import botocore.exceptions

    try:
        return boto3.Session(profile_name=access.profile)
    except botocore.exceptions.ProfileNotFound:
        raise AwsError(
            f"AWS profile {printable(str(access.profile))!r} of account {access.name!r} is "
            "not configured",
            hint="list profiles with `aws configure list-profiles`, or fix `accounts:`",
        ) from None
