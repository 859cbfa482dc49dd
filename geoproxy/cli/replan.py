"""After Route 53 rejected a batch because the state changed underneath (its state record
assertion failed: someone else wrote the application since this run read it): a saved plan is
stale (exit 3); a plan made in this run is read, made and checked once more (see
`flow.write_plan`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text

from geoproxy.cli import render
from geoproxy.errors import StalePlanError, StateChangedError


def after_state_changed(
    changed: StateChangedError,
    document: dict[str, Any],
    plan_file: Path | None,
    replan: Callable[[], tuple[Any, dict[str, Any]] | None] | None,
    aws: Any = None,
) -> tuple[Any, ...] | None:
    """The new plan's (changes, aws, document) to write, or None when nothing is left to
    do; raises for a saved plan (stale) or when this run cannot re-plan."""
    if plan_file is not None:
        raise StalePlanError(
            f"the saved plan {plan_file} is stale: {changed.message}",
            hint="make a new plan from what is live now",
            output=document,
        ) from None
    if replan is None or aws is None:
        raise changed
    render.stderr.print(
        Text(
            f"{changed.message}\nThe state changed underneath this run: re-reading and "
            "planning again against what is live now.",
            style="yellow",
        )
    )
    again = replan()
    if again is None:
        return None
    new_changes, new_document = again
    new_document["replanned"] = True
    return new_changes, aws, new_document


def saved_override(document: Any) -> str | None:
    """The --override-compliance a saved plan was made with (recorded in the audit log)."""
    reason = document.get("override_compliance") if isinstance(document, dict) else None
    return reason if isinstance(reason, str) and reason else None


def shown_again(the_plan: Any, document: dict[str, Any], view: Any) -> Any:
    """A failover or failback planned again after the state changed underneath: shown (it
    was checked as the first time), or None when nothing is left to do."""
    from geoproxy.core.changeset import changeset_of

    if not the_plan.has_changes:
        return None
    view.plan(the_plan)
    return changeset_of(the_plan), document
