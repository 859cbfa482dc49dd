"""ARC's cluster data plane (GetRoutingControlState, ListRoutingControls,
UpdateRoutingControlState(s)) and the knobs tests turn: endpoint reachability, the
documented per-endpoint rate limit, safety rules' wait periods. Sources: arc_model.

Each cluster endpoint is `http://127.0.0.1:PORT/_arc/<cluster-id>/<region>/v1`, all served
by this one server; the region in the path says which endpoint a request went to. An
unreachable endpoint closes the connection without answering (the request is logged, marked
refused): botocore retries, then raises ConnectionClosedError, as it does when a host drops
connections; the cheapest honest stand-in for an endpoint AWS has taken out for maintenance
or lost with its region ("ARC ensures that at least three of the five endpoints are always
accessible", and clients should try them in turn: ARC Developer Guide, "Getting and
updating routing control states using the ARC API",
https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.update.api.html).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

from .arc_model import (
    CLUSTER_REGIONS,
    MAX_ENTRIES_PER_UPDATE,
    MUTATING_CALLS_PER_SECOND,
    OFF,
    ON,
    ArcError,
    ArcState,
    Cluster,
    RoutingControl,
    arc_state,
    page,
)

DEFAULT_ACCOUNT = "123456789012"  # moto's, for the Python API
MUTATING = {"UpdateRoutingControlState", "UpdateRoutingControlStates"}
_ENDPOINT = re.compile(r"^/_arc/([^/]+)/([a-z0-9-]+)(/.*)?$")
Endpoint = tuple[str, str]  # (cluster id, region)


def endpoint_of(path: str) -> Endpoint | None:
    match = _ENDPOINT.match(path)
    return (match.group(1), match.group(2)) if match else None


class ArcControls:
    """`server.arc`: ARC's state as tests see it, and the faults they can cause."""

    def __init__(self, base_url: Callable[[], str]) -> None:
        self._base_url = base_url
        self._lock = threading.Lock()
        self.clock: Callable[[], float] = time.monotonic  # tests may replace it
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._unreachable: set[tuple[str | None, str]] = set()
            self._throttle = False
            self._calls: dict[Endpoint, list[float]] = {}
        self.enforce_wait_periods = False
        self.clock = time.monotonic

    def endpoint_url(self, cluster_id: str, region: str) -> str:
        return f"{self._base_url()}/_arc/{cluster_id}/{region}/v1"

    # -- reachability --------------------------------------------------------------------------
    def set_endpoint_reachable(
        self, region: str, reachable: bool = True, cluster_id: str | None = None
    ) -> None:
        """Make one region's endpoint (of `cluster_id`, else of every cluster) drop every
        connection, or answer again."""
        if region not in CLUSTER_REGIONS:
            raise ValueError(f"clusters have no endpoint in {region}: {CLUSTER_REGIONS}")
        with self._lock:
            (self._unreachable.discard if reachable else self._unreachable.add)(
                (cluster_id, region)
            )

    def reachable(self, endpoint: Endpoint) -> bool:
        region = endpoint[1]
        with self._lock:
            return (None, region) not in self._unreachable and endpoint not in self._unreachable

    def refusal(self, path: str) -> str | None:
        """Why a request to `path` must go unanswered (a middleware gate), else None."""
        endpoint = endpoint_of(path)
        if endpoint is not None and not self.reachable(endpoint):
            return f"ARC endpoint {endpoint[1]} unreachable"
        return None

    # -- rate limit ----------------------------------------------------------------------------
    def enforce_throttle(self, on: bool = True) -> None:
        """Refuse a fourth mutating call within one second on one endpoint with
        ThrottlingException ([quotas]: 3 mutating API calls per second per cluster endpoint).
        Off by default, like Route 53's limits here, so tests flip switches freely."""
        with self._lock:
            self._throttle = on
            self._calls.clear()

    def throttle(self, endpoint: Endpoint, operation: str) -> None:
        if operation not in MUTATING:
            return
        with self._lock:
            if not self._throttle:
                return
            now = self.clock()
            recent = [t for t in self._calls.get(endpoint, []) if now - t < 1.0]
            if len(recent) >= MUTATING_CALLS_PER_SECOND:
                self._calls[endpoint] = recent
                raise ArcError("ThrottlingException", "Rate exceeded")
            self._calls[endpoint] = [*recent, now]

    # -- state, for tests and the DNS model ----------------------------------------------------
    def state(self, account: str = DEFAULT_ACCOUNT) -> ArcState:
        return arc_state(account)

    def control_state(self, arn: str, account: str = DEFAULT_ACCOUNT) -> str | None:
        """On/Off of a routing control, or None if there is none by that ARN."""
        state = arc_state(account)
        with state.lock:
            control = state.controls.get(arn)
            return control.state if control else None


def _control_in(state: ArcState, cluster: Cluster, arn: Any) -> RoutingControl:
    if not isinstance(arn, str) or not arn:
        raise ArcError("ValidationException", "RoutingControlArn is required.")
    control = state.controls.get(arn)
    if control is None or state.cluster_of_control(control).arn != cluster.arn:
        raise ArcError("ResourceNotFoundException", f"Routing control {arn} was not found.")
    return control


def _state_value(value: Any) -> str:
    if value not in (ON, OFF):
        raise ArcError("ValidationException", "RoutingControlState must be On or Off.")
    return str(value)


def get_state(
    state: ArcState, cluster: Cluster, params: dict[str, Any], arc: ArcControls
) -> dict[str, Any]:
    control = _control_in(state, cluster, params.get("RoutingControlArn"))
    return {
        "RoutingControlArn": control.arn,
        "RoutingControlState": control.state,
        "RoutingControlName": control.name,
    }


def list_controls(
    state: ArcState, cluster: Cluster, params: dict[str, Any], arc: ArcControls
) -> dict[str, Any]:
    panels = state.panels_of(cluster.arn)
    if params.get("ControlPanelArn"):
        panels = [p for p in panels if p.arn == params["ControlPanelArn"]]
        if not panels:
            raise ArcError("ResourceNotFoundException", "Control panel not found.")
    controls = [(p, c) for p in panels for c in state.controls_of(p.arn)]
    items, more = page(controls, params)
    return {
        "RoutingControls": [
            {
                "ControlPanelArn": p.arn,
                "ControlPanelName": p.name,
                "RoutingControlArn": c.arn,
                "RoutingControlName": c.name,
                "RoutingControlState": c.state,
                "Owner": c.owner,
            }
            for p, c in items
        ],
        **more,
    }


def _update(
    state: ArcState, arc: ArcControls, changes: dict[str, str], overrides: Any
) -> dict[str, Any]:
    for arn in overrides or []:
        state.rule(arn)  # an unknown rule to override is an error, not a no-op
    now = arc.clock()
    state.check_update(changes, overrides or [], now, arc.enforce_wait_periods)
    state.apply_update(changes, now)
    return {}


def update_state(
    state: ArcState, cluster: Cluster, params: dict[str, Any], arc: ArcControls
) -> dict[str, Any]:
    control = _control_in(state, cluster, params.get("RoutingControlArn"))
    change = {control.arn: _state_value(params.get("RoutingControlState"))}
    return _update(state, arc, change, params.get("SafetyRulesToOverride"))


def update_states(
    state: ArcState, cluster: Cluster, params: dict[str, Any], arc: ArcControls
) -> dict[str, Any]:
    entries = params.get("UpdateRoutingControlStateEntries") or []
    if not entries:
        raise ArcError("ValidationException", "UpdateRoutingControlStateEntries is required.")
    if len(entries) > MAX_ENTRIES_PER_UPDATE:  # [quotas]
        raise ArcError(
            "ServiceLimitExceededException",
            f"At most {MAX_ENTRIES_PER_UPDATE} routing controls per UpdateRoutingControlStates.",
        )
    changes: dict[str, str] = {}
    for entry in entries:
        control = _control_in(state, cluster, entry.get("RoutingControlArn"))
        if control.arn in changes:
            raise ArcError("ValidationException", f"{control.arn} appears twice.")
        changes[control.arn] = _state_value(entry.get("RoutingControlState"))
    # One transaction: every rule judges the states after all of them ([rules]).
    return _update(state, arc, changes, params.get("SafetyRulesToOverride"))


CLUSTER_HANDLERS: dict[
    str, Callable[[ArcState, Cluster, dict[str, Any], ArcControls], dict[str, Any]]
] = {
    "GetRoutingControlState": get_state,
    "ListRoutingControls": list_controls,
    "UpdateRoutingControlState": update_state,
    "UpdateRoutingControlStates": update_states,
}
