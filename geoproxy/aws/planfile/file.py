"""Saved plans: `plan --out` and `failover --dry-run --out` write them, `apply PLANFILE`
applies exactly what they say.

A plan file is JSON a person can read: the plan as `plan -o json` shows it, the writes as
text, and the writes in wire form (`core.changeset`: every record change as the exact live
record it expects to DELETE and the record it CREATEs, each distribution's ETag, the config
it was computed from and the one geoproxy writes). A SHA-256 checksum over the document
catches accidents (anyone can recompute it, so it proves nothing about edits); an optional
signature (`signature.py`) catches edits. A file is never written over unless it is a
geoproxy plan.

Format 2 (this geoproxy writes it) adds: `owner` (the policy's), `adopt`, the change set's
`kind` (`records`; `switches` is the data-plane switches' kind), an optional per-change
`account`, `signature`, and a `text` that is rendered from the changes (and checked against
them on load). Format 1 files stay readable; their prose is never shown, only their changes.

Compatibility rule: `format_version` counts changes to this file's shape. A geoproxy applies
every format version listed in SUPPORTED_FORMATS (all versions up to its own, unless a
CHANGELOG entry says one was retired), so upgrading geoproxy does not void plans prepared in
calm weather; a newer version than it knows is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from geoproxy import __version__
from geoproxy.aws.planfile.accounts import accounts_of, with_accounts
from geoproxy.core.accounts import AccountRoutes
from geoproxy.core.changeset import ChangeSet, from_json, to_json
from geoproxy.core.safety import MassDeletion
from geoproxy.errors import GeoproxyError
from geoproxy.policy.files import ReadRefused, read_bounded

PLAN_KIND = "geoproxy-plan"
FORMAT_VERSION = 2
SUPPORTED_FORMATS = frozenset({1, 2})
# What the change set of a format-2 plan holds: DNS records and distributions, or (issue 25)
# data-plane switches. This geoproxy applies the kinds listed here.
CHANGE_KINDS = frozenset({"records"})
# Neither covered by the checksum nor by the signature: they are computed over the rest.
UNSEALED = ("checksum", "signature")
MAX_PLAN_BYTES = 64 * 1024 * 1024  # far above any real plan; stops a wrong file early


class PlanFileError(GeoproxyError):
    kind = "plan_file_invalid"


@dataclass(frozen=True)
class SavedPlan:
    path: Path
    command: str  # apply, failover or failback: what made it, and what the audit log says
    created_at: str
    policy_file: str
    changes: ChangeSet
    text: list[str]  # the plan as `plan` printed it
    document: dict[str, Any]  # the plan as `plan -o json` printed it
    failover_declared_at: str | None  # failovers declared at this time get the apply time
    mass_deletions: list[MassDeletion]  # what the mass-deletion guard found when it was made
    format_version: int = FORMAT_VERSION
    owner: str | None = None  # the policy's `owner:` (format 2; None: any, as format 1)
    adopt: bool | None = None  # made with --adopt (format 2; None: unknown, as format 1)
    signature: dict[str, Any] | None = None
    sealed: bytes = b""  # the exact bytes the checksum and the signature cover
    # The accounts its writes are in (accounts:, issue 26); None: the base credentials only.
    routes: AccountRoutes | None = None


def is_saved_plan(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            head = stream.read(4096)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and f'"kind": "{PLAN_KIND}"'.encode() in head


def sealed_bytes(document: dict[str, Any]) -> bytes:
    """The canonical bytes of everything but the checksum and the signature: what both
    cover (sorted keys, no spaces, ASCII)."""
    body = {key: value for key, value in document.items() if key not in UNSEALED}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def checksum(document: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(sealed_bytes(document)).hexdigest()


def save_plan(
    path: Path,
    *,
    command: str,
    plan_document: dict[str, Any],
    changes: ChangeSet,
    text: list[str],
    policy_file: str,
    policy_sha256: str,
    failover_declared_at: str | None = None,
    mass_deletions: list[dict[str, Any]] | None = None,
    overwrite: bool = False,
    owner: str | None = None,
    adopt: bool = False,
    routes: AccountRoutes | None = None,
) -> None:
    refuse_overwrite(path, overwrite)
    document: dict[str, Any] = {
        **header(FORMAT_VERSION, command, policy_file),
        "policy_sha256": policy_sha256,
        "owner": owner,
        "adopt": adopt,
        "failover_declared_at": failover_declared_at,
        # What the guard found when the plan was made: for people. `apply` counts it again
        # from the changes and live records, whatever this says.
        "mass_deletions": mass_deletions or [],
        "text": text,
        "plan": plan_document,
        "changes": {"kind": "records", **to_json(changes)},
    }
    if routes is not None and routes.accounts:
        with_accounts(document, routes)
    document["checksum"] = checksum(document)
    write_document(path, document)


def refuse_overwrite(path: Path, overwrite: bool) -> None:
    """Nothing a user owns is overwritten: only an earlier plan, or with --overwrite."""
    if path.exists() and not overwrite and not is_saved_plan(path):
        raise GeoproxyError(
            f"{path} exists and is not a geoproxy plan; not overwriting it",
            hint="choose another --out path, or pass --overwrite to replace it",
        )


def header(format_version: int, command: str, policy_file: str) -> dict[str, Any]:
    """What every plan file starts with: "kind" first, so a reader (and is_saved_plan) finds
    it at the top of the file."""
    return {
        "kind": PLAN_KIND,
        "format_version": format_version,
        "geoproxy_version": __version__,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "policy_file": policy_file,
    }


def write_document(path: Path, document: dict[str, Any]) -> None:
    """Atomically, mode 0600."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=".geoproxy-plan-", dir=directory)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=2)
            stream.write("\n")
        # A distribution config may carry origin custom headers: readable by the owner only.
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except OSError as error:
        raise GeoproxyError(f"cannot write the plan to {path}: {error}") from None


def read_document(path: Path) -> dict[str, Any]:
    """A plan file's JSON, its kind, format version and checksum checked."""
    name = str(path)
    try:
        document = json.loads(read_bounded(path, limit=MAX_PLAN_BYTES).decode("utf-8"))
    except ReadRefused as refused:
        if refused.reason == "file not found":
            raise PlanFileError(f"{name}: no such plan file") from None
        raise PlanFileError(f"{name}: {refused.reason}") from None
    except UnicodeDecodeError as error:
        raise PlanFileError(f"cannot read {name}: {error}") from None
    except json.JSONDecodeError as error:
        raise PlanFileError(
            f"{name}:{error.lineno}: not a geoproxy plan (not valid JSON: {error.msg})",
            hint="make one with `geoproxy plan --out PLANFILE`",
        ) from None
    if not isinstance(document, dict) or document.get("kind") != PLAN_KIND:
        raise PlanFileError(
            f"{name} is not a geoproxy plan",
            hint="make one with `geoproxy plan --out PLANFILE`; a policy "
            "is applied with `geoproxy apply -f FILE`",
        )
    version = document.get("format_version")
    if version not in SUPPORTED_FORMATS:
        raise PlanFileError(
            f"{name} has plan format version {version!r}, which this geoproxy "
            f"({__version__}) does not know (it applies versions "
            f"{', '.join(map(str, sorted(SUPPORTED_FORMATS)))})",
            hint="apply it with the geoproxy that made it "
            f"({document.get('geoproxy_version', 'unknown')}), or make a new plan",
        )
    if document.get("checksum") != checksum(document):
        raise PlanFileError(
            f"{name} was changed after geoproxy wrote it (its checksum does "
            "not match); refusing to apply an edited plan",
            hint="make a new plan with `geoproxy plan --out PLANFILE`",
        )
    return document


def _records_changes(name: str, document: dict[str, Any]) -> dict[str, Any]:
    """The change set's JSON, for a kind this geoproxy applies, without the per-change
    `account` (read by `accounts_of`, which refuses one the plan's `accounts` lacks)."""
    changes = document["changes"]
    if document["format_version"] >= 2:
        kind = changes.get("kind")
        if kind not in CHANGE_KINDS:
            raise PlanFileError(
                f"{name} holds changes of kind {kind!r}, which this geoproxy "
                f"({__version__}) does not apply (it applies "
                f"{', '.join(sorted(CHANGE_KINDS))})",
                hint="apply it with the geoproxy that made it "
                f"({document.get('geoproxy_version', 'unknown')})",
            )
    stripped = dict(changes)
    for phase in ("before_distributions", "after_distributions"):
        batches = stripped.get(phase)
        if not isinstance(batches, dict):
            continue
        stripped[phase] = {
            zone_id: [[_without_account(name, change) for change in batch] for batch in zone]
            for zone_id, zone in batches.items()
        }
    for key in ("distributions", "functions"):
        if isinstance(stripped.get(key), list):
            stripped[key] = [_without_account(name, item) for item in stripped[key]]
    return stripped


def _without_account(name: str, change: Any) -> Any:
    del name
    if not isinstance(change, dict) or "account" not in change:
        return change
    return {key: value for key, value in change.items() if key != "account"}


def load_plan(path: Path) -> SavedPlan:
    name = str(path)
    document = read_document(path)
    try:
        changes = from_json(_records_changes(name, document))
        version = int(document["format_version"])
        adopt = document.get("adopt") if version >= 2 else None
        signature = document.get("signature")
        routes = accounts_of(document)
        return SavedPlan(
            path,
            str(document["command"]),
            str(document["created_at"]),
            str(document["policy_file"]),
            changes,
            [str(line) for line in document["text"]],
            dict(document["plan"]),
            document.get("failover_declared_at"),
            [
                MassDeletion(str(m["app"]), int(m["deleting"]), int(m["of"]))
                for m in document.get("mass_deletions", [])
            ],
            version,
            str(document["owner"]) if version >= 2 and document.get("owner") else None,
            bool(adopt) if adopt is not None else None,
            dict(signature) if isinstance(signature, dict) else None,
            sealed_bytes(document),
            routes,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise PlanFileError(f"{name} is not a well-formed geoproxy plan ({error})") from None
