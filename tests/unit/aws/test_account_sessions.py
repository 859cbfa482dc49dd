"""An account's assumed-role session (aws/accounts.py): what AssumeRole is asked, the
refresh before expiry, and the fallback when the trust policy refuses SetSourceIdentity.
The STS client is a stand-in for boto3's (no network); geoproxy's own code runs as is."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from geoproxy.aws.accounts import assumed_session
from geoproxy.core.accounts import AccountAccess
from geoproxy.errors import AwsError

ROLE = "arn:aws:iam::111111111111:role/geoproxy-dns"
CALLER = "arn:aws:sts::333333333333:assumed-role/Ops/alice@example.com"


class Sts:
    """AssumeRole as STS answers it; `refuse` says which requests are AccessDenied; a
    `down` endpoint answers 503, as us-east-1's does in a us-east-1 event."""

    def __init__(
        self,
        minutes: list[int],
        refuse: Any = lambda request: False,
        down: bool = False,
        error: tuple[str, str, int] | None = None,
    ) -> None:
        self.minutes = minutes
        self.refuse = refuse
        self.down = down
        self.error = error  # (code, message, status) of every request whose refuse() holds
        self.requests: list[dict[str, Any]] = []

    def assume_role(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        if self.error is not None and self.refuse(request):
            code, message, status = self.error
            raise ClientError(
                {
                    "Error": {"Code": code, "Message": message},
                    "ResponseMetadata": {"HTTPStatusCode": status},
                },
                "AssumeRole",
            )
        if self.down:
            raise ClientError(
                {
                    "Error": {"Code": "ServiceUnavailable", "Message": "unavailable"},
                    "ResponseMetadata": {"HTTPStatusCode": 503},
                },
                "AssumeRole",
            )
        if self.refuse(request):
            raise ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "AssumeRole"
            )
        minutes = self.minutes[min(len(self.requests), len(self.minutes)) - 1]
        return {
            "Credentials": {
                "AccessKeyId": f"AKIA{len(self.requests)}",
                "SecretAccessKey": "secret",
                "SessionToken": "token",
                "Expiration": datetime.now(timezone.utc) + timedelta(minutes=minutes),
            }
        }


def test_the_session_is_named_for_the_command_and_carries_the_caller() -> None:
    sts, notes = Sts([60]), []
    session = assumed_session(
        [sts], CALLER, "eu-west-1", AccountAccess("dns", ROLE, "shop-dns"), "apply", notes.append
    )
    assert session.get_credentials().get_frozen_credentials().access_key == "AKIA1"
    assert sts.requests == [
        {
            "RoleArn": ROLE,
            "RoleSessionName": "geoproxy-apply",
            "DurationSeconds": 3600,
            "ExternalId": "shop-dns",
            "SourceIdentity": "alice@example.com",
        }
    ]
    assert notes == []


def test_credentials_close_to_expiry_are_refreshed() -> None:
    # botocore refreshes within 15 minutes of the end: 5 minutes left means a new AssumeRole.
    sts = Sts([5, 60])
    session = assumed_session([sts], CALLER, "eu-west-1", AccountAccess("dns", ROLE), "plan", print)
    assert session.get_credentials().get_frozen_credentials().access_key == "AKIA2"
    assert len(sts.requests) == 2


def test_a_trust_policy_without_set_source_identity_is_said_once() -> None:
    sts, notes = Sts([5, 5, 60], refuse=lambda request: "SourceIdentity" in request), []
    session = assumed_session(
        [sts], CALLER, "eu-west-1", AccountAccess("dns", ROLE), "failover", notes.append
    )
    session.get_credentials().get_frozen_credentials()  # a refresh: still said once
    assert ["SourceIdentity" in r for r in sts.requests] == [True, False, False]
    assert len(notes) == 1 and "does not allow sts:SetSourceIdentity" in notes[0]


def test_a_role_that_cannot_be_assumed_names_the_account_and_the_role() -> None:
    sts = Sts([60], refuse=lambda request: True)
    with pytest.raises(AwsError) as refused:
        assumed_session([sts], CALLER, "eu-west-1", AccountAccess("dns", ROLE), "apply", print)
    assert refused.value.message == (
        f"cannot assume role {ROLE} for account 'dns': access denied (not authorized)"
    )
    assert "trust policy" in (refused.value.hint or "")


def test_an_endpoint_that_does_not_answer_passes_the_request_to_the_next() -> None:
    down, up = Sts([60], down=True), Sts([60])
    session = assumed_session(
        [down, up], CALLER, "us-west-2", AccountAccess("dns", ROLE), "failover", print
    )
    assert session.get_credentials().get_frozen_credentials().access_key == "AKIA1"
    assert (len(down.requests), len(up.requests)) == (1, 1)


def test_a_refusal_is_final_and_the_next_endpoint_is_not_asked() -> None:
    refusing, other = Sts([60], refuse=lambda request: True), Sts([60])
    with pytest.raises(AwsError):
        assumed_session(
            [refusing, other], CALLER, "us-west-2", AccountAccess("dns", ROLE), "apply", print
        )
    assert other.requests == []


def test_when_every_endpoint_is_down_the_error_says_unavailable() -> None:
    with pytest.raises(AwsError) as failed:
        assumed_session(
            [Sts([60], down=True), Sts([60], down=True)],
            CALLER,
            "us-west-2",
            AccountAccess("dns", ROLE),
            "failover",
            print,
        )
    assert failed.value.unavailable
    assert "cannot assume role" in failed.value.message


def test_a_region_whose_sts_the_account_deactivated_passes_the_request_on() -> None:
    # An account may deactivate STS in a region (never us-east-1): the next one is asked.
    disabled = Sts(
        [60],
        refuse=lambda request: True,
        error=("RegionDisabledException", "STS is not activated in this region", 403),
    )
    up = Sts([60])
    session = assumed_session(
        [disabled, up], CALLER, "us-west-2", AccountAccess("dns", ROLE), "plan", print
    )
    assert session.get_credentials().get_frozen_credentials().access_key == "AKIA1"
    assert (len(disabled.requests), len(up.requests)) == (1, 1)


def test_a_refusal_that_names_the_source_identity_falls_back_without_it() -> None:
    sts, notes = (
        Sts(
            [60],
            refuse=lambda request: "SourceIdentity" in request,
            error=("ValidationError", "SourceIdentity cannot be changed", 400),
        ),
        [],
    )
    assumed_session([sts], CALLER, "eu-west-1", AccountAccess("dns", ROLE), "apply", notes.append)
    assert ["SourceIdentity" in r for r in sts.requests] == [True, False]
    assert len(notes) == 1


def test_a_chained_source_identity_refused_twice_says_set_source_identity() -> None:
    sts = Sts(
        [60],
        refuse=lambda request: True,
        error=("AccessDenied", "not authorized to perform: sts:SetSourceIdentity", 403),
    )
    with pytest.raises(AwsError) as refused:
        assumed_session([sts], CALLER, "eu-west-1", AccountAccess("dns", ROLE), "apply", print)
    assert "sts:SetSourceIdentity" in (refused.value.hint or "")
    assert len(sts.requests) == 2  # with SourceIdentity, then without
