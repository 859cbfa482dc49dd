"""The audit log: one JSON line per write to AWS, by any command.

Enabled by `--audit-log PATH` or GEOPROXY_AUDIT_LOG. The file is opened before anything is
written to AWS, so a log that cannot be written stops the command while nothing has changed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from geoproxy.errors import GeoproxyError

ENV_VARIABLE = "GEOPROXY_AUDIT_LOG"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class AuditLog:
    path: Path
    stream: TextIO

    @classmethod
    def open(cls, path: str | Path | None) -> AuditLog | None:
        chosen = path or os.environ.get(ENV_VARIABLE)
        if not chosen:
            return None
        try:
            # Append-only, line-buffered: concurrent runs interleave whole lines, never bytes.
            stream = open(chosen, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        except OSError as error:
            raise GeoproxyError(f"cannot open the audit log {chosen}: {error}",
                                hint="nothing was written to AWS") from None
        return cls(Path(chosen), stream)

    def record(self, **entry: Any) -> None:
        self.stream.write(json.dumps({"time": utc_now(), **entry}, sort_keys=False) + "\n")
        self.stream.flush()

    def close(self) -> None:
        self.stream.close()


def callers(path: str | Path | None, state_name: str, declared_at: str) -> str | None:
    """Who declared the failover whose state record is `state_name`, declared at
    `declared_at`: the caller of the first failover write of that record at or after that
    time, from the audit log (the public state record does not say)."""
    chosen = path or os.environ.get(ENV_VARIABLE)
    if not chosen:
        return None
    wanted = state_name.rstrip(".").lower() + "."
    try:
        lines = Path(chosen).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict) or entry.get("command") != "failover":
            continue
        names = {str(r.get("name", "")).lower() for r in entry.get("records") or []
                 if isinstance(r, dict)}
        if wanted in names and str(entry.get("time", "")) >= declared_at and entry.get("who"):
            return str(entry["who"])
    return None
