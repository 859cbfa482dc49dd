"""The audit log: one JSON line per write to AWS, by any command.

Enabled by `--audit-log PATH` or GEOPROXY_AUDIT_LOG. The file is opened before anything is
written to AWS, so a log that cannot be written stops the command while nothing has changed.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from geoproxy.errors import GeoproxyError
from geoproxy.policy.files import read_bounded

ENV_VARIABLE = "GEOPROXY_AUDIT_LOG"
MAX_AUDIT_READ_BYTES = 256 * 1024 * 1024  # what `status` reads to say who declared failovers


class NotLogged(GeoproxyError):
    """A write landed in AWS but its audit line could not be written: the audit log is part
    of the write, so the run stops there and says what is live and not logged."""

    kind = "written_not_logged"


def describe_write(write: dict[str, Any]) -> str:
    """One audit entry as a person reads it: what landed, with its change id."""
    if write.get("action") == "ChangeResourceRecordSets":
        records = write.get("records") or []
        return (
            f"change {write.get('change_id') or '(id lost)'} in zone {write.get('zone_id')} "
            f"({len(records)} record change(s), live)"
        )
    what = (
        write.get("distribution_id")
        or write.get("function")
        or write.get("health_check_id")
        or write.get("pop")
        or ""
    )
    return f"{write.get('service', 'aws')} {write.get('action', 'write')} {what}".rstrip()


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
            raise GeoproxyError(
                f"cannot open the audit log {chosen}: {error}", hint="nothing was written to AWS"
            ) from None
        return cls(Path(chosen), stream)

    def record(self, **entry: Any) -> None:
        """One line, or NotLogged naming what landed unlogged (the disk is full, the log is
        /dev/full, a network share went away): never a bare OSError after a write."""
        try:
            self.stream.write(json.dumps({"time": utc_now(), **entry}, sort_keys=False) + "\n")
            self.stream.flush()
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise NotLogged(
                f"written, not logged: {describe_write(entry)}, but the audit log {self.path} "
                f"could not be written ({reason}); nothing more was written",
                hint="record this change by hand where your audit trail is kept; free the "
                "log (disk full?) and run the same command again for the rest",
            ) from None

    def close(self) -> None:
        # The failed line was reported by record(); a second report would add nothing.
        with contextlib.suppress(OSError):
            self.stream.close()


@dataclass(frozen=True)
class AuditTrail:
    """The failover writes of an audit log, read once, to say who declared a failover (the
    public state record does not)."""

    writes: tuple[tuple[str, frozenset[str], str], ...]  # (time, record names, who)

    @classmethod
    def read(cls, path: str | Path | None) -> AuditTrail:
        chosen = path or os.environ.get(ENV_VARIABLE)
        if not chosen:
            return cls(())
        try:
            # Bounded like every file geoproxy reads: `--audit-log /dev/zero` on status
            # must not read for ever. Unreadable, it says nothing about who, as before.
            raw = read_bounded(chosen, limit=MAX_AUDIT_READ_BYTES)
        except GeoproxyError:
            return cls(())
        lines = raw.decode("utf-8", errors="replace").splitlines()
        writes = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("command") == "failover" and entry.get("who"):
                names = frozenset(
                    str(r.get("name", "")).lower()
                    for r in entry.get("records") or []
                    if isinstance(r, dict)
                )
                writes.append((str(entry.get("time", "")), names, str(entry["who"])))
        return cls(tuple(writes))

    def who(self, state_name: str, declared_at: str) -> str | None:
        """The caller of the first failover write of `state_name` at or after
        `declared_at`."""
        wanted = state_name.rstrip(".").lower() + "."
        return next(
            (who for time, names, who in self.writes if wanted in names and time >= declared_at),
            None,
        )
