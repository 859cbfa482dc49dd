"""Views: one interface for what a command shows, one implementation per output format.

As Terraform's `internal/command/views`: a command says *what* happened (a plan, nothing to
do, a dry run, an apply's result, a status) and the view for `--output` decides how it
looks. `HumanView` prints rich text to a person; `JsonView` prints one JSON document for a
script at the end and nothing else on stdout. A Markdown view (for pull-request comments)
is a third implementation of the same interface. Commands never branch on `--output`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text

from geoproxy.cli import render, render_plan

if TYPE_CHECKING:
    from geoproxy.core.orphans import Orphan
    from geoproxy.core.status import AppStatus
    from geoproxy.pipeline import Compiled
    from geoproxy.pipeline.apply import ApplyResult, SubmittedBatch, WaitCallback


@dataclass
class StatusExtra:
    """What `status` shows beside the records (switches, accelerated recovery, stranded
    changes): keys for the JSON document, and a function that prints them for people;
    `notes` are one-time notes (said once per policy to people, always in JSON warnings)."""

    document: dict[str, Any] = field(default_factory=dict)
    text: Callable[[], None] | None = None
    notes: list[str] = field(default_factory=list)
    policy_sha256: str = ""
    # With `accounts:`: application -> the account of its zone and of its distribution.
    accounts: dict[str, dict[str, str | None]] = field(default_factory=dict)


class View(Protocol):
    # Whether a person reads this: only then may a command ask for confirmation.
    interactive: bool

    def plan(self, the_plan: Any) -> None:
        """The plan about to be written (or refused)."""

    def finished(self, document: dict[str, Any]) -> None:
        """The command is done and wrote nothing more: its document, if it has one."""

    def nothing_to_do(self, document: dict[str, Any], message: str) -> None: ...

    def said(self, lines: list[str]) -> None:
        """Lines for a person (what a data-plane switch move does); JSON has them as data."""

    def dry_run(self, document: dict[str, Any]) -> None: ...

    def saved(self, out_file: Path) -> None: ...

    def progress(self) -> AbstractContextManager[WaitCallback | None]: ...

    def applied(self, document: dict[str, Any], result: ApplyResult) -> None: ...

    def already_applied(self, document: dict[str, Any], steps: list[str]) -> None: ...

    def saved_plan(self, path: Path, saved: Any) -> None:
        """The saved plan about to be applied, as it was reviewed."""

    def status(
        self,
        statuses: list[AppStatus],
        warnings: list[str],
        orphans: list[Orphan],
        switches: Any = None,
        extra: StatusExtra | None = None,
    ) -> None: ...

    def waited(self, batches: list[SubmittedBatch], seconds: float) -> None: ...

    def validated(self, policy_file: Path, compiled: Compiled) -> None: ...

    def routes(self, compiled: Compiled) -> None: ...

    def edge_function(self, document: dict[str, Any], notes: list[str]) -> None: ...

    def verified(self, document: dict[str, Any]) -> None:
        """`verify`'s rows, summary and what TestDNSAnswer can prove."""

    def drilled(self, document: dict[str, Any]) -> None:
        """The drill's report."""


class HumanView:
    interactive = True

    def plan(self, the_plan: Any) -> None:
        render_plan.plan_text(the_plan)  # "No changes", orphans and all
        if getattr(the_plan, "recovery", None):  # accelerated recovery, zone by zone
            from geoproxy.cli.render_recovery import recovery_text

            recovery_text(the_plan.recovery)

    def finished(self, document: dict[str, Any]) -> None:
        pass  # everything was shown as it happened

    def nothing_to_do(self, document: dict[str, Any], message: str) -> None:
        render.stdout.print(message)

    def said(self, lines: list[str]) -> None:
        for line in lines:
            render.stdout.print(Text(line))

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

        if getattr(saved, "changes", None) is None:  # a switch plan: its own text and rules
            render.stdout.print(
                Text(
                    f"Saved plan {path} (made {saved.created_at} by "
                    f"`geoproxy {saved.command}` from {saved.policy_file}):",
                    style="bold",
                )
            )
            render_plan.saved_plan_text(saved.text)
            return
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

    def status(
        self,
        statuses: list[AppStatus],
        warnings: list[str],
        orphans: list[Orphan],
        switches: Any = None,
        extra: StatusExtra | None = None,
    ) -> None:
        from geoproxy.cli import render_status
        from geoproxy.cli.notes import unsaid

        if extra is not None:
            render.warnings(unsaid(extra.policy_sha256, extra.notes))
        render_status.status_text(statuses, extra.accounts if extra is not None else {})
        if switches is not None:  # recovery.switches: arc, read from a cluster endpoint
            from geoproxy.cli.render_switches import switch_status_text

            switch_status_text(switches)
        render.orphans_text(orphans)
        if extra is not None and extra.text is not None:
            extra.text()

    def waited(self, batches: list[SubmittedBatch], seconds: float) -> None:
        render.stdout.print(
            f"INSYNC: {', '.join(str(b.change_id) for b in batches)} (after {seconds:.1f}s)."
        )

    def validated(self, policy_file: Path, compiled: Compiled) -> None:
        from geoproxy.cli.notes import unsaid

        # A one-time note, like the latency table's gaps: said once per policy.
        gaps = unsaid(compiled.loaded.sha256, _notes(compiled))
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

    def verified(self, document: dict[str, Any]) -> None:
        from geoproxy.cli.render_recovery import verify_text

        verify_text(document)

    def drilled(self, document: dict[str, Any]) -> None:
        from geoproxy.cli.render_recovery import drill_text

        drill_text(document)


class JsonView:
    """One document on stdout, at the end; warnings still go to stderr."""

    interactive = False

    def plan(self, the_plan: Any) -> None:
        pass  # the plan is in the document

    def finished(self, document: dict[str, Any]) -> None:
        render.emit_json(document)

    def nothing_to_do(self, document: dict[str, Any], message: str) -> None:
        render.emit_json(document)

    def said(self, lines: list[str]) -> None:
        pass  # the document carries the same facts

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

    def status(
        self,
        statuses: list[AppStatus],
        warnings: list[str],
        orphans: list[Orphan],
        switches: Any = None,
        extra: StatusExtra | None = None,
    ) -> None:
        from geoproxy.cli import render_status

        notes = extra.notes if extra is not None else []
        document = render_status.status_json(statuses, [*warnings, *notes], orphans)
        for app in document["applications"]:
            if extra is not None and app["name"] in extra.accounts:
                app["accounts"] = extra.accounts[app["name"]]
        if switches is not None:
            from geoproxy.cli.render_switches import switch_status_json

            document["switches"] = switch_status_json(switches)
        document.update(extra.document if extra is not None else {})
        render.emit_json(document)

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
                "warnings": [*compiled.warnings, *_notes(compiled)],
            }
        )

    def routes(self, compiled: Compiled) -> None:
        render.emit_json(render.routes_json(compiled))

    def edge_function(self, document: dict[str, Any], notes: list[str]) -> None:
        render.emit_json(document)

    def verified(self, document: dict[str, Any]) -> None:
        render.emit_json(document)

    def drilled(self, document: dict[str, Any]) -> None:
        render.emit_json(document)


def _notes(compiled: Compiled) -> list[str]:
    """`validate`'s one-time notes: the latency table's gaps, and whether DR depends on the
    us-east-1 control plane (core/recovery.py)."""
    from geoproxy.core.recovery import control_plane_note

    note = control_plane_note(compiled.loaded.policy)
    return [*compiled.routing.latency_gaps, *([note] if note else [])]


class MarkdownView:
    """Markdown for a pull-request comment (`plan` and `show` offer it): like JSON, one
    document on stdout, written only when the command is done, so a plan refused on the way
    (a conflict, a tampered saved plan) leaves stdout empty and no comment shows a plan that
    will not be applied. Messages and warnings go to stderr, as for JSON."""

    interactive = False

    def __init__(self) -> None:
        self._markdown: Callable[[dict[str, Any]], str] | None = None

    def plan(self, the_plan: Any) -> None:
        from geoproxy.cli.render_markdown import plan_markdown

        self._markdown = lambda document: plan_markdown(the_plan, document.get("plan", document))

    def saved_plan(self, path: Path, saved: Any) -> None:
        from geoproxy.cli.render_markdown import saved_plan_markdown

        self._markdown = lambda document: saved_plan_markdown(
            path, saved, verified=bool(document.get("signature_verified"))
        )

    def finished(self, document: dict[str, Any]) -> None:
        if self._markdown is not None:
            sys.stdout.write(self._markdown(document))
            sys.stdout.flush()

    def saved(self, out_file: Path) -> None:
        render.stderr.print(f"Saved the plan to {out_file}.")

    @contextmanager
    def progress(self) -> Iterator[WaitCallback | None]:
        yield None

    # Commands that do not offer `--output markdown` never reach these; a new one that
    # offers it without a rendering fails loudly rather than printing nothing.
    def _unsupported(self, *_: Any, **__: Any) -> None:
        raise NotImplementedError("this command has no Markdown output")

    nothing_to_do = dry_run = applied = already_applied = said = _unsupported
    status = waited = validated = routes = edge_function = verified = drilled = _unsupported


def view_for(output: str) -> View:
    """The view for `--output`: `json`, `markdown`, or text for people."""
    views: dict[str, Callable[[], View]] = {"json": JsonView, "markdown": MarkdownView}
    return views.get(output, HumanView)()
