"""What Route 53's authoritative name servers answer a resolver in a given region: latency
records, aliases inside the zone, failover pairs and health (health.py), evaluated as Route
53 documents. `server.dns.answer(...)` is the drill's DNS data plane; TestDNSAnswer (a
control-plane API) answers through it too (route53_dns.py).

Sources (Route 53 Developer Guide):
  [latency]  "Latency-based routing", routing-policy-latency.html: Route 53 answers with the
             record for the region of lowest latency to the resolver (or the EDNS client
             subnet). Here: the record whose Region is the resolver's own region, else the
             nearest by geoproxy's shipped latency table (geoproxy/data/latency_p50.json);
             Route 53 uses its own measurements, which that table only approximates.
  [complex]  "How health checks work in complex Amazon Route 53 configurations",
             dns-failover-complex-configs.html: with EvaluateTargetHealth an alias is healthy
             only if its target has a healthy answer, so "Route 53 ... chooses the
             next-best" latency record; a record with a health check is healthy only while
             the check is.
  [choose]   "How Amazon Route 53 chooses records when health checking is configured",
             health-checks-how-route-53-chooses-records.html: if no record of a group is
             healthy, Route 53 "considers all the records in the group to be healthy" and
             answers by the routing policy alone: a failover pair whose two records are both
             unhealthy answers with the PRIMARY, and latency with the nearest.
  [failover] "Failover routing", routing-policy-failover.html: PRIMARY while healthy, else
             a healthy SECONDARY.
Other routing policies (weighted, geolocation, ...) are not modelled: the first healthy
record of the group answers.
"""

from __future__ import annotations

import ipaddress
import json
import zlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from moto.route53.models import route53_backends

from geoproxy.policy.latency import shipped_table

from .health import DEFAULT_ACCOUNT, healthy
from .route53 import Record, from_moto, norm_name

# If ResolverIP is omitted, "TestDNSAnswer uses the IP address of a DNS resolver in the AWS
# US East (N. Virginia) Region (us-east-1)" (TestDNSAnswer, Route 53 API Reference).
DEFAULT_RESOLVER_REGION = "us-east-1"
MAX_ALIAS_DEPTH = 8  # alias chains inside a zone; a loop ends as no answer


@dataclass(frozen=True)
class Answer:
    """An authoritative answer: RecordData, the record values or alias targets it came from,
    and the path taken (one line per decision), for tests and the drill to print."""

    code: str  # NOERROR, NXDOMAIN
    values: list[str]  # what the name server returns (addresses for aliases outside the zone)
    targets: list[str]  # alias DNS names outside the zone, or record values, at the path's end
    path: list[str] = field(default_factory=list)
    healthy: bool = True  # whether this answer counts as healthy to an alias above it


def alias_addresses(dns_name: str) -> list[str]:
    """The addresses a name outside the sandbox (a load balancer, a distribution) resolves to
    here: one, stable per name, in 198.18.0.0/15 (RFC 2544, never routed)."""
    number = zlib.crc32(norm_name(dns_name).encode()) % (1 << 17)
    return [str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("198.18.0.0")) + number))]


def load_resolver_table(path: str | Path | None = None) -> list[tuple[Any, str]]:
    """(network, region) pairs from a resolver table: {"regions": {region: cidr | [cidr]}}."""
    if path is None:
        text = (resources.files("geoproxy.sandbox") / "resolver_regions.json").read_text("utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    pairs = []
    for region, cidrs in json.loads(text)["regions"].items():
        for cidr in [cidrs] if isinstance(cidrs, str) else cidrs:
            pairs.append((ipaddress.ip_network(cidr), region))
    return pairs


class DnsModel:
    """`server.dns`: Route 53's authoritative answers, from the zones, health checks and ARC
    states the sandbox holds."""

    def __init__(self) -> None:
        self.resolvers = load_resolver_table()
        # Whether TestDNSAnswer's answers follow health (see route53_dns.py); answer() always
        # does, as the name servers do.
        self.test_answer_uses_health = False
        self.unhealthy_targets: set[str] = set()

    def reset(self) -> None:
        self.test_answer_uses_health = False
        self.unhealthy_targets = set()

    def set_target_healthy(self, dns_name: str, healthy: bool = True) -> None:
        """An alias target outside the sandbox (a load balancer) as EvaluateTargetHealth sees
        it: unhealthy when it has no healthy targets ([complex])."""
        (self.unhealthy_targets.discard if healthy else self.unhealthy_targets.add)(
            norm_name(dns_name)
        )

    def set_resolver_table(self, path: str | Path) -> None:
        self.resolvers = load_resolver_table(path)

    def region_of(self, ip: str | None) -> str | None:
        """The region a resolver (or client subnet) address is in, by the table."""
        if not ip:
            return None
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None
        return next((region for net, region in self.resolvers if address in net), None)

    def resolver_ip(self, region: str) -> str:
        """An address the table places in `region`, for tests posing as a resolver there."""
        net = next(net for net, r in self.resolvers if r == region)
        return str(net.network_address + 53)

    def answer(
        self,
        zone_id: str,
        name: str,
        rtype: str,
        resolver_region: str | None = None,
        *,
        account: str = DEFAULT_ACCOUNT,
        use_health: bool = True,
    ) -> Answer:
        """What Route 53 answers a resolver in `resolver_region` for `name`/`rtype`."""
        backend = route53_backends[account]["global"]
        zone = backend.zones.get(zone_id.rpartition("/")[2])
        if zone is None:
            raise KeyError(f"no hosted zone {zone_id}")
        records = [from_moto(rs) for rs in zone.rrsets]
        walk = _Walk(
            zone.id.rpartition("/")[2], records, resolver_region or DEFAULT_RESOLVER_REGION, account
        )
        walk.use_health = use_health
        walk.unhealthy_targets = set(self.unhealthy_targets)
        return walk.resolve(norm_name(name), rtype, 0)


class _Walk:
    def __init__(self, zone_id: str, records: list[Record], region: str, account: str) -> None:
        self.zone_id = zone_id
        self.records = records
        self.region = region
        self.account = account
        self.use_health = True
        self.unhealthy_targets: set[str] = set()
        self.rtt = shipped_table().rtt_ms.get(region, {})

    def check_ok(self, rec: Record) -> bool:
        check = rec.get("HealthCheckId")
        return not (self.use_health and check) or healthy(self.account, check)

    def resolve(self, name: str, rtype: str, depth: int) -> Answer:
        group = [r for r in self.records if r["Name"] == name and r["Type"] == rtype]
        if not group or depth > MAX_ALIAS_DEPTH:
            exists = any(r["Name"] == name for r in self.records)
            return Answer(
                "NOERROR" if exists else "NXDOMAIN", [], [], [f"{name} {rtype}: no record"], False
            )
        ordered, label = self.order(group)
        answers = [(rec, self.record(rec, rtype, depth)) for rec in ordered]
        for rec, answer in answers:
            if answer.healthy:
                return self.chosen(label(rec), answer)
        # [choose]: none healthy, so all count as healthy: the policy's own first choice.
        rec, answer = answers[0]
        note = f"{label(rec)} (every record unhealthy: Route 53 treats all as healthy)"
        return Answer(answer.code, answer.values, answer.targets, [note, *answer.path], False)

    @staticmethod
    def chosen(step: str, answer: Answer) -> Answer:
        return Answer(answer.code, answer.values, answer.targets, [step, *answer.path], True)

    def order(self, group: list[Record]) -> tuple[list[Record], Any]:
        """The group in the routing policy's order of preference, and how to name a choice."""
        if "Region" in group[0]:  # [latency]

            def distance(rec: Record) -> tuple[int, float, str]:
                region = rec["Region"]
                own = region == self.region
                return (0 if own else 1, self.rtt.get(region, float("inf")), region)

            def label(rec: Record) -> str:
                why = "the resolver's region" if rec["Region"] == self.region else "nearest"
                return f"latency {rec['Region']} ({why}, resolver in {self.region})"

            return sorted(group, key=distance), label
        if "Failover" in group[0]:  # [failover]
            return sorted(group, key=lambda r: r["Failover"] != "PRIMARY"), (
                lambda rec: f"failover {rec['Failover']} {rec.get('SetIdentifier', '')}".rstrip()
            )
        return group, lambda rec: f"{rec.get('SetIdentifier') or 'simple'} record"

    def record(self, rec: Record, rtype: str, depth: int) -> Answer:
        ok = self.check_ok(rec)
        check_id = rec.get("HealthCheckId")
        notes = [f"health check {check_id} {'healthy' if ok else 'unhealthy'}"] if check_id else []
        alias = rec.get("AliasTarget")
        if alias is None:
            values = [v["Value"] for v in rec.get("ResourceRecords") or []]
            return Answer("NOERROR", values, values, notes, ok)
        target = norm_name(alias["DNSName"])
        if alias.get("HostedZoneId", "").rpartition("/")[2] == self.zone_id:
            inner = self.resolve(target, rtype, depth + 1)
            # [complex]: with EvaluateTargetHealth the alias is as healthy as its target.
            evaluate = bool(alias.get("EvaluateTargetHealth"))
            healthy_now = ok and (inner.healthy or not evaluate or not self.use_health)
            return Answer(
                inner.code,
                inner.values,
                inner.targets,
                [*notes, f"alias -> {target}", *inner.path],
                healthy_now,
            )
        if alias.get("EvaluateTargetHealth") and self.use_health:
            ok = ok and target not in self.unhealthy_targets
        return Answer(
            "NOERROR", alias_addresses(target), [target], [*notes, f"alias -> {target}"], ok
        )
