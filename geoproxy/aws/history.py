"""Route 53 Change History reads: ListHostedZoneChangeBatches, the one history call geoproxy
makes (route53:ListHostedZoneChangeBatches on the zone; Route 53 Developer Guide,
"Permissions for Change History",
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zone-change-history-permissions.html).

Two uses. After a batch whose answer was lost (aws/submit.py): find it by its token in the
zone's history, to learn its change id and wait for INSYNC on it. History may lag: "If the
range ends within a few seconds of the current time, a later request for the same range
might return more change batches" (API Reference, ListHostedZoneChangeBatches,
SubmittedBefore), so the lookup is repeated until `history_deadline()` has passed. And
`status`: one listing per zone with history, for who last wrote each application.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from geoproxy.aws.polling import poll_interval
from geoproxy.aws.session import AwsSettings, aws_errors
from geoproxy.core.history import CLOCK_SKEW, HistoryEntry, geoproxy_entries, with_token
from geoproxy.core.zone_features import ZoneFeatures, features_from
from geoproxy.errors import GeoproxyError

# The local clock and Route 53's may differ (CLOCK_SKEW); the window opens this long before
# the first attempt was sent (never before the zone's RetentionStartsAt, which is
# InvalidInput).
# A lost batch is looked for among the newest batches of its window, at most this many pages
# of PAGE_SIZE: many more batches in the same minutes mean another writer's storm, and the
# read-back already proved the records landed.
PAGE_SIZE = 100
MAX_PAGES = 3
# status reads one page, the newest batches first.
STATUS_PAGE_SIZE = 100


def history_deadline() -> float:
    """Seconds to keep looking for a lost batch in a lagging history; the API Reference says
    "a few seconds". GEOPROXY_HISTORY_DEADLINE overrides (tests, slow zones)."""
    try:
        return max(float(os.environ.get("GEOPROXY_HISTORY_DEADLINE", "60")), 0.0)
    except ValueError:
        return 60.0


def _bound(at: datetime) -> str:
    """ChangeHistoryTimeBound: ISO 8601 with a UTC offset. Milliseconds, rounded up: a bound
    rounded down from RetentionStartsAt would fall before it (InvalidInput)."""
    if at.microsecond % 1000:
        at += timedelta(microseconds=1000 - at.microsecond % 1000)
    return at.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def zone_features(aws: AwsSettings, zone_id: str) -> ZoneFeatures:
    with aws_errors(f"read hosted zone {zone_id}"):
        client = aws.for_zone(zone_id).client("route53")  # the zone's account (accounts:)
        return features_from(client.get_hosted_zone(Id=zone_id)["HostedZone"])


def list_page(
    aws: AwsSettings,
    zone_id: str,
    *,
    after: datetime | None = None,
    max_results: int = PAGE_SIZE,
    next_token: str | None = None,
) -> tuple[list[HistoryEntry], str | None]:
    """geoproxy's batches on one page of the zone's history, newest first, and the next
    page's token."""
    request: dict[str, Any] = {
        "HostedZoneId": zone_id,
        "SortOrder": "DESCENDING",
        "MaxResults": str(max_results),
    }
    if after is not None:
        request["SubmittedAfter"] = _bound(after)
    if next_token:
        request["NextToken"] = next_token
    with aws_errors(f"read the change history of hosted zone {zone_id}"):
        page = aws.for_zone(zone_id).client("route53").list_hosted_zone_change_batches(**request)
    return geoproxy_entries(zone_id, page.get("ChangeBatchSummaries") or []), page.get("NextToken")


def find_landed(
    aws: AwsSettings, zone_id: str, token: str, sent_at: datetime
) -> tuple[HistoryEntry | None, str]:
    """The batch carrying `token` in the zone's history, if the zone has history and the
    batch shows up before the deadline; else None and why (for the audit log and people).
    One GetHostedZone (features), then ListHostedZoneChangeBatches until found."""
    try:
        features = zone_features(aws, zone_id)
    except GeoproxyError as error:
        return None, f"the zone's features could not be read ({error.message})"
    if not features.change_history:
        return None, "the zone has no Route 53 change history"
    after = sent_at - CLOCK_SKEW
    if features.history_starts_at is not None and after < features.history_starts_at:
        after = features.history_starts_at
    started, deadline = time.monotonic(), history_deadline()
    while True:
        next_token: str | None = None
        try:
            for _ in range(MAX_PAGES):
                entries, next_token = list_page(aws, zone_id, after=after, next_token=next_token)
                found = with_token(entries, token)
                if found is not None:
                    return found, ""
                if not next_token:
                    break
        except GeoproxyError as error:
            return None, f"its change history could not be read ({error.message})"
        waited = time.monotonic() - started
        if waited >= deadline:
            return None, f"it was not in the zone's change history after {waited:.0f}s"
        time.sleep(poll_interval())
