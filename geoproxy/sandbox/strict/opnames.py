"""Name the AWS API operation behind a raw HTTP request, using botocore's own service models.

Deriving names from the models (rather than a hand-written table) means every operation the
CLI might call is named exactly as botocore names it, with no table to keep in sync.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qs

import botocore.session
from botocore.model import ServiceModel

UNKNOWN = "Unknown"


@functools.cache
def service_model(service: str) -> ServiceModel | None:
    try:
        return botocore.session.get_session().get_service_model(service)
    except Exception:  # an unknown signing name: the request is still logged, just unnamed
        return None


def protocol(service: str) -> str:
    model = service_model(service)
    return model.protocol if model else ""


def service_from_auth(authorization: str) -> str:
    """'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/route53/aws4_request, ...'."""
    match = re.search(r"Credential=[^/]*/[^/]*/[^/]*/([^/]+)/", authorization)
    return match.group(1) if match else ""


_Route = tuple[str, re.Pattern[str], dict[str, str | None], int, str]


@functools.cache
def _rest_routes(service: str) -> list[_Route]:
    """(method, path regex, required query params, literal length, operation) per operation.

    Sorted most specific first, so 'POST /distribution?WithTags' wins over 'POST /distribution'.
    """
    model = service_model(service)
    routes: list[_Route] = []
    for name in model.operation_names if model else []:
        http = model.operation_model(name).http  # type: ignore[union-attr]
        path, _, query = http["requestUri"].partition("?")
        parts = re.split(r"(\{[^}]+\})", path.rstrip("/"))
        regex = "".join(
            ("(.+)" if p.endswith("+}") else "([^/]+)") if p.startswith("{") else re.escape(p)
            for p in parts
        )
        required = {}
        for item in filter(None, query.split("&")):
            key, _, value = item.partition("=")
            required[key] = value or None
        literal = sum(len(p) for p in parts if not p.startswith("{"))
        routes.append((http["method"], re.compile(f"^{regex}/?$"), required, literal, name))
    routes.sort(key=lambda r: (len(r[2]), r[3]), reverse=True)
    return routes


def uri_params(service: str, operation: str, path: str) -> dict[str, str]:
    """The `{Name}` parts of `path` under the operation's URI template ('/function/{Name}')."""
    model = service_model(service)
    if model is None:
        return {}
    template = model.operation_model(operation).http["requestUri"].partition("?")[0]
    parts = re.split(r"\{([^}]+)\}", template.rstrip("/"))
    regex = "".join(
        (f"(?P<{p.rstrip('+')}>.+)" if p.endswith("+") else f"(?P<{p}>[^/]+)")
        if i % 2
        else re.escape(p)
        for i, p in enumerate(parts)
    )
    match = re.match(f"^{regex}/?$", path)
    return match.groupdict() if match else {}


def rest_operation(service: str, method: str, path: str, query: str) -> str:
    params = parse_qs(query, keep_blank_values=True)
    for route_method, regex, required, _, name in _rest_routes(service):
        if route_method != method or not regex.match(path):
            continue
        if all(k in params and (v is None or v in params[k]) for k, v in required.items()):
            return name
    return UNKNOWN


def operation_name(
    service: str, method: str, path: str, query: str, target: str, form: dict[str, list[str]]
) -> str:
    """The API name for any protocol: REST by URI template, query by Action, JSON by target."""
    proto = protocol(service)
    if proto in ("rest-xml", "rest-json"):
        return rest_operation(service, method, path, query)
    if proto in ("query", "ec2"):
        action = form.get("Action") or parse_qs(query).get("Action")
        return action[0] if action else UNKNOWN
    if proto == "json" and target:
        return target.rpartition(".")[2]
    if proto == "smithy-rpc-v2-cbor" and "/operation/" in path:
        return path.rpartition("/operation/")[2]
    return UNKNOWN
