"""The IAM statements of disaster recovery's calls (issue 25): accelerated recovery, the
check of stranded changes, and `verify`. Pure; `core/iam.py` calls these.

Action names and resource types follow the Service Authorization Reference, "Actions,
resources, and condition keys for Amazon Route 53": UpdateHostedZoneFeatures takes a
hostedzone resource; GetChange a change; TestDNSAnswer lists no resource type ("*" only).
"""

from __future__ import annotations

from collections.abc import Callable

from geoproxy.policy.models import Policy

Allow = Callable[..., None]
WILDCARD = "*"


def recovery_reads(policy: Policy, allow: Allow) -> None:
    """What `plan`, `status` and `verify` read for disaster recovery."""
    # `verify` asks Route 53's name servers what each source region gets: it reads what
    # the zone serves, nothing else.
    allow("VerifyAnswers", ["route53:TestDNSAnswer"], [WILDCARD])
    if policy.recovery.accelerated_recovery:
        # `status` checks the recent change batches of the audit log for stranded ones.
        allow("CheckStrandedChanges", ["route53:GetChange"], ["arn:aws:route53:::change/*"])


def recovery_writes(policy: Policy, zones: list[str], allow: Allow) -> None:
    """What `apply` writes for disaster recovery: accelerated recovery on the policy's
    zones (GetHostedZone, which polls it, is already among the reads)."""
    if policy.recovery.accelerated_recovery:
        allow("EnableAcceleratedRecovery", ["route53:UpdateHostedZoneFeatures"], zones)
