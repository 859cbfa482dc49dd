"""Route 53 writes: one change batch, sent until it is known to have landed or not.

The only code that calls ChangeResourceRecordSets. Its client never retries by itself
(see `AwsSettings.write_client`): after a failure, whether to send the batch again depends
on what the failure says, and, when it says nothing, on what is live.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from geoproxy.aws.retry import Verdict, classify, describe, error_code
from geoproxy.aws.session import AwsSettings, aws_errors
from geoproxy.core import landed
from geoproxy.core.batches import Change
from geoproxy.core.guardrails import (
    guardrail_findings,
    guardrails_named,
    mentions_protection,
    protected_findings,
)
from geoproxy.core.history import TOKEN_PREFIX
from geoproxy.core.names import STATE_LABEL
from geoproxy.errors import (
    AwsError,
    ConflictError,
    GeoproxyError,
    RefusedError,
    StateChangedError,
)


@dataclass
class SubmittedBatch:
    zone_id: str
    change_id: str | None  # None: it landed but its response was lost, so no id is known
    record_changes: int
    status: str = "PENDING"
    # Its answer was lost and its change id was found in the zone's Route 53 change history
    # (by the token in its comment): INSYNC is then asked of GetChange like any other.
    from_history: bool = False
    token: str = ""  # the token its comment carries ("" for a batch sent without one)
    # Why a lost answer's change id stayed unknown (no history, not found in time).
    history_note: str = ""

    @property
    def response_lost(self) -> bool:
        return self.change_id is None


def new_token() -> str:
    """A short token unique to one batch, for its comment (core/history.py): 8 base32
    characters, 40 random bits."""
    return TOKEN_PREFIX + base64.b32encode(secrets.token_bytes(5)).decode().lower()


def _landed(
    aws: AwsSettings, zone_id: str, batch: list[Change], token: str, sent_at: datetime
) -> SubmittedBatch:
    """A batch read back as landed whose answer was lost: its change id from the zone's
    change history when the zone has one and the token turns up there (then INSYNC is
    waited for on it), else unknown, as before history existed."""
    if not token:
        return SubmittedBatch(zone_id, None, len(batch), "UNKNOWN")
    from geoproxy.aws.history import find_landed

    found, why = find_landed(aws, zone_id, token, sent_at)
    if found is None:
        return SubmittedBatch(zone_id, None, len(batch), "UNKNOWN", token=token, history_note=why)
    return SubmittedBatch(zone_id, found.change_id, len(batch), "PENDING", True, token)


def submit_batch(
    aws: AwsSettings, zone_id: str, batch: list[Change], comment: str, token: str = ""
) -> SubmittedBatch:
    """Send one batch exactly once per attempt, and never report a wrong outcome.

    Throttled or busy: wait and send it again. Outcome unknown (the connection dropped, a
    timeout, a 5xx): read the batch's names first; if they are as after the batch, it landed
    (its response was lost); as before, send it again; anything else, stop and say what is
    live. A rejection Route 53 answered (InvalidChangeBatch) is a conflict: nothing of the
    batch was written, because batches are atomic.

    Late landings. A read-back that finds the names as before does not prove the attempt
    failed: Route 53 may still be applying it (ChangeResourceRecordSets answers PENDING and
    applies later; "PriorRequestNotComplete" is its answer to a request while an earlier one
    is in progress: Route 53 API Reference, ChangeResourceRecordSets, Errors). The resend can
    then be told the zone is busy, the first attempt lands, and the next resend is rejected
    ("already exists", "not found") because the batch is already live. So once any attempt's
    outcome was unknown, every later rejection is read back before it is reported: as after
    the batch, the earlier attempt landed and this is a success with its answer lost; as
    before, the rejection stands and the read-back proves nothing was written; otherwise
    geoproxy says what is live and claims nothing.

    A batch known to have landed without its answer is looked up by `token` (which
    `comment` carries) in the zone's change history, when it has one (`_landed`)."""
    client = aws.write_client("route53")
    sent_at = datetime.now(timezone.utc)
    action = f"change records in hosted zone {zone_id}"
    attempts = aws.retry_policy.start("ChangeResourceRecordSets")
    unknown: BaseException | None = None  # the last attempt whose outcome was not known
    while True:
        try:
            response = client.change_resource_record_sets(
                HostedZoneId=zone_id, ChangeBatch={"Comment": comment, "Changes": batch}
            )
        except Exception as error:
            verdict = classify(error)
            if verdict is Verdict.FINAL:
                if unknown is not None:
                    found = _after_unknown(aws, zone_id, batch, error, unknown, action)
                    if isinstance(found, SubmittedBatch):
                        # an earlier attempt landed late: its answer was lost
                        return _landed(aws, zone_id, batch, token, sent_at)
                    raise found from None
                if error_code(error) == "InvalidChangeBatch":
                    raise _rejected(aws, zone_id, batch, error) from None
                with aws_errors(action):
                    raise
                raise
            if verdict is Verdict.UNKNOWN:
                unknown = error
                where, differences = landed.outcome(batch, live_at(aws, zone_id, batch))
                if where is landed.Outcome.LANDED:
                    return _landed(aws, zone_id, batch, token, sent_at)
                if where is landed.Outcome.NEITHER:
                    raise AwsError(
                        f"cannot {action}: the answer to the change was lost ({describe(error)}),"
                        " and the records now match neither the state before it nor after it; "
                        "someone else changed them meanwhile. Live now:\n  "
                        + "\n  ".join(_difference_lines(differences)),
                        hint="run `geoproxy plan` to see the whole state, then apply again",
                    ) from None
            with aws_errors(action):
                attempts.wait(error)  # or, past the deadline, GaveUp: a one-line AwsError
            continue
        info = response["ChangeInfo"]
        return SubmittedBatch(
            zone_id, info["Id"].split("/")[-1], len(batch), info["Status"], token=token
        )


def _after_unknown(
    aws: AwsSettings,
    zone_id: str,
    batch: list[Change],
    error: BaseException,
    unknown: BaseException,
    action: str,
) -> SubmittedBatch | GeoproxyError:
    """A final error after an attempt whose outcome was unknown, read back first (see
    `submit_batch`): the batch as landed, or the error to raise."""
    reason = getattr(error, "response", {}).get("Error", {}).get("Message", str(error))
    where, differences = landed.outcome(batch, live_at(aws, zone_id, batch))
    if where is landed.Outcome.LANDED:
        return SubmittedBatch(zone_id, None, len(batch), "UNKNOWN")
    if where is landed.Outcome.NOT_LANDED:
        if error_code(error) == "InvalidChangeBatch":
            return ConflictError(
                f"Route 53 rejected the change batch for hosted zone {zone_id}: {reason}. An "
                f"earlier attempt's answer was lost ({describe(unknown)}); the records read "
                "back just now are as before the batch, so nothing of it was written",
                hint="someone may have changed these records a moment ago: run the command "
                "again to plan against what is live now",
            )
        return AwsError(
            f"cannot {action}: {error_code(error) or describe(error)}: {reason}. An earlier "
            f"attempt's answer was lost ({describe(unknown)}); the records read back just now "
            "are as before the batch, so nothing of it was written"
        )
    return AwsError(
        f"cannot {action}: Route 53 answered {error_code(error) or describe(error)} ({reason}) "
        f"after an earlier attempt's answer was lost ({describe(unknown)}), and the records "
        "now match neither the state before the batch nor after it; part of it may be live "
        "through another writer. Live now:\n  " + "\n  ".join(_difference_lines(differences)),
        hint="run `geoproxy plan` to see the whole state, then apply again",
    )


def live_at(aws: AwsSettings, zone_id: str, batch: list[Change]) -> list[dict[str, Any]]:
    from geoproxy.aws.live import Route53Reader

    reader = Route53Reader(aws)
    return [
        record.raw
        for name in landed.names_of(batch)
        for record in reader.subtree(zone_id, name, below=False)
    ]


def _difference_lines(differences: list[landed.Difference]) -> list[str]:
    return [
        f"{landed.describe_key(d.expected.key)}: live "
        f"{landed.describe_record_set(d.live)}; geoproxy expected "
        f"{landed.describe_record_set(d.expected.before)} before the change, "
        f"{landed.describe_record_set(d.expected.after)} after it"
        for d in differences
    ]


def _rejected(
    aws: AwsSettings, zone_id: str, batch: list[Change], error: BaseException
) -> GeoproxyError:
    reason = getattr(error, "response", {}).get("Error", {}).get("Message", str(error))
    explained = _guarded(aws, zone_id, batch, reason)
    if explained is not None:
        return explained
    try:
        moved = landed.moved_since_plan(batch, live_at(aws, zone_id, batch))
    except GeoproxyError:
        moved = []
    detail = (
        (
            "; these records changed since the plan:\n  "
            + "\n  ".join(
                f"{landed.describe_key(d.expected.key)}: planned on "
                f"{landed.describe_record_set(d.expected.before)}, live "
                f"{landed.describe_record_set(d.live)}"
                for d in moved
            )
        )
        if moved
        else ""
    )
    # The state changed underneath (someone else wrote the application since this run read
    # it) only if the state record the batch asserts is no longer as read; a rejection for
    # another reason is a plain conflict, and is not re-planned.
    state_moved = any(state_record(d.expected.key[0], d.expected.key[1]) for d in moved)
    kind = StateChangedError if asserts_state(batch) and state_moved else ConflictError
    return kind(
        f"Route 53 rejected the change batch for hosted zone {zone_id}: {reason}. Nothing "
        f"of this batch was written (a batch is atomic){detail}",
        hint="someone may have changed these records a moment ago: run the command again "
        "to plan against what is live now",
    )


def _guarded(
    aws: AwsSettings, zone_id: str, batch: list[Change], reason: str
) -> GeoproxyError | None:
    """A rejection by a record set protection (created since this run listed them) or by a
    Change Guardrail, explained: which, on which records, and the fix. The guardrail is
    known by its documented name in the message; a protection by the listing, read again."""
    named = guardrails_named(reason)
    if named:
        return ConflictError(
            "\n".join(guardrail_findings(zone_id, batch, named)),
            hint="`geoproxy plan` shows what waits for a later run (drain pending); "
            "`geoproxy status` shows the zone's guardrails. If it shows none although "
            "Route 53 applies them, give the application `zone_id:` in the policy: geoproxy "
            "then reads the zone with GetHostedZone, which reports them (a lookup by name "
            "may not)",
        )
    if mentions_protection(reason):
        from geoproxy.aws.protections import list_protections

        touched = protected_findings([(zone_id, batch)], {zone_id: list_protections(aws, zone_id)})
        if touched:
            return RefusedError(
                "Route 53 refused the change batch: nothing of it was written.\n  "
                + "\n  ".join(touched),
                hint="geoproxy never removes a record set protection",
            )
    return None


def state_record(name: str, record_type: str) -> bool:
    return record_type == "TXT" and name.lower().startswith(STATE_LABEL + ".")


def asserts_state(batch: list[Change]) -> bool:
    """The batch carries a state record's compare-and-swap (core.state)."""
    return any(
        state_record(
            str(change["ResourceRecordSet"].get("Name", "")),
            str(change["ResourceRecordSet"].get("Type", "")),
        )
        for change in batch
    )
