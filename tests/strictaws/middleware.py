"""WSGI middleware in front of moto: logs every request by API name and injects faults.

Working at the HTTP layer means the log sees exactly what the CLI sent (retries included), and
injected faults never reach moto, so they cannot leave half-applied state behind.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from werkzeug.http import HTTP_STATUS_CODES

from .opnames import operation_name, protocol, service_from_auth

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    method: str
    path: str
    injected: bool = False


@dataclass
class Fault:
    operation: str
    code: str
    status: int
    message: str
    remaining: int
    disconnect: bool = False


def error_response(service: str, code: str, message: str, status: int) -> tuple[str, list, bytes]:
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


class RecordingMiddleware:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self._lock = threading.Lock()  # the server is threaded: requests may arrive concurrently
        self.calls: list[Call] = []
        self.faults: list[Fault] = []

    def reset(self, faults: bool = True) -> None:
        with self._lock:
            self.calls.clear()
            if faults:
                self.faults.clear()

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if path.startswith("/moto-api/"):  # our own reset calls are not part of the CLI's story
            return self.app(environ, start_response)
        service = service_from_auth(environ.get("HTTP_AUTHORIZATION", ""))
        form = self._form(environ) if protocol(service) in ("query", "ec2") else {}
        operation = operation_name(
            service,
            method,
            path,
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_X_AMZ_TARGET", ""),
            form,
        )
        with self._lock:
            fault = next((f for f in self.faults if f.operation == operation and f.remaining), None)
            if fault:
                fault.remaining -= 1
            self.calls.append(Call(service, operation, method, path, injected=fault is not None))
        if fault is None:
            return self.app(environ, start_response)
        if fault.disconnect:
            return self._disconnect(environ, start_response)
        status, headers, body = error_response(service, fault.code, fault.message, fault.status)
        start_response(status, headers)
        return [body]

    @staticmethod
    def _form(environ: dict[str, Any]) -> dict[str, list[str]]:
        """Read a form body for its Action, then put the bytes back for moto to read again."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        return parse_qs(body.decode("utf-8", "replace"))

    @staticmethod
    def _disconnect(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        # Close the socket under werkzeug: the client sees the connection drop with no response,
        # and werkzeug treats the failed write as a dropped connection (no traceback).
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        start_response("500 Internal Server Error", [("Content-Length", "0")])
        return []
