"""The policy's `accounts:` map (issue 26; the keys are pinned): which AWS account, reached
through which role or named profile, holds an application's zone, its distribution, and the
ARC cluster. An application without `account:` uses the base credentials.

Per-field shapes live here; `policy.checks` refuses names no `accounts:` entry defines.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# arn:aws:iam::<account>:role/<path/>name (IAM User Guide, "IAM ARNs").
_ROLE_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:iam::(?P<account>\d{12}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$"
)
# AssumeRole's ExternalId: 2-1224 characters of [\w+=,.@:\/-] (STS API Reference, AssumeRole).
_EXTERNAL_ID = r"^[A-Za-z0-9_+=,.@:/-]+$"
# The names are the policy's own: short, and safe in messages, plan files and audit lines.
ACCOUNT_NAME = r"^[a-z][a-z0-9_-]{0,31}$"


class Account(BaseModel):
    """One AWS account geoproxy acts in: a role it assumes (from the default credential
    chain or `--profile`) or a named profile (for example an SSO profile), not both."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role_arn: str | None = Field(
        default=None,
        examples=["arn:aws:iam::111111111111:role/geoproxy-dns"],
        description="The role to assume in the account (STS AssumeRole through a regional "
        "endpoint, session name `geoproxy-<command>`, `SourceIdentity` set to the caller "
        "where the role's trust policy allows it).",
    )
    external_id: str | None = Field(
        default=None,
        pattern=_EXTERNAL_ID,
        min_length=2,
        max_length=1224,
        examples=["shop-dns-7f3a"],
        description="The external id the role's trust policy requires (`sts:ExternalId`); only "
        "with `role_arn`. Default: none sent.",
    )
    profile: str | None = Field(
        default=None,
        min_length=1,
        examples=["prod-dns"],
        description="A named profile of the AWS config (SSO, or its own role) to use for the "
        "account instead of a role.",
    )

    @field_validator("role_arn")
    @classmethod
    def _role_arn(cls, value: str | None) -> str | None:
        if value is not None and not _ROLE_ARN.match(value):
            raise ValueError(
                f"{value!r} is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/NAME)"
            )
        return value

    @model_validator(mode="after")
    def _one_way_in(self) -> Account:
        if (self.role_arn is None) == (self.profile is None):
            raise ValueError("an account takes either `role_arn` or `profile`, exactly one")
        if self.external_id is not None and self.role_arn is None:
            raise ValueError("`external_id` goes with `role_arn`, not with `profile`")
        return self

    @property
    def account_id(self) -> str | None:
        """The 12-digit id from the role's ARN; None for a profile (known only from STS)."""
        match = _ROLE_ARN.match(self.role_arn or "")
        return match.group("account") if match else None


ACCOUNT_FIELD_DESCRIPTION = (
    "The name of an entry of the top-level `accounts:` map whose credentials make these "
    "calls. Default: the base credentials (default chain or `--profile`)."
)
