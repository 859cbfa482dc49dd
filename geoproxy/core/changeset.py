"""The writes of a plan, in order and in wire form: what `execute` sends, and what a saved
plan file holds.

Pure. A plan (records, health checks, distributions) becomes phases: health checks to
create and tag; Route 53 batches that must land before the distribution changes; the
distribution updates (each with the ETag and config it was computed from); the batches that
must wait for them (viewer records, removed direct names); health checks to delete. Every
record change is an exact DELETE of the live record plus a CREATE, so each batch says what
it expects to find and what it writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from geoproxy.core.batches import Batches, BatchLimits, Change, batches_for
from geoproxy.core.cloudfront import plan_distribution
from geoproxy.core.edge.plan import FunctionUpdate
from geoproxy.core.healthchecks import HealthCheckSpec
from geoproxy.core.managed_fields import FieldChange, origin_id_of, written
from geoproxy.core.names import TAG_POP, origin_id
from geoproxy.core.plan import Plan
from geoproxy.policy.models import DEFAULT_OWNER, Application


@dataclass
class DistributionUpdate:
    app: str
    distribution_id: str
    etag: str  # the ETag the config below was read with: UpdateDistribution's IfMatch
    config: dict[str, Any]  # as read
    new_config: dict[str, Any]  # what geoproxy writes
    fields: list[str]  # the paths geoproxy changes, for people and the audit log
    # How to re-make this change on a config someone else changed meanwhile (a 412): only
    # for a plan computed in this run. None for a saved plan, which applies as reviewed or
    # not at all.
    # (A Rebase, or destroy's DetachRebase: anything that re-makes it on a fresh config.)
    rebase: Callable[[dict[str, Any], str], Rebased] | None = field(
        default=None, repr=False, compare=False
    )
    # geoproxy's origin id on this distribution: which origins and group are its own. Saved
    # plans made before it was kept infer it from the config geoproxy wrote.
    origin_id: str = ""

    @property
    def managed_origin_id(self) -> str:
        return self.origin_id or origin_id_of(self.new_config)

    def is_live_in(self, live_config: dict[str, Any]) -> bool:
        """Whether everything geoproxy writes here is live in `live_config` (CloudFront's
        defaults and anyone's edits outside geoproxy's fields aside)."""
        return written(live_config, self.new_config, self.managed_origin_id)


@dataclass(frozen=True)
class Rebased:
    """What a distribution someone else changed needs from geoproxy now: nothing (their
    change already did it), the planned change (`config` keeps their edit), or another."""

    outcome: Literal["nothing", "same", "different"]
    config: dict[str, Any] = field(default_factory=dict)
    etag: str = ""


@dataclass(frozen=True)
class Rebase:
    """The same planning as the plan's, against a fresh config: data the writer is given, so
    that it never calls back into planning itself."""

    application: Application
    edge: tuple[str, str | None] | None
    planned: tuple[FieldChange, ...]

    def __call__(self, distribution: dict[str, Any], etag: str) -> Rebased:
        replanned = plan_distribution(self.application, distribution, etag, self.edge)
        if not replanned.changes:
            return Rebased("nothing")
        if replanned.changes != list(self.planned):
            return Rebased("different")
        return Rebased("same", replanned.new_config, replanned.etag)


@dataclass
class HealthCheckToDelete:
    id: str
    pop: str | None = None


@dataclass
class ChangeSet:
    create_health_checks: list[HealthCheckSpec] = field(default_factory=list)
    tag_health_checks: list[tuple[HealthCheckSpec, str]] = field(default_factory=list)
    before_distributions: Batches = field(default_factory=dict)
    # Edge fence functions: written and published after the records they target exist, and
    # before a distribution is pointed at them.
    functions: list[FunctionUpdate] = field(default_factory=list)
    distributions: list[DistributionUpdate] = field(default_factory=list)
    after_distributions: Batches = field(default_factory=dict)
    delete_health_checks: list[HealthCheckToDelete] = field(default_factory=list)

    @property
    def batches(self) -> list[tuple[str, list[Change]]]:
        return [
            (zone_id, batch)
            for phase in (self.before_distributions, self.after_distributions)
            for zone_id, batches in phase.items()
            for batch in batches
        ]

    @property
    def is_empty(self) -> bool:
        return not (
            self.create_health_checks
            or self.tag_health_checks
            or self.batches
            or self.functions
            or self.distributions
            or self.delete_health_checks
        )


def changeset_of(plan: Plan, limits: BatchLimits | None = None) -> ChangeSet:
    return ChangeSet(
        create_health_checks=list(plan.health_checks_to_create),
        tag_health_checks=list(plan.health_checks_to_tag),
        before_distributions=batches_for(plan, limits, lambda c: not c.after_distribution),
        functions=[FunctionUpdate.of(function) for function in plan.functions],
        distributions=[
            DistributionUpdate(
                d.app,
                d.distribution_id,
                d.etag,
                d.config,
                d.new_config,
                [change.path for change in d.changes],
                Rebase(d.application, d.edge, tuple(d.changes)) if d.application else None,
                origin_id(d.application) if d.application else "",
            )
            for d in plan.distributions
        ],
        after_distributions=batches_for(plan, limits, lambda c: c.after_distribution),
        delete_health_checks=[
            HealthCheckToDelete(check.id, check.tags.get(TAG_POP))
            for check in plan.health_checks_to_delete
        ],
    )


# --- the saved form --------------------------------------------------------------------------


def _spec_json(spec: HealthCheckSpec) -> dict[str, Any]:
    return {
        "record": spec.record,
        "pop": spec.pop,
        "config": spec.config,
        "nonce": spec.nonce,
        "owner": spec.owner,
        "caller_reference": spec.caller_reference,
    }


def _spec(data: dict[str, Any]) -> HealthCheckSpec:
    spec = HealthCheckSpec(
        str(data["record"]),
        str(data["pop"]),
        dict(data["config"]),
        str(data.get("nonce", "")),
        str(data.get("owner", DEFAULT_OWNER)),
    )
    if spec.caller_reference != data["caller_reference"]:
        raise ValueError(
            f"health check of {spec.pop}: its CallerReference does not match its settings"
        )
    return spec


def to_json(changes: ChangeSet) -> dict[str, Any]:
    return {
        "create_health_checks": [_spec_json(spec) for spec in changes.create_health_checks],
        "tag_health_checks": [
            {"id": check_id, **_spec_json(spec)} for spec, check_id in changes.tag_health_checks
        ],
        "before_distributions": changes.before_distributions,
        "functions": [function.to_json() for function in changes.functions],
        "distributions": [
            {
                "app": d.app,
                "distribution_id": d.distribution_id,
                "etag": d.etag,
                "config": d.config,
                "new_config": d.new_config,
                "fields": d.fields,
                "origin_id": d.managed_origin_id,
            }
            for d in changes.distributions
        ],
        "after_distributions": changes.after_distributions,
        "delete_health_checks": [{"id": c.id, "pop": c.pop} for c in changes.delete_health_checks],
    }


def from_json(data: dict[str, Any]) -> ChangeSet:
    """The inverse of `to_json`; KeyError, TypeError or ValueError on a malformed document."""
    return ChangeSet(
        create_health_checks=[_spec(item) for item in data["create_health_checks"]],
        tag_health_checks=[(_spec(item), str(item["id"])) for item in data["tag_health_checks"]],
        before_distributions=_batches(data["before_distributions"]),
        functions=[FunctionUpdate.from_json(item) for item in data.get("functions", [])],
        distributions=[
            DistributionUpdate(
                str(d["app"]),
                str(d["distribution_id"]),
                str(d["etag"]),
                dict(d["config"]),
                dict(d["new_config"]),
                [str(path) for path in d["fields"]],
                origin_id=str(d.get("origin_id") or ""),
            )
            for d in data["distributions"]
        ],
        after_distributions=_batches(data["after_distributions"]),
        delete_health_checks=[
            HealthCheckToDelete(str(c["id"]), c.get("pop")) for c in data["delete_health_checks"]
        ],
    )


def _batches(data: Any) -> Batches:
    if not isinstance(data, dict):
        raise TypeError("batches must be a mapping of hosted zone ids")
    batches: Batches = {}
    for zone_id, zone_batches in data.items():
        batches[str(zone_id)] = []
        for batch in zone_batches:
            for change in batch:
                if change["Action"] not in ("CREATE", "DELETE"):
                    raise ValueError(f"unexpected change action {change['Action']!r}")
                if not isinstance(change["ResourceRecordSet"], dict):
                    raise TypeError("a change needs a ResourceRecordSet")
            batches[str(zone_id)].append(list(batch))
    return batches
