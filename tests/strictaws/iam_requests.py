"""From a recorded request (a Call) to what IAM would authorize for it, and a policy check.

    for auth in authorization(call): evaluate(policy, auth.action, auth.resource, auth.context)
    unauthorized(aws.calls, policy)   # one readable line per request the policy would refuse

Sources, cited by short name below (AWS Service Authorization Reference and service guides):
  [r53]    "Actions, resources, and condition keys for Amazon Route 53",
           https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53.html
  [r53c]   "Using IAM policy conditions for fine-grained access control" (Route 53 Developer
           Guide), section "Normalizing the Route 53 condition key values",
           https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html
  [dns]    "DNS domain name format" (Route 53 Developer Guide),
           https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html
  [cf]     "Actions, resources, and condition keys for Amazon CloudFront",
           https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudfront.html
  [acm]    "Actions, resources, and condition keys for AWS Certificate Manager",
           https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscertificatemanager.html
  [iam]    "Actions, resources, and condition keys for AWS Identity and Access Management (IAM)",
           https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
  [arcc]   "Actions, resources, and condition keys for Amazon Route 53 Recovery Cluster",
           https://docs.aws.amazon.com/service-authorization/latest/reference/list_route53-recovery-cluster.html
  [arcf]   "Actions, resources, and condition keys for Amazon Route 53 Recovery Controls",
           https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53recoverycontrols.html
  [sts]    "GetCallerIdentity" (AWS STS API Reference),
           https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
  [stsa]   "Actions, resources, and condition keys for AWS Security Token Service",
           https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html
           (AssumeRole and SetSourceIdentity on the role; sts:ExternalId and
           sts:SourceIdentity are condition keys); "Monitor and control actions taken with
           assumed roles", IAM User Guide: passing a SourceIdentity needs
           sts:SetSourceIdentity.
"""

from __future__ import annotations

import functools
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from geoproxy.sandbox.strict.middleware import Call
from geoproxy.sandbox.strict.opnames import service_model

from .iam import Decision, evaluate
from .iam_arc import ARC_MAPPERS

DEFAULT_ACCOUNT = "123456789012"


class UnmappedRequest(LookupError):
    """A request this module cannot map: its permissions are unknown, so never assumed."""


@dataclass(frozen=True)
class Authorization:
    action: str  # "route53:ChangeResourceRecordSets"
    resource: str  # an ARN, or "*" for actions without resource-level permissions
    context: dict[str, str | list[str]] = field(default_factory=dict)


def authorization(
    call: Call,
    account_id: str = DEFAULT_ACCOUNT,
    *,
    certificate_paths: Mapping[str, str] | None = None,
) -> list[Authorization]:
    """Every (action, resource, context) IAM checks for `call`; [] if it needs no permission.

    `certificate_paths` maps IAM server certificate names to their paths ("/cloudfront/"): a
    server certificate's ARN includes its path, which a GetServerCertificate request does not
    carry (it defaults to "/").
    """
    mapper = _MAPPERS.get((call.service, call.operation))
    if mapper is None:
        raise UnmappedRequest(f"no IAM mapping for {call.service} {call.operation}")
    return mapper(_Request(call, account_id, dict(certificate_paths or {})))


def unauthorized(
    calls: Iterable[Call],
    document: dict,
    account_id: str = DEFAULT_ACCOUNT,
    *,
    certificate_paths: Mapping[str, str] | None = None,
) -> list[str]:
    """One line per request (or per resource of one) that `document` would not allow; a
    request with no known mapping is a line too, never silently passed."""
    lines = []
    for call in calls:
        try:
            auths = authorization(call, account_id, certificate_paths=certificate_paths)
        except UnmappedRequest as exc:
            lines.append(f"{call.operation}: {exc}")
            continue
        for auth in auths:
            decision: Decision = evaluate(document, auth.action, auth.resource, auth.context)
            if not decision.allowed:
                context = json.dumps(auth.context, sort_keys=True) if auth.context else "{}"
                lines.append(
                    f"{call.operation}: {auth.action} on {auth.resource} with context {context}"
                    f": {decision.reason}"
                )
    return lines


# -- record names --------------------------------------------------------------------------------
_PLAIN = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789-_")


def normalize_record_name(name: str) -> str:
    """A record name as route53:ChangeResourceRecordSetsNormalizedRecordNames holds it.

    [r53c]: all letters lower case; no trailing dot; every character but a-z, 0-9, hyphen,
    underscore and the label-separating period written as a backslash and a three-digit octal
    code (\\052 for `*`). [dns]: a request may already use such escapes, and letters are stored
    lower case "regardless of whether you specify upper-case letters, lower-case letters, or the
    corresponding letters in escape codes" - so escapes are decoded first, then re-encoded.
    """
    out: list[str] = []
    i = 0
    while i < len(name):
        char = name[i]
        octal = name[i + 1 : i + 4]
        if char == "\\" and re.fullmatch(r"[0-3][0-7]{2}", octal):
            # [dns]: "\" and a three-digit octal code is one byte of the name; an escaped period
            # (\056) is part of a label, not a separator, so it stays escaped.
            raw, i = bytes([int(octal, 8)]), i + 4
        elif char == ".":
            out.append(".")
            i += 1
            continue
        else:
            # [dns] lists "\" among characters allowed unescaped: one not starting an octal code
            # is itself. A non-ASCII character (which [dns] does not cover) counts as its UTF-8
            # bytes, each escaped.
            raw, i = char.encode("utf-8"), i + 1
        for byte in raw.lower():
            out.append(chr(byte) if byte in _PLAIN else f"\\{byte:03o}")
    text = "".join(out)
    return text[:-1] if text.endswith(".") else text


def _change_batch_context(root: ET.Element) -> dict[str, str | list[str]]:
    """[r53]: the three multivalued keys of ChangeResourceRecordSets, one value per change."""
    names: list[str] = []
    types: list[str] = []
    actions: list[str] = []
    for change in _elements(root, "Change"):
        rrset = next(_elements(change, "ResourceRecordSet"))
        # [r53c]: actions and record types are upper case (CREATE, UPSERT, DELETE; A, AAAA...).
        actions.append(_text(change, "Action").upper())
        names.append(normalize_record_name(_text(rrset, "Name")))
        types.append(_text(rrset, "Type").upper())
    # The keys are value sets: a name in several changes is one value, kept in request order.
    return {
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": _unique(names),
        "route53:ChangeResourceRecordSetsRecordTypes": _unique(types),
        "route53:ChangeResourceRecordSetsActions": _unique(actions),
    }


# -- requests ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Request:
    call: Call
    account: str
    certificate_paths: dict[str, str]

    @functools.cached_property
    def params(self) -> dict[str, str]:
        """Path parameters by their botocore names ({Id}, {HealthCheckId}...), then the query."""
        match = _uri_regex(self.call.service, self.call.operation).match(self.call.path)
        if match is None:
            raise UnmappedRequest(f"{self.call.operation}: path {self.call.path!r} off template")
        query = {k: v[0] for k, v in parse_qs(self.call.query, keep_blank_values=True).items()}
        return {**query, **match.groupdict()}

    def xml(self) -> ET.Element:
        try:
            return ET.fromstring(self.call.body)
        except ET.ParseError as exc:  # b"" too: a body past MAX_LOGGED_BODY is not recorded
            raise UnmappedRequest(f"{self.call.operation}: unreadable XML body ({exc})") from exc

    def json_field(self, name: str) -> str:
        try:
            return str(json.loads(self.call.body)[name])
        except (ValueError, KeyError, TypeError) as exc:
            raise UnmappedRequest(f"{self.call.operation}: no {name} in the body") from exc

    def form_field(self, name: str) -> str:
        values = parse_qs(self.call.body.decode("utf-8", "replace")).get(name)
        if not values:
            raise UnmappedRequest(f"{self.call.operation}: no {name} in the form")
        return values[0]


@functools.cache
def _uri_regex(service: str, operation: str) -> re.Pattern[str]:
    # The same URI templates opnames names the operations by, here with named groups.
    model = service_model(service)
    if model is None:
        raise UnmappedRequest(f"no botocore model for {service}")
    path = model.operation_model(operation).http["requestUri"].partition("?")[0]
    parts = re.split(r"\{([^}]+)\}", path.rstrip("/"))
    regex = "".join(
        (f"(?P<{p.rstrip('+')}>.+)" if p.endswith("+") else f"(?P<{p}>[^/]+)")
        if i % 2
        else re.escape(p)
        for i, p in enumerate(parts)
    )
    return re.compile(f"^{regex}/?$")


Mapper = Callable[[_Request], list[Authorization]]


def _route53(action: str, kind: str | None = None, param: str = "Id") -> Mapper:
    # [r53] resource types: hostedzone, healthcheck and change ARNs carry no region or account:
    # arn:${Partition}:route53:::hostedzone/${Id} (and healthcheck/, change/ alike).
    def mapper(req: _Request) -> list[Authorization]:
        resource = f"arn:aws:route53:::{kind}/{req.params[param]}" if kind else "*"
        return [Authorization(f"route53:{action}", resource)]

    return mapper


def _route53_change_rrsets(req: _Request) -> list[Authorization]:
    resource = f"arn:aws:route53:::hostedzone/{req.params['Id']}"
    context = _change_batch_context(req.xml())
    return [Authorization("route53:ChangeResourceRecordSets", resource, context)]


def _route53_tags(action: str) -> Mapper:
    # [r53]: the tag actions take the healthcheck or hostedzone the request names by ResourceType.
    def mapper(req: _Request) -> list[Authorization]:
        kind = _tag_resource_type(req.params["ResourceType"])
        if "ResourceId" in req.params:
            ids = [req.params["ResourceId"]]
        else:  # ListTagsForResources: up to 10 ids in the body, each of which must be allowed
            ids = [e.text or "" for e in _elements(req.xml(), "ResourceId")]
        return [Authorization(f"route53:{action}", f"arn:aws:route53:::{kind}/{i}") for i in ids]

    return mapper


def _tag_resource_type(value: str) -> str:
    if value not in ("healthcheck", "hostedzone"):
        raise UnmappedRequest(f"Route 53 tags on a {value!r} resource")
    return value


def _cloudfront(action: str, param: str | None = "Id", new: bool = False) -> Mapper:
    # [cf] distribution: arn:${Partition}:cloudfront::${Account}:distribution/${DistributionId}
    # (no region). A new distribution has no id yet when authorized: its ARN is written with a
    # wildcard id, so only a policy covering distribution/* allows creating one.
    def mapper(req: _Request) -> list[Authorization]:
        if new:
            resource = f"arn:aws:cloudfront::{req.account}:distribution/*"
        elif param:
            resource = f"arn:aws:cloudfront::{req.account}:distribution/{req.params[param]}"
        else:
            resource = "*"
        return [Authorization(f"cloudfront:{action}", resource)]

    return mapper


def _cloudfront_resource(action: str, kind: str, param: str) -> Mapper:
    # [cf] resource types: function is arn:${Partition}:cloudfront::${Account}:function/${Name};
    # cache-policy and origin-request-policy are .../cache-policy/${Id} and
    # .../origin-request-policy/${Id}. Describe/Get/Update/Publish/Test/DeleteFunction take a
    # function (required), Get/GetConfig/Update/Delete of a policy take that policy (required).
    def mapper(req: _Request) -> list[Authorization]:
        resource = f"arn:aws:cloudfront::{req.account}:{kind}/{req.params[param]}"
        return [Authorization(f"cloudfront:{action}", resource)]

    return mapper


def _cloudfront_create_function(req: _Request) -> list[Authorization]:
    # [cf]: CreateFunction lists no resource type (the function has no ARN before it exists),
    # so it is authorized on "*"; with Tags it also needs cloudfront:TagResource and takes the
    # aws:RequestTag/aws:TagKeys keys, which this mapper does not model: refused, not guessed.
    if any(True for _ in _elements(req.xml(), "Tag")):
        raise UnmappedRequest(
            "CreateFunction with Tags: cloudfront:TagResource and the tag "
            "condition keys are not modelled"
        )
    return [Authorization("cloudfront:CreateFunction", "*")]


def _acm_describe(req: _Request) -> list[Authorization]:
    # [acm] certificate: arn:${Partition}:acm:${Region}:${Account}:certificate/${CertificateId};
    # the request carries the full ARN.
    return [Authorization("acm:DescribeCertificate", req.json_field("CertificateArn"))]


def _iam_get_server_certificate(req: _Request) -> list[Authorization]:
    # [iam] server-certificate: arn:${Partition}:iam::${Account}:server-certificate/
    # ${CertificateNameWithPath}. The request names no path: the caller says it, else "/".
    name = req.form_field("ServerCertificateName")
    path = req.certificate_paths.get(name, "/")
    resource = f"arn:aws:iam::{req.account}:server-certificate{path}{name}"
    return [Authorization("iam:GetServerCertificate", resource)]


def _no_permission(req: _Request) -> list[Authorization]:
    # [sts]: "No permissions are required to perform this operation. If an administrator
    # attaches a policy to your identity that explicitly denies access to the
    # sts:GetCallerIdentity action, you can still perform this operation."
    return []


def _sts_assume_role(req: _Request) -> list[Authorization]:
    # [stsa]: the role is the resource; ExternalId and SourceIdentity are condition keys, and
    # a SourceIdentity needs sts:SetSourceIdentity as well.
    role = req.form_field("RoleArn")
    context: dict[str, str | list[str]] = {}
    form = parse_qs(req.call.body.decode("utf-8", "replace"))
    if form.get("ExternalId"):
        context["sts:ExternalId"] = form["ExternalId"][0]
    granted = [Authorization("sts:AssumeRole", role, context)]
    if form.get("SourceIdentity"):
        source = {**context, "sts:SourceIdentity": form["SourceIdentity"][0]}
        granted.append(Authorization("sts:SetSourceIdentity", role, source))
    return granted


def _static(action: str) -> Mapper:
    # Actions whose table row lists no resource type take Resource "*" ([r53], [cf], [acm], [iam]).
    return lambda req: [Authorization(action, "*")]


# Resource per action as the service tables list it: [r53] for route53, [cf] for cloudfront.
_MAPPERS: dict[tuple[str, str], Mapper] = {
    ("route53", "ListHostedZonesByName"): _route53("ListHostedZonesByName"),
    ("route53", "ListHostedZones"): _route53("ListHostedZones"),
    ("route53", "GetHostedZone"): _route53("GetHostedZone", "hostedzone"),
    ("route53", "ListResourceRecordSets"): _route53("ListResourceRecordSets", "hostedzone"),
    ("route53", "ChangeResourceRecordSets"): _route53_change_rrsets,
    ("route53", "GetChange"): _route53("GetChange", "change"),
    ("route53", "TestDNSAnswer"): _route53("TestDNSAnswer"),  # no resource type: "*"
    # "Permissions for Change History" (Route 53 Developer Guide): it takes the hostedzone.
    # geoproxy calls neither GetHostedZoneChangeBatch nor ListResourceRecordSetChanges, so
    # neither is mapped (an unmapped call fails the e2e IAM check).
    ("route53", "ListHostedZoneChangeBatches"): _route53(
        "ListHostedZoneChangeBatches", "hostedzone"
    ),
    # [r53] UpdateHostedZoneFeatures takes the hostedzone (accelerated recovery, issue 25).
    ("route53", "UpdateHostedZoneFeatures"): _route53("UpdateHostedZoneFeatures", "hostedzone"),
    # ListResourceRecordSetProtections takes the hostedzone, like ListResourceRecordSets (its
    # resource type is on the live checklist: the service table was not found to cite).
    ("route53", "ListResourceRecordSetProtections"): _route53(
        "ListResourceRecordSetProtections", "hostedzone"
    ),
    ("route53", "CreateHealthCheck"): _route53("CreateHealthCheck"),
    ("route53", "DeleteHealthCheck"): _route53("DeleteHealthCheck", "healthcheck", "HealthCheckId"),
    ("route53", "GetHealthCheck"): _route53("GetHealthCheck", "healthcheck", "HealthCheckId"),
    ("route53", "UpdateHealthCheck"): _route53("UpdateHealthCheck", "healthcheck", "HealthCheckId"),
    ("route53", "GetHealthCheckStatus"): _route53(
        "GetHealthCheckStatus", "healthcheck", "HealthCheckId"
    ),
    ("route53", "ListHealthChecks"): _route53("ListHealthChecks"),
    ("route53", "ChangeTagsForResource"): _route53_tags("ChangeTagsForResource"),
    ("route53", "ListTagsForResource"): _route53_tags("ListTagsForResource"),
    ("route53", "ListTagsForResources"): _route53_tags("ListTagsForResources"),
    ("cloudfront", "GetDistribution"): _cloudfront("GetDistribution"),
    ("cloudfront", "GetDistributionConfig"): _cloudfront("GetDistributionConfig"),
    ("cloudfront", "UpdateDistribution"): _cloudfront("UpdateDistribution"),
    ("cloudfront", "ListDistributions"): _cloudfront("ListDistributions", None),
    ("cloudfront", "ListConflictingAliases"): _cloudfront(
        "ListConflictingAliases", "DistributionId"
    ),
    ("cloudfront", "CreateDistribution"): _cloudfront("CreateDistribution", new=True),
    # CloudFront Functions ([cf]): Create and List take "*", the rest the function by name.
    ("cloudfront", "CreateFunction"): _cloudfront_create_function,
    ("cloudfront", "ListFunctions"): _static("cloudfront:ListFunctions"),
    **{
        ("cloudfront", op): _cloudfront_resource(op, "function", "Name")
        for op in (
            "DescribeFunction",
            "GetFunction",
            "UpdateFunction",
            "PublishFunction",
            "TestFunction",
            "DeleteFunction",
        )
    },
    # Cache and origin request policies ([cf]): Create and List take "*", the rest the policy.
    **{
        ("cloudfront", op): _static(f"cloudfront:{op}")
        for op in (
            "CreateCachePolicy",
            "ListCachePolicies",
            "CreateOriginRequestPolicy",
            "ListOriginRequestPolicies",
        )
    },
    **{
        ("cloudfront", f"{verb}{label}{suffix}"): _cloudfront_resource(
            f"{verb}{label}{suffix}", kind, "Id"
        )
        for label, kind in (
            ("CachePolicy", "cache-policy"),
            ("OriginRequestPolicy", "origin-request-policy"),
        )
        for verb, suffix in (("Get", ""), ("Get", "Config"), ("Update", ""), ("Delete", ""))
    },
    ("acm", "DescribeCertificate"): _acm_describe,
    ("acm", "ListCertificates"): _static("acm:ListCertificates"),
    ("iam", "GetServerCertificate"): _iam_get_server_certificate,
    ("iam", "ListServerCertificates"): _static("iam:ListServerCertificates"),
    ("sts", "GetCallerIdentity"): _no_permission,
    ("sts", "AssumeRole"): _sts_assume_role,
    # ARC's configuration API ([arcf]): the calls geoproxy makes are checked on "*" (geoproxy
    # grants them there, see core/iam_switches.py); the data plane is in iam_arc.py.
    **{
        ("route53-recovery-control-config", op): _static(f"route53-recovery-control-config:{op}")
        for op in (
            "DescribeCluster",
            "ListControlPanels",
            "ListRoutingControls",
            "ListSafetyRules",
            "CreateControlPanel",
            "CreateRoutingControl",
            "CreateSafetyRule",
            # destroy: what no application needs any more (pipeline/destroy_switches.py)
            "DeleteSafetyRule",
            "DeleteRoutingControl",
            "DeleteControlPanel",
        )
    },
}
MAPPED_OPERATIONS = frozenset(_MAPPERS)
_MAPPERS.update(ARC_MAPPERS)  # the ARC cluster data plane, tested in test_iam_arc.py


# -- XML -----------------------------------------------------------------------------------------
def _elements(root: ET.Element, tag: str) -> Iterable[ET.Element]:
    # Route 53 bodies are namespaced (xmlns="https://route53.amazonaws.com/doc/2013-04-01/").
    return (e for e in root.iter() if e.tag == tag or e.tag.endswith("}" + tag))


def _text(parent: ET.Element, tag: str) -> str:
    child = next((e for e in parent if e.tag == tag or e.tag.endswith("}" + tag)), None)
    if child is None or child.text is None:
        raise UnmappedRequest(f"no <{tag}> in <{parent.tag}>")
    return child.text


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
