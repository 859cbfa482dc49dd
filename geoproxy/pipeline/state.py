"""The failover state an application's run believes: what its state record says, less what
cannot be believed (a malformed or self-referential record, or failovers no live record
follows), with findings that say why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from geoproxy.core.cloudfront import DistributionPlan
from geoproxy.core.failover import Failover
from geoproxy.core.live import LiveApp
from geoproxy.core.names import state_name
from geoproxy.core.routing import AppRouting
from geoproxy.core.state import UNMATCHED, StateRead, read_state
from geoproxy.core.state_match import unmatched
from geoproxy.errors import Finding
from geoproxy.pipeline.compiled import Authority, Compiled, resolve_app


@dataclass
class Believed:
    state: StateRead
    overlay: dict[str, Failover]  # the failovers that can be believed
    invalid: list[Finding] = field(default_factory=list)  # why the rest cannot


def believed_state(
    compiled: Compiled,
    routing: AppRouting,
    live: LiveApp,
    health_check_ids: Mapping[str, str] | None = None,
    distribution: DistributionPlan | None = None,
    gates: Mapping[str, str] | None = None,
) -> Believed:
    app = routing.app
    state = read_state(live.state_record(app.record))
    name = state_name(app.record)
    believed = Believed(state, dict(state.failovers))
    if state.problem:
        believed.invalid.append(
            Finding(
                f"{app.name}: the state record {name} is invalid: {state.problem}",
                app=app.name,
                code=state.code,
                override="--force",
            )
        )
    if not believed.overlay:
        return believed
    resolved = resolve_app(
        compiled,
        routing,
        believed.overlay,
        live.zone_id,
        health_check_ids,
        distribution,
        Authority(keeps_live=True),
        gated=state.gated,
        gates=gates,
    )
    paired = {pop for pop in app.pops if app.auto_failover or pop in (gates or {})}
    for failover in unmatched(resolved.desired, resolved.overlay, live, paired):
        believed.overlay.pop(failover.from_pop, None)
        believed.invalid.append(
            Finding(
                f"{app.name}: the state record {name} is invalid: it declares the failover "
                f"{failover.from_pop} → {failover.to_pop}"
                + (f" (declared {failover.at})" if failover.at else "")
                + ", but none of the records it describes follows it (planted, put back "
                "after a failback, or the records were moved since); it is ignored",
                app=app.name,
                code=UNMATCHED,
                override="--force",
            )
        )
    return believed
