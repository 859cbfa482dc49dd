"""How often geoproxy asks again: GetChange polls, and Change History lookups that wait out
its lag (aws/history.py)."""

from __future__ import annotations

import os


def poll_interval() -> float:
    """Seconds between polls; GEOPROXY_POLL_INTERVAL lets emulators go faster."""
    try:
        return max(float(os.environ.get("GEOPROXY_POLL_INTERVAL", "5")), 0.0)
    except ValueError:
        return 5.0
