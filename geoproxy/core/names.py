"""The names geoproxy writes, each rule in one place.

Pure. A name geoproxy writes is a contract with what is already live: a rule spelled twice
drifts, and then geoproxy no longer recognises its own records.
"""

from __future__ import annotations


def direct_name(pop: str, record_name: str) -> str:
    """A per-PoP name that skips the latency routing: the origin group's fallback and the
    edge fence's target."""
    return f"{pop}.{record_name}"
