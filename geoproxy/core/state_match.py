"""Whether the records a state record describes agree with it.

Pure. A state record is written in the same batch as the records it explains, so a failover
it declares that no live record follows was not written by geoproxy with those records: it
was planted, put back after a failback, or the records were moved since. Such a failover is
reported (`state_unmatched`) and never obeyed: routing as it says would move traffic on the
word of a TXT record anyone who may write the zone can write.
"""

from __future__ import annotations

from collections.abc import Collection

from geoproxy.core.desired import DesiredApp, DesiredRecord
from geoproxy.core.failover import Failover
from geoproxy.core.live import LiveApp
from geoproxy.core.names import pop_name
from geoproxy.core.records import base_key, canonical, without_owner


def _describes(desired: DesiredApp, from_pop: str, paired: bool) -> list[DesiredRecord]:
    """The records a failover away from `from_pop` rewrites: the PoP pair's records when it
    has one (auto_failover, or a switch-gated PoP), else the latency records of the sources
    whose traffic passes through it."""
    if paired:
        pair = pop_name(from_pop, desired.record_name)
        return [d for d in desired.pairs if d.record.name == pair]
    return [d for d in desired.records if d.route and from_pop in d.route.failovers]


def unmatched(
    desired: DesiredApp,
    overlay: dict[str, Failover],
    live: LiveApp,
    paired: bool | Collection[str],
) -> list[Failover]:
    """The failovers of `overlay` that no live record follows. `desired` must be built from
    the routes with `overlay` applied; `paired` says which PoPs have a failover pair (True:
    all, as with auto_failover). A failover that moves no record (its PoP serves no source)
    is matched: there is nothing to disagree with."""
    owned = {record.base_key: record.raw for record in live.records if record.ours(desired.owner)}
    found = []
    for failover in overlay.values():
        has_pair = paired if isinstance(paired, bool) else failover.from_pop in paired
        describing = _describes(desired, failover.from_pop, has_pair)
        if not describing:
            continue
        if not any(_alike(owned.get(base_key(d.record.to_route53())), d) for d in describing):
            found.append(failover)
    return found


def _alike(live: dict[str, object] | None, desired: DesiredRecord) -> bool:
    if live is None:
        return False
    wanted = desired.record.to_route53()
    # Health check ids are not what a failover moves; the alias target is.
    have = {k: v for k, v in without_owner(live).items() if k != "HealthCheckId"}
    want = {k: v for k, v in without_owner(wanted).items() if k != "HealthCheckId"}
    return canonical(have) == canonical(want)
