"""`verify`'s judgement (core/verify.py): an answer is placed on a PoP by name or by address
overlap, and a mismatch needs evidence."""

from __future__ import annotations

from collections.abc import Mapping

from geoproxy.core.verify import Answer, Verified, answered_pop, judge, summary

TARGETS = {"eu-west-1": "lb-euw1.elb.amazonaws.com", "us-east-1": "lb-use1.elb.amazonaws.com"}
ADDRESSES = {"eu-west-1": frozenset({"198.18.0.1"}), "us-east-1": frozenset({"198.18.0.2"})}


def verdict(
    answer: Answer | None,
    ip: str | None = "34.240.0.10",
    addresses: Mapping[str, frozenset[str]] = ADDRESSES,
) -> Verified:
    return judge("shop", "eu-west-2", "A", "eu-west-1", ip, answer, addresses, TARGETS)


def test_matched_by_address_overlap_or_by_name() -> None:
    assert answered_pop(Answer("NOERROR", ("198.18.0.1",)), ADDRESSES, TARGETS)[0] == "eu-west-1"
    by_name = Answer("NOERROR", ("LB-USE1.elb.amazonaws.com.",))
    assert answered_pop(by_name, {}, TARGETS) == ("us-east-1", "by name")


def test_a_mismatch_names_the_pop_that_answered() -> None:
    row = verdict(Answer("NOERROR", ("198.18.0.2",)))
    assert row.verdict == "mismatch" and row.answered_pop == "us-east-1"
    assert verdict(Answer("NOERROR", ("198.18.0.1",))).verdict == "match"


def test_without_evidence_it_is_unknown_never_a_mismatch() -> None:
    nowhere = Answer("NOERROR", ("203.0.113.7",))
    assert verdict(nowhere).verdict == "unknown"
    both = {"eu-west-1": frozenset({"198.18.0.9"}), "us-east-1": frozenset({"198.18.0.9"})}
    assert verdict(Answer("NOERROR", ("198.18.0.9",)), addresses=both).verdict == "unknown"
    unknown_pops = {"eu-west-1": frozenset(), "us-east-1": frozenset()}
    row = verdict(nowhere, addresses=unknown_pops)
    assert row.verdict == "unknown" and "no PoP's own addresses" in row.detail
    assert verdict(None, ip=None).verdict == "unknown"


def test_no_answer_at_all_is_evidence() -> None:
    row = verdict(Answer("NXDOMAIN", ()))
    assert row.verdict == "mismatch" and "NXDOMAIN" in row.detail
    assert summary([row]) == {"match": 0, "mismatch": 1, "unknown": 0}


def test_an_answer_from_a_switched_off_pop_is_no_evidence() -> None:
    # eu-west-1's switch is Off, so its partner us-east-1 is expected; TestDNSAnswer may not
    # apply the switch's health check, so the PoP itself answering proves nothing.
    row = judge(
        "shop",
        "eu-west-2",
        "A",
        "us-east-1",
        "34.240.0.10",
        Answer("NOERROR", ("198.18.0.1",)),
        ADDRESSES,
        TARGETS,
        switched_from="eu-west-1",
    )
    assert row.verdict == "unknown" and "switch is Off" in row.detail
    moved = Answer("NOERROR", ("198.18.0.2",))
    row = judge("shop", "eu-west-2", "A", "us-east-1", "34.240.0.10", moved, ADDRESSES, TARGETS)
    assert row.verdict == "match"


def test_a_switched_off_primary_with_its_pair_intact_answers_the_partner_by_health() -> None:
    # The answer names eu-west-1 (the pair's PRIMARY); its switch is Off and the pair is as
    # the policy wants, so resolvers get the SECONDARY, us-east-1: a match, on that evidence.
    row = judge(
        "shop",
        "eu-west-2",
        "A",
        "us-east-1",
        "34.240.0.10",
        Answer("NOERROR", ("198.18.0.1",)),
        ADDRESSES,
        TARGETS,
        switched_from="eu-west-1",
        pair_intact=True,
    )
    assert (row.verdict, row.answered_pop, row.evidence) == ("match", "us-east-1", "answer+switch")
    assert row.to_json()["evidence"] == "answer+switch"


def test_an_answer_outside_the_sources_fence_is_a_mismatch_even_when_expected() -> None:
    answer = Answer("NOERROR", ("198.18.0.2",))
    inside = judge("shop", "eu-west-2", "A", "us-east-1", "34.240.0.10", answer, ADDRESSES, TARGETS)
    assert inside.verdict == "match"
    fenced = judge(
        "shop",
        "eu-west-2",
        "A",
        "us-east-1",
        "34.240.0.10",
        answer,
        ADDRESSES,
        TARGETS,
        allowed=frozenset({"eu-west-1"}),
    )
    assert fenced.verdict == "mismatch" and "outside its compliance fence" in fenced.detail
