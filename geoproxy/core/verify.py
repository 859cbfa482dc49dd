"""`geoproxy verify`: what Route 53 answers each source region, against the PoP geoproxy
expects there now (policy, active failovers). Pure: the answers come in as data.

Route 53 answers an alias to a load balancer with addresses, not the load balancer's name, so
an answer is matched to a PoP by overlap with the addresses each PoP's own name resolves to.
An answer that overlaps no PoP, or more than one, is `unknown`: never a mismatch without
evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["match", "mismatch", "unknown"]

# Whether TestDNSAnswer applies health checks (and so switch states) is not documented: the
# API Reference says only that it "Gets the value that Amazon Route 53 returns in response to
# a DNS request" (https://docs.aws.amazon.com/Route53/latest/APIReference/API_TestDNSAnswer.html).
HEALTH_NOTE = (
    "AWS does not document whether TestDNSAnswer applies health checks (and so switch "
    "states): a match shows the records send each source region where geoproxy expects, "
    "not that a health-driven failover would answer the same"
)


@dataclass(frozen=True)
class Answer:
    """What TestDNSAnswer said for one source region (rcode and record data)."""

    response_code: str
    data: tuple[str, ...]


@dataclass(frozen=True)
class Verified:
    app: str
    source_region: str
    record_type: str
    expected_pop: str
    verdict: Verdict
    answered_pop: str | None = None
    resolver_ip: str | None = None
    answer: tuple[str, ...] = ()
    detail: str = ""
    # How `answered_pop` is known: from TestDNSAnswer's answer alone, or from an answer that
    # names a failover pair's PRIMARY whose data-plane switch is Off (Route 53 then answers
    # the pair's SECONDARY, by health: see `judge`).
    evidence: Literal["answer", "answer+switch"] = "answer"

    def to_json(self) -> dict[str, object]:
        return {
            "app": self.app,
            "source_region": self.source_region,
            "record_type": self.record_type,
            "expected_pop": self.expected_pop,
            "answered_pop": self.answered_pop,
            "verdict": self.verdict,
            "resolver_ip": self.resolver_ip,
            "answer": list(self.answer),
            "detail": self.detail,
            "evidence": self.evidence,
        }


def _norm(value: str) -> str:
    return value.strip().lower().rstrip(".")


def answered_pop(
    answer: Answer, pop_addresses: Mapping[str, frozenset[str]], pop_targets: Mapping[str, str]
) -> tuple[str | None, str]:
    """(the PoP the answer designates, or None; why), by name for a name in the answer, else
    by address overlap."""
    values = {_norm(value) for value in answer.data}
    by_name = {pop for pop, target in pop_targets.items() if _norm(target) in values}
    if len(by_name) == 1:
        return next(iter(by_name)), "by name"
    overlapping = sorted(pop for pop, addresses in pop_addresses.items() if addresses & values)
    if len(overlapping) == 1:
        return overlapping[0], "by address"
    if overlapping:
        return None, f"the answer's addresses belong to several PoPs ({', '.join(overlapping)})"
    if not any(pop_addresses.values()):
        return None, "no PoP's own addresses are known, so the answer cannot be placed"
    return None, "the answer's addresses overlap no PoP's"


def judge(
    app: str,
    source_region: str,
    record_type: str,
    expected_pop: str,
    resolver_ip: str | None,
    answer: Answer | None,
    pop_addresses: Mapping[str, frozenset[str]],
    pop_targets: Mapping[str, str],
    switched_from: str | None = None,
    allowed: frozenset[str] | None = None,
    pair_intact: bool = False,
) -> Verified:
    """`switched_from`: the PoP whose data-plane switch is Off, when that is why
    `expected_pop` (its partner) is expected. TestDNSAnswer may not apply health checks
    (HEALTH_NOTE), so an answer naming it proves the records, not the health: with the
    pair's records as the policy wants (`pair_intact`), Route 53 answers a failover pair's
    SECONDARY while the PRIMARY's health check is unhealthy, and a RECOVERY_CONTROL check is
    unhealthy while its routing control is Off (both documented): the partner, by health.
    `allowed`: the PoPs the compliance rules covering this source region allow (None: not
    fenced); an answer outside them is a mismatch whatever was expected."""

    def verified(
        verdict: Verdict,
        pop: str | None = None,
        detail: str = "",
        evidence: Literal["answer", "answer+switch"] = "answer",
    ) -> Verified:
        if verdict == "match" and allowed is not None and pop not in allowed:
            verdict, detail = "mismatch", f"answered by PoP {pop}, outside its compliance fence"
        return Verified(
            app,
            source_region,
            record_type,
            expected_pop,
            verdict,
            pop,
            resolver_ip,
            answer.data if answer else (),
            detail,
            evidence,
        )

    if resolver_ip is None or answer is None:
        return verified("unknown", detail="no published address for this region to ask from")
    if answer.response_code != "NOERROR" or not answer.data:
        # Route 53 itself gave this region nothing: that is evidence.
        return verified("mismatch", detail=f"Route 53 answered {answer.response_code} with no data")
    pop, why = answered_pop(answer, pop_addresses, pop_targets)
    if pop is None:
        return verified("unknown", detail=why)
    if pop == expected_pop:
        return verified("match", pop, why)
    if pop == switched_from and pair_intact:
        return verified(
            "match",
            expected_pop,
            f"TestDNSAnswer named {pop}, its failover pair's PRIMARY; {pop}'s switch is Off, so "
            f"resolvers get the pair's SECONDARY, {expected_pop}, by health",
            "answer+switch",
        )
    if pop == switched_from:
        return verified(
            "unknown",
            pop,
            f"answered by PoP {pop}, whose switch is Off, and its failover pair differs from "
            "the policy: TestDNSAnswer may not apply the switch's health check",
        )
    return verified("mismatch", pop, f"answered by PoP {pop} ({why}), expected {expected_pop}")


def summary(rows: list[Verified]) -> dict[str, int]:
    counts = {"match": 0, "mismatch": 0, "unknown": 0}
    for row in rows:
        counts[row.verdict] += 1
    return counts
