"""The plan: what must change at each managed name, as the diff (`core.diff`) found it.

Like external-dns's plan, calculation is separate from policy about what may be done: the diff
lists creates, updates (old and new) and deletes of owned records, plus conflicts with records
geoproxy does not own; safety rules (`core.safety`) then inspect the finished plan and may
refuse it, and `core.batches` orders and packs its changes for Route 53.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from geoproxy.core.cloudfront import DistributionPlan
from geoproxy.core.desired import DesiredRecord
from geoproxy.core.edge.plan import FunctionPlan
from geoproxy.core.healthchecks import HealthCheckPlan, HealthCheckSpec, LiveHealthCheck
from geoproxy.core.names import Slot, is_slot
from geoproxy.core.orphans import Orphan
from geoproxy.core.records import LiveRecord, OwnedAliasRecord, RecordKey
from geoproxy.core.recovery import ZoneRecovery
from geoproxy.core.switches import SwitchPlan
from geoproxy.core.zone_features import ZoneFeatures
from geoproxy.errors import Finding

Action = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class RecordChange:
    action: Action
    name: str
    record_type: str
    source_region: str | None
    old: LiveRecord | None = None
    new: DesiredRecord | None = None
    note: str = ""
    # An adopted record at a viewer alias keeps answering until the viewer record replaces
    # it, in the same batch, after the distribution carries the alias.
    with_viewers: bool = False
    # An alias target (a PoP pair) whose alias source goes only after the distribution
    # update: under ALIAS_TARGET_CHECK it may go no earlier (core.guardrails).
    after_aliases: bool = False

    @property
    def after_distribution(self) -> bool:
        """A viewer alias record may point at the distribution only once it carries the
        alias, and a direct PoP name may go only once no origin uses it: these wait until
        the distribution is updated."""
        if self.with_viewers or self.after_aliases:
            return True
        if self.new is not None:
            record = self.new.record
            return isinstance(record, OwnedAliasRecord) and record.role == "viewer"
        # The origin group's fallback keeps resolving until the distribution stops using it.
        return self.old is not None and is_slot(self.old.base_identifier, Slot.DIRECT)

    @property
    def key(self) -> RecordKey:
        """The record set it writes, or else the one it deletes."""
        if self.new is not None:
            return self.new.record_set.key
        assert self.old is not None
        return self.old.key

    @property
    def slot(self) -> str:
        """PRIMARY or SECONDARY for the records of an auto-failover pair, else empty."""
        record_set = self.new.record_set.wire if self.new else (self.old.raw if self.old else {})
        return str(record_set.get("Failover", ""))

    def route53_changes(self) -> list[dict[str, Any]]:
        """The ChangeResourceRecordSets entries, in order; DELETE+CREATE makes every
        update compare-and-swap: it fails atomically if the record changed since it was read."""
        entries = []
        if self.old is not None:
            entries.append({"Action": "DELETE", "ResourceRecordSet": self.old.raw})
        if self.new is not None:
            entries.append({"Action": "CREATE", "ResourceRecordSet": self.new.record_set.wire})
        return entries


@dataclass(frozen=True)
class Conflict:
    record: LiveRecord
    reason: str


@dataclass(frozen=True)
class AppAddress:
    """Where an application's records live: what checks of its names need, and what a saved
    plan carries for each application."""

    name: str
    zone_id: str
    zone_name: str
    record_name: str


@dataclass
class AppPlan:
    name: str
    zone_id: str
    zone_name: str
    record_name: str
    changes: list[RecordChange] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unchanged: list[DesiredRecord] = field(default_factory=list)
    untouched: list[LiveRecord] = field(default_factory=list)
    # Route 53 health checks to create before the records and delete after them.
    health_checks: HealthCheckPlan = field(default_factory=HealthCheckPlan)
    distribution: DistributionPlan | None = None  # the CloudFront side, when configured
    function: FunctionPlan | None = None  # the edge fence's function, for viewer_countries
    # The state record's compare-and-swap (core.state): written with the application's first
    # batch of record changes, and not one of its `changes` (it moves no traffic). A change
    # of the failover overlay itself is one of `changes` instead, and asserts the same way.
    state_assertion: RecordChange | None = None
    # Deletions a zone's ACTIVE_RECORD_CHECK would refuse in this run because their names are
    # still queried: held back for a later run (core.guardrails), shown as "drain pending".
    drain_pending: list[RecordChange] = field(default_factory=list)

    @property
    def address(self) -> AppAddress:
        return AppAddress(self.name, self.zone_id, self.zone_name, self.record_name)

    def state_changes(self) -> list[RecordChange]:
        """The state record's change to send with this application's records, if any."""
        return [self.state_assertion] if self.state_assertion and self.changes else []


@dataclass
class Plan:
    apps: list[AppPlan]
    warnings: list[str] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)  # reasons to refuse writing it
    # Records of the policy's owner that no application manages (listed on unscoped runs);
    # with `pruning`, the plan also deletes them (one AppPlan per orphan, see prune_plan).
    orphans: list[Orphan] = field(default_factory=list)
    pruning: bool = False
    # The policy's zones under accelerated recovery (none unless it asks): what
    # GetHostedZone said, and whether apply enables it (core/recovery.py).
    recovery: list[ZoneRecovery] = field(default_factory=list)
    switches: SwitchPlan | None = None  # with recovery.switches: arc, what ARC needs
    # zone id -> what its lookup said of its features (guardrails, history): no request
    zone_features: dict[str, ZoneFeatures] = field(default_factory=dict)

    @property
    def changes(self) -> list[RecordChange]:
        return [change for app in self.apps for change in app.changes]

    @property
    def conflicts(self) -> list[Conflict]:
        return [conflict for app in self.apps for conflict in app.conflicts]

    @property
    def health_checks_to_create(self) -> list[HealthCheckSpec]:
        return [spec for app in self.apps for spec in app.health_checks.create]

    @property
    def health_checks_to_delete(self) -> list[LiveHealthCheck]:
        return [check for app in self.apps for check in app.health_checks.delete]

    @property
    def health_checks_to_tag(self) -> list[tuple[HealthCheckSpec, str]]:
        return [entry for app in self.apps for entry in app.health_checks.tag]

    @property
    def distributions(self) -> list[DistributionPlan]:
        """Distributions whose config apply must update."""
        return [
            app.distribution
            for app in self.apps
            if app.distribution is not None and app.distribution.changes
        ]

    @property
    def functions(self) -> list[FunctionPlan]:
        """Edge fence functions apply must write or publish."""
        return [
            app.function
            for app in self.apps
            if app.function is not None and app.function.has_changes
        ]

    @property
    def has_changes(self) -> bool:
        return bool(
            self.changes
            or self.health_checks_to_create
            or self.health_checks_to_delete
            or self.health_checks_to_tag
            or self.distributions
            or self.functions
            or (self.switches is not None and not self.switches.empty)
        )

    def summary(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "delete": 0}
        for change in self.changes:
            counts[change.action] += 1
        counts["unchanged"] = sum(len(app.unchanged) for app in self.apps)
        counts["conflicts"] = len(self.conflicts)
        counts["health_checks_to_create"] = len(self.health_checks_to_create)
        counts["health_checks_to_delete"] = len(self.health_checks_to_delete)
        counts["distribution_fields"] = sum(len(d.changes) for d in self.distributions)
        counts["functions"] = len(self.functions)
        if self.switches is not None:
            counts["switch_writes"] = self.switches.writes
        counts["orphans"] = 0 if self.pruning else sum(len(o.records) for o in self.orphans)
        return counts
