"""StrictMotoServer: moto's server app, in a thread on 127.0.0.1, with strict AWS semantics."""

from __future__ import annotations

import os
import threading
import urllib.request
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, ClassVar
from unittest import mock

import boto3
import botocore.session
from botocore.config import Config
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from . import protections
from .arc_api import ArcApp
from .arc_cluster import ArcControls
from .certificates import mark_issued
from .change_history import ChangeHistory, ChangeHistoryApp
from .cloudfront import AliasRegistry, ConflictingAliasesApp, cloudfront_patches
from .cloudfront_api import CloudFrontExtrasApp
from .cloudfront_functions import HANDLERS as FUNCTION_HANDLERS
from .cloudfront_policies import HANDLERS as POLICY_HANDLERS
from .dns_answers import DnsModel
from .guardrails import Guardrails
from .health import DEFAULT_ACCOUNT, HealthControls, health_patches
from .middleware import Call, Fault, Hold, RecordingMiddleware, Refusal, WSGIApp
from .outage import Outage
from .protections import ProtectionsApp
from .route53 import ChangeTracker, route53_patches
from .route53_dns import TestDnsAnswerApp
from .route53_limits import Route53Limits
from .zone_features import ZoneFeatures, ZoneFeaturesApp

REGION = "us-east-1"
HOST = "127.0.0.1"
# Fake credentials and no config files: whatever reads these can only ever sign for moto.
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",  # no credential lookups at 169.254.169.254
}


def scrubbed(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` without any AWS_* setting (profiles, tokens, endpoint overrides) or proxy."""
    proxies = ("http_proxy", "https_proxy", "all_proxy")
    return {
        k: v for k, v in environ.items() if not k.startswith("AWS_") and k.lower() not in proxies
    }


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:  # the request log replaces werkzeug's access log
        pass


class HostGuard:
    """Answers only requests addressed to the server itself: `Host: 127.0.0.1:<port>`.

    A web page cannot reach 127.0.0.1 from another origin with its own Host header, but
    through DNS rebinding (a name that first resolves to the attacker, then to 127.0.0.1)
    its requests arrive here with the attacker's name as Host: refusing every other Host
    stops `POST /moto-api/reset` (and every AWS call) from a browser tab."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.allowed: frozenset[str] = frozenset()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        host = str(environ.get("HTTP_HOST", "")).lower()
        if host not in self.allowed:
            body = (
                b"geoproxy sandbox: refused: the Host header must be this server's own "
                b"address (127.0.0.1 and its port)\n"
            )
            start_response(
                "403 Forbidden",
                [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return self.app(environ, start_response)


def _isolated_core() -> Any:
    """A botocore session that reads no profile, config file or credentials file: only what
    the sandbox gives counts."""
    return botocore.session.Session(
        session_vars={
            "profile": (None, None, None, None),
            "config_file": (None, None, os.devnull, None),
            "credentials_file": (None, None, os.devnull, None),
        }
    )


class StrictMotoServer:
    # moto's backends and our patches are process-wide, so two servers would share both.
    _active: ClassVar[StrictMotoServer | None] = None

    def __init__(self, pending_polls: int = 1, port: int = 0) -> None:
        self._port = port  # 0: the OS picks a free one, so parallel runs cannot collide
        self._default_pending_polls = pending_polls
        self.changes = ChangeTracker(pending_polls)
        self._aliases = AliasRegistry()
        # Inside the recorder, so the CloudFront operations moto has no route for (functions,
        # policies, ListConflictingAliases) are logged and take faults like the rest.
        moto_app = ConflictingAliasesApp(
            DomainDispatcherApplication(create_backend_app), self._aliases
        )
        # Route 53 ARC (moto has none): its configuration API and cluster endpoints.
        self.arc = ArcControls(lambda: self.endpoint_url)
        self.health = HealthControls()  # endpoint checks' status; RECOVERY_CONTROL, CALCULATED
        self.dns = DnsModel()  # Route 53's authoritative answers, by resolver region
        self.zone_features = ZoneFeatures()  # accelerated recovery's statuses
        self.guardrails = Guardrails()  # Change Guardrails: tiers, checks; alias_reading
        self.zone_features.guardrails = self.guardrails
        self.change_history = ChangeHistory()  # Change History: zones, batches, lag, identity
        self._outage = Outage(self.zone_features)
        self._middleware = RecordingMiddleware(
            ArcApp(
                TestDnsAnswerApp(
                    ChangeHistoryApp(
                        ZoneFeaturesApp(
                            ProtectionsApp(
                                CloudFrontExtrasApp(
                                    moto_app, {**FUNCTION_HANDLERS, **POLICY_HANDLERS}
                                )
                            ),
                            self.zone_features,
                        ),
                        self.change_history,
                    ),
                    self.changes,
                    self.dns,
                ),
                self.arc,
            )
        )
        self._middleware.gates += [
            self._unreachable_endpoint,
            self._outage.gate,
            self.guardrails.gate,
        ]
        self._guard = HostGuard(self._middleware)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._patches: list[Any] = []

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> StrictMotoServer:
        if StrictMotoServer._active is not None:
            raise RuntimeError("a StrictMotoServer is already running in this process")
        # Like moto's mock_aws, fake this process's AWS settings while we run (restored on stop):
        # moto itself builds boto3 clients in here, and a stray AWS_PROFILE would break them.
        inherited = [k for k in os.environ if k.startswith("AWS_") and k not in FAKE_AWS_ENV]
        patchers = [
            mock.patch.dict(os.environ, FAKE_AWS_ENV),  # restores the whole environ on stop
            *route53_patches(self.changes, self._judge_batch),
            *cloudfront_patches(self._aliases),
            *health_patches(),
            *self.zone_features.patches(),
        ]
        StrictMotoServer._active = self
        try:
            for patcher in patchers:
                patcher.start()
                self._patches.append(patcher)  # so stop() undoes exactly what was done
            for name in inherited:
                del os.environ[name]
            self._server = make_server(
                HOST, self._port, self._guard, threaded=True, request_handler=_QuietHandler
            )
            port = self._server.server_port
            # Port 80 may be sent without it (RFC 9110); never anything but 127.0.0.1.
            self._guard.allowed = frozenset({f"{HOST}:{port}", *([HOST] if port == 80 else [])})
        except BaseException:
            self.stop()
            raise
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="strictaws", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()  # blocks until serve_forever returns: only if it ran
            self._thread.join()
        if self._server is not None:
            self._server.server_close()
        for patcher in reversed(self._patches):
            patcher.stop()
        self._server = self._thread = None
        self._patches = []
        if StrictMotoServer._active is self:
            StrictMotoServer._active = None

    def __enter__(self) -> StrictMotoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Back to just-started: no moto state, log, faults, pending changes; default polls."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
        opener.open(
            urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", b"", method="POST")
        )
        self._middleware.reset()
        self.changes.clear()
        self.pending_polls = self._default_pending_polls
        self.changes.page_size_cap = None
        self.changes.dns_lag(0)
        self._middleware.limits = None
        self.foreign_aliases = set()
        self.arc.reset()
        self.dns.reset()
        self.zone_features.reset()
        self.guardrails.reset()
        self.change_history.reset()
        self._outage.reset()

    def _judge_batch(self, account: str, zone: Any, changes: Any, after: Any) -> None:
        """Protections, then guardrails: each refuses the whole batch (InvalidChangeBatch)."""
        protections.check(account, zone.id, changes)
        self.guardrails.check(account, zone, changes, after)

    def _unreachable_endpoint(
        self, service: str, operation: str, environ: dict[str, Any]
    ) -> Refusal | None:
        reason = self.arc.refusal(str(environ.get("PATH_INFO", "")))
        return Refusal(reason) if reason else None

    # -- clients ---------------------------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("StrictMotoServer is not running")
        return f"http://{HOST}:{self._server.server_port}"

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client for this server that ignores the developer's own AWS configuration."""
        core = _isolated_core()
        session = boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name=REGION,
            botocore_session=core,
        )
        # An explicit empty proxy map stops botocore from honouring HTTP(S)_PROXY.
        config = Config(proxies={}).merge(kwargs.pop("config", None) or Config())
        # An ARC cluster endpoint (server.arc) is a path under this server: it may be given.
        endpoint = kwargs.pop("endpoint_url", None) or self.endpoint_url
        if not endpoint.startswith(self.endpoint_url):
            raise ValueError(f"{endpoint} is not this sandbox's")
        return session.client(service, endpoint_url=endpoint, config=config, **kwargs)

    def client_in_account(self, service: str, account_id: str, **kwargs: Any) -> Any:
        """A client whose requests land in `account_id`: moto keys its state by account and
        puts the requests of an assumed role's credentials in the role's account (moto's
        STS AssumeRole: "The ARN can point to another account, providing an opportunity to
        switch accounts"). The role is the sandbox's own, never one of the policy's."""
        if account_id == DEFAULT_ACCOUNT:
            return self.client(service, **kwargs)
        credentials = self.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/geoproxy-sandbox-seed",
            RoleSessionName="sandbox-seed",
        )["Credentials"]
        session = boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=kwargs.pop("region_name", REGION),
            botocore_session=_isolated_core(),
        )
        config = Config(proxies={}).merge(kwargs.pop("config", None) or Config())
        endpoint = kwargs.pop("endpoint_url", None) or self.endpoint_url  # a cluster endpoint
        if not endpoint.startswith(self.endpoint_url):
            raise ValueError(f"{endpoint} is not this sandbox's")
        return session.client(service, endpoint_url=endpoint, config=config, **kwargs)

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Environment for a CLI subprocess that can only ever reach this server.

        Every inherited AWS_* variable goes (profiles, session tokens, per-service endpoint
        overrides, web-identity/container credentials) and so do proxies; credentials are fake
        and config files empty.
        """
        env = scrubbed(os.environ if base is None else base)
        env.update(FAKE_AWS_ENV, AWS_ENDPOINT_URL=self.endpoint_url, NO_PROXY=HOST, no_proxy=HOST)
        return env

    # -- strict-semantics knobs ------------------------------------------------------------------
    @property
    def pending_polls(self) -> int:
        """How many GetChange calls report a new change as PENDING before INSYNC."""
        return self.changes.pending_polls

    @pending_polls.setter
    def pending_polls(self, value: int) -> None:
        self.changes.pending_polls = value

    @property
    def foreign_aliases(self) -> set[str]:
        """Aliases a CloudFront distribution in another AWS account already carries: adding one
        (or an overlapping wildcard) fails with CNAMEAlreadyExists, and ListConflictingAliases
        lists them under a masked account id. Mutable in place (`aws.foreign_aliases.add(...)`)."""
        return self._aliases.foreign_aliases

    @foreign_aliases.setter
    def foreign_aliases(self, value: Iterable[str]) -> None:
        with self._aliases.lock:
            self._aliases.foreign_aliases = set(value)

    def issue_certificate(
        self, domain: str, *sans: str, region: str = REGION, account_id: str = DEFAULT_ACCOUNT
    ) -> str:
        """Request an ACM certificate for `domain` (and `sans`) and finish its validation at
        once: an ISSUED, Amazon-issued certificate, as CloudFront requires one (in us-east-1,
        unless `region` says otherwise; in the distribution's account). Returns its ARN."""
        acm = self.client_in_account("acm", account_id, region_name=region)
        request: dict[str, Any] = {"DomainName": domain, "ValidationMethod": "DNS"}
        if sans:
            request["SubjectAlternativeNames"] = [domain, *sans]
        arn = str(acm.request_certificate(**request)["CertificateArn"])
        mark_issued(arn)
        return arn

    # -- request log -----------------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        return list(self._middleware.calls)

    def operations(self) -> list[str]:
        return [c.operation for c in self.calls]

    def count(self, operation: str | None = None) -> int:
        return sum(1 for c in self.calls if operation is None or c.operation == operation)

    def reset_log(self) -> None:
        self._middleware.reset(faults=False)

    # -- fault injection -------------------------------------------------------------------------
    def inject(
        self,
        operation: str,
        code: str = "Throttling",
        status: int = 400,
        times: int = 1,
        message: str = "Rate exceeded",
        apply_first: bool = False,
    ) -> None:
        """The next `times` requests for `operation` get this AWS error instead of reaching moto;
        with `apply_first`, moto applies them first (a late landing: the change is made while
        the answer is an error)."""
        self._middleware.add_fault(
            Fault(operation, code, status, message, times, apply_first=apply_first)
        )

    def enforce_route53_limits(self, on: bool = True) -> None:
        """Answer Route 53 requests past its documented rate limits with Throttling, as
        Route 53 does (route53_limits.py); each refused call is logged with throttled=True."""
        self._middleware.limits = Route53Limits() if on else None

    def control_plane_down(
        self, down: bool = True, *, accelerated_recovery_active: bool = False, how: str = "503"
    ) -> None:
        """Make the us-east-1 control planes fail (Route 53, CloudFront, IAM, ARC
        configuration, STS signed for us-east-1) while the data planes work (outage.py).
        `accelerated_recovery_active`: Route 53 has failed its control plane over, so record
        operations on zones with accelerated recovery ENABLED work again. `how`: "503"
        (ServiceUnavailable) or "disconnect"."""
        if how not in ("503", "disconnect"):
            raise ValueError('how must be "503" or "disconnect"')
        self._outage.down = down
        self._outage.accelerated_recovery_active = accelerated_recovery_active
        self._outage.how = how

    def clear_faults(self) -> None:
        """Drop every injected fault not yet used up (the request log stays)."""
        self._middleware.clear_faults()

    def inject_disconnect(self, operation: str, times: int = 1) -> None:
        """The next `times` requests for `operation` see the connection drop with no response."""
        self._middleware.add_fault(Fault(operation, "", 0, "", times, disconnect=True))

    def inject_lost_response(self, operation: str, times: int = 1) -> None:
        """The next `times` requests for `operation` are applied by moto, then the connection
        drops before the response: the change landed, but the client cannot know it."""
        self._middleware.add_fault(Fault(operation, "", 0, "", times, lose_response=True))

    def hold(self, operation: str, *, apply_first: bool = False) -> Hold:
        """Park the next request for `operation` until `release()` (then it reaches moto, or,
        with `apply_first`, it was applied on arrival and its connection drops)."""
        held = Hold(apply_first)
        self._middleware.add_fault(Fault(operation, "", 0, "", 1, hold=held))
        return held
