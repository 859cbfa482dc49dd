"""The drill's pure parts (sandbox/drill.py): which PoP it fails over by default, how it
reads a command's error, and how it judges a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geoproxy.pipeline import compile_policy
from geoproxy.sandbox.drill import DrillReport, _error_of, _judge, busiest_pop
from geoproxy.sandbox.strict.middleware import Call
from tests.conftest import write_policy
from tests.e2e.conftest import DR_POLICY


def test_the_default_region_is_the_busiest_pop_with_a_partner(tmp_path: Path) -> None:
    # ap-southeast-1 reaches more source regions, but only eu-west-1 has a partner.
    assert busiest_pop(write_policy(tmp_path, DR_POLICY)) == "eu-west-1"


def test_a_commands_error_is_its_last_error_and_hint_without_the_retry_lines() -> None:
    said = "ListX: ServiceUnavailable; retrying in 0.1 s\nError: cannot do it\n  hint: later\n"
    assert _error_of(said) == "Error: cannot do it\n  hint: later"
    assert _error_of("only progress\n") == ""


def call(service: str, operation: str, refused: bool = False) -> Any:
    return Call(service, operation, "POST", "/", injected=refused)


def test_a_run_passes_only_if_every_answer_moved_inside_the_fences_on_the_data_plane(
    tmp_path: Path,
) -> None:
    compiled = compile_policy(write_policy(tmp_path, DR_POLICY))
    before = {("shop", "eu-west-2"): "eu-west-1", ("shop", "us-east-2"): "us-east-1"}
    moved = {("shop", "eu-west-2"): "eu-central-1", ("shop", "us-east-2"): "us-east-1"}
    data = [call("route53-recovery-cluster", "UpdateRoutingControlStates")]

    passed = DrillReport("eu-west-1", "arc", failover_exit=0)
    _judge(passed, compiled, before, moved, data)
    assert passed.passed and [r.source_region for r in passed.rows] == ["eu-west-2"]

    # The GDPR fence: eu-west-2 may only reach eu-* PoPs.
    crossed = DrillReport("eu-west-1", "arc", failover_exit=0)
    _judge(crossed, compiled, before, {**moved, ("shop", "eu-west-2"): "us-east-1"}, data)
    assert any("fence was crossed for eu-west-2" in r for r in crossed.reasons)

    leaked = DrillReport("eu-west-1", "arc", failover_exit=0)
    _judge(leaked, compiled, before, moved, [*data, call("route53", "GetHostedZone")])
    assert any("control-plane calls succeeded: route53:GetHostedZone" in r for r in leaked.reasons)

    refused = DrillReport("eu-west-1", "none", failover_exit=1)
    _judge(refused, compiled, before, before, [call("route53", "GetHostedZone", refused=True)])
    assert "needs the Route 53 control plane" in refused.reasons[0]
    assert refused.calls == {"control": 1, "control_refused": 1}
