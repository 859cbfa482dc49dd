"""Saved switch plans (`failover --via switches --dry-run --out FILE`, issue 25): what a
failover through the data plane will set, applied by `apply FILE` with no read of any
control plane and no policy.

The file is a geoproxy plan (`"kind": "geoproxy-plan"`, so `--out` and `is_saved_plan`
treat it as one) whose change set has `"kind": "switches"` (format 2's change-set kinds):
the cluster endpoints in the order to try them and the routing control ARNs with the state
to set. Its checksum is the plan format's. With `recovery.arc.account` (issue 26) it carries
that account (`accounts`, and `changes.account`), since `apply` reads no policy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoproxy.aws.planfile.file import (
    PLAN_KIND,
    PlanFileError,
    checksum,
    header,
    refuse_overwrite,
    write_document,
)
from geoproxy.core.accounts import AccountAccess, AccountRoutes
from geoproxy.policy.files import ReadRefused, read_bounded

SWITCH_FORMAT_VERSION = 2  # the plan format that has change-set kinds
SWITCHES = "switches"
MAX_SWITCH_PLAN_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SwitchPlanFile:
    path: Path
    command: str  # failover or failback
    created_at: str
    policy_file: str
    region: str
    state: str  # On / Off
    controls: tuple[tuple[str, str], ...]  # (name, ARN)
    endpoints: tuple[tuple[str, str], ...]  # (region, URL), in the order to try them
    applications: tuple[str, ...]
    partners: dict[str, str]
    text: list[str]
    routes: AccountRoutes | None = None  # the ARC account, when the policy names one


def save_switch_plan(
    path: Path,
    *,
    command: str,
    policy_file: str,
    region: str,
    state: str,
    controls: list[tuple[str, str]],
    endpoints: tuple[tuple[str, str], ...],
    applications: tuple[str, ...],
    partners: dict[str, str],
    text: list[str],
    overwrite: bool = False,
    account: AccountAccess | None = None,
) -> None:
    refuse_overwrite(path, overwrite)
    document: dict[str, Any] = {
        **header(SWITCH_FORMAT_VERSION, command, policy_file),
        "text": text,
        "changes": {
            "kind": SWITCHES,
            "region": region,
            "state": state,
            "routing_controls": [{"name": name, "arn": arn} for name, arn in controls],
            "endpoints": [{"region": r, "url": url} for r, url in endpoints],
            "applications": list(applications),
            "partners": partners,
        },
    }
    if account is not None:
        document["changes"]["account"] = account.name
        document["accounts"] = {account.name: account.to_json()}
    document["checksum"] = checksum(document)
    write_document(path, document)


def load_switch_plan(path: Path) -> SwitchPlanFile | None:
    """The switch plan in `path`, or None when it is another kind of plan (or not one)."""
    try:
        raw = read_bounded(path, limit=MAX_SWITCH_PLAN_BYTES)
        document = json.loads(raw)
    except (ReadRefused, OSError, ValueError):
        return None  # the ordinary loader says what is wrong with it
    if not isinstance(document, dict) or document.get("kind") != PLAN_KIND:
        return None
    changes = document.get("changes")
    if not isinstance(changes, dict) or changes.get("kind") != SWITCHES:
        return None
    if document.get("checksum") != checksum(document):
        raise PlanFileError(
            f"{path} does not match its checksum: it was changed after it was saved",
            hint="make the plan again with `geoproxy failover --via switches --dry-run --out`",
        )
    try:
        return SwitchPlanFile(
            path,
            str(document["command"]),
            str(document["created_at"]),
            str(document["policy_file"]),
            str(changes["region"]),
            str(changes["state"]),
            tuple((str(c["name"]), str(c["arn"])) for c in changes["routing_controls"]),
            tuple((str(e["region"]), str(e["url"])) for e in changes["endpoints"]),
            tuple(str(app) for app in changes["applications"]),
            {str(k): str(v) for k, v in dict(changes["partners"]).items()},
            [str(line) for line in document.get("text", [])],
            _routes(changes.get("account"), document.get("accounts") or {}),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise PlanFileError(f"{path} is not a complete switch plan ({error})") from None


def _routes(name: Any, accounts: dict[str, Any]) -> AccountRoutes | None:
    """The plan's ARC account; ValueError when it names one the plan does not define."""
    if name is None:
        return None
    if name not in accounts:
        raise ValueError(f"its changes name account {name!r}, which it does not define")
    access = AccountAccess.from_json(str(name), dict(accounts[name]))
    return AccountRoutes(accounts={access.name: access}, arc=access.name)
