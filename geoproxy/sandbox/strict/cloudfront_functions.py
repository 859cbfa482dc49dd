"""CloudFront Functions, which moto 5.2 does not have at all (its server answers 404).

geoproxy's edge fence is a generated viewer-request function, so the emulator must hold
functions with CloudFront's two stages and its optimistic locking: a stale ETag must fail as it
does on AWS, and a distribution may only use a published function. Served by
cloudfront_api.CloudFrontExtrasApp; the distribution checks are called from cloudfront.py.

Docs cited below:
- [API]  CloudFront API Reference: CreateFunction, DescribeFunction, GetFunction,
         UpdateFunction, PublishFunction, ListFunctions, DeleteFunction, FunctionAssociation
         and the error shapes, as botocore's cloudfront 2020-05-31 model carries them.
- [CRT]  Developer Guide, "Create functions" (create-function.html): a new function is in the
         DEVELOPMENT stage; the example answer has Status UNPUBLISHED, the ARN
         arn:aws:cloudfront::<account>:function/<name> and Location .../function/<ARN>.
- [PUB]  Developer Guide, "Publish functions" (publish-function.html): publishing copies
         DEVELOPMENT to LIVE (example answer: Stage LIVE, Status UNASSOCIATED); "You can only
         associate cache behaviors with functions that are in the LIVE stage."
- [ASC]  Developer Guide, "Associate functions with distributions" (associate-function.html):
         "You cannot use origin-facing event types (origin request and origin response) with
         CloudFront Functions."
- [QUO]  Developer Guide, "Quotas", #limits-functions: 100 functions per account; "Maximum
         function size: 10 KB" (not adjustable).
- [RES]  Developer Guide, "Restrictions on all edge functions" (edge-function-restrictions-
         all.html), "Combining CloudFront Functions with Lambda@Edge": one edge function per
         event type of a cache behavior, and no CloudFront Functions with Lambda@Edge in viewer
         events (viewer request and viewer response), whichever event each one uses.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from moto.cloudfront.models import CloudFrontBackend
from moto.core.exceptions import ServiceException

from .cloudfront_api import (
    API,
    Handler,
    InvalidArgument,
    backend_state,
    check_if_match,
    listed,
    new_etag,
    page,
)

NAME = re.compile(r"[a-zA-Z0-9-_]{1,64}")  # [API] FunctionName pattern and length
ARN = re.compile(r"arn:aws:cloudfront::([0-9]{12}):function/([a-zA-Z0-9-_]{1,64})")
RUNTIMES = ("cloudfront-js-1.0", "cloudfront-js-2.0")  # [API] FunctionRuntime
# [QUO] says "10 KB" without a byte count; we read it as 10,240 bytes of code. [API]'s
# FunctionBlob allows 40,960, so the quota, not the shape, is what CloudFront enforces.
MAX_CODE_BYTES = 10 * 1024
MAX_FUNCTIONS = 100  # [QUO] functions per AWS account
VIEWER_EVENTS = ("viewer-request", "viewer-response")  # [ASC] the only events a function takes
STAGES = ("DEVELOPMENT", "LIVE")
# Content-Type of GetFunction's code: the API Reference shows the header but not its value.
CODE_CONTENT_TYPE = "application/octet-stream"


class NoSuchFunctionExists(ServiceException):
    code = "NoSuchFunctionExists"  # 404
    message = "The function does not exist."  # [API]'s description of the error


class FunctionAlreadyExists(ServiceException):
    code = "FunctionAlreadyExists"  # 409
    message = "A function with the same name already exists in this AWS account."


class FunctionSizeLimitExceeded(ServiceException):
    code = "FunctionSizeLimitExceeded"  # 413
    message = f"The function is too large: at most {MAX_CODE_BYTES} bytes of code."


class TooManyFunctions(ServiceException):
    code = "TooManyFunctions"
    message = f"You have reached the maximum number of CloudFront functions ({MAX_FUNCTIONS})."


class FunctionInUse(ServiceException):
    code = "FunctionInUse"  # 409
    message = "Cannot delete the function because it's attached to one or more cache behaviors."


class InvalidFunctionAssociation(ServiceException):
    code = "InvalidFunctionAssociation"  # [API]: CreateDistribution/UpdateDistribution's error


@dataclass(frozen=True)
class Stage:
    config: dict[str, Any]  # FunctionConfig as sent: Comment, Runtime, KeyValueStoreAssociations
    code: bytes
    etag: str
    modified: datetime.datetime


@dataclass
class Function:
    name: str
    arn: str
    created: datetime.datetime
    development: Stage
    live: Stage | None = None  # set by PublishFunction

    def stage(self, name: str) -> Stage:
        if name not in STAGES:
            raise InvalidArgument(f"Stage must be one of {', '.join(STAGES)}.")
        found = self.development if name == "DEVELOPMENT" else self.live
        if found is None:  # never published: there is no LIVE function of this name
            raise NoSuchFunctionExists()
        return found

    def summary(self, name: str) -> dict[str, Any]:
        stage = self.stage(name)
        # [CRT] UNPUBLISHED until the first publish, then [PUB] UNASSOCIATED. What Status a
        # function used by a distribution reports is not documented, so it is not modelled.
        return {
            "Name": self.name,
            "Status": "UNASSOCIATED" if self.live else "UNPUBLISHED",
            "FunctionConfig": stage.config,
            "FunctionMetadata": {
                "FunctionARN": self.arn,
                "Stage": name,
                "CreatedTime": self.created,
                "LastModifiedTime": stage.modified,
            },
        }


def functions(backend: CloudFrontBackend) -> dict[str, Function]:
    return backend_state(backend, "functions", dict)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _checked_stage(params: dict[str, Any], etag: str) -> Stage:
    config = dict(params.get("FunctionConfig") or {})
    if config.get("Runtime") not in RUNTIMES:  # botocore does not check enums: we must
        raise InvalidArgument(f"Runtime must be one of {', '.join(RUNTIMES)}.")
    config.setdefault("Comment", "")
    code = params.get("FunctionCode") or b""
    code = code.encode() if isinstance(code, str) else bytes(code)
    if not code:
        raise InvalidArgument("FunctionCode must not be empty.")  # [API]: FunctionBlob min 1
    if len(code) > MAX_CODE_BYTES:  # [QUO]
        raise FunctionSizeLimitExceeded()
    return Stage(config, code, etag, _now())


def _existing(backend: CloudFrontBackend, params: dict[str, Any]) -> Function:
    found = functions(backend).get(str(params.get("Name") or ""))
    if found is None:
        raise NoSuchFunctionExists()
    return found


def create_function(backend: CloudFrontBackend, params: dict[str, Any]) -> dict[str, Any]:
    name = str(params.get("Name") or "")
    if not NAME.fullmatch(name):
        raise InvalidArgument("Name must be 1 to 64 characters: letters, digits, - and _.")
    stage = _checked_stage(params, new_etag())
    existing = functions(backend)
    if name in existing:
        raise FunctionAlreadyExists()
    if len(existing) >= MAX_FUNCTIONS:
        raise TooManyFunctions()
    arn = f"arn:aws:cloudfront::{backend.account_id}:function/{name}"  # [CRT]
    function = existing[name] = Function(name, arn, stage.modified, stage)
    return {
        "FunctionSummary": function.summary("DEVELOPMENT"),
        "ETag": stage.etag,
        "Location": f"{API}/function/{arn}",
    }  # [CRT]'s example Location


def describe_function(backend: CloudFrontBackend, params: dict[str, Any]) -> dict[str, Any]:
    function = _existing(backend, params)
    stage = str(params.get("Stage") or "DEVELOPMENT")
    return {"FunctionSummary": function.summary(stage), "ETag": function.stage(stage).etag}


def get_function(backend: CloudFrontBackend, params: dict[str, Any]) -> dict[str, Any]:
    found = _existing(backend, params).stage(str(params.get("Stage") or "DEVELOPMENT"))
    return {"FunctionCode": found.code, "ETag": found.etag, "ContentType": CODE_CONTENT_TYPE}


def update_function(backend: CloudFrontBackend, params: dict[str, Any]) -> dict[str, Any]:
    """[API] UpdateFunction changes the DEVELOPMENT stage only; IfMatch is its ETag."""
    function = _existing(backend, params)
    check_if_match(params.get("IfMatch"), function.development.etag)
    function.development = _checked_stage(params, new_etag())
    # botocore's model reads this ETag from a header spelt "ETtag": the serializer sends that.
    return {"FunctionSummary": function.summary("DEVELOPMENT"), "ETag": function.development.etag}


def publish_function(backend: CloudFrontBackend, params: dict[str, Any]) -> dict[str, Any]:
    """[PUB] Copy DEVELOPMENT to LIVE. IfMatch is the DEVELOPMENT ETag ("the ETag value of the
    function that you're publishing ... use the describe-function command", whose default stage
    is DEVELOPMENT). LIVE gets its own ETag; the answer carries none ([API])."""
    function = _existing(backend, params)
    check_if_match(params.get("IfMatch"), function.development.etag)
    function.live = replace(function.development, etag=new_etag(), modified=_now())
    return {"FunctionSummary": function.summary("LIVE")}


def list_functions(backend: CloudFrontBackend, params: dict[str, Any]) -> dict[str, Any]:
    """[API] ListFunctions, optionally of one stage. Unfiltered, each published function is
    listed once per stage (not documented either way)."""
    wanted = [params["Stage"]] if params.get("Stage") else list(STAGES)
    if any(stage not in STAGES for stage in wanted):
        raise InvalidArgument(f"Stage must be one of {', '.join(STAGES)}.")
    summaries = [
        function.summary(stage)
        for function in functions(backend).values()
        for stage in wanted
        if stage == "DEVELOPMENT" or function.live
    ]
    return {"FunctionList": page(summaries, params)}


def delete_function(backend: CloudFrontBackend, params: dict[str, Any]) -> dict[str, Any]:
    """[API] DeleteFunction: "You cannot delete a function if it's associated with a cache
    behavior" (FunctionInUse)."""
    function = _existing(backend, params)
    check_if_match(params.get("IfMatch"), function.development.etag)
    if any(arn == function.arn for arn, _ in _associated(backend)):
        raise FunctionInUse()
    del functions(backend)[function.name]
    return {}


HANDLERS: dict[str, Handler] = {
    "CreateFunction": create_function,
    "DescribeFunction": describe_function,
    "GetFunction": get_function,
    "UpdateFunction": update_function,
    "PublishFunction": publish_function,
    "ListFunctions": list_functions,
    "DeleteFunction": delete_function,
}


# -- FunctionAssociations on cache behaviours ----------------------------------------------------
def behaviours(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The default cache behaviour and every other one, as sent (plain dicts)."""
    others = (config.get("CacheBehaviors") or {}).get("Items") or []
    return [config.get("DefaultCacheBehavior") or {}, *others]


def stored_behaviours(config: Any) -> list[Any]:
    """The same, of a distribution moto stores (a DistributionConfig: behaviour objects)."""
    return [config.DefaultCacheBehavior, *((config.CacheBehaviors or {}).get("Items") or [])]


def check_function_associations(backend: CloudFrontBackend, config: dict[str, Any]) -> None:
    """CreateDistribution/UpdateDistribution: each behaviour's functions must be published
    functions of this account, on viewer events, one per event, and not beside Lambda@Edge on
    a viewer event. CloudFront answers InvalidFunctionAssociation ([API]); the messages are
    ours."""
    for behaviour in behaviours(config):
        where = behaviour.get("PathPattern") or "the default cache behavior"
        associations = listed(
            behaviour.get("FunctionAssociations"), f"FunctionAssociations of {where}"
        )
        events: set[str] = set()
        for association in associations:
            event, arn = association.get("EventType"), str(association.get("FunctionARN") or "")
            if event not in VIEWER_EVENTS:  # [ASC]
                raise InvalidFunctionAssociation(
                    f"{where}: a CloudFront function can only run on viewer-request or "
                    f"viewer-response, not {event}."
                )
            if event in events:  # [RES] one edge function per event type
                raise InvalidFunctionAssociation(f"{where}: more than one function on {event}.")
            events.add(event)
            match = ARN.fullmatch(arn)
            function = functions(backend).get(match.group(2)) if match else None
            # [RES] "the function and distribution must be owned by the same AWS account".
            if function is None or match is None or match.group(1) != backend.account_id:
                raise InvalidFunctionAssociation(f"{where}: no function {arn} in this account.")
            if function.live is None:  # [PUB]
                raise InvalidFunctionAssociation(
                    f"{where}: function {function.name} is not published (no LIVE stage)."
                )
        lambdas = listed(
            behaviour.get("LambdaFunctionAssociations"), f"LambdaFunctionAssociations of {where}"
        )
        if associations and any(item.get("EventType") in VIEWER_EVENTS for item in lambdas):
            raise InvalidFunctionAssociation(  # [RES]
                f"{where}: CloudFront Functions and Lambda@Edge cannot both run on viewer events."
            )


def _associated(backend: CloudFrontBackend) -> Iterator[tuple[str, str]]:
    """(function ARN, distribution id) for every association of every stored distribution."""
    for dist in backend.distributions.values():
        for behaviour in stored_behaviours(dist.distribution_config):
            associations = getattr(behaviour, "function_associations", None) or {}
            for item in associations.get("Items") or []:
                yield str(item.get("FunctionARN")), dist.distribution_id
