"""A closed pipe (`geoproxy status | head -1`) is no error: once the reader is gone, what is
left of the output is dropped and the command ends with its own exit code, as `plan
--detailed-exitcode | head` must still say 2."""

from __future__ import annotations

import os
import sys
from typing import Any


class PipeSafeStream:
    """A text stream that swallows EPIPE: after the first failed write, fd 1 (or 2) points at
    /dev/null, so the rest of the run (and the interpreter's final flush) writes nowhere
    instead of raising BrokenPipeError."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.closed_pipe = False

    def _drop(self) -> None:
        self.closed_pipe = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass

    def write(self, text: str) -> int:
        if not self.closed_pipe:
            try:
                return int(self._stream.write(text))
            except BrokenPipeError:
                self._drop()
        return len(text)

    def flush(self) -> None:
        if not self.closed_pipe:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._drop()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def guard_pipes() -> None:
    """Wrap stdout and stderr (once) so a vanished reader ends no command."""
    if not isinstance(sys.stdout, PipeSafeStream) and sys.stdout is not None:
        sys.stdout = PipeSafeStream(sys.stdout)
    if not isinstance(sys.stderr, PipeSafeStream) and sys.stderr is not None:
        sys.stderr = PipeSafeStream(sys.stderr)
