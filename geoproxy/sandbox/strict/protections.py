"""Route 53 resource record set protections (moto has none): Create, List and
DeleteResourceRecordSetProtections, and the rejection of any change to a protected name and
type.

Sources: CreateResourceRecordSetProtections, ListResourceRecordSetProtections,
DeleteResourceRecordSetProtections (Route 53 API Reference,
https://docs.aws.amazon.com/Route53/latest/APIReference/API_CreateResourceRecordSetProtections.html)
and "Protecting records from changes" (Route 53 Developer Guide,
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/rrset-protection.html): a protection
covers every record set with its name and type, whatever its SetIdentifier, and may exist
before any record does; "Route 53 rejects the entire request and returns an InvalidChangeBatch
error", identifying "each protected resource record set in the error message" with "the
protection's comment, if any" (ChangeResourceRecordSets). The wording is not documented; the
message below names the protection, its comment and the fix. Requests are atomic, hold at
most 100 entries; creating only existing ones is ProtectionAlreadyExists, any other failing
entry InvalidResourceRecordSetProtectionBatch; a list page holds at most 300.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from moto.route53.models import route53_backends
from werkzeug.http import HTTP_STATUS_CODES

from .cloudfront_api import account_of
from .middleware import error_response
from .opnames import rest_operation, service_from_auth, uri_params
from .route53 import InvalidChangeBatch, norm_name

OPERATIONS = (
    "CreateResourceRecordSetProtections",
    "ListResourceRecordSetProtections",
    "DeleteResourceRecordSetProtections",
)
XMLNS = "https://route53.amazonaws.com/doc/2013-04-01/"
MAX_ENTRIES = 100
PAGE = 300
Problem = tuple[str, str, int]


def state(account: str) -> dict[str, dict[tuple[str, str], str | None]]:
    """zone id -> (name, type) -> comment; on moto's backend, so a reset drops it."""
    backend = route53_backends[account]["global"]
    return backend.__dict__.setdefault("_strict_protections", {})  # type: ignore[no-any-return]


def check(account: str, zone_id: str, changes: list[dict[str, Any]]) -> None:
    """InvalidChangeBatch naming every protection a change of the batch touches."""
    protected = state(account).get(zone_id.rpartition("/")[2]) or {}
    if not protected:
        return
    problems = []
    for change in changes:
        rrset = change["ResourceRecordSet"]
        name_type = (norm_name(rrset["Name"]), rrset["Type"])
        if name_type in protected:
            comment = protected[name_type]
            problems.append(
                f"Resource record set protection [name='{name_type[0]}', type='{name_type[1]}']"
                + (f" (comment: '{comment}')" if comment else "")
                + f" rejects the {change['Action']} of this name and type. To make the change, "
                "first delete the protection with DeleteResourceRecordSetProtections."
            )
    if problems:
        raise InvalidChangeBatch(problems)


def _entries(body: bytes, member: str) -> list[dict[str, str]] | None:
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    return [
        {child.tag.rpartition("}")[2]: (child.text or "").strip() for child in element}
        for element in root.iter()
        if element.tag.rpartition("}")[2] == member
    ]


def _batch_error(code: str, message: str, failures: list[tuple[dict[str, str], str]]) -> bytes:
    errors = "".join(
        f"<ResourceRecordSetProtectionError><RecordName>{escape(e.get('RecordName', ''))}"
        f"</RecordName><RecordType>{escape(e.get('RecordType', ''))}</RecordType>"
        f"<Reason>{escape(reason)}</Reason></ResourceRecordSetProtectionError>"
        for e, reason in failures
    )
    return (
        f'<?xml version="1.0"?>\n<ErrorResponse xmlns="{XMLNS}"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{escape(message)}</Message><Errors>{errors}</Errors>"
        f"</Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()


class ProtectionsApp:
    """WSGI app: the three protection operations here, every other request to `app`."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        if service_from_auth(environ.get("HTTP_AUTHORIZATION", "")) != "route53":
            return self.app(environ, start_response)
        operation = rest_operation("route53", method, path, query)
        if operation not in OPERATIONS:
            return self.app(environ, start_response)
        account = account_of(environ)
        zone_id = uri_params("route53", operation, path).get("Id", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if zone_id not in route53_backends[account]["global"].zones:
            return self._error(
                start_response,
                ("NoSuchHostedZone", f"No hosted zone found with ID: {zone_id}", 404),
            )
        zone = state(account).setdefault(zone_id, {})
        if operation == "ListResourceRecordSetProtections":
            return self._list(start_response, zone, query)
        member = (
            "ResourceRecordSetProtectionConfig"
            if operation.startswith("Create")
            else "ResourceRecordSetProtectionKey"
        )
        entries = _entries(body, member)
        if not entries or len(entries) > MAX_ENTRIES:
            return self._error(
                start_response, ("InvalidInput", "Between 1 and 100 protections are required.", 400)
            )
        keys = [(norm_name(e.get("RecordName", "x")), e.get("RecordType", "")) for e in entries]
        if operation.startswith("Create"):
            pairs = zip(entries, keys, strict=True)
            existing = [(e, "A protection already exists.") for e, k in pairs if k in zone]
            if existing:
                code = (
                    "ProtectionAlreadyExists"
                    if len(existing) == len(entries)
                    else "InvalidResourceRecordSetProtectionBatch"
                )
                return self._raw(start_response, _batch_error(code, "Protections exist.", existing))
            for entry, k in zip(entries, keys, strict=True):
                zone[k] = entry.get("Comment") or None
        else:
            pairs = zip(entries, keys, strict=True)
            missing = [(e, "No such protection.") for e, k in pairs if k not in zone]
            if missing:
                return self._raw(
                    start_response,
                    _batch_error(
                        "InvalidResourceRecordSetProtectionBatch", "No such protection.", missing
                    ),
                )
            for k in keys:
                del zone[k]
        tag = operation + "Response"
        return self._ok(start_response, f'<{tag} xmlns="{XMLNS}"/>')

    def _list(self, start_response: Callable[..., Any], zone: dict[Any, Any], query: str) -> Any:
        params = {k: v[0] for k, v in parse_qs(query).items()}
        labels = sorted(zone, key=lambda k: (tuple(reversed(k[0].split("."))), k[1]))
        start = int(params.get("nexttoken") or 0)
        size = min(int(params.get("maxresults") or PAGE), PAGE)
        page = labels[start : start + size]
        items = "".join(
            f"<ResourceRecordSetProtection><RecordName>{escape(name)}</RecordName>"
            f"<RecordType>{rtype}</RecordType>"
            + (f"<Comment>{escape(zone[(name, rtype)])}</Comment>" if zone[(name, rtype)] else "")
            + "</ResourceRecordSetProtection>"
            for name, rtype in page
        )
        token = f"<NextToken>{start + size}</NextToken>" if start + size < len(labels) else ""
        return self._ok(
            start_response,
            f'<ListResourceRecordSetProtectionsResponse xmlns="{XMLNS}">'
            f"<ResourceRecordSetProtections>{items}</ResourceRecordSetProtections>{token}"
            "</ListResourceRecordSetProtectionsResponse>",
        )

    @staticmethod
    def _ok(start_response: Callable[..., Any], xml: str) -> list[bytes]:
        payload = ('<?xml version="1.0" encoding="UTF-8"?>\n' + xml).encode()
        start_response(
            f"200 {HTTP_STATUS_CODES[200]}",
            [
                ("Content-Type", "text/xml"),
                ("Content-Length", str(len(payload))),
                ("x-amzn-RequestId", str(uuid.uuid4())),
            ],
        )
        return [payload]

    @staticmethod
    def _raw(start_response: Callable[..., Any], payload: bytes) -> list[bytes]:
        start_response(
            f"400 {HTTP_STATUS_CODES[400]}",
            [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    @staticmethod
    def _error(start_response: Callable[..., Any], problem: Problem) -> list[bytes]:
        status, headers, payload = error_response("route53", *problem)
        start_response(status, headers)
        return [payload]
