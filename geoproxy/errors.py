"""The errors geoproxy reports to users, each with the exit code the CLI documents.

Every failure a user can cause or fix (bad policy, missing zone, bad credentials, conflicts)
is one of these, so the CLI prints one clear message instead of a traceback.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2  # only with `plan --detailed-exitcode`, as in Terraform
EXIT_STALE_PLAN = 3  # a saved plan whose live state moved since it was made
EXIT_FAILOVER_ACTIVE = 4  # reserved: `status --detailed-exitcode` with only a failover active
EXIT_MISMATCH = 2  # `verify`: some source region is answered by another PoP than expected
EXIT_DRILL_FAILED = 2  # `drill`: the drill ran, and the recovery it tests did not hold
EXIT_IMPORT_FINDINGS = 2  # `import --detailed-exitcode`: the policy was made, with findings
EXIT_INTERRUPTED = 130

# What a terminal must never be handed from DNS, AWS or a policy: C0 and C1 controls (ESC
# starts sequences that clear the screen, set the window title or move the cursor; CR
# overwrites a line; a newline forges one) and the bidirectional overrides and isolates
# that make text display in another order than it reads ("Trojan Source").
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
REPLACEMENT = "\ufffd"


def printable(text: str, *, newlines: bool = False) -> str:
    """`text` with each control character replaced by U+FFFD, one for one (so the styles a
    terminal renderer attached stay where they were). `newlines` keeps line breaks and tabs:
    for geoproxy's own multi-line messages, never for a value read from outside."""
    if text.isprintable():
        return text  # the common case, in C
    kept = "\n\t" if newlines else ""
    return "".join(
        REPLACEMENT
        if (unicodedata.category(char) == "Cc" and char not in kept) or char in _BIDI
        else char
        for char in text
    )


@dataclass(frozen=True)
class Issue:
    """One problem in a policy file, located by its YAML path (and line, once known)."""

    path: tuple[str | int, ...]
    message: str
    line: int | None = None

    def dotted_path(self) -> str:
        """The YAML path as `applications[0].pops`; a key with control characters (a YAML
        key may spell any with escapes) is shown with them replaced."""
        text = ""
        for part in self.path:
            if isinstance(part, int):
                text += f"[{part}]"
            else:
                key = printable(str(part))
                text += f".{key}" if text else key
        return text


class GeoproxyError(Exception):
    """Base of every error the CLI reports as a message; `kind` is stable for scripts."""

    kind = "error"
    exit_code = EXIT_ERROR

    def __init__(
        self, message: str, *, hint: str | None = None, output: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # What the command had to say before failing (e.g. the plan that has conflicts):
        # JSON output carries it beside the error, in the one document on stdout.
        self.output: dict[str, Any] = output if output is not None else {}

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {"kind": self.kind, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        return body


# At most this many problems are listed, then "… and N more": a hostile file must not turn
# into megabytes of errors, and a person fixes the first screenful first anyway.
MAX_LISTED_ISSUES = 30
MAX_JSON_ISSUES = 100


class PolicyError(GeoproxyError):
    """The policy file is missing, unparsable or invalid; lists the first problems found
    (MAX_LISTED_ISSUES of them) and how many more there are."""

    kind = "policy_invalid"

    def __init__(self, file: str, issues: list[Issue]) -> None:
        self.file = file
        self.issues = issues
        located = []
        for issue in issues[:MAX_LISTED_ISSUES]:
            where = f"{file}:{issue.line}" if issue.line else file
            location = f" {issue.dotted_path()}:" if issue.path else ""
            located.append(f"{where}:{location} {issue.message}")
        more = len(issues) - len(located)
        lines = (
            located
            if len(issues) == 1
            else [
                f"{file}: invalid policy ({len(issues):,} problems)",
                *(f"  {line}" for line in located),
                *([f"  … and {more:,} more"] if more else []),
            ]
        )
        super().__init__("\n".join(lines))

    def to_json(self) -> dict[str, object]:
        body = super().to_json()
        body["file"] = self.file
        body["issues"] = [
            {"path": issue.dotted_path(), "line": issue.line, "message": issue.message}
            for issue in self.issues[:MAX_JSON_ISSUES]
        ]
        if len(self.issues) > MAX_JSON_ISSUES:
            body["issues_not_listed"] = len(self.issues) - MAX_JSON_ISSUES
        return body


class AwsError(GeoproxyError):
    """AWS answered with an error, or could not be reached or authenticated against.
    `unavailable`: the API did not answer (unreachable, or a 5xx that outlasted the retries),
    so a caller can say which plane is down without reading the message."""

    kind = "aws"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        output: dict[str, Any] | None = None,
        unavailable: bool = False,
    ) -> None:
        super().__init__(message, hint=hint, output=output)
        self.unavailable = unavailable


class ConflictError(GeoproxyError):
    """Live records that geoproxy does not own stand where the policy needs its own."""

    kind = "conflict"


class StateChangedError(ConflictError):
    """Route 53 rejected a batch whose state assertion no longer holds: someone else wrote the
    application's records (and its state record) since this run read them. Nothing of that
    batch was written; a run that planned it re-reads and re-plans once."""

    kind = "state_changed"


class RefusedError(GeoproxyError):
    """geoproxy declined to write: no confirmation, or a safety rule said no."""

    kind = "refused"


class Interrupted(GeoproxyError):
    """Ctrl-C: the message says what Route 53 had already accepted."""

    kind = "interrupted"
    exit_code = EXIT_INTERRUPTED


class PartlyWritten(GeoproxyError):
    """A write that failed after some of its writes landed: the cause's message, kind and
    exit code, and what landed and what did not, so nobody assumes an all-or-nothing run."""

    def __init__(self, cause: GeoproxyError, done: list[str], left: list[str]) -> None:
        super().__init__(
            f"{cause.message}; already applied: {', '.join(done)}"
            + (f"; not written: {', '.join(left)}" if left else "")
            + ". Run `geoproxy plan` to see what is left, and the same command again to "
            "complete it",
            hint=cause.hint,
            output=cause.output,
        )
        self.cause = cause
        self.kind = cause.kind
        self.exit_code = cause.exit_code
        self.done = done
        self.left = left


class StalePlanError(GeoproxyError):
    """A saved plan whose live state moved since it was made; nothing was written."""

    kind = "stale_plan"
    exit_code = EXIT_STALE_PLAN


# --- findings: problems and warnings as data -------------------------------------------------

# Every finding's code, registered here once, with what it means (later work adds its own).
FINDING_CODES: dict[str, str] = {
    "compliance_breach": "a route or a fenced viewer country would reach a PoP a compliance "
    "rule forbids",
    "failover_target_gone": "an active failover targets a PoP the policy no longer has",
    "failover_cycle": "the active failovers form a cycle",
    "record_conflict": "a record geoproxy does not own is in the way",
    "needs_health_check": "a failover needs a health check that does not exist yet",
    "distribution": "CloudFront would refuse the distribution's new config",
    "edge_preflight": "the edge fence would not see the viewer's country, or Host differs",
    "viewer_alias": "a viewer alias is not covered, or used elsewhere",
    "delegation": "the record's name is delegated elsewhere",
    "no_fail_closed_pop": "no PoP is allowed by every rule that fences viewer countries",
    "state_malformed": "the state record has geoproxy's marker but cannot be read",
    "state_self_referential": "the state record declares a failover from a PoP to itself",
    "state_unmatched": "the state record declares a failover no live record follows",
    # Saved plans (core.saved_plan_checks): judged from the change set, never the prose.
    "plan_not_owned": "a saved plan writes a record geoproxy does not own, or another "
    "owner's, or one at a name outside its applications",
    "plan_foreign_zone": "a saved plan writes in a hosted zone none of its applications has",
    "plan_foreign_distribution": "a saved plan updates a distribution none of its applications has",
    "plan_unmanaged_config": "a saved plan's distribution config changes fields geoproxy "
    "does not manage",
    "plan_prose_mismatch": "a saved plan's text or summary does not say what its changes do",
    "plan_signature": "a saved plan is unsigned or its signature does not verify, while a "
    "verifying key is configured",
    "origin_in_use": "a CloudFront distribution still uses the origin name of an application "
    "being destroyed",
    # Route 53's record set protections and Change Guardrails (core.guardrails).
    "record_protected": "a write would change a record set that a Route 53 record set "
    "protection covers",
    "guardrail_rejected": "a Route 53 Change Guardrail of the zone refused a change batch",
    "switch_state": "a data-plane switch is Off (or missing) where the records and the "
    "failover state record do not say so",
    # `geoproxy import` (core.importer): what the imported policy cannot say, or what
    # `apply --adopt` of it rewrites although every route stays.
    "import_target": "a latency record's target is not a load balancer alias (values, "
    "CloudFront, S3, API Gateway...), or its type is not A or AAAA",
    "import_pop_conflict": "a second load balancer in one PoP region",
    "import_mismatch": "one source region's A and AAAA records go to different PoPs",
    "import_left_out": "a source region left out of the imported policy; its records stay",
    "import_failover_pair": "a failover pair the policy expresses differently, or not at all",
    "import_set_identifier": "hand-made set identifiers that become geoproxy's on adoption",
    "import_health_check": "a health check geoproxy does not manage, dropped on adoption",
    "import_target_health": "EvaluateTargetHealth set on some latency records only",
    "import_record_types": "a source region lacks a record type others have; adoption adds it",
    "import_failover_active": "geoproxy's state record says a failover is active: the live "
    "map is the failed-over one",
}
OVERRIDE_COMPLIANCE = "--override-compliance"


class Finding(str):
    """A problem or warning: the sentence a person reads, and the fields code decides by
    (its application, a registered code, what overrides it), so no caller parses the text.
    It is its message wherever text is wanted (rendering, JSON)."""

    app: str
    code: str
    override: str | None

    def __new__(cls, message: str, *, app: str, code: str, override: str | None = None) -> Finding:
        if code not in FINDING_CODES:
            raise ValueError(f"unregistered finding code {code!r}")
        finding = super().__new__(cls, message)
        finding.app, finding.code, finding.override = app, code, override
        return finding


def findings(
    app: str, code: str, messages: Iterable[str], override: str | None = None
) -> list[Finding]:
    """Messages about one application, as findings of one code."""
    return [
        message
        if isinstance(message, Finding)
        else Finding(message, app=app, code=code, override=override)
        for message in messages
    ]
