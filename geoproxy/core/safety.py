"""Safety rules: each looks at a finished plan and returns reasons to refuse it; the
mass-deletion guard is one of them, refused unless --force.

Pure, and apart from the output: the renderers show a plan, these decide whether it may be
written (as octoDNS's plan safety is apart from its output).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from geoproxy.core.plan import Plan
from geoproxy.core.records import LiveRecord
from geoproxy.core.state import StateRecord
from geoproxy.errors import Finding

SafetyRule = Callable[[Plan], list[Finding]]


def refuse_conflicts(plan: Plan) -> list[Finding]:
    return [
        Finding(
            f"{app.name}: {conflict.record.describe()} is in the way: {conflict.reason}",
            app=app.name,
            code="record_conflict",
            override="--adopt",
        )
        for app in plan.apps
        for conflict in app.conflicts
    ]


def refuse_problems(plan: Plan) -> list[Finding]:
    """Problems found on the way (e.g. a failover that breaks a compliance rule)."""
    return list(plan.problems)


DEFAULT_RULES: tuple[SafetyRule, ...] = (refuse_problems, refuse_conflicts)


def check(plan: Plan, rules: Iterable[SafetyRule] = DEFAULT_RULES) -> list[Finding]:
    return [problem for rule in rules for problem in rule(plan)]


# --- the mass-deletion guard: refused unless --force ------------------------------------------

# As octoDNS's safety net: only from 10 existing records, and past 30% of them (or all).
GUARD_MIN_RECORDS = 10
GUARD_MAX_SHARE = 0.30


@dataclass(frozen=True)
class MassDeletion:
    app: str
    deleting: int  # owned routing records removed and not replaced
    of: int  # owned routing records live now

    def describe(self) -> str:
        share = round(100 * self.deleting / self.of)
        return (
            f"{self.app}: the plan deletes {self.deleting} of its {self.of} routing "
            f"records ({share}%, over the {round(100 * GUARD_MAX_SHARE)}% guard)"
        )


def mass_deletions(plan: Plan) -> list[MassDeletion]:
    """Applications whose plan deletes more than 30% (or all) of at least 10 routing records
    geoproxy owns. An update is not a deletion, and the failover state record is not a
    routing record; failover and failback never run this guard (their moves are
    deliberate)."""
    found = []
    for app in plan.apps:

        def routing(record: LiveRecord | None) -> bool:
            return record is not None and record.owned

        deleting = sum(1 for c in app.changes if c.action == "delete" and routing(c.old))
        updating = sum(1 for c in app.changes if c.action == "update" and routing(c.old))
        unchanged = sum(1 for d in app.unchanged if not isinstance(d.record, StateRecord))
        existing = deleting + updating + unchanged
        if (
            existing >= GUARD_MIN_RECORDS
            and deleting
            and (deleting > GUARD_MAX_SHARE * existing or deleting == existing)
        ):
            found.append(MassDeletion(app.name, deleting, existing))
    return found
