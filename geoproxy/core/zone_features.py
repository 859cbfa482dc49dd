"""What a hosted zone's Features say it has: change guardrails, change history, accelerated
recovery. Read from the HostedZone element that the zone lookup already returns, so
knowing them costs no request of its own. GetHostedZone carries `Features` (its
`ChangeHistory.RetentionStartsAt` is documented as what "GetHostedZone returns", API
Reference, ListHostedZoneChangeBatches); that ListHostedZonesByName fills it in too is
NOT documented (API_HostedZoneFeatures.html lists AcceleratedRecoveryStatus and
FailureReasons only): it is an assumption on the live-AWS checklist. If it does not, a
zone looked up by name reads as having no guardrail, and Route 53's refusal is explained
when it comes.

A zone whose lookup said nothing about a feature is treated as not having it: geoproxy
never assumes a guardrail or a history that Route 53 did not report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# The guardrails Route 53 documents (HostedZoneFeatures.ChangeGuardrails[].Name).
ALIAS_TARGET_CHECK = "ALIAS_TARGET_CHECK"
ACTIVE_RECORD_CHECK = "ACTIVE_RECORD_CHECK"
NS_OCCLUSION_CHECK = "NS_OCCLUSION_CHECK"
NS_FORMAT_CHECK = "NS_FORMAT_CHECK"
NS_DELEGATION_AUTHORITY_CHECK = "NS_DELEGATION_AUTHORITY_CHECK"
ACTIVE_DELEGATION_CHECK = "ACTIVE_DELEGATION_CHECK"


@dataclass(frozen=True)
class ZoneFeatures:
    guardrails: frozenset[str] = frozenset()  # the names of the ENABLED ones
    change_history: bool = False
    history_starts_at: datetime | None = None
    accelerated_recovery: str | None = None  # AcceleratedRecoveryStatus, None: not reported
    reported: bool = False  # whether the lookup carried a Features element at all

    def has(self, guardrail: str) -> bool:
        return guardrail in self.guardrails


NOT_REPORTED = ZoneFeatures()


def features_from(hosted_zone: Mapping[str, Any]) -> ZoneFeatures:
    """The features of one HostedZone element as Route 53 returned it."""
    raw = hosted_zone.get("Features")
    if not isinstance(raw, Mapping):
        return NOT_REPORTED
    guardrails = frozenset(
        str(item.get("Name"))
        for item in raw.get("ChangeGuardrails") or ()
        if isinstance(item, Mapping) and item.get("Status") == "ENABLED"
    )
    history = raw.get("ChangeHistory") or {}
    starts = history.get("RetentionStartsAt") if isinstance(history, Mapping) else None
    status = raw.get("AcceleratedRecoveryStatus")
    return ZoneFeatures(
        guardrails=guardrails,
        change_history=isinstance(history, Mapping) and history.get("Status") == "ENABLED",
        history_starts_at=starts if isinstance(starts, datetime) else None,
        accelerated_recovery=status if isinstance(status, str) else None,
        reported=True,
    )
