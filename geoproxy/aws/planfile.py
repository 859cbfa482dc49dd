"""Saved plans (`plan --out`): the plan's JSON plus what it was computed from.

The file records the exact live records each change expects, so applying it later can be
compare-and-swap; it never silently replaces a file that is not a geoproxy plan.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from geoproxy import __version__
from geoproxy.errors import GeoproxyError

PLAN_KIND = "geoproxy-plan"


def _is_geoproxy_plan(path: Path) -> bool:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("kind") == PLAN_KIND
    except (OSError, ValueError, AttributeError):
        return False


def save_plan(path: Path, plan_document: dict[str, Any], policy_file: str) -> None:
    if path.exists() and not _is_geoproxy_plan(path):
        raise GeoproxyError(f"{path} exists and is not a geoproxy plan; not overwriting it",
                            hint="choose another --out path or remove the file")
    policy_bytes = Path(policy_file).read_bytes()
    document = {
        "kind": PLAN_KIND,
        "geoproxy_version": __version__,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "policy_file": policy_file,
        "policy_sha256": hashlib.sha256(policy_bytes).hexdigest(),
        "plan": plan_document,
    }
    directory = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=".geoproxy-plan-", dir=directory)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=2)
            stream.write("\n")
        os.replace(temporary, path)
    except OSError as error:
        raise GeoproxyError(f"cannot write the plan to {path}: {error}") from None
