"""`destroy`: what geoproxy removes when an application leaves, and what stands in its way.

Pure. The records to delete are found as orphans are (`core.orphans`): only records marked
with the policy's owner, grouped by the application they belong to by their names, so a
record geoproxy does not own (or another owner's) is never part of it. The deletions wait
until any distribution that used the origin name has been pointed elsewhere: they run in
the phase after the distributions (`RecordChange.with_viewers`).

A distribution that still uses the origin name (or a direct PoP name below it) as an origin
refuses the destroy unless `--detach-origin DOMAIN` says where it goes instead: geoproxy never
kept the distribution's config from before it took over. Detaching sets those origins'
`DomainName` to DOMAIN and keeps every other origin setting (as a Lambda@Edge
`updateRequestOrigin` does, the domain name is what CloudFront connects to and sends as SNI
and, unless the origin request policy forwards the viewer's, as Host).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from geoproxy.core.batches import batch_order
from geoproxy.core.changeset import Rebased
from geoproxy.core.healthchecks import HealthCheckPlan, LiveHealthCheck
from geoproxy.core.managed_fields import FieldChange, behaviours, items
from geoproxy.core.orphans import find_orphans
from geoproxy.core.plan import AppPlan, RecordChange
from geoproxy.core.records import LiveRecord


@dataclass(frozen=True)
class DestroyTarget:
    """One application to destroy: where its records live and the names that are its own."""

    name: str
    zone_id: str
    zone_name: str
    record_name: str
    viewer_names: tuple[str, ...] = ()  # its viewer aliases in its zone (policy and live)
    function: str | None = None  # its edge function's name, when it has a fence
    distribution_id: str | None = None  # the distribution its `cloudfront` section names


def destroy_app_plan(
    target: DestroyTarget,
    owner: str,
    records: Iterable[LiveRecord],
    health_checks: Sequence[LiveHealthCheck] = (),
) -> AppPlan:
    """The plan that deletes everything of `owner` that belongs to the application: its
    latency records, PoP pairs, direct names and state record (one group, at its record),
    its viewer alias records, and the health checks tagged for its record."""
    viewers = set(target.viewer_names)
    groups = [
        orphan
        for orphan in find_orphans(
            owner,
            target.zone_id,
            target.zone_name,
            records,
            lambda record: False,
            health_checks,
        )
        if (orphan.kind == "application" and orphan.root == target.record_name)
        or (orphan.kind == "viewer alias" and orphan.root in viewers)
    ]
    plan = AppPlan(target.name, target.zone_id, target.zone_name, target.record_name)
    plan.changes = sorted(
        (
            RecordChange(
                "delete",
                record.name,
                record.record_type,
                record.region,
                old=record,
                note=f"destroy: {target.name} leaves geoproxy",
                with_viewers=True,  # after the distribution no longer uses the names
            )
            for group in groups
            for record in group.records
        ),
        key=lambda change: batch_order(change, target.record_name),
    )
    # Every check of this owner tagged with the record, not only those its records name: a
    # re-run after a failure between the records and the checks finds no record left.
    # A CALCULATED check goes before the checks it combines: Route 53 refuses to delete a
    # check another one uses (HealthCheckInUse).
    plan.health_checks = HealthCheckPlan(
        delete=sorted(
            (
                check
                for check in health_checks
                if check.owner == owner and check.record == target.record_name
            ),
            key=lambda check: check.config.get("Type") != "CALCULATED",
        )
    )
    return plan


# --- distributions ---------------------------------------------------------------------------


# A direct PoP name's first label: an AWS region (`eu-west-1`, `us-gov-west-1`).
_REGION_LABEL = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")


def is_origin_name(domain: str, record_name: str) -> bool:
    """Whether an origin's domain name is the application's origin name or one of its
    direct PoP names (`<region>.<record>`, the origin group's fallback). Not any name below
    it: an application at the zone apex would claim every origin in its zone."""
    domain = domain.lower().rstrip(".")
    if domain == record_name:
        return True
    label, _, rest = domain.partition(".")
    return rest == record_name and _REGION_LABEL.fullmatch(label) is not None


@dataclass(frozen=True)
class OriginUse:
    """A distribution's origin that resolves through the application's names."""

    distribution_id: str
    origin_id: str
    domain_name: str

    def describe(self) -> str:
        return (
            f"CloudFront distribution {self.distribution_id} uses {self.domain_name} as "
            f"its origin {self.origin_id}"
        )


def origin_uses(summaries: Iterable[Mapping[str, Any]], record_name: str) -> list[OriginUse]:
    """Every origin of every distribution (ListDistributions' summaries, or configs) whose
    domain name is one of the application's names."""
    return [
        OriginUse(str(summary["Id"]), str(origin["Id"]), str(origin["DomainName"]))
        for summary in summaries
        for origin in items(summary.get("Origins"))
        if is_origin_name(str(origin.get("DomainName", "")), record_name)
    ]


def _runs(behaviour: Mapping[str, Any], function: str) -> bool:
    return any(
        str(item.get("FunctionARN", "")).rsplit(":function/", 1)[-1] == function
        for item in items(behaviour.get("FunctionAssociations"))
    )


def function_users(summaries: Iterable[Mapping[str, Any]], function: str) -> list[str]:
    """The distributions with `function` on any cache behaviour."""
    return [
        str(summary["Id"])
        for summary in summaries
        if any(_runs(behaviour, function) for _, _, behaviour in behaviours(dict(summary)))
    ]


def detach_config(
    config: dict[str, Any],
    record_name: str,
    domain: str | None,
    function: str | None,
) -> tuple[dict[str, Any], list[FieldChange]]:
    """A copy of `config` whose origins at the application's names point at `domain` (None:
    left as they are), without `function` on any behaviour (None: none removed); and the
    changes, for people and the audit log."""
    new = copy.deepcopy(config)
    changes: list[FieldChange] = []
    if domain is not None:
        for origin in items(new.get("Origins")):
            if is_origin_name(str(origin.get("DomainName", "")), record_name):
                changes.append(
                    FieldChange(f"Origins[{origin['Id']}].DomainName", origin["DomainName"], domain)
                )
                origin["DomainName"] = domain
    if function is not None:
        for _, path, behaviour in behaviours(new):
            if not _runs(behaviour, function):
                continue
            kept = [
                item
                for item in items(behaviour.get("FunctionAssociations"))
                if str(item.get("FunctionARN", "")).rsplit(":function/", 1)[-1] != function
            ]
            behaviour["FunctionAssociations"] = (
                {"Quantity": len(kept), "Items": kept} if kept else {"Quantity": 0}
            )
            changes.append(FieldChange(f"{path}.FunctionAssociations", function, None))
    return new, changes


@dataclass(frozen=True)
class DetachRebase:
    """The detach made again on a config someone changed since it was read (a 412 from
    UpdateDistribution): their edit is kept, and nothing is written if it already did ours."""

    record_names: tuple[str, ...]
    domain: str | None
    functions: tuple[str, ...]

    def __call__(self, distribution: dict[str, Any], etag: str) -> Rebased:
        config = distribution["DistributionConfig"]
        new, changes = config, []
        for record_name in self.record_names:
            new, found = detach_config(new, record_name, self.domain, None)
            changes += found
        for function in self.functions:
            new, found = detach_config(new, "", None, function)
            changes += found
        return Rebased("same", new, etag) if changes else Rebased("nothing")
