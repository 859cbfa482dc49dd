"""The edge fence's side of a plan: the function to publish, and its associations.

Pure. A fenced application's CloudFront Function is compared with what is live in its two
stages (DEVELOPMENT, which UpdateFunction writes, and LIVE, which viewers run and
PublishFunction copies into), so a run that crashed between the two is completed by the next.
Its country -> PoP table is read back from the live code, so a plan shows which countries
move, not a diff of JavaScript.

Its associations with the distribution's behaviours are in `behaviours`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geoproxy.core.edge.function import RUNTIME, EdgeFunction, FenceTable


@dataclass(frozen=True)
class LiveFunction:
    """A function as read: its DEVELOPMENT code and ETag (None: no such function) and its
    LIVE code (None: never published)."""

    name: str
    development_code: str | None = None
    development_etag: str | None = None
    live_code: str | None = None

    @property
    def exists(self) -> bool:
        return self.development_etag is not None


@dataclass
class FunctionPlan:
    """One application's function: what apply writes to make LIVE run `function.code`."""

    app: str
    function: EdgeFunction
    live: LiveFunction

    @property
    def name(self) -> str:
        return self.function.name

    @property
    def create(self) -> bool:
        return not self.live.exists

    @property
    def update(self) -> bool:
        return self.live.exists and self.live.development_code != self.function.code

    @property
    def publish(self) -> bool:
        return self.live.live_code != self.function.code

    @property
    def has_changes(self) -> bool:
        return self.create or self.update or self.publish

    @property
    def action(self) -> str:
        return "create" if self.create else "update" if self.update or self.publish else "none"

    @property
    def table_before(self) -> FenceTable | None:
        return FenceTable.of_code(self.live.live_code)

    @property
    def table_after(self) -> FenceTable:
        table = FenceTable.of_code(self.function.code)
        assert table is not None, "geoproxy's own code always reads back"
        return table

    def moves(self) -> list[tuple[str, str | None, str | None]]:
        before = self.table_before or FenceTable({}, None)
        return before.moves(self.table_after)


@dataclass(frozen=True)
class FunctionUpdate:
    """The function's writes, in wire form (for execute and saved plans): CreateFunction or
    UpdateFunction (IfMatch the DEVELOPMENT ETag read), then PublishFunction."""

    app: str
    name: str
    code: str
    comment: str
    development_etag: str | None  # None: create
    development_code: str | None  # as read, so a re-run can tell what already landed
    live_code: str | None
    runtime: str = RUNTIME

    @staticmethod
    def of(plan: FunctionPlan) -> FunctionUpdate:
        return FunctionUpdate(
            plan.app,
            plan.name,
            plan.function.code,
            comment_for(plan.app),
            plan.live.development_etag,
            plan.live.development_code,
            plan.live.live_code,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "name": self.name,
            "code": self.code,
            "comment": self.comment,
            "development_etag": self.development_etag,
            "development_code": self.development_code,
            "live_code": self.live_code,
            "runtime": self.runtime,
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> FunctionUpdate:
        def text_or_none(key: str) -> str | None:
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                raise TypeError(f"function {key} must be a string or null")
            return value

        if data.get("runtime", RUNTIME) != RUNTIME:
            raise ValueError(f"unexpected function runtime {data.get('runtime')!r}")
        return FunctionUpdate(
            str(data["app"]),
            str(data["name"]),
            str(data["code"]),
            str(data["comment"]),
            text_or_none("development_etag"),
            text_or_none("development_code"),
            text_or_none("live_code"),
        )


def comment_for(app: str) -> str:
    # FunctionConfig.Comment is at most 128 characters (CreateFunction's API reference).
    return f"geoproxy edge fence of {app}"[:128]
