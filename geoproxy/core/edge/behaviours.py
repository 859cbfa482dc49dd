"""The edge fence's function on the distribution's behaviours.

Pure. Every behaviour that targets geoproxy's origin (or its origin group) gets the function on
its viewer-request event; otherwise a path pattern would bypass the fence. A viewer function
geoproxy does not own there is a conflict, never replaced: one event holds one function, and
the user's may do authentication or redirects. CloudFront also refuses a CloudFront Function
beside Lambda@Edge on a viewer event (Developer Guide, "Restrictions on all edge functions").
"""

from __future__ import annotations

import re
from typing import Any

from geoproxy.core.managed_fields import EVENT_TYPE, behaviours, is_managed_origin, viewer_function
from geoproxy.core.managed_fields import items as _items
from geoproxy.core.names import is_function_name, origin_id
from geoproxy.policy.models import Application

VIEWER_EVENTS = ("viewer-request", "viewer-response")


def _listed(items: list[Any]) -> dict[str, Any]:
    return {"Quantity": len(items), "Items": items} if items else {"Quantity": 0}


def function_arn(name: str, distribution_arn: str | None) -> str | None:
    """A function's ARN before it exists: functions live in the distribution's account
    (`arn:aws:cloudfront::<account>:function/<name>`, CloudFront's ARN formats)."""
    match = re.match(r"^arn:(aws[a-z-]*):cloudfront::(\d{12}):", distribution_arn or "")
    return f"arn:{match.group(1)}:cloudfront::{match.group(2)}:function/{name}" if match else None


def is_geoproxy_target(target: str | None, app: Application) -> bool:
    """Whether a behaviour's TargetOriginId is geoproxy's origin, or one of its `-...` ids."""
    return target is not None and is_managed_origin(target, origin_id(app))


def fenced_behaviours(config: dict[str, Any], app: Application) -> list[tuple[str, dict[str, Any]]]:
    """(label, behaviour) for the default behaviour and every cache behaviour that targets
    geoproxy's origin or origin group: each must run the fence."""
    return [
        (label, behaviour)
        for label, _, behaviour in behaviours(config)
        if is_geoproxy_target(behaviour.get("TargetOriginId"), app)
    ]


def runs_geoproxy_function(behaviour: dict[str, Any]) -> bool:
    """Whether a behaviour's viewer-request function is one geoproxy names."""
    arn = viewer_function(behaviour) or ""
    return is_function_name(arn.rsplit(":function/", 1)[-1])


def _ours(arn: str, name: str) -> bool:
    return arn.rsplit(":function/", 1)[-1] == name


def associate(config: dict[str, Any], app: Application, name: str, arn: str | None) -> list[str]:
    """Put function `arn` (or, with None, no function of geoproxy's) on the viewer-request
    event of every behaviour that targets geoproxy's origin, in place; returns the conflicts
    that make CloudFront refuse or would replace a function geoproxy does not own."""
    problems = []
    fenced = fenced_behaviours(config, app)
    # Geoproxy's function leaves any behaviour that no longer targets its origin.
    for _, _, behaviour in behaviours(config):
        if not any(behaviour is other for _, other in fenced):
            _set_viewer_function(behaviour, None, name)
    for label, behaviour in fenced:
        foreign = [
            item
            for item in _items(behaviour.get("FunctionAssociations"))
            if item.get("EventType") == EVENT_TYPE and not _ours(item["FunctionARN"], name)
        ]
        lambdas = [
            item
            for item in _items(behaviour.get("LambdaFunctionAssociations"))
            if item.get("EventType") in VIEWER_EVENTS
        ]
        if arn is not None and foreign:
            problems.append(
                f"{app.name}: {label} already runs the CloudFront Function "
                f"{foreign[0]['FunctionARN']} on viewer-request, which geoproxy does not own; "
                "an event holds one function, so geoproxy will not replace it: merge its "
                "logic elsewhere or move it to viewer-response, then run again"
            )
        elif arn is not None and lambdas:
            problems.append(
                f"{app.name}: {label} runs Lambda@Edge {lambdas[0].get('LambdaFunctionARN')} "
                f"on {lambdas[0].get('EventType')}, and CloudFront refuses a CloudFront "
                "Function beside Lambda@Edge on a viewer event; move it to an origin event, "
                "then run again"
            )
        else:
            _set_viewer_function(behaviour, arn, name)
    return problems


def _set_viewer_function(behaviour: dict[str, Any], arn: str | None, name: str) -> None:
    items = _items(behaviour.get("FunctionAssociations"))
    kept = [
        item
        for item in items
        if not (item.get("EventType") == EVENT_TYPE and _ours(item["FunctionARN"], name))
    ]
    if arn is not None and not any(item.get("EventType") == EVENT_TYPE for item in kept):
        kept.append({"FunctionARN": arn, "EventType": EVENT_TYPE})
    if kept != items or "FunctionAssociations" in behaviour:
        behaviour["FunctionAssociations"] = _listed(
            sorted(kept, key=lambda item: item.get("EventType", ""))
        )
