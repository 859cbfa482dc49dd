"""`status --detailed-exitcode` from the statuses alone: partial failovers, refusals."""

from __future__ import annotations

from geoproxy.core.failover import Failover
from geoproxy.core.status import AppStatus, partial_failovers, status_exit_code
from geoproxy.errors import EXIT_CHANGES, EXIT_FAILOVER_ACTIVE, EXIT_OK, Finding

POPS = ("us-east-1", "eu-west-1", "eu-central-1")
AWAY = Failover("eu-west-1", "eu-central-1", "2026-12-01T00:00:00Z", "")


def app(name: str, *failovers: Failover, pops: tuple[str, ...] = POPS) -> AppStatus:
    return AppStatus(name, f"origin.{name}.example.com", "Z1", list(failovers), pops=pops)


def test_calm_and_a_complete_failover() -> None:
    assert status_exit_code([app("a"), app("b")]) == EXIT_OK
    assert status_exit_code([app("a", AWAY), app("b", AWAY)]) == EXIT_FAILOVER_ACTIVE


def test_a_failover_some_applications_made_is_partial() -> None:
    statuses = [app("a", AWAY), app("b"), app("c", AWAY), app("d")]
    [partial] = partial_failovers(statuses)
    assert (partial.moved, partial.not_moved) == (("a", "c"), ("b", "d"))
    assert partial.command() == (
        "geoproxy failover --from eu-west-1 --to eu-central-1 --app b --app d"
    )
    assert status_exit_code(statuses) == EXIT_CHANGES


def test_applications_without_both_pops_are_not_left_behind() -> None:
    statuses = [app("a", AWAY), app("b", pops=("us-east-1", "eu-west-1"))]
    assert partial_failovers(statuses) == []
    assert status_exit_code(statuses) == EXIT_FAILOVER_ACTIVE


def test_another_failover_away_from_the_same_pop_is_not_partial() -> None:
    elsewhere = Failover("eu-west-1", "us-east-1", "2026-12-01T00:00:00Z", "")
    assert partial_failovers([app("a", AWAY), app("b", elsewhere)]) == []


def test_what_plan_would_refuse_is_not_calm() -> None:
    refused = app("a", AWAY)
    refused.refusals = [Finding("a: breach", app="a", code="compliance_breach")]
    assert status_exit_code([refused]) == EXIT_CHANGES
    drifted = app("b")
    drifted.distribution_drift = ["CloudFront distribution E1 Aliases"]
    assert status_exit_code([drifted]) == EXIT_CHANGES
    viewer = app("c")
    viewer.viewer = ["viewer record shop.example.com A is missing"]
    assert status_exit_code([viewer]) == EXIT_CHANGES
