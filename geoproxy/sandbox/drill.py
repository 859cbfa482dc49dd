"""`geoproxy drill --control-plane-down`: the user's policy, in an in-process sandbox, failed
over while every control-plane API fails.

Like the demo, it runs the real command group it is handed (never importing the CLI) against
the strict emulator on 127.0.0.1, with the process's AWS settings replaced by fake ones first.
Steps: apply the policy; note what each source region is answered (through the emulator's
authoritative-answer model, by health: not TestDNSAnswer, which is control plane); take the
control plane down (Route 53, CloudFront, ARC configuration, the global STS endpoint) and,
with switches, two of the cluster's five endpoints; run `failover --from REGION`; note the
answers again, the calls by plane, and the time from command to moved answers; bring the
control plane back and fail back.

Passed only if every answer for the region moved to its prepared partner, no source crossed
a compliance fence, and no control-plane call succeeded.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from geoproxy.core.routing import matches, rules_for
from geoproxy.errors import GeoproxyError
from geoproxy.pipeline import compile_policy

# The services whose APIs are the control plane here: Route 53's and CloudFront's (both in
# us-east-1), ARC's configuration API (us-west-2), and STS's global endpoint (us-east-1).
# ARC's cluster endpoints (route53-recovery-cluster) are the data plane; AWS Fault Isolation
# Boundaries whitepaper, "Global services" (control planes in us-east-1; Route 53 health
# checks and ARC routing controls as data-plane recovery).
CONTROL_SERVICES = frozenset(
    {"route53", "cloudfront", "route53-recovery-control-config", "acm", "iam"}
)
DATA_SERVICES = frozenset({"route53-recovery-cluster"})
# Regional services: STS's regional endpoints (the accounts' AssumeRole) outside us-east-1
# keep answering; the outage refuses those signed for us-east-1, which then count as the
# control plane they are down with (sandbox/strict/outage.py).
REGIONAL_SERVICES = frozenset({"sts"})
MOVE_WAIT_S = 10.0  # how long the drill watches for the answers to move, after the command
UNREACHABLE_ENDPOINTS = 2  # of a cluster's five; ARC keeps at least three reachable


@dataclass(frozen=True)
class DrillRow:
    app: str
    source_region: str
    before: str | None  # the PoP region answered before the failover (None: no answer)
    after: str | None
    partner: str | None  # the prepared partner (`failover_to`) of the failed region
    fence_crossed: bool = False

    @property
    def moved(self) -> bool:
        return self.partner is not None and self.after == self.partner


@dataclass
class DrillReport:
    from_region: str
    switches: str
    rows: list[DrillRow] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    # plane -> "service:Operation" of each call in order, "(refused)" after a refused one
    operations: dict[str, list[str]] = field(default_factory=dict)
    control_succeeded: list[str] = field(default_factory=list)
    seconds_to_moved: float | None = None
    failover_exit: int | None = None
    failback_exit: int | None = None
    failover_said: str = ""  # the failover's own error, when it failed
    # With accelerated recovery and no switches: the failover again, once Route 53's control
    # plane has failed over to us-west-2 (None: not tried).
    after_route53_failover: dict[str, object] | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.reasons


def busiest_pop(policy_file: Path) -> str:
    """The PoP region that the most source regions reach, over every application, among
    the PoPs with a prepared partner (`failover_to`) when there are any."""
    compiled = compile_policy(policy_file)
    counts: dict[str, int] = {}
    partnered = {
        region
        for app in compiled.loaded.policy.applications
        for region, pop in app.pops.items()
        if pop.failover_to
    }
    for routing in compiled.routing.applications:
        for route in routing.routes:
            if route.pop in partnered or not partnered:
                counts[route.pop] = counts.get(route.pop, 0) + 1
    return max(sorted(counts), key=lambda pop: counts[pop])


@contextlib.contextmanager
def control_plane_down(server: Any) -> Iterator[None]:
    """The emulator's us-east-1 outage (strict/outage.py: Route 53, CloudFront, IAM, ARC
    configuration and STS signed for us-east-1 answer 503) while this holds."""
    server.control_plane_down(True)
    try:
        yield
    finally:
        server.control_plane_down(False)


AnswerFn = Callable[[str, str, str, str], str | None]


def stored_answer(
    server: Any, targets: dict[str, str], accounts: dict[str, str] | None = None
) -> AnswerFn:
    """(zone id, name, record type, source region) -> the PoP region Route 53's name servers
    answer a resolver in that region, by health: the emulator's authoritative-answer model
    (server.dns.answer), whose alias targets outside the zone are the PoPs' load balancers.
    `accounts`: zone id -> the account that holds it, where not the default one."""
    by_target = {target.lower().rstrip("."): pop for target, pop in targets.items()}
    holders = accounts or {}

    def answer(zone_id: str, name: str, record_type: str, source_region: str) -> str | None:
        where = {"account": holders[zone_id]} if zone_id in holders else {}
        found = server.dns.answer(zone_id, name, record_type, source_region, **where)
        pops = {by_target.get(str(t).lower().rstrip(".")) for t in found.targets} - {None}
        return pops.pop() if len(pops) == 1 else None

    return answer


def _run(cli: click.Command, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(args=list(args), standalone_mode=False, prog_name="geoproxy")
        except SystemExit as leaving:  # pragma: no cover - reports_errors returns codes
            code = leaving.code
    return (code if isinstance(code, int) else 0), out.getvalue(), err.getvalue()


def _drill_policy(policy_file: Path, scratch: Path, endpoints: dict[str, str]) -> Path:
    """A copy of the policy whose bookmarked cluster endpoints are the emulator's (only when
    the policy bookmarks some: without them a failover needs DescribeCluster, a control-plane
    call, and the drill shows that), and whose latency table path still resolves."""
    import yaml

    document = yaml.safe_load(policy_file.read_text(encoding="utf-8"))
    arc = (document.get("recovery") or {}).get("arc") or {}
    if arc.get("endpoints"):
        arc["endpoints"] = dict(endpoints)
    if document.get("latency_table"):
        document["latency_table"] = str((policy_file.parent / document["latency_table"]).resolve())
    copy = scratch / "routing.yaml"
    copy.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return copy


def _seed(server: Any, policy_file: Path) -> Any:
    from geoproxy.sandbox.local import _distribution, _zone, policy_seeds

    compiled = compile_policy(policy_file)
    zones, distributions = policy_seeds(compiled.loaded.policy)
    for zone in zones:
        _zone(server, zone)
    for distribution in distributions:
        _distribution(server, distribution)
    return compiled


def _zone_ids(server: Any, compiled: Any) -> tuple[dict[str, str], dict[str, str]]:
    """(zone name -> id, zone id -> account) of the policy's zones, as seeded: each in the
    account its applications' `account:` names."""
    from moto.route53.models import route53_backends

    from geoproxy.sandbox.local import policy_seeds

    zones, _ = policy_seeds(compiled.loaded.policy)
    ids: dict[str, str] = {}
    accounts: dict[str, str] = {}
    for seed in zones:
        held = route53_backends[seed.account_id]["global"].zones
        [zone_id] = [
            zone_id
            for zone_id, zone in held.items()
            if str(zone.name).rstrip(".").lower() == seed.name
        ]
        ids[seed.name], accounts[zone_id] = zone_id, seed.account_id
    return ids, accounts


def _answers(
    compiled: Any, answer: AnswerFn, zone_ids: dict[str, str]
) -> dict[tuple[str, str], str | None]:
    found: dict[tuple[str, str], str | None] = {}
    for routing in compiled.routing.applications:
        app = routing.app
        for route in routing.routes:
            found[(app.name, route.source_region)] = answer(
                zone_ids[app.zone], app.record, app.record_types[0], route.source_region
            )
    return found


def run_drill(policy_file: Path, from_region: str | None, *, cli: click.Command) -> DrillReport:
    """The drill, end to end; every step is one call to the real CLI."""
    try:
        from geoproxy.sandbox.demo import _isolate_from_real_aws
        from geoproxy.sandbox.local import account_id_of, seed_cluster
        from geoproxy.sandbox.strict import StrictMotoServer
    except ImportError:
        raise GeoproxyError(
            "the drill needs the emulator", hint="pip install 'geoproxy[sandbox]'"
        ) from None
    region = from_region or busiest_pop(policy_file)
    with (
        tempfile.TemporaryDirectory(prefix="geoproxy-drill-") as scratch,
        StrictMotoServer(pending_polls=1) as server,
    ):
        compiled = _seed(server, policy_file)
        recovery = compiled.loaded.policy.recovery
        switches = str(getattr(recovery, "switches", "none"))
        endpoints = (
            seed_cluster(
                server,
                recovery.arc.cluster_arn,
                account_id_of(compiled.loaded.policy, recovery.arc.account),
            )
            if switches != "none" and getattr(recovery, "arc", None) is not None
            else {}
        )
        policy = str(_drill_policy(policy_file, Path(scratch), endpoints))
        _isolate_from_real_aws(server.endpoint_url, Path(scratch))
        # Fast polls; a failing call is not retried (a real run retries for two minutes,
        # which would change nothing here but the drill's length).
        os.environ.update(
            GEOPROXY_POLL_INTERVAL="0.01",
            GEOPROXY_RETRY_BASE_DELAY="0.01",
            GEOPROXY_RETRY_DEADLINE="0",
            GEOPROXY_CACHE_DIR=str(Path(scratch) / "cache"),
        )
        report = DrillReport(region, switches)
        code, _, said = _run(cli, "apply", "-f", policy, "--yes")
        if code != 0:
            raise GeoproxyError(f"the drill could not apply the policy: {said.strip()}")
        zone_ids, zone_accounts = _zone_ids(server, compiled)
        targets = {
            pop.target: pop_region
            for routing in compiled.routing.applications
            for pop_region, pop in routing.app.pops.items()
        }
        answer = stored_answer(server, targets, zone_accounts)
        before = _answers(compiled, answer, zone_ids)
        server.reset_log()
        started = time.monotonic()
        with control_plane_down(server), _endpoints_down(server, sorted(endpoints)):
            code, _, said = _run(cli, "failover", "-f", policy, "--from", region, "--yes")
            report.failover_exit, report.failover_said = code, _error_of(said)
            after = _answers(compiled, answer, zone_ids)
            while (
                code == 0
                and not _all_moved(compiled, before, after, region)
                and (time.monotonic() - started < MOVE_WAIT_S)
            ):
                time.sleep(0.05)
                after = _answers(compiled, answer, zone_ids)
            if code == 0 and _all_moved(compiled, before, after, region):
                report.seconds_to_moved = time.monotonic() - started
            calls = server.calls
        _judge(report, compiled, before, after, calls)
        if code != 0 and switches == "none" and recovery.accelerated_recovery:
            later = _after_route53_failover(
                server, cli, policy, region, compiled, answer, zone_ids, before
            )
            report.after_route53_failover = later
            code = int(later["failover_exit_code"])  # then fail back
        if code == 0:
            report.failback_exit, _, said = _run(cli, "failback", "-f", policy, region, "--yes")
            if report.failback_exit != 0:
                report.reasons.append(f"failback exited {report.failback_exit}: {_error_of(said)}")
    return report


def _after_route53_failover(
    server: Any,
    cli: click.Command,
    policy: str,
    region: str,
    compiled: Any,
    answer: Any,
    zone_ids: dict[str, str],
    before: Any,
) -> dict[str, Any]:
    """What accelerated recovery adds: once Route 53 has failed its control plane over (AWS:
    within about 60 minutes), the same records failover works again."""
    server.control_plane_down(True, accelerated_recovery_active=True)
    try:
        code, _, said = _run(cli, "failover", "-f", policy, "--from", region, "--yes")
    finally:
        server.control_plane_down(False)
    later = _answers(compiled, answer, zone_ids)
    return {
        "failover_exit_code": code,
        "failover_error": _error_of(said),
        "moved": code == 0 and _all_moved(compiled, before, later, region),
    }


def _error_of(stderr: str) -> str:
    """The command's error and hint, without the progress and retry lines before them."""
    lines = stderr.strip().splitlines()
    starts = [index for index, line in enumerate(lines) if line.startswith("Error:")]
    return "\n".join(lines[starts[-1] :]) if starts else ""


@contextlib.contextmanager
def _endpoints_down(server: Any, regions: list[str]) -> Iterator[None]:
    """With switches, the first two of the cluster's five endpoints in the order geoproxy
    tries them (by region) unreachable meanwhile: it must go on to a third."""
    downed = regions[:UNREACHABLE_ENDPOINTS]
    for region in downed:
        server.arc.set_endpoint_reachable(region, False)
    try:
        yield
    finally:
        for region in downed:
            server.arc.set_endpoint_reachable(region, True)


def _partner(compiled: Any, app_name: str, region: str) -> str | None:
    pop = compiled.loaded.policy.application(app_name).pops.get(region)
    return pop.failover_to if pop is not None else None


def _all_moved(
    compiled: Any,
    before: dict[tuple[str, str], str | None],
    after: dict[tuple[str, str], str | None],
    region: str,
) -> bool:
    return all(
        after[key] == _partner(compiled, key[0], region)
        for key, pop in before.items()
        if pop == region
    )


def _judge(
    report: DrillReport,
    compiled: Any,
    before: dict[tuple[str, str], str | None],
    after: dict[tuple[str, str], str | None],
    calls: list[Any],
) -> None:
    region = report.from_region
    for (app_name, source), pop in before.items():
        if pop != region:
            continue
        app = compiled.loaded.policy.application(app_name)
        now = after.get((app_name, source))
        crossed = now is not None and any(
            not matches(now, rule.allowed_pops) for rule in rules_for(source, app.compliance)
        )
        report.rows.append(
            DrillRow(app_name, source, pop, now, _partner(compiled, app_name, region), crossed)
        )
    for call in calls:
        plane = (
            "data"
            if call.service in DATA_SERVICES
            else "regional"
            if call.service in REGIONAL_SERVICES and not call.injected
            else "control"
        )
        report.calls[plane] = report.calls.get(plane, 0) + 1
        report.operations.setdefault(plane, []).append(
            f"{call.service}:{call.operation}" + (" (refused)" if call.injected else "")
        )
        if call.injected:  # refused: an unreachable endpoint, or the control plane down
            report.calls[plane + "_refused"] = report.calls.get(plane + "_refused", 0) + 1
        if plane == "control" and not call.injected:
            report.control_succeeded.append(f"{call.service}:{call.operation}")
    if not report.rows:
        report.reasons.append(f"no source region reached {region} before the failover")
    refused = [call for call in calls if call.service in CONTROL_SERVICES and call.injected]
    if report.failover_exit != 0:
        if refused and report.switches == "none":
            needs = (
                "it needs the Route 53 control plane: without switches `failover` reads and "
                "rewrites records (ListResourceRecordSets, ChangeResourceRecordSets), and "
                f"{len(refused)} such call(s) failed"
            )
        elif refused:
            needs = f"it still called the control plane ({len(refused)} call(s) failed)"
        else:
            needs = report.failover_said or "it failed"
        report.reasons.append(f"`failover --from {region}` exited {report.failover_exit}: {needs}")
    unmoved = [row.source_region for row in report.rows if not row.moved]
    if unmoved:
        report.reasons.append(
            f"{len(unmoved)} source region(s) still not answered by the prepared partner: "
            + ", ".join(unmoved)
        )
    fenced = [row.source_region for row in report.rows if row.fence_crossed]
    if fenced:
        report.reasons.append("a compliance fence was crossed for " + ", ".join(fenced))
    if report.control_succeeded:
        report.reasons.append(
            "control-plane calls succeeded: " + ", ".join(sorted(set(report.control_succeeded)))
        )
