"""Route 53 health checks for auto-failover PoPs: what should exist, and the diff.

Pure. A health check's identity is a hash of the application's record, the PoP and the
check's settings, kept at the start of its CallerReference and in a tag. The reference ends
in a nonce chosen when the check is planned, so each creation has its own: Route 53 remembers
the reference of a deleted check for days and refuses any reuse (HealthCheckAlreadyExists,
"regardless of the settings": CreateHealthCheck, API Reference), which would block changing
a setting and back, removing and re-adding a PoP, or turning auto_failover off and on. A
retried CreateHealthCheck sends the same reference and settings, and Route 53 returns the
check it already made. A check found by its identity but without geoproxy's tags (a crash
between create and tag) is tagged again. geoproxy deletes only checks tagged for the
applications in the policy.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from geoproxy.core.names import (
    REFERENCE_PREFIX,
    TAG_OWNER,
    TAG_POP,
    TAG_RECORD,
    caller_reference,
)
from geoproxy.policy.models import DEFAULT_OWNER, Application

PENDING_PREFIX = "pending:"  # stands for the id of a health check apply will create


IDENTITY_CHARS = 40  # the first 40 hex digits of the settings' SHA-256


@dataclass(frozen=True)
class HealthCheckSpec:
    record: str
    pop: str
    config: dict[str, Any]
    nonce: str = ""  # makes the CallerReference of each creation unique
    owner: str = DEFAULT_OWNER

    @property
    def identity(self) -> str:
        digest = hashlib.sha256(
            json.dumps([self.record, self.pop, self.config], sort_keys=True).encode()
        ).hexdigest()
        return digest[:IDENTITY_CHARS]

    @property
    def caller_reference(self) -> str:
        return caller_reference(self.identity, self.nonce)

    @property
    def tags(self) -> list[dict[str, str]]:
        return [
            {"Key": "Name", "Value": f"geoproxy {self.record} {self.pop}"},
            {"Key": TAG_RECORD, "Value": self.record},
            {"Key": TAG_POP, "Value": self.pop},
            {"Key": TAG_OWNER, "Value": self.owner},
        ]

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

    @property
    def owner(self) -> str | None:
        return self.tags.get(TAG_OWNER)

    @property
    def identity(self) -> str:
        """The settings hash its CallerReference starts with (also for the 48-digit
        references geoproxy 0.1 wrote, which share the first 40 digits)."""
        return self.caller_reference.removeprefix(REFERENCE_PREFIX)[:IDENTITY_CHARS]

    def describe(self) -> str:
        fqdn = self.config.get("FullyQualifiedDomainName", "?")
        return f"{self.config.get('Type', '?')} {fqdn}:{self.config.get('Port', '?')}" + str(
            self.config.get("ResourcePath", "")
        )


def specs_for(app: Application, owner: str = DEFAULT_OWNER) -> dict[str, HealthCheckSpec]:
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
        specs[region] = HealthCheckSpec(app.record, region, config, owner=owner)
    return specs


@dataclass
class HealthCheckPlan:
    create: list[HealthCheckSpec] = field(default_factory=list)
    delete: list[LiveHealthCheck] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # PoP -> id, or PENDING_PREFIX + reference
    # Checks found by CallerReference without geoproxy's tags (a crash between create and
    # tag): tagged again, or geoproxy could never recognise them to delete them later.
    tag: list[tuple[HealthCheckSpec, str]] = field(default_factory=list)


def plan_health_checks(
    specs: dict[str, HealthCheckSpec], live: list[LiveHealthCheck], record: str, nonce: str = ""
) -> HealthCheckPlan:
    """`nonce` (unique per run, from the caller) goes into the reference of checks to
    create."""
    plan = HealthCheckPlan()
    for pop, spec in specs.items():
        # Prefer a check already tagged for this record; an untagged one of the same identity
        # is one a crash left before its tags were written.
        found = sorted(
            (check for check in live if check.identity == spec.identity),
            key=lambda check: (check.record != record, check.id),
        )
        if not found:
            new = dataclasses.replace(spec, nonce=nonce)
            plan.create.append(new)
            plan.ids[pop] = PENDING_PREFIX + new.caller_reference
            continue
        existing = found[0]
        plan.ids[pop] = existing.id
        if existing.record != record or existing.owner != spec.owner:
            plan.tag.append((spec, existing.id))
    wanted = {plan.ids[pop] for pop in specs}
    plan.delete = [check for check in live if check.record == record and check.id not in wanted]
    return plan
