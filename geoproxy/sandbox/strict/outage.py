"""`server.control_plane_down(True)`: the control planes that live in us-east-1 fail, as in a
us-east-1 event, while the data planes keep working.

What fails (AWS's fault-isolation whitepaper, "AWS Fault Isolation Boundaries", Appendix B,
https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/global-services.html:
Route 53's and CloudFront's control planes, IAM and the global STS endpoint are in
us-east-1; Route 53 health checks, DNS answers and ARC's cluster data plane are not):
  - every Route 53 API call (route53.amazonaws.com signs for us-east-1), except, once
    `accelerated_recovery_active` is set (AWS fails the control plane over to us-west-2
    "within 60 minutes": Route 53 Developer Guide, accelerated-recovery.html), the record
    operations on zones whose AcceleratedRecoveryStatus is ENABLED (RECOVERY_OPERATIONS);
  - every CloudFront and IAM call;
  - the ARC recovery control configuration API (its only Region is us-west-2, but it is a
    control plane the drill must not lean on: "Routing control configuration ... are not
    highly available", ARC Developer Guide, "Best practices for routing control");
  - STS signed for us-east-1: the global endpoint (sts.amazonaws.com, which signs as
    us-east-1) and the us-east-1 regional one alike. The sandbox serves every region at one
    address, so a request's region is read from its SigV4 credential scope; a client that
    wants STS during the drill must use a regional endpoint outside us-east-1.
What keeps working: the ARC cluster endpoints (their reachability is server.arc's),
health checks and server.dns.answer (Python APIs: the DNS data plane), and every other
regional service.

A refused call is answered HTTP 503 ServiceUnavailable (botocore retries it, then raises
ClientError ServiceUnavailable), or, with `how="disconnect"`, the connection is dropped
(ConnectionClosedError). AWS's own failure in an outage varies (errors, timeouts); both are
honest stand-ins. Refused calls are logged with `refused="control plane down"`.

RECOVERY_OPERATIONS is the sandbox's reading of "a limited set of API methods will be
available during failover" (accelerated-recovery.html, "Additional considerations"): the
calls that read and change records of an enabled zone by its id. The live checklist in the
docs asks for it to be confirmed.
"""

from __future__ import annotations

import re
from typing import Any

from moto.route53.models import route53_backends

from .cloudfront_api import account_of
from .middleware import Refusal
from .opnames import uri_params
from .zone_features import ZoneFeatures

DOWN_SERVICES = {"route53", "cloudfront", "iam", "route53-recovery-control-config"}
RECOVERY_OPERATIONS = {
    "ChangeResourceRecordSets",
    "ListResourceRecordSets",
    "GetHostedZone",
    "GetChange",
}
REASON = "control plane down"


def signing_region(environ: dict[str, Any]) -> str:
    match = re.search(r"Credential=[^/]*/[^/]*/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else ""


class Outage:
    def __init__(self, features: ZoneFeatures) -> None:
        self.features = features
        self.reset()

    def reset(self) -> None:
        self.down = False
        self.accelerated_recovery_active = False
        self.how = "503"

    def gate(self, service: str, operation: str, environ: dict[str, Any]) -> Refusal | None:
        if not self.down or not self._fails(service, operation, environ):
            return None
        if self.how == "disconnect":
            return Refusal(REASON)
        return Refusal(
            REASON,
            disconnect=False,
            code="ServiceUnavailable",
            status=503,
            message="The service is unavailable. Please try again later.",
        )

    def _fails(self, service: str, operation: str, environ: dict[str, Any]) -> bool:
        if service == "sts":
            return signing_region(environ) == "us-east-1"
        if service not in DOWN_SERVICES:
            return False
        if service == "route53" and self.accelerated_recovery_active:
            return not self._recoverable(operation, environ)
        return True

    def _recoverable(self, operation: str, environ: dict[str, Any]) -> bool:
        if operation not in RECOVERY_OPERATIONS:
            return False
        if operation == "GetChange":
            return True  # a change id, not a zone: answered for changes made since
        path = environ.get("PATH_INFO", "")
        zone_id = uri_params("route53", operation, path).get("Id", "")
        account = account_of(environ)
        if zone_id not in route53_backends[account]["global"].zones:
            return False
        return self.features.status(zone_id, account) == "ENABLED"
