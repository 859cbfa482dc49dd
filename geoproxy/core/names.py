"""The names geoproxy writes, each rule in one place.

Pure. A name geoproxy writes is a contract with what is already live: a rule spelled twice
drifts, and then geoproxy no longer recognises its own records. Every record geoproxy owns
carries a SetIdentifier `geoproxy:<slot>@<owner>`: the slot is the source region of a latency
record, or one of `Slot`'s names; names below the application's record hold its PoP pairs
(`<pop>._failover.<record>`), direct PoP names (`<pop>.<record>`) and failover state
(`_geoproxy.<record>`); its edge function and health-check tags are named here too.
"""

from __future__ import annotations

import enum
import hashlib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from geoproxy.policy.models import Application

OWNED_PREFIX = "geoproxy:"
OWNER_SEPARATOR = "@"


class Slot(str, enum.Enum):
    """The slots of geoproxy's records other than latency records (whose slot is their
    source region)."""

    VIEWER = "viewer"  # a viewer alias of the distribution (a one-member weighted record)
    DIRECT = "direct"  # a PoP's direct name (a one-member weighted record)
    PRIMARY = "primary"  # the halves of an auto-failover PoP pair
    SECONDARY = "secondary"

    @property
    def base(self) -> str:
        """The identifier without an owner: `geoproxy:<slot>`."""
        return OWNED_PREFIX + self.value


# The single-member weighted records geoproxy uses in place of simple ones.
OWNED_WEIGHTED = frozenset({Slot.VIEWER.base, Slot.DIRECT.base})


def owned_identifier(slot: str, owner: str | None) -> str:
    """`geoproxy:<slot>@<owner>`; without an owner, the form geoproxy wrote before owners."""
    slot = slot.value if isinstance(slot, Slot) else slot
    return f"{OWNED_PREFIX}{slot}" + (f"{OWNER_SEPARATOR}{owner}" if owner else "")


def split_owner(set_identifier: str) -> tuple[str, str | None]:
    """(the identifier without its owner, the owner or None) for geoproxy's identifiers;
    any other identifier is returned whole, with no owner."""
    if not set_identifier.startswith(OWNED_PREFIX):
        return set_identifier, None
    base, separator, owner = set_identifier.partition(OWNER_SEPARATOR)
    return base, (owner if separator else None)


def is_slot(set_identifier: str | None, slot: Slot) -> bool:
    """Whether a SetIdentifier (with or without its owner) is in `slot`."""
    return set_identifier is not None and split_owner(set_identifier)[0] == slot.base


# --- names below the application's record ---------------------------------------------------

STATE_LABEL = "_geoproxy"
# `_failover` sorts after the record and before `_geoproxy`, so one listing from the record
# name reads everything geoproxy owns.
PAIR_LABEL = "_failover"


def state_name(record_name: str) -> str:
    """Where the application's failover state record lives."""
    return f"{STATE_LABEL}.{record_name}"


def pop_name(pop: str, record_name: str) -> str:
    """The intermediate name of an auto-failover PoP pair."""
    return f"{pop}.{PAIR_LABEL}.{record_name}"


def pair_parts(name: str) -> tuple[str, str] | None:
    """(PoP, record name) of a PoP pair's name; None for any other name."""
    pop, separator, record_name = name.partition(f".{PAIR_LABEL}.")
    return (pop, record_name) if separator else None


def direct_name(pop: str, record_name: str) -> str:
    """A per-PoP name that skips the latency routing: the origin group's fallback and the
    edge fence's target."""
    return f"{pop}.{record_name}"


def direct_parts(name: str) -> tuple[str, str]:
    """(PoP, record name) of a direct name."""
    pop, _, record_name = name.partition(".")
    return pop, record_name


# --- the edge function and health-check tags ---------------------------------------------

FUNCTION_PREFIX = "geoproxy-"
# CreateFunction's Name: 1-64 characters of [a-zA-Z0-9-_] (the API's FunctionName shape).
MAX_FUNCTION_NAME = 64
_NAME_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")


def function_name(owner: str, app: str) -> str:
    """`geoproxy-<owner>-<app>-<hash>`: CloudFront's names allow only letters, digits, `-`
    and `_`, so the readable part maps `.` to `_`, and a hash of the exact (owner, app) pair
    keeps two pairs that read alike apart (`a-b`/`c` and `a`/`b-c`, `a.b` and `a_b`). Too
    long a readable part is cut so the whole stays within 64 characters, hash kept."""
    digest = hashlib.sha256(f"{owner}\0{app}".encode()).hexdigest()[:8]
    readable = _NAME_UNSAFE.sub("_", f"{FUNCTION_PREFIX}{owner}-{app}")
    return f"{readable[: MAX_FUNCTION_NAME - len(digest) - 1]}-{digest}"


def is_function_name(name: str) -> bool:
    """Whether a CloudFront Function's name is one geoproxy gives."""
    return name.startswith(FUNCTION_PREFIX)


# A health check's CallerReference: the prefix, 40 hex digits of its settings' SHA-256 and,
# for a re-creation, "-" and a nonce, within CallerReference's 64 characters.
REFERENCE_PREFIX = "geoproxy-"


def caller_reference(identity: str, nonce: str = "") -> str:
    return REFERENCE_PREFIX + identity + (f"-{nonce}" if nonce else "")


# --- CloudFront origin ids: `<origin_id>` (the policy's, default `geoproxy-<app>`) and the
# `<origin_id>-...` ids geoproxy adds beside it ------------------------------------------------

GROUP_SUFFIX = "-group"


def origin_id(app: Application) -> str:
    """geoproxy's origin id on the application's distribution: the policy's `origin_id`, or
    `geoproxy-<application>`."""
    assert app.cloudfront is not None
    return app.cloudfront.origin_id or f"geoproxy-{app.name}"


def origin_group_id(origin_id: str) -> str:
    return origin_id + GROUP_SUFFIX


def direct_origin_id(origin_id: str, pop: str) -> str:
    return f"{origin_id}-{pop}"


TAG_RECORD = "geoproxy:record"
TAG_POP = "geoproxy:pop"
TAG_OWNER = "geoproxy:owner"  # the policy's `owner:`; only its own checks can be orphans


# --- data-plane switches (recovery.switches: arc): ARC routing controls, safety rules and the
# RECOVERY_CONTROL health checks that follow them --------------------------------------------

SWITCH_PREFIX = "geoproxy-"
# ARC names (routing controls, safety rules): 1-64 characters without white space
# (CreateRoutingControl RoutingControlName, NewAssertionRule Name; Recovery Control
# Configuration API Reference).
MAX_ARC_NAME = 64
TAG_SWITCH = "geoproxy:switch"  # on a RECOVERY_CONTROL check: the PoP region it follows
SWITCH_RECORD = "_switches"  # the geoproxy:record tag of switch checks: no record is theirs


def switch_name(owner: str, region: str) -> str:
    """The routing control of one PoP region, shared by every application with a PoP
    there: `geoproxy-<owner>-<region>` (owner and region are short, so it fits 64)."""
    return f"{SWITCH_PREFIX}{owner}-{region}"[:MAX_ARC_NAME]


def switch_region(owner: str, name: str) -> str | None:
    """The PoP region of a routing control geoproxy named, or None."""
    prefix = f"{SWITCH_PREFIX}{owner}-"
    return name[len(prefix) :] if name.startswith(prefix) else None


def safety_rule_name(owner: str, regions: tuple[str, ...]) -> str:
    """An assertion rule over these controls: the hash of the exact set keeps two sets
    apart; the readable part says whose it is."""
    digest = hashlib.sha256("\0".join(sorted(regions)).encode()).hexdigest()[:10]
    return f"{SWITCH_PREFIX}{owner}"[: MAX_ARC_NAME - len(digest) - 7] + f"-fence-{digest}"
