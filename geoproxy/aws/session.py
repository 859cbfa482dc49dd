"""AWS sessions and clients, and the translation of AWS failures into clear user errors.

Everything that talks to AWS gets its clients here, so the credential chain, `--profile`,
`--endpoint-url` / `AWS_ENDPOINT_URL` and retry behaviour are the same for every command.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from geoproxy import __version__
from geoproxy.aws.accounts import assumed_session, profile_session, sts_endpoint, sts_regions
from geoproxy.aws.failures import aws_errors as aws_errors
from geoproxy.aws.failures import endpoint_error as endpoint_error
from geoproxy.aws.failures import translate as translate
from geoproxy.aws.ratelimit import Route53Limiter
from geoproxy.aws.retry import RetryingClient, RetryNotice, RetryPolicy, env_deadline
from geoproxy.core.accounts import AccountAccess, AccountRoutes
from geoproxy.errors import AwsError, GeoproxyError

# Route 53 and CloudFront are global services signed in us-east-1.
GLOBAL_REGION = "us-east-1"
USER_AGENT = f"geoproxy/{__version__}"


@dataclass
class AwsSettings:
    profile: str | None = None
    endpoint_url: str | None = None  # None: boto3's own resolution, which honours AWS_ENDPOINT_URL
    retry_deadline_s: float | None = None  # per call; None: GEOPROXY_RETRY_DEADLINE or 120 s
    on_retry: Callable[[RetryNotice], None] | None = field(default=None, repr=False)
    _clients: dict[tuple[str, bool], Any] = field(default_factory=dict, repr=False)
    _session: Any = field(default=None, repr=False)
    # One Route 53 limiter per account: these settings are one set of credentials, so one
    # account, and every Route 53 client made from them shares it (aws/ratelimit.py).
    route53_limiter: Route53Limiter = field(default_factory=Route53Limiter, repr=False)
    # Accounts (aws/accounts.py): the command names the sessions (`geoproxy-<command>`), the
    # routes say which account holds what, `on_note` hears what is said once.
    command: str = "run"
    routes: AccountRoutes = field(default_factory=AccountRoutes, repr=False)
    on_note: Callable[[str], None] | None = field(default=None, repr=False)
    account: AccountAccess | None = None  # None: the base credentials
    _base: AwsSettings | None = field(default=None, repr=False)
    _accounts: dict[str, AwsSettings] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _caller: Caller | None = field(default=None, repr=False)  # asked once, for SourceIdentity

    def use_accounts(self, routes: AccountRoutes) -> None:
        """Route this run's calls by the policy's (or saved plan's) accounts."""
        self.routes = routes

    def for_account(self, name: str | None) -> AwsSettings:
        """The settings of the named account (made once per run), None: the base ones."""
        base = self._base or self
        if name is None:
            return base
        with base._lock:
            if name not in base._accounts:
                access = base.routes.accounts.get(name)
                if access is None:
                    raise GeoproxyError(f"account {name!r} is not defined in `accounts:`")
                base._accounts[name] = AwsSettings(
                    endpoint_url=base.endpoint_url,
                    retry_deadline_s=base.retry_deadline_s,
                    on_retry=base.on_retry,
                    command=base.command,
                    routes=base.routes,
                    on_note=base.on_note,
                    account=access,
                    _base=base,
                )
            return base._accounts[name]

    def for_zone(self, zone: str) -> AwsSettings:
        """The settings of the account that holds this zone (by name or id)."""
        base = self._base or self
        return self.for_account(base.routes.zone(zone))

    def for_distribution(self, distribution_id: str) -> AwsSettings:
        base = self._base or self
        return self.for_account(base.routes.distributions.get(distribution_id))

    def for_function(self, name: str) -> AwsSettings:
        base = self._base or self
        return self.for_account(base.routes.functions.get(name))

    def for_health_checks(self) -> AwsSettings:
        """The settings of the account geoproxy's health checks live in (its zones')."""
        return self.for_account((self._base or self).routes.health_checks)

    def for_arc(self) -> AwsSettings:
        """The settings of the account that `recovery.arc.account` names."""
        return self.for_account((self._base or self).routes.arc)

    @property
    def account_name(self) -> str | None:
        return self.account.name if self.account else None

    def in_account(self, what: str) -> str:
        """`what` with the account it is in, for messages: `zone Z1 (account dns)`."""
        return f"{what} (account {self.account.name})" if self.account else what

    @property
    def retry_policy(self) -> RetryPolicy:
        deadline = self.retry_deadline_s if self.retry_deadline_s is not None else env_deadline()
        return RetryPolicy(deadline_s=deadline, notify=self.on_retry)

    def client(self, service: str) -> Any:
        """A client for reads and for writes AWS makes idempotent: its calls retry throttling,
        busy zones, 5xx and dropped connections until the retry deadline."""
        key = (service, False)
        if key not in self._clients:
            raw = self._make_client(service, botocore_retries=True)
            self._clients[key] = RetryingClient(
                raw,
                self.retry_policy,
                dict(raw.meta.method_to_api_mapping),
                endpoint_source=self.endpoint_source(service),
            )
        return self._clients[key]

    def client_in(
        self, service: str, region: str, *, endpoint_url: str | None = None, write: bool = False
    ) -> Any:
        """A client of a regional service (ARC's configuration API in us-west-2, a cluster
        endpoint, a regional STS): `endpoint_url` is a cluster endpoint's own URL. `write`
        sends each request once with short timeouts, for a caller that tries another
        endpoint rather than wait (a data-plane failover)."""
        key = (f"{service}@{region}@{endpoint_url or ''}", write)
        if key not in self._clients:
            raw = self._make_client(
                service,
                botocore_retries=not write,
                region=region,
                endpoint_url=endpoint_url,
                quick=write,
            )
            self._clients[key] = (
                raw
                if write
                else RetryingClient(
                    raw,
                    self.retry_policy,
                    dict(raw.meta.method_to_api_mapping),
                    endpoint_source=self.endpoint_source(service),
                )
            )
        return self._clients[key]

    def endpoint_source(self, service: str) -> str | None:
        """Where an explicitly chosen endpoint comes from, None for AWS's own endpoints."""
        if self.endpoint_url:
            return "--endpoint-url"
        for variable in (f"AWS_ENDPOINT_URL_{service.upper()}", "AWS_ENDPOINT_URL"):
            if os.environ.get(variable):
                return variable
        return None

    def has_credentials(self) -> bool:
        """Whether the credential chain finds any, without a call to AWS."""
        return self._boto3_session().get_credentials() is not None

    def _boto3_session(self) -> Any:
        """The one boto3 session of the run (made on first use); checks the endpoint too."""
        import boto3
        import botocore.exceptions

        _check_endpoint(self.endpoint_url, "--endpoint-url")
        _check_endpoint(os.environ.get("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL")
        if self._session is None and self.account is not None:
            with self._lock:
                if self._session is None:
                    self._session = self._account_session(self.account)
        if self._session is None:
            try:
                self._session = boto3.Session(profile_name=self.profile)
            except botocore.exceptions.ProfileNotFound:
                raise AwsError(
                    f"AWS profile {self.profile!r} is not configured",
                    hint="list profiles with `aws configure list-profiles`",
                ) from None
        return self._session

    def _account_session(self, access: AccountAccess) -> Any:
        """The boto3 session of a policy account: its profile, or its role assumed with the
        base credentials through a regional STS endpoint (aws/accounts.py)."""
        base = self._base
        assert base is not None
        if access.profile:
            return profile_session(access)
        regions = sts_regions(base._boto3_session().region_name)
        clients = [
            base.client_in(
                "sts",
                region,
                endpoint_url=None if base.endpoint_source("sts") else sts_endpoint(region),
            )
            for region in regions
        ]
        if base._caller is None:  # from a regional endpoint, not us-east-1's global one
            base._caller = _caller_from(clients)
        return assumed_session(
            clients, base._caller.arn, regions[0], access, self.command, self._note
        )

    def _note(self, message: str) -> None:
        if self.on_note is not None:
            self.on_note(message)

    def write_client(self, service: str) -> Any:
        """A client that sends each request exactly once: botocore's own retries would repeat
        a write whose response was lost, which Route 53 then rejects although the first
        attempt landed. Its caller decides, per failure, whether and how to try again."""
        key = (service, True)
        if key not in self._clients:
            self._clients[key] = self._make_client(service, botocore_retries=False)
        return self._clients[key]

    def _make_client(
        self,
        service: str,
        *,
        botocore_retries: bool,
        region: str = GLOBAL_REGION,
        endpoint_url: str | None = None,
        quick: bool = False,
    ) -> Any:
        from botocore.config import Config

        session = self._boto3_session()
        mode = os.environ.get("AWS_RETRY_MODE") or "standard"
        user_retries = os.environ.get("AWS_MAX_ATTEMPTS") or os.environ.get("AWS_RETRY_MODE")
        if botocore_retries and user_retries:
            retries: dict[str, Any] = {"mode": mode}  # the user's settings win, as for any tool
        else:
            # One attempt: geoproxy's own loop (RetryingClient, or the reconciling writer)
            # retries with a deadline and tells the operator what it is doing.
            retries = {"mode": mode, "total_max_attempts": 1}
        # The user-agent suffix names geoproxy's calls in CloudTrail (userAgent), so a
        # security team can tell them from other tools' with the same role.
        # A data-plane call tries the next endpoint rather than wait long on one: bounded.
        connect, read = (3, 10) if quick else (10, 60)
        config = Config(
            retries=retries,
            connect_timeout=connect,
            read_timeout=read,
            user_agent_extra=USER_AGENT,
        )
        # boto3 sessions are not thread-safe: a client first wanted in a worker thread (an
        # account's, say) is made under the lock.
        with self._lock, aws_errors(f"create a {service} client"):
            client = session.client(
                service,
                region_name=region,
                endpoint_url=endpoint_url or self.endpoint_url,
                config=config,
            )
        if service == "route53":
            client.meta.events.register("before-send.route53", self.route53_limiter.before_send)
        return client


def _check_endpoint(url: str | None, where: str) -> None:
    """botocore takes `127.0.0.1:5055` or `htp://…` and fails later with a message about
    something else; say what is wrong with the URL itself."""
    if not url:
        return
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        if "://" not in url:
            hint = f"write the scheme too: {where} http://{url}"
        else:
            hint = f"use http:// or https://, e.g. {where} http://{parts.netloc or 'HOST:PORT'}"
        raise GeoproxyError(f"{where} {url!r} is not an http:// or https:// URL", hint=hint)


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


def caller_identity_soon(aws: AwsSettings) -> Callable[[], Caller]:
    """Ask STS in the background while the caller reads Route 53; the returned function
    waits for the answer. The client is made here: boto3 sessions are not thread-safe,
    clients are."""
    import threading

    aws.client("sts")
    answer: list[Caller] = []
    thread = threading.Thread(target=lambda: answer.append(caller_identity(aws)), daemon=True)
    thread.start()

    def result() -> Caller:
        thread.join()
        return answer[0] if answer else Caller(None, "GetCallerIdentity did not answer")

    return result


def _caller_from(clients: list[Any]) -> Caller:
    """GetCallerIdentity from the first regional STS endpoint that answers (its ARN is the
    sessions' SourceIdentity); what went wrong when none did."""
    for index, client in enumerate(clients):
        try:
            with aws_errors("identify the caller"):
                return Caller(str(client.get_caller_identity()["Arn"]))
        except AwsError as error:
            if error.unavailable and index + 1 < len(clients):
                continue
            return Caller(None, error.message)
    return Caller(None, "no STS endpoint")  # pragma: no cover - sts_regions gives two
