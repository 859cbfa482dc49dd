"""IAM mappings for the ARC cluster data plane (iam_requests.py merges them).

Source: "Actions, resources, and condition keys for Amazon Route 53 Recovery Cluster"
(Service Authorization Reference,
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53recoverycluster.html):
GetRoutingControlState, UpdateRoutingControlState and UpdateRoutingControlStates require the
routingcontrol resource (the control's ARN, as the request carries it); the two updates take
the condition key route53-recovery-cluster:AllowSafetyRulesOverrides; ListRoutingControls
lists no resource type ("*"). The configuration API (route53-recovery-control-config) and
UpdateHostedZoneFeatures are not mapped yet: a request to them stays an UnmappedRequest.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .iam_requests import Authorization

SERVICE = "route53-recovery-cluster"
OVERRIDES = f"{SERVICE}:AllowSafetyRulesOverrides"


def _body(req: Any) -> dict[str, Any]:
    from .iam_requests import UnmappedRequest

    try:
        body = json.loads(req.call.body)
    except ValueError as exc:
        raise UnmappedRequest(f"{req.call.operation}: unreadable JSON body") from exc
    if not isinstance(body, dict):
        raise UnmappedRequest(f"{req.call.operation}: the body is not a JSON object")
    return body


def _authorizations(action: str, arns: list[Any], context: dict[str, Any]) -> list[Authorization]:
    from .iam_requests import Authorization, UnmappedRequest

    if not arns or not all(isinstance(a, str) and a for a in arns):
        raise UnmappedRequest(f"{action}: no RoutingControlArn")
    return [Authorization(f"{SERVICE}:{action}", arn, dict(context)) for arn in arns]


def _get(req: Any) -> list[Authorization]:
    return _authorizations("GetRoutingControlState", [_body(req).get("RoutingControlArn")], {})


def _list(req: Any) -> list[Authorization]:
    from .iam_requests import Authorization

    return [Authorization(f"{SERVICE}:ListRoutingControls", "*")]


def _override(body: dict[str, Any]) -> dict[str, Any]:
    return {OVERRIDES: "true" if body.get("SafetyRulesToOverride") else "false"}


def _update(req: Any) -> list[Authorization]:
    body = _body(req)
    return _authorizations(
        "UpdateRoutingControlState", [body.get("RoutingControlArn")], _override(body)
    )


def _update_many(req: Any) -> list[Authorization]:
    body = _body(req)
    entries = body.get("UpdateRoutingControlStateEntries") or []
    arns = [e.get("RoutingControlArn") if isinstance(e, dict) else None for e in entries]
    return _authorizations("UpdateRoutingControlStates", arns, _override(body))


ARC_MAPPERS: dict[tuple[str, str], Callable[[Any], list[Authorization]]] = {
    (SERVICE, "GetRoutingControlState"): _get,
    (SERVICE, "ListRoutingControls"): _list,
    (SERVICE, "UpdateRoutingControlState"): _update,
    (SERVICE, "UpdateRoutingControlStates"): _update_many,
}
