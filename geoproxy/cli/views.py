"""Views: one interface for what a command shows, one implementation per output format.

As Terraform's `internal/command/views`: a command says *what* happened (a plan, nothing to
do, a dry run, an apply's result, a status) and the view for `--output` decides how it
looks. `HumanView` prints rich text to a person; `JsonView` prints one JSON document for a
script at the end and nothing else on stdout. A Markdown view (for pull-request comments)
is a third implementation of the same interface. Commands never branch on `--output`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text

from geoproxy.cli import render, render_plan

if TYPE_CHECKING:
    from geoproxy.core.orphans import Orphan
    from geoproxy.core.status import AppStatus
    from geoproxy.pipeline import Compiled
    from geoproxy.pipeline.apply import ApplyResult, SubmittedBatch, WaitCallback


class View(Protocol):
    # Whether a person reads this: only then may a command ask for confirmation.
    interactive: bool

    def plan(self, the_plan: Any) -> None:
        """The plan about to be written (or refused)."""

    def finished(self, document: dict[str, Any]) -> None:
        """The command is done and wrote nothing more: its document, if it has one."""

    def nothing_to_do(self, document: dict[str, Any], message: str) -> None: ...

    def dry_run(self, document: dict[str, Any]) -> None: ...

    def saved(self, out_file: Path) -> None: ...

    def progress(self) -> AbstractContextManager[WaitCallback | None]: ...

    def applied(self, document: dict[str, Any], result: ApplyResult) -> None: ...

    def already_applied(self, document: dict[str, Any], steps: list[str]) -> None: ...

    def saved_plan(self, path: Path, saved: Any) -> None:
        """The saved plan about to be applied, as it was reviewed."""

    def status(
        self, statuses: list[AppStatus], warnings: list[str], orphans: list[Orphan]
    ) -> None: ...

    def waited(self, batches: list[SubmittedBatch], seconds: float) -> None: ...

    def validated(self, policy_file: Path, compiled: Compiled) -> None: ...

    def routes(self, compiled: Compiled) -> None: ...

    def edge_function(self, document: dict[str, Any], notes: list[str]) -> None: ...


class HumanView:
    interactive = True

    def plan(self, the_plan: Any) -> None:
        if the_plan.has_changes:
            render_plan.plan_text(the_plan)

    def finished(self, document: dict[str, Any]) -> None:
        pass  # everything was shown as it happened

    def nothing_to_do(self, document: dict[str, Any], message: str) -> None:
        render.stdout.print(message)

    def dry_run(self, document: dict[str, Any]) -> None:
        render.stdout.print("Dry run: nothing was written.")

    def saved(self, out_file: Path) -> None:
        render.stdout.print(
            f"Saved the plan to {out_file}; apply it with `geoproxy apply {out_file}`."
        )

    def progress(self) -> AbstractContextManager[WaitCallback | None]:
        return render.wait_progress(enabled=True)

    def applied(self, document: dict[str, Any], result: ApplyResult) -> None:
        planned = document.get("plan") if isinstance(document.get("plan"), dict) else document
        summary = planned.get("summary") if isinstance(planned, dict) else None
        render.apply_result_text(result, summary if isinstance(summary, dict) else None)

    def already_applied(self, document: dict[str, Any], steps: list[str]) -> None:
        render.stdout.print("Nothing to do: everything in the saved plan is live.")

    def saved_plan(self, path: Path, saved: Any) -> None:
        # What the plan writes, rendered from its change set: the text stored beside it is
        # prose anyone who can edit the file may have changed (core.saved_plan_checks).
        from geoproxy.core.saved_plan_checks import review_lines

        signed = " signed," if saved.signature else ""
        render.stdout.print(
            Text(
                f"Saved plan {path} (format {saved.format_version},{signed} made "
                f"{saved.created_at} by `geoproxy {saved.command}` from {saved.policy_file}); "
                "it writes:",
                style="bold",
            )
        )
        render_plan.saved_plan_text(review_lines(saved.changes))

    def status(self, statuses: list[AppStatus], warnings: list[str], orphans: list[Orphan]) -> None:
        from geoproxy.cli import render_status

        render_status.status_text(statuses)
        render.orphans_text(orphans)

    def waited(self, batches: list[SubmittedBatch], seconds: float) -> None:
        render.stdout.print(
            f"INSYNC: {', '.join(str(b.change_id) for b in batches)} (after {seconds:.1f}s)."
        )

    def validated(self, policy_file: Path, compiled: Compiled) -> None:
        from geoproxy.cli.notes import unsaid

        gaps = unsaid(compiled.loaded.sha256, compiled.routing.latency_gaps)
        render.warnings([*compiled.warnings, *gaps])
        apps = len(compiled.loaded.policy.applications)
        routes = sum(len(routing.routes) for routing in compiled.routing.applications)
        render.stdout.print(f"{policy_file}: valid ({apps} application(s), {routes} routes).")

    def routes(self, compiled: Compiled) -> None:
        from geoproxy.cli.notes import unsaid

        # The latency source and gaps are said once per policy version (cli.notes).
        source = (
            f"nearest by round trip: {compiled.routing.latency_source}"
            if compiled.routing.latency_source
            else None
        )
        fresh = unsaid(
            compiled.loaded.sha256, [*compiled.routing.latency_gaps, *([source] if source else [])]
        )
        render.warnings(
            [*compiled.warnings, *(gap for gap in compiled.routing.latency_gaps if gap in fresh)]
        )
        render.routes_table(compiled)
        if source in fresh:
            render.stderr.print(source)

    def edge_function(self, document: dict[str, Any], notes: list[str]) -> None:
        render.warnings(notes)
        sys.stdout.write(str(document["code"]))
        sys.stdout.flush()


class JsonView:
    """One document on stdout, at the end; warnings still go to stderr."""

    interactive = False

    def plan(self, the_plan: Any) -> None:
        pass  # the plan is in the document

    def finished(self, document: dict[str, Any]) -> None:
        render.emit_json(document)

    def nothing_to_do(self, document: dict[str, Any], message: str) -> None:
        render.emit_json(document)

    def dry_run(self, document: dict[str, Any]) -> None:
        render.emit_json(document)

    def saved(self, out_file: Path) -> None:
        pass  # the document says plan_file

    @contextmanager
    def progress(self) -> Iterator[WaitCallback | None]:
        yield None

    def applied(self, document: dict[str, Any], result: ApplyResult) -> None:
        document.update(applied=True, **render.apply_result_json(result))
        render.emit_json(document)

    def already_applied(self, document: dict[str, Any], steps: list[str]) -> None:
        document["already_applied"] = steps
        render.emit_json(document)

    def saved_plan(self, path: Path, saved: Any) -> None:
        pass  # the document carries the plan

    def status(self, statuses: list[AppStatus], warnings: list[str], orphans: list[Orphan]) -> None:
        from geoproxy.cli import render_status

        render.emit_json(render_status.status_json(statuses, warnings, orphans))

    def waited(self, batches: list[SubmittedBatch], seconds: float) -> None:
        render.emit_json(
            {"changes": [{"change_id": b.change_id, "status": b.status} for b in batches]}
        )

    def validated(self, policy_file: Path, compiled: Compiled) -> None:
        render.emit_json(
            {
                "valid": True,
                "file": str(policy_file),
                "applications": [app.name for app in compiled.loaded.policy.applications],
                "warnings": [*compiled.warnings, *compiled.routing.latency_gaps],
            }
        )

    def routes(self, compiled: Compiled) -> None:
        render.emit_json(render.routes_json(compiled))

    def edge_function(self, document: dict[str, Any], notes: list[str]) -> None:
        render.emit_json(document)


def view_for(output: str) -> View:
    """The view for `--output`: `json`, or text for people."""
    return JsonView() if output == "json" else HumanView()
