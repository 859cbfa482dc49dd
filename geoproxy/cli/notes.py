"""One-time notes: what `validate` and `routes` say about the latency table (its source, and
the source regions it has no round trip for) is said once per policy, not on every run.

"Once" is kept per policy hash (the SHA-256 of the policy file's bytes) in the user cache
directory: GEOPROXY_CACHE_DIR, else $XDG_CACHE_HOME/geoproxy, else ~/.cache/geoproxy. A new
or edited policy, or a note whose text changed (another latency table), is said again;
`--verbose` says them every run. A cache that cannot be read or written only means the note
is said again. JSON output always carries them (`warnings`, `latency_source`)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

VERBOSE = False  # `geoproxy --verbose`: every note, every run


def cache_dir() -> Path:
    explicit = os.environ.get("GEOPROXY_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "geoproxy"


def unsaid(policy_sha256: str, notes: list[str]) -> list[str]:
    """The notes not yet said for this policy (all of them with --verbose, or without a
    hash); remembers them as said."""
    notes = list(dict.fromkeys(notes))
    if VERBOSE or not policy_sha256 or not notes:
        return notes
    path = cache_dir() / "notes" / f"{policy_sha256}.json"
    try:
        said = set(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        said = set()
    fresh = [note for note in notes if hashlib.sha256(note.encode()).hexdigest() not in said]
    if fresh:
        said |= {hashlib.sha256(note.encode()).hexdigest() for note in fresh}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(sorted(said)), encoding="utf-8")
            temporary.replace(path)
        except OSError:
            pass  # no cache: the note is said again next time, which is harmless
    return fresh
