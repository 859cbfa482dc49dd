"""The edge fence's CloudFront Function: read both stages, write and publish.

A function has a DEVELOPMENT stage (CreateFunction and UpdateFunction write it, under the
stage's ETag) and a LIVE stage (what viewers run; PublishFunction copies DEVELOPMENT into it).
geoproxy reads both, so a run that crashed between update and publish is completed by the
next, and a retried write whose answer was lost is recognised by its code rather than sent
twice (CloudFront Developer Guide, "Update functions", "Publish functions"; the API
reference's UpdateFunction and PublishFunction take IfMatch).
"""

from __future__ import annotations

from typing import Any

from geoproxy.aws.session import AwsSettings, aws_errors
from geoproxy.core.edge.plan import FunctionUpdate, LiveFunction
from geoproxy.errors import GeoproxyError


class FunctionReader:
    def __init__(self, aws: AwsSettings) -> None:
        self._aws = aws

    def read(self, name: str) -> LiveFunction:
        """GetFunction of both stages: two requests, one when the function does not exist."""
        client = self._aws.for_function(name).client("cloudfront")
        with aws_errors(f"read CloudFront function {name}"):
            try:
                development = client.get_function(Name=name, Stage="DEVELOPMENT")
            except client.exceptions.NoSuchFunctionExists:
                return LiveFunction(name)
        live_code: str | None
        with aws_errors(f"read the published CloudFront function {name}"):
            try:
                live_code = _code(client.get_function(Name=name, Stage="LIVE"))
            except client.exceptions.NoSuchFunctionExists:
                live_code = None
        return LiveFunction(name, _code(development), str(development["ETag"]), live_code)

    def read_live(self, name: str) -> LiveFunction:
        """GetFunction of the LIVE stage only: what viewers run, one request."""
        client = self._aws.for_function(name).client("cloudfront")
        with aws_errors(f"read the published CloudFront function {name}"):
            try:
                live_code = _code(client.get_function(Name=name, Stage="LIVE"))
            except client.exceptions.NoSuchFunctionExists:
                live_code = None
        return LiveFunction(name, live_code=live_code)


def _code(response: dict[str, Any]) -> str:
    body = response["FunctionCode"]
    raw = body.read() if hasattr(body, "read") else body
    return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)


def publish(update: FunctionUpdate, aws: AwsSettings) -> tuple[str, list[str]]:
    """Make LIVE run `update.code`: create or update DEVELOPMENT (unless it already holds the
    code), then publish (unless LIVE already does). Returns (the DEVELOPMENT ETag, the actions
    taken). A stage someone else changed since the plan is never overwritten."""
    aws = aws.for_function(update.name)  # the distribution's (edge) account
    client = aws.client("cloudfront")
    reader = FunctionReader(aws)
    config = {"Comment": update.comment, "Runtime": update.runtime}
    code = update.code.encode("utf-8")
    actions: list[str] = []
    etag = update.development_etag
    if etag is None or update.development_code != update.code:
        conflicted = False
        with aws_errors(f"write CloudFront function {update.name}"):
            try:
                if etag is None:
                    etag = str(
                        client.create_function(
                            Name=update.name, FunctionConfig=config, FunctionCode=code
                        )["ETag"]
                    )
                    actions.append("CreateFunction")
                else:
                    etag = str(
                        client.update_function(
                            Name=update.name, IfMatch=etag, FunctionConfig=config, FunctionCode=code
                        )["ETag"]
                    )
                    actions.append("UpdateFunction")
            except (client.exceptions.FunctionAlreadyExists, client.exceptions.PreconditionFailed):
                conflicted = True
        if conflicted:
            # Either a retry whose first answer was lost met its own write, or someone else
            # wrote the function meanwhile: the code tells which.
            fresh = reader.read(update.name)
            if fresh.development_code != update.code:
                raise GeoproxyError(
                    f"CloudFront function {update.name} changed since the plan was made; it "
                    "was not written",
                    hint="run `geoproxy plan` to see it as it is now",
                )
            etag = fresh.development_etag
    assert etag is not None
    if update.live_code != update.code:
        with aws_errors(f"publish CloudFront function {update.name}"):
            client.publish_function(Name=update.name, IfMatch=etag)
        actions.append("PublishFunction")
    return etag, actions


def delete(name: str, etag: str, aws: AwsSettings) -> bool:
    """DeleteFunction with the ETag read (IfMatch): a function someone changed since is not
    deleted. Returns False if it was already gone (a re-run after a crash)."""
    client = aws.for_function(name).client("cloudfront")  # the distribution's account
    with aws_errors(f"delete CloudFront function {name}"):
        try:
            client.delete_function(Name=name, IfMatch=etag)
        except client.exceptions.NoSuchFunctionExists:
            return False
        except client.exceptions.PreconditionFailed:
            raise GeoproxyError(
                f"CloudFront function {name} changed since destroy read it; it was not deleted",
                hint="run `geoproxy destroy` again to see it as it is now",
            ) from None
    return True
