"""Serve CloudFront operations that moto 5.2 has no route for, in front of moto's app.

moto's CloudFront answers 404 for /2020-05-31/function..., /cache-policy... and
/origin-request-policy.... This WSGI layer names each request by its API operation (opnames,
from botocore's model), parses it with moto's own rest-xml request parser, runs a handler on
the account's state, and writes the answer with moto's rest-xml serializer. So every shape,
header (ETag, Location) and payload (GetFunction's code) comes from botocore's service model,
not from hand-written XML, exactly as moto's own responses do.

State lives on moto's CloudFront backend object (`backend_state`), so `/moto-api/reset`, which
rebuilds every backend, empties it together with the distributions that refer to it.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from moto.cloudfront.exceptions import InvalidIfMatchVersion
from moto.cloudfront.models import CloudFrontBackend, cloudfront_backends, random_id
from moto.core.exceptions import ServiceException
from moto.core.parse import RestXMLParser
from moto.core.serialize import RestXMLSerializer
from moto.core.utils import get_service_model
from moto.iam.models import get_account_id_from
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request

from .middleware import error_response
from .opnames import rest_operation, service_from_auth, service_model, uri_params

API = "https://cloudfront.amazonaws.com/2020-05-31"
# Handlers and the distribution checks run under this lock: the server is threaded, and a
# DeleteFunction must not race an UpdateDistribution that starts using the function.
STATE_LOCK = threading.RLock()
Handler = Callable[[CloudFrontBackend, dict[str, Any]], dict[str, Any]]
T = TypeVar("T")


class PreconditionFailed(ServiceException):
    code = "PreconditionFailed"  # HTTP 412, taken by the serializer from botocore's model
    message = "The request failed because it didn't meet the preconditions in one or more fields."


class InvalidArgument(ServiceException):
    code = "InvalidArgument"


class InconsistentQuantities(ServiceException):
    code = "InconsistentQuantities"
    message = "The value of Quantity and the size of Items don't match."  # the model's words


@functools.cache
def _error_class(code: str) -> type[ServiceException]:
    return type(code, (ServiceException,), {"code": code, "__module__": __name__})


def cloudfront_error(code: str, message: str) -> ServiceException:
    """A CloudFront error by code. Not a bare ServiceException: moto, when it serializes one
    raised inside its own handlers, looks for the model of a moto.* exception's service."""
    return _error_class(code)(message)


def check_if_match(if_match: str | None, etag: str) -> None:
    """Optimistic locking as CloudFront does it: no If-Match is InvalidIfMatchVersion (400), a
    stale one PreconditionFailed (412). API Reference, e.g. UpdateFunction's errors."""
    if not if_match:
        raise InvalidIfMatchVersion()
    if if_match != etag:
        raise PreconditionFailed()


def new_etag() -> str:
    """A fresh version id, shaped like the ones moto gives distributions (E + 12 characters)."""
    return random_id()


def listed(container: Mapping[str, Any] | None, where: str) -> list[Any]:
    """The Items of a {Quantity, Items} element; InconsistentQuantities when they disagree."""
    if not container:
        return []
    items = list(container.get("Items") or [])
    if int(container.get("Quantity", len(items))) != len(items):
        raise InconsistentQuantities(f"{InconsistentQuantities.message} ({where})")
    return items


def quantity(items: Iterable[Any]) -> dict[str, Any]:
    """{Quantity, Items} as CloudFront returns it: Items left out of an empty list."""
    items = list(items)
    return {"Quantity": len(items), "Items": items} if items else {"Quantity": 0}


def page(items: list[T], params: Mapping[str, Any], default: int = 100) -> dict[str, Any]:
    """One page of a List* answer: MaxItems, Quantity, Items and, if more remain, NextMarker.
    The marker is an opaque offset here, as CloudFront's is opaque to clients."""
    try:
        max_items = int(params.get("MaxItems") or default)
        start = int(params.get("Marker") or 0)
    except ValueError:
        raise InvalidArgument("MaxItems and Marker must be the values this API returns.") from None
    if not 1 <= max_items <= default or start < 0:
        raise InvalidArgument(f"MaxItems must be between 1 and {default}.")
    chunk = items[start : start + max_items]
    result: dict[str, Any] = {"MaxItems": max_items, **quantity(chunk)}
    if start + max_items < len(items):
        result["NextMarker"] = str(start + max_items)
    return result


def backend_state(backend: CloudFrontBackend, key: str, factory: Callable[[], T]) -> T:
    """Our state for one account, kept on moto's backend so that a moto reset drops it."""
    with STATE_LOCK:
        return backend.__dict__.setdefault(f"_strict_{key}", factory())  # type: ignore[no-any-return]


def account_of(environ: dict[str, Any]) -> str:
    # The same order moto's BaseResponse.get_current_account uses.
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if "HTTP_X_MOTO_ACCOUNT_ID" in environ:
        return str(environ["HTTP_X_MOTO_ACCOUNT_ID"])
    match = re.search(r"Credential=([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return get_account_id_from(match.group(1) if match else "")


def _status_of(code: str) -> int:
    model = service_model("cloudfront")
    try:
        return int(model.shape_for(code).metadata["error"]["httpStatusCode"]) if model else 400
    except Exception:  # a code the model does not know (none of ours): a client error
        return 400


def error(start_response: Callable[..., Any], err: ServiceException) -> list[bytes]:
    status, headers, body = error_response(
        "cloudfront", err.code, err.message, _status_of(err.code)
    )
    start_response(status, headers)
    return [body]


class CloudFrontExtrasApp:
    """WSGI app: the operations in `handlers` here, every other request to moto's app."""

    def __init__(self, app: Callable[..., Iterable[bytes]], handlers: Mapping[str, Handler]):
        self.app = app
        self.handlers = dict(handlers)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if service_from_auth(environ.get("HTTP_AUTHORIZATION", "")) != "cloudfront":
            return self.app(environ, start_response)
        operation = rest_operation("cloudfront", method, path, environ.get("QUERY_STRING", ""))
        handler = self.handlers.get(operation)
        if handler is None:
            return self.app(environ, start_response)
        model = get_service_model("cloudfront").operation_model(operation)
        request = Request(environ)
        try:
            params = RestXMLParser(model).parse(
                {
                    "method": method,
                    "values": request.args,
                    "headers": request.headers,
                    "body": request.get_data(),
                    "url_path": path,
                    "url_params": uri_params("cloudfront", operation, path),
                }
            )
            backend = cloudfront_backends[account_of(environ)]["aws"]
            with STATE_LOCK:
                result = handler(backend, params)
        except ServiceException as err:
            return error(start_response, err)
        answer = RestXMLSerializer(model).serialize(result)
        headers = dict(answer["headers"])
        if "ContentType" in result:  # GetFunction's own Content-Type, not the XML one
            headers["Content-Type"] = result["ContentType"]
        body = answer["body"]
        data = body.encode() if isinstance(body, str) else bytes(body or b"")
        status = int(answer["status_code"])
        headers.update({"x-amzn-RequestId": str(uuid.uuid4()), "Content-Length": str(len(data))})
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, '')}", list(headers.items()))
        return [data]
