"""Status: per application and source region, where traffic goes and why it may differ.

Pure: compares what live Route 53 says with the policy's routes and the active failovers, and
names the difference: an active failover (state), or drift (a change made outside geoproxy,
or a policy change not yet applied), or records missing or foreign.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from geoproxy.catalog import parse_elb_target
from geoproxy.failover import Failover
from geoproxy.plan import LiveApp
from geoproxy.records import LiveRecord
from geoproxy.routing import AppRouting

State = Literal["ok", "failover", "drift", "missing", "foreign"]


@dataclass(frozen=True)
class RegionStatus:
    source_region: str
    record_type: str
    state: State
    live_pop: str | None  # None: no record of geoproxy's
    live_target: str | None
    policy_pop: str
    effective_pop: str  # the policy's PoP with active failovers applied
    failovers: tuple[Failover, ...] = ()
    detail: str = ""


@dataclass
class AppStatus:
    name: str
    record: str
    zone_id: str
    failovers: list[Failover]
    regions: list[RegionStatus] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # owned records the policy does not want

    @property
    def healthy(self) -> bool:
        return all(region.state in ("ok", "failover") for region in self.regions)


def _pop_label(record: LiveRecord, pops_by_target: dict[str, str]) -> str:
    target = record.alias_target()
    if target is None:
        return record.value_text()
    if target.dns_name in pops_by_target:
        return pops_by_target[target.dns_name]
    elb = parse_elb_target(target.dns_name)
    return elb.region if elb else target.dns_name


def app_status(resolved: AppRouting, overlay: dict[str, Failover], live: LiveApp,
               record_types: tuple[str, ...]) -> AppStatus:
    app = resolved.app
    status = AppStatus(app.name, app.record, live.zone_id, list(overlay.values()))
    pops_by_target = {pop.target: region for region, pop in app.pops.items()}
    at_name = [record for record in live.records if record.name == app.record]
    owned = {(r.record_type, r.region): r for r in at_name if r.owned}
    foreign = {(r.record_type, r.region): r for r in at_name if r.is_latency and not r.owned}
    for record_type in record_types:
        for route in resolved.routes:
            key = (record_type, route.source_region)
            chain = tuple(overlay[pop] for pop in route.failovers)
            policy_pop = route.base_pop or route.pop
            record = owned.get(key)
            if record is None:
                other = foreign.get(key)
                state: State = "foreign" if other else "missing"
                detail = (f"a latency record geoproxy does not own: {other.describe()}"
                          if other else "no record; run `geoproxy apply`")
                status.regions.append(RegionStatus(route.source_region, record_type, state,
                                                   None, None, policy_pop, route.pop, chain,
                                                   detail))
                continue
            live_pop = _pop_label(record, pops_by_target)
            target = record.alias_target()
            wanted = app.pops[route.pop].target
            if target is not None and target.dns_name == wanted:
                state = "failover" if chain else "ok"
                detail = ""
            else:
                state = "drift"
                detail = (f"live points at {live_pop}, expected {route.pop}: changed outside "
                          "geoproxy, or a policy change not yet applied")
            status.regions.append(RegionStatus(
                route.source_region, record_type, state, live_pop,
                target.dns_name if target else None, policy_pop, route.pop, chain, detail))
    wanted_keys = {(t, r.source_region) for t in record_types for r in resolved.routes}
    status.extra = [record.describe() for key, record in owned.items() if key not in wanted_keys]
    return status
