"""What a saved plan may write, decided from its change set alone.

Pure. A saved plan's checksum catches accidents, not edits: anyone who can edit the file can
recompute it. So the file's prose (its `text`, its summary, its `mass_deletions`) is never
trusted: the change set (the exact writes) is what `apply PLANFILE` and `show` render, what
the summary must agree with, and what these rules judge:

- every record written is geoproxy's, of the plan's owner, at a name below one of the plan's
  applications, in that application's hosted zone (`core.names` says which names those are);
  a record geoproxy does not own is deleted only when the plan was made with `--adopt`, and
  only where the same batch puts geoproxy's own record of the same name and type;
- every distribution is one of the plan's applications', and its `new_config` differs from
  the config it expects only in the fields geoproxy manages (`core.managed_fields`);
- the mass-deletion guard is counted from the changes and the live records (never read from
  the file).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from geoproxy.core.changeset import ChangeSet
from geoproxy.core.landed import describe_key, describe_record_set
from geoproxy.core.managed_fields import differences, unmanaged_differences
from geoproxy.core.names import STATE_LABEL, Slot, is_slot, split_owner
from geoproxy.core.records import LiveRecord, RecordKey, decode_route53_name, record_key
from geoproxy.core.safety import GUARD_MAX_SHARE, GUARD_MIN_RECORDS, MassDeletion
from geoproxy.core.saved_plan_rules import is_state_assertion
from geoproxy.errors import Finding, printable

# The plan-level finding codes' application: a change set is judged as a whole.
WHOLE_PLAN = "(plan)"
NOT_OWNED = "plan_not_owned"


@dataclass(frozen=True)
class PlanApp:
    """One application of a saved plan, as its `plan` document names it."""

    name: str
    zone_id: str
    record: str
    distribution_id: str | None = None
    distribution_domain: str | None = None  # what its viewer alias records point at

    @classmethod
    def from_document(cls, app: dict[str, Any]) -> PlanApp:
        cloudfront = app.get("cloudfront") or {}
        if not isinstance(cloudfront, dict):
            cloudfront = {}
        distribution, domain = cloudfront.get("distribution_id"), cloudfront.get("domain_name")
        return cls(
            str(app["name"]),
            str(app["zone_id"]),
            str(app["record"]).lower().rstrip("."),
            str(distribution) if distribution else None,
            str(domain).lower().rstrip(".") if domain else None,
        )

    def holds(self, name: str) -> bool:
        """Whether `name` is the application's record or one geoproxy keeps below it (state,
        PoP pairs, direct names: every one ends in `.<record>`)."""
        return name == self.record or name.endswith("." + self.record)


# --- reading the change set ------------------------------------------------------------------


@dataclass(frozen=True)
class KeyedChange:
    zone_id: str
    key: RecordKey
    deleted: dict[str, Any] | None  # the record the plan expects live, when it deletes one
    created: dict[str, Any] | None  # the record it writes, when it creates one

    @property
    def action(self) -> str:
        if self.deleted is not None and self.created is not None:
            return "update"
        return "create" if self.created is not None else "delete"


def keyed_changes(changes: ChangeSet) -> list[KeyedChange]:
    """Per hosted zone and record key, what the whole change set does: update (an exact
    DELETE and a CREATE), create or delete, in the order of first appearance."""
    found: dict[tuple[str, RecordKey], list[dict[str, Any] | None]] = {}
    for zone_id, batch in changes.batches:
        for change in batch:
            record_set = change["ResourceRecordSet"]
            slot = found.setdefault((zone_id, record_key(record_set)), [None, None])
            if change["Action"] == "DELETE":
                if slot[0] is None:
                    slot[0] = record_set
            else:
                slot[1] = record_set
    return [
        KeyedChange(zone_id, key, deleted, created)
        for (zone_id, key), (deleted, created) in found.items()
    ]


def summary_of(changes: ChangeSet) -> dict[str, int]:
    """The counts a plan's summary must show for these writes."""
    counts = {"create": 0, "update": 0, "delete": 0}
    for change in keyed_changes(changes):
        if not is_state_assertion(change.deleted, change.created):
            counts[change.action] += 1
    counts["distribution_fields"] = sum(
        len(differences(d.config, d.new_config, d.managed_origin_id)) for d in changes.distributions
    )
    counts["functions"] = len(changes.functions)
    counts["health_checks_to_create"] = len(changes.create_health_checks)
    counts["health_checks_to_delete"] = len(changes.delete_health_checks)
    return counts


def _short(value: Any) -> str:
    return printable(json.dumps(value, sort_keys=True, default=str))[:160]


def review_lines(changes: ChangeSet) -> list[str]:
    """The writes, for the person about to apply them: every record, distribution field,
    function and health check, straight from the change set (the file's own text is prose
    anyone may have edited)."""
    lines = []
    for change in keyed_changes(changes):
        what = printable(describe_key(change.key))
        if change.action == "update":
            before = printable(describe_record_set(change.deleted))
            after = printable(describe_record_set(change.created))
            mark = "" if is_owned(change.deleted) else "  [replaces a record geoproxy does not own]"
            lines.append(f"  ~ {what}: {before} -> {after}{mark}")
        elif change.action == "create":
            lines.append(f"  + {what}: {printable(describe_record_set(change.created))}")
        else:
            mark = "" if is_owned(change.deleted) else "  [a record geoproxy does not own]"
            lines.append(f"  - {what}: {printable(describe_record_set(change.deleted))}{mark}")
        lines[-1] += f"  (zone {printable(change.zone_id)})"
    for d in changes.distributions:
        for field in differences(d.config, d.new_config, d.managed_origin_id):
            lines.append(
                f"  ~ cloudfront {printable(d.distribution_id)} {field.path}: "
                f"{_short(field.old)} -> {_short(field.new)}"
            )
    lines += [f"  ~ edge function {printable(f.name)}: publish" for f in changes.functions]
    lines += [
        f"  + health check for PoP {printable(spec.pop)}" for spec in changes.create_health_checks
    ]
    lines += [
        f"  - health check {printable(check.id)}" + (f" (PoP {check.pop})" if check.pop else "")
        for check in changes.delete_health_checks
    ]
    counts = summary_of(changes)
    summary = (
        f"Plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete"
    )
    if counts["distribution_fields"]:
        summary += f"; CloudFront: {counts['distribution_fields']} field(s) to change"
    if counts["functions"]:
        summary += f"; edge functions: {counts['functions']} to publish"
    if counts["health_checks_to_create"] or counts["health_checks_to_delete"]:
        summary += (
            f"; health checks: {counts['health_checks_to_create']} to create, "
            f"{counts['health_checks_to_delete']} to delete"
        )
    return [*lines, summary + "."]


# --- the rules -------------------------------------------------------------------------------


def is_owned(record_set: dict[str, Any] | None) -> bool:
    return record_set is not None and (LiveRecord(record_set).owned or _is_state(record_set))


def _is_state(record_set: dict[str, Any]) -> bool:
    return record_set.get("Type") == "TXT" and decode_route53_name(
        str(record_set.get("Name", ""))
    ).startswith(STATE_LABEL + ".")


def _owner_problem(record_set: dict[str, Any], owner: str | None) -> str | None:
    """Why a record geoproxy writes is not one it may write, or None."""
    if _is_state(record_set):
        return None
    if not LiveRecord(record_set).owned:
        return "it is not one of geoproxy's records"
    marked = split_owner(str(record_set.get("SetIdentifier", "")))[1]
    if owner is not None and marked not in (None, owner):
        return f"it belongs to owner {marked!r}, and the plan was made for owner {owner!r}"
    return None


def _finding(message: str, code: str, app: str = WHOLE_PLAN) -> Finding:
    return Finding(printable(message), app=app, code=code)


def record_findings(
    changes: ChangeSet, apps: list[PlanApp], *, owner: str | None, adopt: bool | None
) -> list[Finding]:
    """Records the plan may not write. `owner` None (a v1 file) accepts any owner marker;
    `adopt` None (a v1 file) accepts a replacement of a record geoproxy does not own."""
    found = []
    zones = {app.zone_id for app in apps}
    index = AppIndex(apps)
    for change in keyed_changes(changes):
        what = describe_key(change.key)
        name = change.key[0]
        if change.zone_id not in zones:
            found.append(
                _finding(
                    f"{what}: hosted zone {change.zone_id} is not the zone of any application "
                    "in the plan",
                    "plan_foreign_zone",
                )
            )
            continue
        holder = index.app_of(change.zone_id, name)
        viewer = change.created is not None and is_slot(
            change.created.get("SetIdentifier"), Slot.VIEWER
        )
        if holder is None and viewer and change.created is not None:
            # A viewer alias record sits at an alias's own name, not below the application's
            # record: it must point at the distribution of an application in that zone.
            target = str((change.created.get("AliasTarget") or {}).get("DNSName", ""))
            domains = {a.distribution_domain for a in apps if a.zone_id == change.zone_id}
            if target.lower().rstrip(".") not in domains:
                found.append(
                    _finding(
                        f"{what}: a viewer record that points at {target or 'nothing'}, not at "
                        "the distribution of an application in the plan",
                        NOT_OWNED,
                    )
                )
                continue
        if holder is None and not viewer:
            found.append(
                _finding(
                    f"{what}: not the record of any application in the plan, nor a name "
                    "geoproxy keeps below one",
                    "plan_not_owned",
                )
            )
            continue
        app = holder.name if holder is not None else WHOLE_PLAN
        if change.created is not None and (problem := _owner_problem(change.created, owner)):
            found.append(_finding(f"{what}: the plan writes it, but {problem}", NOT_OWNED, app))
        if change.deleted is not None and not is_owned(change.deleted):
            replaced = change.created is not None and is_owned(change.created)
            if not replaced:
                found.append(
                    _finding(
                        f"{what}: the plan deletes it, and it is not one of geoproxy's records",
                        "plan_not_owned",
                        app,
                    )
                )
            elif adopt is False:
                found.append(
                    _finding(
                        f"{what}: the plan replaces a record geoproxy does not own, but it "
                        "was not made with --adopt",
                        "plan_not_owned",
                        app,
                    )
                )
        elif change.deleted is not None and (problem := _owner_problem(change.deleted, owner)):
            found.append(_finding(f"{what}: the plan deletes it, but {problem}", NOT_OWNED, app))
    return found


def distribution_findings(changes: ChangeSet, apps: list[PlanApp]) -> list[Finding]:
    """Distributions the plan may not update: not its applications', or a `new_config`
    that changes more than geoproxy's fields."""
    found = []
    owners = {app.distribution_id: app.name for app in apps if app.distribution_id}
    for d in changes.distributions:
        if owners.get(d.distribution_id) != d.app:
            found.append(
                _finding(
                    f"CloudFront distribution {d.distribution_id}: not the distribution of "
                    f"application {d.app} in the plan",
                    "plan_foreign_distribution",
                )
            )
            continue
        outside = unmanaged_differences(d.config, d.new_config, d.managed_origin_id)
        if outside:
            found.append(
                _finding(
                    f"CloudFront distribution {d.distribution_id}: the plan's new config "
                    f"changes {', '.join(outside)}, which geoproxy does not manage",
                    "plan_unmanaged_config",
                    d.app,
                )
            )
    return found


def prose_findings(
    changes: ChangeSet, summary: dict[str, Any] | None, text: list[str] | None
) -> list[Finding]:
    """The file's summary (and, for v2, its text) must say what its changes do."""
    found = []
    counts = summary_of(changes)
    if isinstance(summary, dict):
        wrong = [
            f"{key} {summary.get(key)!r} (the changes make {value})"
            for key, value in counts.items()
            if key in summary and summary.get(key) != value
        ]
        if wrong:
            found.append(
                _finding(
                    "the plan's summary does not match its changes: " + ", ".join(wrong),
                    "plan_prose_mismatch",
                )
            )
    elif summary is not None:
        found.append(_finding("the plan's summary is not a mapping", "plan_prose_mismatch"))
    if text is not None and text != review_lines(changes):
        found.append(
            _finding(
                "the plan's text does not say what its changes do (it was edited)",
                "plan_prose_mismatch",
            )
        )
    return found


def mass_deletions_of(
    changes: ChangeSet, apps: list[PlanApp], live: dict[str, list[dict[str, Any]]]
) -> list[MassDeletion]:
    """The mass-deletion guard, counted from the writes and the live records at the names
    they touch (`live`: hosted zone id -> record sets): per application, geoproxy's routing
    records deleted and not recreated, of geoproxy's routing records live at those names."""
    index = AppIndex(apps)

    def owner_app(zone_id: str, record_set: dict[str, Any]) -> str | None:
        if not LiveRecord(record_set).owned:
            return None
        app = index.app_of(zone_id, decode_route53_name(str(record_set.get("Name", ""))))
        return app.name if app is not None else None

    existing: dict[str, set[tuple[str, RecordKey]]] = {}
    for zone_id, record_sets in live.items():
        for record_set in record_sets:
            if (name := owner_app(zone_id, record_set)) is not None:
                existing.setdefault(name, set()).add((zone_id, record_key(record_set)))
    deleting: dict[str, int] = {}
    for c in keyed_changes(changes):
        if c.action != "delete" or c.deleted is None:
            continue
        name = owner_app(c.zone_id, c.deleted)
        # Only what is still live counts: a re-run after a success deletes nothing again.
        if name is not None and (c.zone_id, c.key) in existing.get(name, set()):
            deleting[name] = deleting.get(name, 0) + 1
    found = []
    for app in apps:
        count, of = deleting.get(app.name, 0), len(existing.get(app.name, ()))
        if of >= GUARD_MIN_RECORDS and count and (count > GUARD_MAX_SHARE * of or count >= of):
            found.append(MassDeletion(app.name, count, of))
    return found


class AppIndex:
    """Which application holds a name in a zone: its record, or a name below it. A lookup
    walks the name's suffixes, so a plan of 300 applications costs no 300 comparisons per
    record."""

    def __init__(self, apps: list[PlanApp]) -> None:
        self._by_record: dict[tuple[str, str], PlanApp] = {}
        for app in apps:
            self._by_record.setdefault((app.zone_id, app.record), app)

    def app_of(self, zone_id: str, name: str) -> PlanApp | None:
        labels = name.split(".")
        for start in range(len(labels)):
            found = self._by_record.get((zone_id, ".".join(labels[start:])))
            if found is not None:
                return found
        return None


def plan_apps(applications: Iterable[Any]) -> list[PlanApp]:
    return [PlanApp.from_document(app) for app in applications if isinstance(app, dict)]


__all__ = [
    "KeyedChange",
    "PlanApp",
    "distribution_findings",
    "is_owned",
    "keyed_changes",
    "mass_deletions_of",
    "plan_apps",
    "prose_findings",
    "record_findings",
    "review_lines",
    "summary_of",
]
