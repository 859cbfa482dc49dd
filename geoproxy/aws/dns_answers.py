"""What Route 53's name servers answer (TestDNSAnswer, a control-plane API for public zones),
and what a PoP's own name resolves to, for `geoproxy verify`."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from geoproxy.aws.session import AwsSettings, aws_errors
from geoproxy.core.verify import Answer

RESOLVE_TIMEOUT_S = 5.0


def test_dns_answer(
    aws: AwsSettings, zone_id: str, name: str, record_type: str, resolver_ip: str | None = None
) -> Answer:
    """Route 53's answer for `name`; with `resolver_ip`, as a resolver at that address gets it
    (latency records are chosen by the resolver's region)."""
    request = {"HostedZoneId": zone_id, "RecordName": name, "RecordType": record_type}
    if resolver_ip:
        request["ResolverIP"] = resolver_ip
    with aws_errors(f"ask Route 53 for {name} {record_type}"):
        raw = aws.for_zone(zone_id).client("route53").test_dns_answer(**request)
    return Answer(
        str(raw.get("ResponseCode", "")), tuple(str(v) for v in raw.get("RecordData") or [])
    )


test_dns_answer.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def resolve(name: str, record_type: str) -> frozenset[str]:
    """The addresses `name` resolves to through this machine's resolver, bounded; nothing on
    failure (then a PoP's answers are `unknown`, never a mismatch)."""
    family = socket.AF_INET6 if record_type == "AAAA" else socket.AF_INET
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(socket.getaddrinfo, name, None, family, socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=RESOLVE_TIMEOUT_S)
    except (OSError, FutureTimeout, UnicodeError):
        return frozenset()
    finally:
        pool.shutdown(wait=False)
    return frozenset(str(info[4][0]) for info in infos)
