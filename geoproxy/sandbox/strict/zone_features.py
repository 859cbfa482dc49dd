"""Route 53 hosted-zone features (moto has no route for them): UpdateHostedZoneFeatures with
EnableAcceleratedRecovery, and GetHostedZone's Features.AcceleratedRecoveryStatus.

Sources: UpdateHostedZoneFeatures (Route 53 API Reference,
https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHostedZoneFeatures.html;
errors NoSuchHostedZone, InvalidInput, PriorRequestNotComplete, LimitsExceeded) and
"Enabling accelerated recovery for managing public DNS records" (Route 53 Developer Guide,
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/accelerated-recovery.html):
"available only for public hosted zones" (a private zone: InvalidInput), and it must be
enabled before an impairment: during one it cannot be (server.control_plane_down refuses
the call). Statuses are botocore's enum: ENABLING then ENABLED (DISABLING then DISABLED);
here a change is ENABLING for the next `features.pending_polls` GetHostedZone answers (1 by
default), then done. A second change to a zone whose change is still in progress is
PriorRequestNotComplete; so is enabling a second zone while another is ENABLING, unless
`one_at_a_time` is off (the issue's reading of the guide, "one zone at a time", kept strict
here so that geoproxy waits for ENABLED before the next zone). Zones never touched answer
with no Features element (what AWS answers for them is on the live checklist).
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from typing import Any
from unittest import mock

from moto.core.responses import ActionResult
from moto.route53.models import route53_backends
from moto.route53.responses import Route53
from werkzeug.http import HTTP_STATUS_CODES

from .cloudfront_api import account_of
from .middleware import error_response
from .opnames import rest_operation, service_from_auth, uri_params

DONE = {"ENABLING": "ENABLED", "DISABLING": "DISABLED"}


class ZoneFeatures:
    """`server.zone_features`: the knobs; the state lives on moto's backend (reset drops it)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        # guardrails.Guardrails, when the server has one: its part of each zone's Features
        self.guardrails: Any = getattr(self, "guardrails", None)
        self.pending_polls = 1
        self.one_at_a_time = True

    @staticmethod
    def state(account: str) -> dict[str, dict[str, Any]]:
        backend = route53_backends[account]["global"]
        return backend.__dict__.setdefault("_strict_features", {})  # type: ignore[no-any-return]

    def status(self, zone_id: str, account: str = "123456789012") -> str | None:
        entry = self.state(account).get(zone_id.rpartition("/")[2])
        return entry["status"] if entry else None

    def patches(self) -> list[Any]:
        original = Route53.get_hosted_zone
        features = self

        def get_hosted_zone(self: Route53) -> ActionResult:
            result = original(self)
            zone = result.result["HostedZone"]  # type: ignore[index]
            entry = features.state(self.current_account).get(zone.id.rpartition("/")[2])
            reported: dict[str, Any] = {}
            if entry is not None:
                if entry["status"] in DONE:
                    if entry["polls"] <= 0:
                        entry["status"] = DONE[entry["status"]]
                    entry["polls"] -= 1
                # Merged: Change History (change_history.py) keeps its own element here.
                reported["AcceleratedRecoveryStatus"] = entry["status"]
            if features.guardrails is not None:
                reported.update(features.guardrails.features(self.current_account, zone.id))
            if reported:
                zone.features = {**(getattr(zone, "features", None) or {}), **reported}
            return result

        return [mock.patch.object(Route53, "get_hosted_zone", get_hosted_zone)]


class ZoneFeaturesApp:
    """WSGI app: UpdateHostedZoneFeatures here, every other request to `app`."""

    def __init__(self, app: Callable[..., Iterable[bytes]], features: ZoneFeatures) -> None:
        self.app = app
        self.features = features

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        if (
            service_from_auth(environ.get("HTTP_AUTHORIZATION", "")) != "route53"
            or rest_operation("route53", method, path, query) != "UpdateHostedZoneFeatures"
        ):
            return self.app(environ, start_response)
        zone_id = uri_params("route53", "UpdateHostedZoneFeatures", path).get("Id", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        problem = self.update(account_of(environ), zone_id, body)
        if problem is not None:
            status, headers, payload = error_response("route53", *problem)
            start_response(status, headers)
            return [payload]
        payload = (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<UpdateHostedZoneFeaturesResponse '
            b'xmlns="https://route53.amazonaws.com/doc/2013-04-01/"/>'
        )
        headers = [
            ("Content-Type", "text/xml"),
            ("Content-Length", str(len(payload))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ]
        start_response(f"200 {HTTP_STATUS_CODES[200]}", headers)
        return [payload]

    def update(self, account: str, zone_id: str, body: bytes) -> tuple[str, str, int] | None:
        """Apply the request; (code, message, status) if Route 53 would refuse it."""
        zone = route53_backends[account]["global"].zones.get(zone_id)
        if zone is None:
            return ("NoSuchHostedZone", f"No hosted zone found with ID: {zone_id}", 404)
        try:
            root = ET.fromstring(body) if body.strip() else None
        except ET.ParseError:
            return ("InvalidInput", "The request body is not valid XML.", 400)
        if root is not None and self.features.guardrails is not None:
            refused: tuple[str, str, int] | None = self.features.guardrails.update(
                account, zone_id, root
            )
            if refused is not None:
                return refused
        flag = None
        for element in root.iter() if root is not None else []:
            if element.tag.rpartition("}")[2] == "EnableAcceleratedRecovery":
                flag = (element.text or "").strip().lower() == "true"
        if flag is None:
            return None  # nothing asked of accelerated recovery
        if zone.private_zone:
            return (
                "InvalidInput",
                "Accelerated recovery is available only for public hosted zones.",
                400,
            )
        state = self.features.state(account)
        entry = state.get(zone_id)
        if entry is not None and entry["status"] in DONE:
            return (
                "PriorRequestNotComplete",
                "A change to this hosted zone's features is still in progress.",
                400,
            )
        busy = [z for z, e in state.items() if e["status"] == "ENABLING" and z != zone_id]
        if flag and busy and self.features.one_at_a_time:
            return (
                "PriorRequestNotComplete",
                f"Accelerated recovery is still being enabled on {busy[0]}.",
                400,
            )
        current = entry["status"] if entry else "DISABLED"
        if current == ("ENABLED" if flag else "DISABLED"):
            return None  # already so: nothing to do
        state[zone_id] = {
            "status": "ENABLING" if flag else "DISABLING",
            "polls": self.features.pending_polls,
        }
        return None
