"""Route 53 health checks for auto-failover PoPs: what should exist, and the diff.

Pure. A health check is identified by its CallerReference, a hash of the application's record,
the PoP and the check's settings: CreateHealthCheck with the same reference and settings
returns the existing check, so a retried or re-run apply never makes a second one, and new
settings make a new check that the records switch to before the old one is deleted.
geoproxy tags its checks with the record and PoP, and deletes only checks so tagged for the
applications in the policy.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from geoproxy.policy.models import Application

REFERENCE_PREFIX = "geoproxy-"
TAG_RECORD = "geoproxy:record"
TAG_POP = "geoproxy:pop"
PENDING_PREFIX = "pending:"  # stands for the id of a health check apply will create


@dataclass(frozen=True)
class HealthCheckSpec:
    record: str
    pop: str
    config: dict[str, Any]

    @property
    def caller_reference(self) -> str:
        digest = hashlib.sha256(
            json.dumps([self.record, self.pop, self.config], sort_keys=True).encode()
        ).hexdigest()
        return REFERENCE_PREFIX + digest[:48]  # CallerReference allows 64 characters

    @property
    def tags(self) -> list[dict[str, str]]:
        return [{"Key": "Name", "Value": f"geoproxy {self.record} {self.pop}"},
                {"Key": TAG_RECORD, "Value": self.record}, {"Key": TAG_POP, "Value": self.pop}]

    def describe(self) -> str:
        config = self.config
        where = config["FullyQualifiedDomainName"] + f":{config['Port']}"
        path = config.get("ResourcePath", "")
        return f"{config['Type']} {where}{path}"


@dataclass(frozen=True)
class LiveHealthCheck:
    id: str
    caller_reference: str
    config: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def record(self) -> str | None:
        return self.tags.get(TAG_RECORD)

    def describe(self) -> str:
        fqdn = self.config.get("FullyQualifiedDomainName", "?")
        return f"{self.config.get('Type', '?')} {fqdn}:{self.config.get('Port', '?')}" + str(
            self.config.get("ResourcePath", ""))


def specs_for(app: Application) -> dict[str, HealthCheckSpec]:
    """PoP -> the health check it should have (only PoPs with `health_check`)."""
    specs = {}
    for region, pop in app.pops.items():
        check = pop.health_check
        if check is None:
            continue
        config: dict[str, Any] = {
            "Type": check.protocol,
            "FullyQualifiedDomainName": check.fqdn or pop.target,
            "Port": check.effective_port(),
            "RequestInterval": check.request_interval,
            "FailureThreshold": check.failure_threshold,
        }
        if check.protocol != "TCP":
            config["ResourcePath"] = check.path
        if check.protocol == "HTTPS":
            config["EnableSNI"] = True
        specs[region] = HealthCheckSpec(app.record, region, config)
    return specs


@dataclass
class HealthCheckPlan:
    create: list[HealthCheckSpec] = field(default_factory=list)
    delete: list[LiveHealthCheck] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # PoP -> id, or PENDING_PREFIX + reference
    # Checks found by CallerReference without geoproxy's tags (a crash between create and
    # tag): tagged again, or geoproxy could never recognise them to delete them later.
    tag: list[tuple[HealthCheckSpec, str]] = field(default_factory=list)


def plan_health_checks(specs: dict[str, HealthCheckSpec],
                       live: list[LiveHealthCheck], record: str) -> HealthCheckPlan:
    by_reference = {check.caller_reference: check for check in live}
    plan = HealthCheckPlan()
    for pop, spec in specs.items():
        existing = by_reference.get(spec.caller_reference)
        if existing is None:
            plan.create.append(spec)
            plan.ids[pop] = PENDING_PREFIX + spec.caller_reference
        else:
            plan.ids[pop] = existing.id
            if existing.record != record:
                plan.tag.append((spec, existing.id))
    wanted = {spec.caller_reference for spec in specs.values()}
    plan.delete = [check for check in live
                   if check.record == record and check.caller_reference not in wanted]
    return plan
