"""Route 53 Change History (moto has none): each accepted ChangeResourceRecordSets batch of a
zone whose history is on, and ListHostedZoneChangeBatches, GetHostedZoneChangeBatch and
ListResourceRecordSetChanges over them, shaped by botocore's service model.

Sources: "Viewing the change history of a hosted zone" (Route 53 Developer Guide,
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zone-change-history.md):
Route 53 records each change batch it applies and keeps it 365 days; only zones of the
ADVANCED tier have it. ListHostedZoneChangeBatches (API Reference,
https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZoneChangeBatches.html):
SubmittedAfter is included, SubmittedBefore excluded and must be at least 1 ms later; a
SubmittedAfter before RetentionStartsAt is InvalidInput naming the earliest time;
StartAfterChangeId needs SortOrder ASCENDING and no time bounds; DESCENDING is the default;
MaxResults 1 to 1,000 (default 100); a NextToken must come with the same parameters, else
InvalidInput; FeatureNotEnabled (403) without history; "If the range ends within a few
seconds of the current time, a later request for the same range might return more change
batches" -- the lag below. GetHostedZoneChangeBatch
(https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHostedZoneChangeBatch.html):
the id with or without /change/; NoSuchChange when not in this zone's retained history.
ListResourceRecordSetChanges
(https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSetChanges.html):
one entry per change; RecordName and RecordType only together; MaxResults 1 to 100.

Turning history on: UpdateHostedZoneFeatures has no ChangeHistory member in botocore's model
(ChangeHistoryFeature: "Route 53 turns Change History on or off when the hosted zone moves to
or from a tier that includes it", i.e. UpdateHostedZoneTier, which geoproxy never calls), so
here it is a sandbox knob: `server.change_history.enable(zone_id)`.

SubmittedBy is the caller's ARN as moto's STS knows the request's access key (for the fake
credentials, arn:aws:sts::123456789012:user/moto), or `identity` when a test sets one.
Not modelled: CreateHostedZone and DeleteHostedZone batches (history starts here when the
knob turns it on, after the zone exists), expiry after 365 days, and NextToken's 24 hours.
The lag: a batch stays out of every answer until `lag_s` seconds have passed since it landed
and `lag_reads` answers for its zone have left it out (a count, so tests need no clock).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from botocore.model import Shape
from moto.route53.models import route53_backends
from moto.sts.models import sts_backends
from werkzeug.http import HTTP_STATUS_CODES

from .cloudfront_api import account_of
from .middleware import error_response
from .opnames import rest_operation, service_from_auth, service_model, uri_params

XMLNS = "https://route53.amazonaws.com/doc/2013-04-01/"
READS = ("ListHostedZoneChangeBatches", "GetHostedZoneChangeBatch", "ListResourceRecordSetChanges")
# ChangeHistoryTimeBound's pattern in botocore's model (ISO 8601 with a UTC offset).
TIME_BOUND = re.compile(
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$"
)


class Refused(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def parse_bound(value: str) -> datetime:
    """A time bound, rounded up to the next millisecond when finer (as the API says)."""
    match = TIME_BOUND.match(value)
    if not match:
        raise Refused("InvalidInput", f"Invalid time bound: {value}")
    whole, fraction, zone = match.groups()
    offset = timezone.utc if zone == "Z" else datetime.strptime(zone, "%z").tzinfo
    at = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=offset)
    nanos = int((fraction or "0").ljust(9, "0"))
    millis = -(-nanos // 1_000_000)  # ceiling
    return (at + timedelta(milliseconds=millis)).astimezone(timezone.utc)


def _from_xml(element: ET.Element, shape: Shape) -> Any:
    """An element of a request body as the dict botocore would have sent it from."""
    if shape.type_name == "structure":
        found: dict[str, Any] = {}
        for name, member in shape.members.items():
            child = next((c for c in element if c.tag.rpartition("}")[2] == name), None)
            if child is not None:
                found[name] = _from_xml(child, member)
        return found
    if shape.type_name == "list":
        member = shape.member
        return [_from_xml(child, member) for child in element]
    text = (element.text or "").strip()
    if shape.type_name in ("long", "integer"):
        return int(text)
    if shape.type_name == "boolean":
        return text.lower() == "true"
    return text


def _to_xml(name: str, value: Any, shape: Shape) -> str:
    """One element of a response, shaped the way botocore's rest-xml parser reads it."""
    if value is None:
        return ""
    if shape.type_name == "structure":
        inner = "".join(
            _to_xml(member.serialization.get("name", key), value[key], member)
            for key, member in shape.members.items()
            if key in value
        )
        return f"<{name}>{inner}</{name}>"
    if shape.type_name == "list":
        member = shape.member
        tag = member.serialization.get("name", "member")
        return f"<{name}>{''.join(_to_xml(tag, item, member) for item in value)}</{name}>"
    if shape.type_name == "timestamp":
        text = value.astimezone(timezone.utc).isoformat(timespec="milliseconds")
        return f"<{name}>{text.replace('+00:00', 'Z')}</{name}>"
    if shape.type_name == "boolean":
        return f"<{name}>{'true' if value else 'false'}</{name}>"
    return f"<{name}>{escape(str(value))}</{name}>"


def _dotted(name: str) -> str:
    return name.lower().rstrip(".") + "."


def _shape(operation: str, which: str = "output") -> Shape:
    model = service_model("route53")
    assert model is not None
    op = model.operation_model(operation)
    return op.output_shape if which == "output" else op.input_shape


class ChangeHistory:
    """`server.change_history`: which zones have history, their batches, and the knobs."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.lag_s = 0.0
            self.lag_reads = 0
            self.identity: str | None = None
            # (account, zone id) -> {"starts": datetime, "batches": [batch, ...]}
            self._zones: dict[tuple[str, str], dict[str, Any]] = {}

    def enable(self, zone_id: str, account: str = "123456789012") -> datetime:
        """Turn history on for a zone, from now (RetentionStartsAt), as moving it to a tier
        that includes Change History does; GetHostedZone then reports it."""
        zone_id = zone_id.rpartition("/")[2]
        zone = route53_backends[account]["global"].zones[zone_id]
        now = datetime.now(timezone.utc)
        starts = now.replace(microsecond=now.microsecond // 1000 * 1000)  # AWS times: ms
        with self.lock:
            self._zones[(account, zone_id)] = {"starts": starts, "batches": []}
        features = dict(getattr(zone, "features", None) or {})
        features["ChangeHistory"] = {"Status": "ENABLED", "RetentionStartsAt": starts}
        zone.features = features  # type: ignore[attr-defined]  # moto serialises it
        return starts

    def batches(self, zone_id: str, account: str = "123456789012") -> list[dict[str, Any]]:
        """Every recorded batch of the zone, lag or not (for tests)."""
        with self.lock:
            entry = self._zones.get((account, zone_id.rpartition("/")[2]))
            return [dict(b) for b in entry["batches"]] if entry else []

    def record(self, account: str, zone_id: str, batch: dict[str, Any]) -> None:
        with self.lock:
            entry = self._zones.get((account, zone_id))
            if entry is not None:
                entry["batches"].append({**batch, "hidden_reads": self.lag_reads})

    def visible(self, account: str, zone_id: str) -> list[dict[str, Any]]:
        """The zone's batches an answer may show now; one more read for those still hidden."""
        now = datetime.now(timezone.utc)
        with self.lock:
            shown = []
            for batch in self._zones[(account, zone_id)]["batches"]:
                if batch["hidden_reads"] > 0 or now - batch["SubmittedAt"] < timedelta(
                    seconds=self.lag_s
                ):
                    batch["hidden_reads"] = max(batch["hidden_reads"] - 1, 0)
                    continue
                shown.append(batch)
            return shown

    def zone(self, account: str, zone_id: str) -> dict[str, Any]:
        if zone_id not in route53_backends[account]["global"].zones:
            raise Refused("NoSuchHostedZone", f"No hosted zone found with ID: {zone_id}", 404)
        with self.lock:
            entry = self._zones.get((account, zone_id))
        if entry is None:
            raise Refused(
                "FeatureNotEnabled",
                "Change History isn't turned on for this hosted zone.",
                403,
            )
        return entry


SUMMARY_FIELDS = (
    "ChangeId",
    "Operation",
    "SubmittedAt",
    "SubmittedBy",
    "RequestId",
    "Comment",
    "ChangeCount",
)


def _summary(batch: dict[str, Any]) -> dict[str, Any]:
    return {key: batch[key] for key in SUMMARY_FIELDS if batch.get(key) is not None}


def _window(query: dict[str, str], starts: datetime) -> tuple[datetime | None, datetime | None]:
    after = parse_bound(query["submittedafter"]) if "submittedafter" in query else None
    before = parse_bound(query["submittedbefore"]) if "submittedbefore" in query else None
    if after is not None and after < starts:
        earliest = starts.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        raise Refused(
            "InvalidInput",
            f"SubmittedAfter must not be earlier than {earliest}, when the "
            "change history of this hosted zone starts.",
        )
    if before is not None and before <= (after or starts):
        raise Refused(
            "InvalidInput",
            "SubmittedBefore must be at least one millisecond later than SubmittedAfter.",
        )
    return after, before


def _page(
    items: list[dict[str, Any]], query: dict[str, str], zone_id: str, keys: Iterable[str], most: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of `items` and the token for the next, bound to the zone and parameters."""
    raw = query.get("maxresults", "")
    size = int(raw) if raw.isdigit() else (100 if not raw else 0)
    if not 1 <= size <= most:
        raise Refused("InvalidInput", f"MaxResults must be between 1 and {most}.")
    bound = hashlib.sha256(
        json.dumps([zone_id, *(query.get(k) for k in keys)]).encode()
    ).hexdigest()[:16]
    offset = 0
    if "nexttoken" in query:
        try:
            token = json.loads(base64.urlsafe_b64decode(query["nexttoken"].encode()))
            offset, token_bound = int(token["o"]), str(token["b"])
        except (ValueError, KeyError, TypeError):
            raise Refused("InvalidPaginationToken", "The pagination token is not valid.") from None
        if token_bound != bound:
            raise Refused(
                "InvalidInput",
                "The NextToken was returned for other parameters or another hosted zone.",
            )
    page = items[offset : offset + size]
    more = offset + size < len(items)
    token = json.dumps({"o": offset + size, "b": bound}).encode()
    return page, base64.urlsafe_b64encode(token).decode() if more else None


def _ordered(
    items: list[dict[str, Any]], query: dict[str, str], window: tuple[datetime | None, ...]
) -> list[dict[str, Any]]:
    order = query.get("sortorder", "DESCENDING")
    if order not in ("ASCENDING", "DESCENDING"):
        raise Refused("InvalidInput", f"Invalid SortOrder: {order}")
    after, before = window
    chosen = [
        item
        for item in items
        if (after is None or item["SubmittedAt"] >= after)
        and (before is None or item["SubmittedAt"] < before)
    ]
    return chosen if order == "ASCENDING" else list(reversed(chosen))


class ChangeHistoryApp:
    """WSGI app: records ChangeResourceRecordSets answers, serves the three history reads,
    hands every other request to `app`."""

    def __init__(self, app: Callable[..., Iterable[bytes]], history: ChangeHistory) -> None:
        self.app = app
        self.history = history

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        service = service_from_auth(environ.get("HTTP_AUTHORIZATION", ""))
        operation = rest_operation("route53", method, path, query) if service == "route53" else ""
        if operation == "ChangeResourceRecordSets":
            return self._change(environ, start_response, path)
        if operation not in READS:
            return self.app(environ, start_response)
        params = uri_params("route53", operation, path)
        flat = {k.lower(): v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        try:
            body = self._read(operation, account_of(environ), params, flat)
        except Refused as refused:
            status, headers, payload = error_response(
                "route53", refused.code, refused.message, refused.status
            )
            start_response(status, headers)
            return [payload]
        payload = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<{operation}Response xmlns="{XMLNS}">'
            f"{body}</{operation}Response>"
        ).encode()
        start_response(
            f"200 {HTTP_STATUS_CODES[200]}",
            [
                ("Content-Type", "text/xml"),
                ("Content-Length", str(len(payload))),
                ("x-amzn-RequestId", str(uuid.uuid4())),
            ],
        )
        return [payload]

    # -- recording ---------------------------------------------------------------------------
    def _change(
        self, environ: dict[str, Any], start_response: Callable[..., Any], path: str
    ) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(request)
        answered: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answered.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        chunks = list(self.app(environ, capture))
        if str(answered.get("status", "")).startswith("200"):
            zone_id = uri_params("route53", "ChangeResourceRecordSets", path).get("Id", "")
            self._record(environ, zone_id.rpartition("/")[2], request, b"".join(chunks), answered)
        return chunks

    def _record(
        self,
        environ: dict[str, Any],
        zone_id: str,
        request: bytes,
        response: bytes,
        answered: dict[str, Any],
    ) -> None:
        account = account_of(environ)
        info = {
            element.tag.rpartition("}")[2]: (element.text or "")
            for element in ET.fromstring(response).iter()
        }
        shape = _shape("ChangeResourceRecordSets", "input").members["ChangeBatch"]
        root = ET.fromstring(request)
        element = next(e for e in root.iter() if e.tag.rpartition("}")[2] == "ChangeBatch")
        batch = _from_xml(element, shape)
        for change in batch.get("Changes", []):
            # Stored as ListResourceRecordSets answers them: lower case, a final dot.
            record_set = change["ResourceRecordSet"]
            record_set["Name"] = _dotted(record_set["Name"])
            if "AliasTarget" in record_set:
                record_set["AliasTarget"]["DNSName"] = _dotted(record_set["AliasTarget"]["DNSName"])
        request_id = next(
            (v for k, v in answered.get("headers", []) if k.lower() == "x-amzn-requestid"), None
        )
        submitted = datetime.fromisoformat(info["SubmittedAt"].replace("Z", "+00:00"))
        self.history.record(
            account,
            zone_id,
            {
                "ChangeId": info["Id"].rpartition("/")[2],
                "Operation": "ChangeResourceRecordSets",
                "SubmittedAt": submitted.astimezone(timezone.utc),
                "SubmittedBy": self.history.identity or self._caller(environ, account),
                "RequestId": request_id,
                "Comment": batch.get("Comment") or None,
                "ChangeCount": len(batch.get("Changes", [])),
                "Changes": batch.get("Changes", []),
            },
        )

    @staticmethod
    def _caller(environ: dict[str, Any], account: str) -> str:
        match = re.search(r"Credential=([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
        backend = sts_backends[account]["aws"]
        return str(backend.get_caller_identity(match.group(1) if match else "", "us-east-1")[1])

    # -- reading -----------------------------------------------------------------------------
    def _read(
        self, operation: str, account: str, params: dict[str, str], query: dict[str, str]
    ) -> str:
        zone_id = params.get("Id", "").rpartition("/")[2]
        entry = self.history.zone(account, zone_id)
        shape = _shape(operation)
        members = shape.members
        if operation == "GetHostedZoneChangeBatch":
            wanted = params.get("ChangeId", "").rpartition("/")[2]
            found = next(
                (b for b in self.history.visible(account, zone_id) if b["ChangeId"] == wanted),
                None,
            )
            if found is None:
                raise Refused(
                    "NoSuchChange", "A change with the specified change ID does not exist.", 404
                )
            batch = {"Changes": found["Changes"], "Comment": found.get("Comment")}
            return _to_xml(
                "ChangeBatchSummary", _summary(found), members["ChangeBatchSummary"]
            ) + _to_xml("ChangeBatch", batch, members["ChangeBatch"])
        if operation == "ListHostedZoneChangeBatches":
            items = self._after_change(account, zone_id, query)
            if items is None:
                window = _window(query, entry["starts"])
                items = _ordered(self.history.visible(account, zone_id), query, window)
            keys = ("submittedafter", "submittedbefore", "sortorder", "startafterchangeid")
            page, token = _page(items, query, zone_id, keys, 1000)
            listed = [_summary(b) for b in page]
            return _to_xml(
                "ChangeBatchSummaries", listed, members["ChangeBatchSummaries"]
            ) + _to_xml("NextToken", token, members["NextToken"])
        # ListResourceRecordSetChanges
        name, rtype = query.get("recordname"), query.get("recordtype")
        if bool(name) != bool(rtype):
            raise Refused("InvalidInput", "Specify RecordName and RecordType together, or neither.")
        window = _window(query, entry["starts"])
        wanted_name = (name or "").lower().rstrip(".") + "."
        changes = [
            {**_summary(b), "Action": c["Action"], "ResourceRecordSet": c["ResourceRecordSet"]}
            for b in _ordered(self.history.visible(account, zone_id), query, window)
            for c in b["Changes"]
            if not name
            or (
                c["ResourceRecordSet"]["Name"].lower().rstrip(".") + "." == wanted_name
                and c["ResourceRecordSet"]["Type"] == rtype
            )
        ]
        for change in changes:
            for key in ("Comment", "ChangeCount"):
                change.pop(key, None)
        bound = ("submittedafter", "submittedbefore", "sortorder", "recordname", "recordtype")
        page, token = _page(changes, query, zone_id, bound, 100)
        return _to_xml(
            "ResourceRecordSetChanges", page, members["ResourceRecordSetChanges"]
        ) + _to_xml("NextToken", token, members["NextToken"])

    def _after_change(
        self, account: str, zone_id: str, query: dict[str, str]
    ) -> list[dict[str, Any]] | None:
        """StartAfterChangeId: the batches after that one, oldest first; None without it."""
        start = query.get("startafterchangeid")
        if start is None:
            return None
        if query.get("sortorder") != "ASCENDING" or {"submittedafter", "submittedbefore"} & set(
            query
        ):
            raise Refused(
                "InvalidInput",
                "StartAfterChangeId requires SortOrder ASCENDING and no SubmittedAfter or "
                "SubmittedBefore.",
            )
        batches = self.history.visible(account, zone_id)
        index = next(
            (i for i, b in enumerate(batches) if b["ChangeId"] == start.rpartition("/")[2]), None
        )
        if index is None:
            raise Refused("InvalidInput", f"The change batch {start} is not in this hosted zone.")
        return batches[index + 1 :]
