"""Route 53 health checks as the DNS data plane sees them: RECOVERY_CONTROL checks that follow
an ARC routing control, CALCULATED checks over child checks, and endpoint checks whose
status a test sets (moto has no health checkers; it reports every check healthy).

Sources (Route 53 API Reference, HealthCheckConfig,
https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html):
  - Type RECOVERY_CONTROL: "If the routing control state is ON, the health check is
    considered healthy. If the state is OFF, the health check is considered unhealthy";
    RoutingControlArn names the control (moto drops it: kept here).
  - Type CALCULATED: healthy when at least HealthThreshold of ChildHealthChecks are healthy
    ("the number of child health checks ... that Amazon Route 53 must consider healthy").
  - Inverted: "invert the status of a health check".
  - Disabled: "Route 53 considers the status of the health check to always be healthy"
    (and an inverted disabled check is therefore always unhealthy).
GetHealthCheckStatus answers one observation per checker region (Route 53's default
checker regions, or the check's Regions), each saying Success or Failure: the status is
the emulator's at the moment of the call, with no failure threshold or request interval
in between (the live-AWS checklist in docs lists what that leaves unproven).
"""

from __future__ import annotations

from typing import Any
from unittest import mock

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.route53.exceptions import InvalidInput
from moto.route53.models import HealthCheck, route53_backends
from moto.route53.responses import Route53

from .arc_model import ON, arc_state

DEFAULT_ACCOUNT = "123456789012"
# Route 53's default health-checker regions ("Regions", HealthCheckConfig).
CHECKER_REGIONS = (
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
)


def _overrides(account: str) -> dict[str, bool]:
    """Test-set statuses of endpoint checks, on moto's backend so a reset drops them."""
    backend = route53_backends[account]["global"]
    return backend.__dict__.setdefault("_strict_health", {})  # type: ignore[no-any-return]


def healthy(account: str, check_id: str, _seen: frozenset[str] = frozenset()) -> bool:
    """Whether Route 53 considers the health check healthy now (sources above)."""
    backend = route53_backends[account]["global"]
    check = backend.health_checks.get(check_id)
    if check is None or check_id in _seen:
        return False  # a deleted (or circular) check can vouch for nothing
    if check.disabled:
        status = True
    elif check.type_ == "RECOVERY_CONTROL":
        arn = getattr(check, "routing_control_arn", None)
        state = arc_state(account)
        with state.lock:
            control = state.controls.get(arn or "")
            status = control is not None and control.state == ON
    elif check.type_ == "CALCULATED":
        children = check.children or []
        seen = _seen | {check_id}
        status = sum(healthy(account, child, seen) for child in children) >= int(
            check.health_threshold or 0
        )
    else:  # HTTP(S), TCP, CLOUDWATCH_METRIC: what a test said, else healthy
        status = _overrides(account).get(check_id, True)
    return status != bool(check.inverted)


class HealthControls:
    """`server.health`: set the status of endpoint health checks; read any check's status."""

    def set_status(
        self, health_check_id: str, healthy: bool, account: str = DEFAULT_ACCOUNT
    ) -> None:
        """As if Route 53's checkers found the endpoint healthy (or not), from now on."""
        backend = route53_backends[account]["global"]
        check = backend.health_checks.get(health_check_id)
        if check is None:
            raise KeyError(f"no health check {health_check_id}")
        if check.type_ in ("RECOVERY_CONTROL", "CALCULATED"):
            raise ValueError(f"a {check.type_} check's status follows its inputs; set those")
        _overrides(account)[health_check_id] = healthy

    def healthy(self, health_check_id: str, account: str = DEFAULT_ACCOUNT) -> bool:
        return healthy(account, health_check_id)


def health_patches() -> list[Any]:
    """Patchers (not yet started) for moto's health-check handlers."""
    original_create = Route53.create_health_check
    original_config = HealthCheck.health_check_config

    def create_health_check(self: Route53) -> ActionResult:
        config = self._get_param("HealthCheckConfig") or {}
        arn = config.get("RoutingControlArn")
        if config.get("Type") == "RECOVERY_CONTROL":
            if not arn:
                raise InvalidInput("RoutingControlArn is required for a RECOVERY_CONTROL check")
            state = arc_state(self.current_account)
            with state.lock:
                if arn not in state.controls:
                    raise InvalidInput(f"No routing control {arn}")
        result = original_create(self)
        check = result.result["HealthCheck"]  # type: ignore[index]
        if config.get("Type") == "RECOVERY_CONTROL":
            check.routing_control_arn = arn
        return result

    def health_check_config(self: HealthCheck) -> dict[str, Any]:
        if self.type_ != "RECOVERY_CONTROL":
            return original_config.fget(self)  # type: ignore[attr-defined,no-any-return]
        return {
            "Type": self.type_,
            "RoutingControlArn": getattr(self, "routing_control_arn", None),
            "Inverted": self.inverted,
            "Disabled": self.disabled,
        }

    def get_health_check_status(self: Route53) -> ActionResult:
        check_id = self._get_param("HealthCheckId")
        check = self.backend.get_health_check(check_id)  # NoSuchHealthCheck if missing
        ok = healthy(self.current_account, check_id)
        report = (
            "Success: HTTP Status Code 200, OK"
            if ok
            else "Failure: HTTP Status Code 503, Service Unavailable"
        )
        if check.type_ == "RECOVERY_CONTROL":
            report = "Success: routing control On" if ok else "Failure: routing control Off"
        elif check.type_ == "CALCULATED":
            report = "Success: enough child checks healthy" if ok else "Failure: too few healthy"
        observations = [
            {
                "Region": region,
                "IPAddress": "127.0.0.1",
                "StatusReport": {"Status": report, "CheckedTime": utcnow()},
            }
            for region in (check.regions or CHECKER_REGIONS)
        ]
        return ActionResult({"HealthCheckObservations": observations})

    return [
        mock.patch.object(Route53, "create_health_check", create_health_check),
        mock.patch.object(HealthCheck, "health_check_config", property(health_check_config)),
        mock.patch.object(Route53, "get_health_check_status", get_health_check_status),
    ]
