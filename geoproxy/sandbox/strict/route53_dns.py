"""TestDNSAnswer, which moto 5 does not route: what Route 53's name servers answer for a name.

Route 53 API Reference, TestDNSAnswer: "Gets the value that Amazon Route 53 returns in response
to a DNS request for a specified record name and type", GET /2013-04-01/testdnsanswer with
hostedzoneid, recordname and recordtype; the answer has Nameserver, RecordName, RecordType,
RecordData, ResponseCode (a DNS RCODE such as NOERROR or NXDOMAIN) and Protocol.

The emulator answers from the zone's record sets as stored, so a change is served as soon as
it is accepted, unless a test makes the name servers lag: `ChangeTracker.dns_lag` answers that
many more TestDNSAnswer calls for a name geoproxy wrote with no data, as a name server that has
not got the change yet would (Route 53 applies a change PENDING, and reports INSYNC once every
name server has it: ChangeResourceRecordSets and GetChange).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from moto.core.serialize import RestXMLSerializer
from moto.core.utils import get_service_model
from moto.route53.models import route53_backends
from werkzeug.http import HTTP_STATUS_CODES

from .cloudfront_api import account_of
from .middleware import error_response
from .opnames import rest_operation, service_from_auth
from .route53 import ChangeTracker, from_moto, norm_name

NAMESERVER = "ns-2048.awsdns-64.com"
ALIAS_ADDRESS = "192.0.2.10"  # what an alias to a load balancer resolves to, here


class TestDnsAnswerApp:
    """WSGI app: TestDNSAnswer here, every other request to `app`."""

    __test__ = False  # not a pytest class, whatever its name

    def __init__(self, app: Callable[..., Iterable[bytes]], tracker: ChangeTracker) -> None:
        self.app = app
        self.tracker = tracker

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        if (
            service_from_auth(environ.get("HTTP_AUTHORIZATION", "")) != "route53"
            or rest_operation("route53", method, path, query) != "TestDNSAnswer"
        ):
            return self.app(environ, start_response)
        params = {key.lower(): values[0] for key, values in parse_qs(query).items()}
        backend = route53_backends[account_of(environ)]["global"]
        zone = backend.zones.get(str(params.get("hostedzoneid", "")).rpartition("/")[2])
        name, rtype = norm_name(params.get("recordname", "")), params.get("recordtype", "")
        if zone is None:
            status, headers, body = error_response(
                "route53", "NoSuchHostedZone", "No hosted zone found", 404
            )
            start_response(status, headers)
            return [body]
        data: list[str] = []
        named = [rec for rec in map(from_moto, zone.rrsets) if rec["Name"] == name]
        lagging = self.tracker.lagging(name)
        if not lagging:
            for rec in named:
                if rec["Type"] != rtype:
                    continue
                if "AliasTarget" in rec:
                    data.append(ALIAS_ADDRESS)
                else:
                    data += [entry["Value"] for entry in rec.get("ResourceRecords") or []]
                break  # one answer, as a name server gives for a routing policy's name
        code = "NOERROR" if data or (named and not lagging) else "NXDOMAIN"
        model = get_service_model("route53").operation_model("TestDNSAnswer")
        answer = RestXMLSerializer(model).serialize(
            {
                "Nameserver": NAMESERVER,
                "RecordName": name,
                "RecordType": rtype,
                "RecordData": data,
                "ResponseCode": code,
                "Protocol": "UDP",
            }
        )
        serialized = answer["body"]
        payload = serialized.encode() if isinstance(serialized, str) else bytes(serialized or b"")
        status_code = int(answer["status_code"])
        answer_headers = dict(answer["headers"])
        answer_headers.update(
            {"x-amzn-RequestId": str(uuid.uuid4()), "Content-Length": str(len(payload))}
        )
        start_response(
            f"{status_code} {HTTP_STATUS_CODES.get(status_code, '')}", list(answer_headers.items())
        )
        return [payload]
