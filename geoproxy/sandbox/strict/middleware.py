"""WSGI middleware in front of moto: logs every request by API name and injects faults.

Working at the HTTP layer means the log sees exactly what the CLI sent (retries included), and
injected faults never reach moto, so they cannot leave half-applied state behind.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from werkzeug.http import HTTP_STATUS_CODES

from .opnames import UNKNOWN, operation_name, protocol, service_from_auth

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# Bodies up to this size are kept in the log (IAM checks read them); larger ones (none of ours)
# are left unread, so a huge upload is never buffered twice.
MAX_LOGGED_BODY = 1024 * 1024


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    method: str
    path: str
    injected: bool = False
    query: str = ""  # QUERY_STRING as sent
    user_agent: str = ""
    body: bytes = field(default=b"", repr=False)  # b"" past MAX_LOGGED_BODY
    throttled: bool = False  # refused by the emulated rate limits (route53_limits.py)
    refused: str = ""  # why a gate refused it (an unreachable endpoint, a control plane down)
    # The access key that signed it (SigV4's Credential=AKID/...): whose account it is in,
    # as moto decides (an assumed role's key is its role's account).
    access_key: str = ""


@dataclass(frozen=True)
class Refusal:
    """A gate's answer: drop the connection unanswered, or answer with this AWS error."""

    reason: str
    disconnect: bool = True
    code: str = ""
    status: int = 0
    message: str = ""


# (service, operation, environ) -> a Refusal, or None to let the request pass.
Gate = Callable[[str, str, dict[str, Any]], "Refusal | None"]


@dataclass
class Fault:
    operation: str
    code: str
    status: int
    message: str
    remaining: int
    disconnect: bool = False
    # Let moto apply the request, then drop the connection: the client never hears that it
    # landed (a response lost on the way back, as a timeout or reset does in real life).
    lose_response: bool = False
    hold: Hold | None = None
    # Let moto apply the request, then answer with the error anyway: a change that lands
    # while the answer says it did not (for Route 53: an earlier identical request, whose
    # answer was lost, finishing while this resend is told PriorRequestNotComplete).
    apply_first: bool = False


class Hold:
    """Park a request in the server until released, so a test can kill the client meanwhile.
    With `apply_first`, moto applies the request before it is parked."""

    def __init__(self, apply_first: bool = False) -> None:
        self.apply_first = apply_first
        self.arrived = threading.Event()
        self._released = threading.Event()

    def release(self) -> None:
        self._released.set()

    def wait_released(self, timeout: float = 60.0) -> None:
        self._released.wait(timeout)


def error_response(
    service: str, code: str, message: str, status: int
) -> tuple[str, list[tuple[str, str]], bytes]:
    """An error shaped the way the service's protocol shapes it, so botocore parses the code."""
    request_id = str(uuid.uuid4())
    headers = [("x-amzn-RequestId", request_id)]
    if protocol(service) in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message}).encode()
        headers += [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    else:  # rest-xml (route53, cloudfront) and query (sts, iam) share this envelope
        kind = "Sender" if status < 500 else "Receiver"
        body = (
            f'<?xml version="1.0"?>\n<ErrorResponse><Error><Type>{kind}</Type>'
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    headers.append(("Content-Length", str(len(body))))
    return f"{status} {HTTP_STATUS_CODES.get(status, 'Error')}", headers, body


def _access_key(authorization: str) -> str:
    """`AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/route53/aws4_request, ...`."""
    _, found, rest = authorization.partition("Credential=")
    return rest.partition("/")[0] if found else ""


class RecordingMiddleware:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self._lock = threading.Lock()  # the server is threaded: requests may arrive concurrently
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        # Route 53's documented rate limits, when a test turns them on (route53_limits.py):
        # (service, operation) -> whether the request may pass now.
        self.limits: Callable[[str, str], bool] | None = None
        # Standing refusals (server.arc endpoints, server.control_plane_down): asked in order,
        # after the one-shot faults; unlike those, never used up.
        self.gates: list[Gate] = []

    def reset(self, faults: bool = True) -> None:
        with self._lock:
            self.calls.clear()
            if faults:
                self.faults.clear()

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if path.startswith("/moto-api/"):  # our own reset calls are not part of the CLI's story
            return self.app(environ, start_response)
        service = service_from_auth(environ.get("HTTP_AUTHORIZATION", ""))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = self._body(environ) if length <= MAX_LOGGED_BODY else b""
        form = self._form(environ) if protocol(service) in ("query", "ec2") else {}
        query = environ.get("QUERY_STRING", "")
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation = operation_name(service, method, path, query, target, form)
        raw = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "").partition("?")[0]
        if operation == UNKNOWN and raw and raw != path:  # ARNs in a URI label: %2F, not '/'
            operation = operation_name(service, method, raw, query, target, form)
        agent = environ.get("HTTP_USER_AGENT", "")
        with self._lock:
            fault = next((f for f in self.faults if f.operation == operation and f.remaining), None)
            if fault:
                fault.remaining -= 1
            refusal = None
            if fault is None:
                refusal = next(
                    filter(None, (gate(service, operation, environ) for gate in self.gates)), None
                )
            throttled = (
                fault is None
                and refusal is None
                and self.limits is not None
                and not self.limits(service, operation)
            )
            self.calls.append(
                Call(
                    service,
                    operation,
                    method,
                    path,
                    fault is not None or throttled or refusal is not None,
                    query,
                    agent,
                    body,
                    throttled,
                    refusal.reason if refusal else "",
                    _access_key(environ.get("HTTP_AUTHORIZATION", "")),
                )
            )
        if refusal is not None:
            if refusal.disconnect:
                return self._disconnect(environ, start_response)
            status, headers, body = error_response(
                service, refusal.code, refusal.message, refusal.status
            )
            start_response(status, headers)
            return [body]
        if throttled:  # Route 53's answer: HTTP 400, Throttling, "Rate exceeded"
            status, headers, body = error_response(service, "Throttling", "Rate exceeded", 400)
            start_response(status, headers)
            return [body]
        if fault is None:
            return self.app(environ, start_response)
        if fault.hold is not None:
            return self._held(fault.hold, environ, start_response)
        if fault.lose_response:
            self._apply_silently(environ)
            return self._disconnect(environ, start_response)
        if fault.disconnect:
            return self._disconnect(environ, start_response)
        if fault.apply_first:
            self._apply_silently(environ)
        status, headers, body = error_response(service, fault.code, fault.message, fault.status)
        start_response(status, headers)
        return [body]

    def _apply_silently(self, environ: dict[str, Any]) -> None:
        """Run the request through moto and throw its response away."""
        body = self.app(environ, lambda status, headers, exc_info=None: None)
        for _ in body:
            pass
        if hasattr(body, "close"):
            body.close()

    def _held(self, hold: Hold, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if hold.apply_first:
            self._apply_silently(environ)
        hold.arrived.set()
        hold.wait_released()
        if hold.apply_first:
            return self._disconnect(environ, start_response)
        return self.app(environ, start_response)

    @staticmethod
    def _body(environ: dict[str, Any]) -> bytes:
        """Read the request body, then put the bytes back for moto to read again."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        return body

    @staticmethod
    def _form(environ: dict[str, Any]) -> dict[str, list[str]]:
        """Read a form body for its Action (the body stays readable for moto)."""
        return parse_qs(RecordingMiddleware._body(environ).decode("utf-8", "replace"))

    @staticmethod
    def _disconnect(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        # Close the socket under werkzeug: the client sees the connection drop with no response,
        # and werkzeug treats the failed write as a dropped connection (no traceback).
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            with contextlib.suppress(OSError):  # the client may be gone already (killed)
                sock.shutdown(socket.SHUT_RDWR)
        start_response("500 Internal Server Error", [("Content-Length", "0")])
        return []
