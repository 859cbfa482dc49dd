"""TestDNSAnswer, which moto 5 does not route: what Route 53's name servers answer for a name.

Route 53 API Reference, TestDNSAnswer: "Gets the value that Amazon Route 53 returns in response
to a DNS request for a specified record name and type", GET /2013-04-01/testdnsanswer with
hostedzoneid, recordname and recordtype; the answer has Nameserver, RecordName, RecordType,
RecordData, ResponseCode (a DNS RCODE such as NOERROR or NXDOMAIN) and Protocol.

The emulator answers through the authoritative-answer model (dns_answers.py: latency by the
region of ResolverIP, or of EDNS0ClientSubnetIP when given, through the sandbox's resolver
table; aliases in the zone; failover pairs), so a change is served as soon as it is
accepted, unless a test makes the name servers lag: `ChangeTracker.dns_lag` answers that
many more TestDNSAnswer calls for a name geoproxy wrote with no data, as a name server that has
not got the change yet would (Route 53 applies a change PENDING, and reports INSYNC once every
name server has it: ChangeResourceRecordSets and GetChange).

Whether TestDNSAnswer reflects health checks (and so ARC routing control states) is not
documented: its reference says only that it "gets the value that Amazon Route 53 returns in
response to a DNS request". The emulator takes the conservative reading: by default it
answers as if every health check were healthy, so nothing can be proven from it about
failover; `server.dns.test_answer_uses_health = True` makes it follow health like the name
servers (`server.dns.answer`) do. The drill asks `server.dns.answer`, never this.
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
from .dns_answers import DnsModel
from .middleware import error_response
from .opnames import rest_operation, service_from_auth
from .route53 import ChangeTracker, norm_name

NAMESERVER = "ns-2048.awsdns-64.com"


class TestDnsAnswerApp:
    """WSGI app: TestDNSAnswer here, every other request to `app`."""

    __test__ = False  # not a pytest class, whatever its name

    def __init__(
        self, app: Callable[..., Iterable[bytes]], tracker: ChangeTracker, dns: DnsModel
    ) -> None:
        self.app = app
        self.tracker = tracker
        self.dns = dns

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
        region = self.dns.region_of(params.get("edns0clientsubnetip")) or self.dns.region_of(
            params.get("resolverip")
        )
        answer = self.dns.answer(
            zone.id,
            name,
            rtype,
            region,
            account=account_of(environ),
            use_health=self.dns.test_answer_uses_health,
        )
        lagging = self.tracker.lagging(name)
        data = [] if lagging else answer.values
        code = "NXDOMAIN" if lagging else answer.code
        model = get_service_model("route53").operation_model("TestDNSAnswer")
        reply = RestXMLSerializer(model).serialize(
            {
                "Nameserver": NAMESERVER,
                "RecordName": name,
                "RecordType": rtype,
                "RecordData": data,
                "ResponseCode": code,
                "Protocol": "UDP",
            }
        )
        serialized = reply["body"]
        payload = serialized.encode() if isinstance(serialized, str) else bytes(serialized or b"")
        status_code = int(reply["status_code"])
        answer_headers = dict(reply["headers"])
        answer_headers.update(
            {"x-amzn-RequestId": str(uuid.uuid4()), "Content-Length": str(len(payload))}
        )
        start_response(
            f"{status_code} {HTTP_STATUS_CODES.get(status_code, '')}", list(answer_headers.items())
        )
        return [payload]
