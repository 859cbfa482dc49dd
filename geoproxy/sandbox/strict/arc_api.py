"""WSGI front for Route 53 ARC, which moto has no model of: the recovery control configuration
API (`route53-recovery-control-config`, rest-json) and the cluster data plane
(`route53-recovery-cluster`, JSON 1.0, served under each cluster endpoint's path
`/_arc/<cluster-id>/<region>/`). Requests are parsed by botocore's service models (member
locations), answers are plain JSON in the models' shapes, errors in the protocol's envelope.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, unquote

from werkzeug.http import HTTP_STATUS_CODES

from .arc_cluster import CLUSTER_HANDLERS, ArcControls, endpoint_of
from .arc_config import CONFIG_HANDLERS
from .arc_model import ArcError, arc_state
from .cloudfront_api import account_of
from .middleware import error_response
from .opnames import rest_operation, service_from_auth, service_model, uri_params

CONFIG = "route53-recovery-control-config"
CLUSTER = "route53-recovery-cluster"


def raw_path(environ: Mapping[str, Any]) -> str:
    """The path as sent, before percent-decoding: ARNs in URI labels carry %2F for '/'."""
    raw = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    return raw.partition("?")[0] or str(environ.get("PATH_INFO", ""))


def _status_of(service: str, code: str) -> int:
    model = service_model(service)
    try:
        return int(model.shape_for(code).metadata["error"]["httpStatusCode"]) if model else 400
    except Exception:  # the cluster model gives no status: a client error, as AWS sends
        return 503 if code == "EndpointTemporarilyUnavailableException" else 400


def _answer(
    start_response: Callable[..., Any], status: int, body: bytes, content_type: str
) -> list[bytes]:
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("x-amzn-RequestId", str(uuid.uuid4())),
    ]
    start_response(f"{status} {HTTP_STATUS_CODES.get(status, '')}", headers)
    return [body]


def _error(start_response: Callable[..., Any], service: str, err: ArcError) -> list[bytes]:
    _, headers, body = error_response(service, err.code, err.message, 400)
    status_code = _status_of(service, err.code)
    start_response(f"{status_code} {HTTP_STATUS_CODES.get(status_code, 'Error')}", headers)
    return [body]


def _read_json(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    data = environ["wsgi.input"].read(length) if length else b""
    try:
        parsed = json.loads(data) if data.strip() else {}
    except ValueError:
        raise ArcError("ValidationException", "The request body is not valid JSON.") from None
    if not isinstance(parsed, dict):
        raise ArcError("ValidationException", "The request body must be a JSON object.")
    return parsed


class ArcApp:
    """WSGI app: ARC's two APIs here, every other request to `app`."""

    def __init__(self, app: Callable[..., Iterable[bytes]], controls: ArcControls) -> None:
        self.app = app
        self.controls = controls

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        service = service_from_auth(environ.get("HTTP_AUTHORIZATION", ""))
        if service == CONFIG:
            return self._config(environ, start_response)
        if service == CLUSTER:
            return self._cluster(environ, start_response)
        return self.app(environ, start_response)

    def _config(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method, path = environ["REQUEST_METHOD"], raw_path(environ)
        query = environ.get("QUERY_STRING", "")
        operation = rest_operation(CONFIG, method, path, query)
        handler = CONFIG_HANDLERS.get(operation)
        try:
            if handler is None:
                raise ArcError("ValidationException", f"Unsupported operation {operation}.")
            params = self._rest_params(environ, operation, path, query)
            state = arc_state(account_of(environ))
            with state.lock:
                result = handler(state, params, self.controls)
        except ArcError as err:
            return _error(start_response, CONFIG, err)
        return _answer(start_response, 200, json.dumps(result).encode(), "application/json")

    @staticmethod
    def _rest_params(
        environ: dict[str, Any], operation: str, path: str, query: str
    ) -> dict[str, Any]:
        model = service_model(CONFIG)
        assert model is not None
        shape = model.operation_model(operation).input_shape
        params: dict[str, Any] = {}
        if environ["REQUEST_METHOD"] in ("POST", "PUT"):
            params.update(_read_json(environ))
        labels = {k: unquote(v) for k, v in uri_params(CONFIG, operation, path).items()}
        args = parse_qs(query)
        for name, member in (shape.members if shape else {}).items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "uri" and wire in labels:
                params[name] = labels[wire]
            elif location == "querystring" and wire in args:
                values = args[wire]
                params[name] = values if member.type_name == "list" else values[0]
        return params

    def _cluster(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        operation = target.rpartition(".")[2]
        handler = CLUSTER_HANDLERS.get(operation)
        endpoint = endpoint_of(str(environ.get("PATH_INFO", "")))
        try:
            if endpoint is None:
                raise ArcError(
                    "ValidationException",
                    "Not a cluster endpoint: use one of DescribeCluster's ClusterEndpoints.",
                )
            if handler is None:
                raise ArcError("ValidationException", f"Unknown operation {operation}.")
            params = _read_json(environ)
            state = arc_state(account_of(environ))
            with state.lock:
                cluster = state.cluster_by_id(endpoint[0])
                if cluster is None:
                    raise ArcError("ResourceNotFoundException", "No such cluster endpoint.")
                self.controls.throttle(endpoint, operation)
                result = handler(state, cluster, params, self.controls)
        except ArcError as err:
            return _error(start_response, CLUSTER, err)
        return _answer(
            start_response, 200, json.dumps(result).encode(), "application/x-amz-json-1.0"
        )
