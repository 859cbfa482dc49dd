"""Route 53 Change Guardrails and record set protections, as geoproxy anticipates them.

Pure. What a zone has on comes from its lookup (core.zone_features); the protections from
one ListResourceRecordSetProtections listing per zone per write (aws.protections).

- ACTIVE_RECORD_CHECK refuses deleting a record "that still receives DNS queries, if no other
  record with the same name and type remains to answer them" (Route 53 API Reference,
  ChangeGuardrail, https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeGuardrail.html).
  A PoP pair that latency records alias to, re-pointed and deleted in one batch, is still
  queried when the batch arrives. So, on a zone with it on, such a deletion waits: this run
  re-points, and a later run deletes ("drain pending"). Queried, as geoproxy can tell without
  a request: an alias record of the zone that the plan read (kept, updated or deleted) names it.
- ALIAS_TARGET_CHECK refuses deleting a record an alias in the zone points to; core.batches
  orders deletions of alias sources before their targets, and here a target whose alias goes
  only after the distribution update waits for that phase too.
- A protection refuses the whole batch that creates, updates or deletes a record set of its
  name and type ("Protecting records from changes", Route 53 Developer Guide,
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/rrset-protection.html); geoproxy
  refuses before writing anything, and never deletes a protection.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from geoproxy.core.zone_features import (
    ACTIVE_RECORD_CHECK,
    ALIAS_TARGET_CHECK,
    NOT_REPORTED,
    NS_OCCLUSION_CHECK,
    ZoneFeatures,
)
from geoproxy.errors import Finding

if TYPE_CHECKING:
    from geoproxy.core.plan import AppPlan, Plan, RecordChange

# The guardrails whose rejections geoproxy explains, with the fix for each.
FIXES = {
    ALIAS_TARGET_CHECK: "an alias record in the zone still points to a record this batch "
    "deletes: re-point or delete the alias first (if it is not geoproxy's, it is someone "
    "else's record aliasing to geoproxy's name)",
    ACTIVE_RECORD_CHECK: "a record this batch deletes still receives DNS queries (an alias "
    "or a CloudFront origin points to it): point them elsewhere, then run the command again "
    "in a later run once nothing queries it",
    NS_OCCLUSION_CHECK: "the batch leaves records under a delegated subdomain: move them to "
    "the subdomain's own hosted zone, or remove the delegation",
}
GUARDRAILS = (ALIAS_TARGET_CHECK, ACTIVE_RECORD_CHECK, NS_OCCLUSION_CHECK)


@dataclass(frozen=True)
class Protection:
    name: str  # fully qualified, lower case, with the trailing dot
    record_type: str
    comment: str | None = None


def norm(name: str) -> str:
    name = name.lower()
    return name if name.endswith(".") else name + "."


# -- protections -------------------------------------------------------------------------------
def protected_findings(
    batches: Iterable[tuple[str, list[dict[str, Any]]]],
    protections: Mapping[str, list[Protection]],
    app_of: Mapping[str, str] | None = None,
) -> list[Finding]:
    """One finding per protection that a change of `batches` ((zone id, changes)) touches."""
    found: dict[tuple[str, str, str], Finding] = {}
    for zone_id, batch in batches:
        by_key = {(p.name, p.record_type): p for p in protections.get(zone_id, [])}
        for change in batch:
            rrset = change["ResourceRecordSet"]
            name, rtype = norm(str(rrset["Name"])), str(rrset["Type"])
            protection = by_key.get((name, rtype))
            if protection is None or (zone_id, name, rtype) in found:
                continue
            comment = f" (its comment: {protection.comment!r})" if protection.comment else ""
            found[(zone_id, name, rtype)] = Finding(
                f"{name} {rtype} in hosted zone {zone_id} has a record set protection"
                f"{comment}: Route 53 refuses every change to that name and type, and this "
                f"write would {change['Action']} it. geoproxy never deletes a protection: if "
                "the change is intended, whoever owns the protection removes it "
                f"(aws route53 delete-resource-record-set-protections --hosted-zone-id "
                f"{zone_id} ...), then run the command again",
                app=(app_of or {}).get(name, ""),
                code="record_protected",
            )
    return list(found.values())


def mentions_protection(message: str) -> bool:
    """Whether an InvalidChangeBatch message speaks of a protection: Route 53 documents that
    it names the protected record set and comment, not a code, so the word is all there is;
    what was protected is then listed, not read from the text."""
    return "protection" in message.lower()


# -- guardrail rejections ----------------------------------------------------------------------
def guardrails_named(message: str) -> list[str]:
    """The guardrails an InvalidChangeBatch message identifies, by their API names (Route 53
    "returns an error that identifies the guardrail"; the names are the documented enum)."""
    return [name for name in GUARDRAILS if name in message]


def guardrail_findings(
    zone_id: str, batch: list[dict[str, Any]], named: list[str]
) -> list[Finding]:
    """Which guardrail refused the batch, the records it concerns (the batch's deletions that
    are not replacements), and the fix."""
    deleted = [
        f"{c['ResourceRecordSet']['Name']} {c['ResourceRecordSet']['Type']}"
        + (
            f" ({c['ResourceRecordSet']['SetIdentifier']})"
            if c["ResourceRecordSet"].get("SetIdentifier")
            else ""
        )
        for i, c in enumerate(batch)
        if c["Action"] == "DELETE" and not _replaced(batch, i)
    ]
    return [
        Finding(
            f"Route 53's {name} guardrail on hosted zone {zone_id} refused the batch"
            + (f" (records it deletes: {', '.join(deleted)})" if deleted else "")
            + f": {FIXES[name]}. Nothing of this batch was written",
            app="",
            code="guardrail_rejected",
        )
        for name in named
    ]


def _replaced(batch: list[dict[str, Any]], i: int) -> bool:
    nxt = batch[i + 1] if i + 1 < len(batch) else None
    return bool(
        nxt
        and nxt["Action"] == "CREATE"
        and _key(nxt["ResourceRecordSet"]) == _key(batch[i]["ResourceRecordSet"])
    )


def _key(rrset: Mapping[str, Any]) -> tuple[str, str, str | None]:
    return norm(str(rrset["Name"])), str(rrset["Type"]), rrset.get("SetIdentifier")


# -- planning with guardrails on ---------------------------------------------------------------
def _alias_target(rrset: Mapping[str, Any], zone_id: str) -> tuple[str, str] | None:
    alias = rrset.get("AliasTarget")
    if not alias or str(alias.get("HostedZoneId", "")).rpartition("/")[2] != zone_id:
        return None
    return norm(str(alias["DNSName"])), str(rrset["Type"])


def _sources(apps: list[AppPlan]) -> list[tuple[RecordChange | None, Mapping[str, Any]]]:
    """Every record set of the zone the plan knows, with the change that writes it (if any)."""
    found: list[tuple[RecordChange | None, Mapping[str, Any]]] = []
    for app in apps:
        found += [(change, change.old.raw) for change in app.changes if change.old is not None]
        found += [(None, desired.record_set.wire) for desired in app.unchanged]
        found += [(None, record.raw) for record in app.untouched]
    return found


def _remains(apps: list[AppPlan], name: str, rtype: str, gone: RecordChange) -> bool:
    """Whether a record of that name and type is left after the plan (kept, or written)."""
    for app in apps:
        for change in app.changes:
            written = change is not gone and change.new is not None
            if written and (norm(change.name), change.record_type) == (name, rtype):
                return True
        for desired in app.unchanged:
            wire = desired.record_set.wire
            if (norm(str(wire["Name"])), str(wire["Type"])) == (name, rtype):
                return True
        for record in app.untouched:
            if (norm(str(record.raw["Name"])), str(record.raw["Type"])) == (name, rtype):
                return True
    return False


def plan_for_guardrails(plan: Plan, features: Mapping[str, ZoneFeatures]) -> None:
    """Hold back, per zone, the deletions its guardrails would refuse in this run (their
    names still answer queries): they become the application's `drain_pending`, which a later
    run deletes. Deletions of alias targets whose alias goes after the distribution update go
    in that phase too."""
    by_zone: dict[str, list[AppPlan]] = {}
    for app in plan.apps:
        by_zone.setdefault(app.zone_id, []).append(app)
    for zone_id, apps in by_zone.items():
        zone = features.get(zone_id, NOT_REPORTED)
        if not (zone.has(ACTIVE_RECORD_CHECK) or zone.has(ALIAS_TARGET_CHECK)):
            continue
        sources = _sources(apps)
        for app in apps:
            kept: list[RecordChange] = []
            for change in app.changes:
                target = (norm(change.name), change.record_type)
                if change.action != "delete" or _remains(apps, *target, change):
                    kept.append(change)
                    continue
                aliases = [(c, r) for c, r in sources if _alias_target(r, zone_id) == target]
                if aliases and zone.has(ACTIVE_RECORD_CHECK):
                    app.drain_pending.append(change)
                    continue
                if any(c is not None and c.after_distribution for c, _ in aliases):
                    change = dataclasses.replace(change, after_aliases=True)
                kept.append(change)
            app.changes = kept
            _keep_checks_of(app)


def _keep_checks_of(app: AppPlan) -> None:
    """A held-back record keeps its health check: delete it only with the record."""
    used = {
        str(change.old.raw.get("HealthCheckId"))
        for change in app.drain_pending
        if change.old is not None and change.old.raw.get("HealthCheckId")
    }
    app.health_checks.delete = [c for c in app.health_checks.delete if c.id not in used]


def drain_lines(plan: Plan) -> list[str]:
    """What waits for a later run, one line per record set."""
    return [
        f"{app.name}: drain pending: {change.name} {change.record_type}"
        + (f" ({change.slot})" if change.slot else "")
        + " is still queried (an alias points to it) and the zone's ACTIVE_RECORD_CHECK "
        "refuses deleting it now; this run re-points what queries it, the next run deletes it"
        for app in plan.apps
        for change in app.drain_pending
    ]


def drained_lines(plan: Plan, features: Mapping[str, ZoneFeatures]) -> list[str]:
    """For `status`: the second phase of a drain, on zones with ACTIVE_RECORD_CHECK, i.e.
    records geoproxy owns that nothing queries any more and the next apply deletes."""
    return [
        f"{app.name}: drain pending: {change.name} {change.record_type}"
        + (f" ({change.slot})" if change.slot else "")
        + " is no longer queried; the next `geoproxy apply` deletes it"
        for app in plan.apps
        if features.get(app.zone_id, NOT_REPORTED).has(ACTIVE_RECORD_CHECK)
        for change in app.changes
        if change.action == "delete"
        and change.old is not None
        and change.old.owned
        and norm(change.name) != norm(app.record_name)
    ]


# -- what status says of a zone's features ------------------------------------------------------
def feature_lines(zone_name: str, zone_id: str, features: ZoneFeatures) -> list[str]:
    """Which features the zone has, and what geoproxy would do with more. geoproxy never
    changes a zone's tier (UpdateHostedZoneTier costs money): it only reads what is on."""
    where = f"hosted zone {zone_name} ({zone_id})"
    if not features.reported:
        # Said of no zone: the lookup is silent on zones (and Route 53s) without features,
        # and geoproxy then assumes none; its batch order and its explanations of a
        # rejection do not depend on what it was told.
        return []
    on = sorted(features.guardrails)
    lines = [
        f"{where}: change guardrails on: {', '.join(on) if on else 'none'}; change history: "
        + ("on" if features.change_history else "off")
    ]
    if not features.has(ACTIVE_RECORD_CHECK):
        lines.append(
            f"{where}: with ACTIVE_RECORD_CHECK (ADVANCED tier), Route 53 would refuse deleting "
            "a name still queried; geoproxy would then remove such records in two runs "
            "(re-point, then delete: 'drain pending')"
        )
    if not features.has(ALIAS_TARGET_CHECK):
        lines.append(
            f"{where}: with ALIAS_TARGET_CHECK (ADVANCED tier), Route 53 would refuse deleting "
            "an alias target; geoproxy's batches already delete alias sources first"
        )
    if not features.change_history:
        lines.append(
            f"{where}: with change history (ADVANCED tier), Route 53 would know who submitted "
            "each batch, not only this machine's audit log"
        )
    return lines
