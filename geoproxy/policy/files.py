"""Bounded, typed reads of the files geoproxy is given: the policy, a latency table, a saved
plan.

A size read before reading proves nothing (a symlink onto /dev/zero stats as a character
device of size 0; a FIFO has no size at all), so the byte limit is enforced while reading,
and a read that makes no progress for READ_TIMEOUT_S ends. Device files and directories are
refused outright; a FIFO, or `-` for stdin, only where the caller allows a stream (the
policy: `cat routing.yaml | geoproxy validate -f -`). A symlink is followed, but only onto
a regular file (or, where allowed, a FIFO): the type checked is that of the file opened.
"""

from __future__ import annotations

import math
import os
import select
import stat
import sys
import time
from pathlib import Path

from geoproxy.errors import GeoproxyError

STDIN = "-"
READ_TIMEOUT_ENV = "GEOPROXY_READ_TIMEOUT"
READ_TIMEOUT_S = 30.0
MAX_READ_TIMEOUT_S = 3600.0
_CHUNK = 64 * 1024


class ReadRefused(GeoproxyError):
    """A file geoproxy will not read, or could not read within its limits. `reason` is the
    message without the file's name, for callers that name the file their own way."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_timeout() -> float:
    """GEOPROXY_READ_TIMEOUT (seconds), else READ_TIMEOUT_S; anything that is not a finite
    number of seconds in (0, MAX_READ_TIMEOUT_S] is refused, naming the variable."""
    raw = os.environ.get(READ_TIMEOUT_ENV)
    if not raw:
        return READ_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 < value <= MAX_READ_TIMEOUT_S:
        raise GeoproxyError(
            f"{READ_TIMEOUT_ENV}={raw!r}: expected a number of seconds "
            f"above 0 and at most {MAX_READ_TIMEOUT_S:,.0f}"
        )
    return value


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    return "not a regular file"


def read_bounded(
    path: str | Path, *, limit: int, stream_ok: bool = False, timeout_s: float | None = None
) -> bytes:
    """At most `limit` bytes of `path`, or ReadRefused. `stream_ok` admits a FIFO and `-`
    (stdin), read under the same limit and timeout."""
    timeout = read_timeout() if timeout_s is None else timeout_s
    if str(path) == STDIN:
        if not stream_ok:
            raise ReadRefused("`-` (stdin) is accepted for the policy only")
        return _read_fd(sys.stdin.fileno(), limit, timeout)
    try:
        # O_NONBLOCK: opening a FIFO for reading otherwise blocks until a writer comes, with
        # no timeout; regular files ignore the flag.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise ReadRefused("file not found") from None
    except IsADirectoryError:
        raise ReadRefused("is a directory, not a file") from None
    except OSError as error:
        raise ReadRefused(f"cannot read: {error.strerror or error}") from None
    try:
        mode = os.fstat(fd).st_mode  # of what was opened: a symlink's target, not the link
        if stat.S_ISREG(mode) or (stream_ok and stat.S_ISFIFO(mode)):
            return _read_fd(fd, limit, timeout)
        allowed = "a regular file or a FIFO" if stream_ok else "a regular file"
        raise ReadRefused(f"is {_kind(mode)}; geoproxy reads only {allowed}")
    finally:
        os.close(fd)


def _read_fd(fd: int, limit: int, timeout: float) -> bytes:
    chunks: list[bytes] = []
    total = 0
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ReadRefused(
                f"no end of input after {timeout:g} s (read {total:,} bytes); "
                f"giving up (the limit is {READ_TIMEOUT_ENV})"
            )
        # A FIFO or a terminal may have nothing yet: wait for it, never past the deadline.
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        try:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
        except BlockingIOError:
            continue
        except OSError as error:
            raise ReadRefused(f"cannot read: {error.strerror or error}") from None
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise ReadRefused(
                f"larger than {limit:,} bytes, the most geoproxy reads of it; stopped reading there"
            )
