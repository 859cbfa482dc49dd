"""geoproxy's benchmark: the real CLI against the strict emulator on 127.0.0.1, never AWS.

    python bench/run.py [--quick] [--runs N] [--write-runs N] [--json OUT]

For 1, 30 and 300 applications (and 300 over two zones) it times `validate`, `routes`,
`plan` on an empty zone and as a no-op, `apply`, `failover --from eu-west-1` and
`failback eu-west-1`, each as the median wall time of several runs, with CPU time, peak RSS
and the requests the emulator counted by operation; in the same run it times the baselines
the targets are ratios to (plain boto3 scripts doing the same reads and writes,
`python -c pass`, `aws --version`) and prints the ratios. bench/README.md and
docs/operations/request-formulae.md say what every number is.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

# The strict emulator lives in the test tree, not in the package: import it from the clone.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from formulae import Shape, ZoneState, difference, expected
from harness import BenchError, Measurement, RequestLog, Runner, Sample
from scenario import FAILOVER_FROM, FAILOVER_TO, Scenario, record_name, target

from tests.strictaws import StrictMotoServer

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
GEOPROXY = [sys.executable, "-m", "geoproxy"]  # the CLI as `python -m geoproxy`
HEAVY_FROM = 100  # from this many applications up, writes run --write-runs times
# Geoproxy in the child: no sleep between GetChange polls against the local emulator.
CLI_ENV = {"GEOPROXY_POLL_INTERVAL": "0", "NO_COLOR": "1", "COLUMNS": "200"}


# --- the things compared ---------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    value: float
    limit: float
    unit: str  # "×" (a ratio), "MB" or "s"
    detail: str

    @property
    def met(self) -> bool:
        return self.value <= self.limit if self.unit == "×" else self.value < self.limit

    def verdict(self) -> str:
        if self.met:
            return f"PASS ({1 - self.value / self.limit:.0%} under)"
        return f"MISS (by {self.value / self.limit - 1:.0%})"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "limit": self.limit,
            "unit": self.unit,
            "detail": self.detail,
            "met": self.met,
        }


# --- the emulator's zones --------------------------------------------------------------------


def fresh_zones(server: StrictMotoServer, scenario: Scenario) -> dict[str, str]:
    """Empty the emulator and create the scenario's public zones: name -> zone id."""
    server.reset()
    client = server.client("route53")
    return {
        zone: client.create_hosted_zone(Name=zone, CallerReference=f"bench-{zone}")["HostedZone"][
            "Id"
        ].split("/")[-1]
        for zone in scenario.zone_names
    }


def list_records(
    server: StrictMotoServer, zone_id: str, name: str | None = None
) -> list[dict[str, Any]]:
    """The zone's record sets (or only `name`'s subtree), read outside any measured run."""
    client = server.client("route53")
    found: list[dict[str, Any]] = []
    request: dict[str, str] = {"HostedZoneId": zone_id, "MaxItems": "300"}
    if name is not None:
        request["StartRecordName"] = name
    while True:
        page = client.list_resource_record_sets(**request)
        for record in page["ResourceRecordSets"]:
            if name is not None and not (
                record["Name"] == name + "." or record["Name"].endswith("." + name + ".")
            ):
                return found
            found.append(record)
        if not page["IsTruncated"]:
            return found
        request["StartRecordName"] = page["NextRecordName"]
        request["StartRecordType"] = page["NextRecordType"]
        if "NextRecordIdentifier" in page:
            request["StartRecordIdentifier"] = page["NextRecordIdentifier"]
        else:
            request.pop("StartRecordIdentifier", None)


def restore(
    server: StrictMotoServer, zone_id: str, name: str, snapshot: list[dict[str, Any]]
) -> None:
    """Put `name`'s subtree back as in `snapshot` (undo the baseline failover script)."""

    def key(record: dict[str, Any]) -> tuple[str, str, str | None]:
        return record["Name"], record["Type"], record.get("SetIdentifier")

    before = {key(r): r for r in snapshot}
    now = {key(r): r for r in list_records(server, zone_id, name)}
    changes = [
        {"Action": "DELETE", "ResourceRecordSet": r} for k, r in now.items() if before.get(k) != r
    ]
    changes += [
        {"Action": "CREATE", "ResourceRecordSet": r} for k, r in before.items() if now.get(k) != r
    ]
    if changes:
        server.client("route53").change_resource_record_sets(
            HostedZoneId=zone_id, ChangeBatch={"Changes": changes}
        )


# --- the benchmark ---------------------------------------------------------------------------


class Bench:
    def __init__(
        self,
        server: StrictMotoServer,
        runner: Runner,
        scratch: Path,
        runs: int,
        write_runs: int,
        pending_polls: int,
    ) -> None:
        self.server = server
        self.runner = runner
        self.scratch = scratch
        self.runs = runs
        self.write_runs = write_runs
        self.pending_polls = pending_polls
        self.measurements: list[Measurement] = []

    def new(self, scenario: str, command: str, argv: Sequence[str]) -> Measurement:
        measurement = Measurement(scenario, command, list(argv))
        self.measurements.append(measurement)
        return measurement

    def sample(self, measurement: Measurement, cwd: Path, expect: Sequence[int] = (0,)) -> Sample:
        sample = self.runner.run(measurement.argv, cwd, expect)
        measurement.samples.append(sample)
        return sample

    def find(self, scenario: str, command: str) -> Measurement | None:
        return next(
            (m for m in self.measurements if m.scenario == scenario and m.command == command), None
        )

    def startup(self, aws_cli: list[str]) -> None:
        """Process start-up alone, interleaved so drift hits all three alike."""
        cwd = self.scratch
        commands = [
            self.new("startup", "python -c pass", [sys.executable, "-c", "pass"]),
            self.new("startup", "geoproxy --help", [*GEOPROXY, "--help"]),
            self.new("startup", "aws --version", [*aws_cli, "--version"]),
        ]
        for measurement in commands:  # warm the page cache and .pyc files; not counted
            self.runner.run(measurement.argv, cwd)
        for _ in range(2 * self.runs):
            for measurement in commands:
                self.sample(measurement, cwd)
        commands[1].formula = {}

    def scenario(self, scenario: Scenario, *, full: bool = True) -> None:
        """`full`: also the offline commands, failover/failback and the baselines."""
        label = scenario.label
        cwd = self.scratch / f"apps{scenario.apps}-zones{scenario.zones}"
        cwd.mkdir()
        (cwd / "routing.yaml").write_text(scenario.policy(), encoding="utf-8")
        write_runs = self.write_runs if scenario.apps >= HEAVY_FROM else self.runs
        print(f"\n== {label}", flush=True)
        zone_ids = fresh_zones(self.server, scenario)
        empty = {zone: ZoneState(scenario.apps_in(zone), 2) for zone in zone_ids}

        if full:
            for command in ("validate", "routes"):
                measurement = self.new(label, command, [*GEOPROXY, command])
                for _ in range(self.runs):
                    self.sample(measurement, cwd)
                measurement.formula = {}

        # plan on an empty zone: everything to create (exit 2: changes pending)
        plan_empty = self.new(label, "plan (empty)", [*GEOPROXY, "plan", "--detailed-exitcode"])
        for _ in range(self.runs):
            self.sample(plan_empty, cwd, expect=(2,))

        apply = self.new(label, "apply", [*GEOPROXY, "apply", "--yes"])
        for run in range(write_runs):
            if run:
                zone_ids = fresh_zones(self.server, scenario)  # each apply starts empty
            self.sample(apply, cwd)

        # What apply made: the formulae's inputs, read from the emulator.
        records = {
            zone: len(list_records(self.server, zone_id)) for zone, zone_id in zone_ids.items()
        }
        first_zone = scenario.zone_of(0)
        first_name = record_name(0, first_zone)
        at_first = list_records(self.server, zone_ids[first_zone], first_name)
        moved = sum(
            1
            for r in at_first
            if r.get("AliasTarget", {}).get("DNSName", "").rstrip(".") == target(0, FAILOVER_FROM)
        )
        applied = {zone: ZoneState(scenario.apps_in(zone), records[zone]) for zone in zone_ids}
        shape = Shape(applied, len(at_first), moved, self.pending_polls)
        plan_empty.formula = (
            expected("plan (empty)", Shape(empty, len(at_first), moved, self.pending_polls)) or {}
        )
        apply.formula = (
            expected("apply", Shape(empty, len(at_first), moved, self.pending_polls)) or {}
        )

        # No-op plan and, single zone, the boto3 listing of the same zone, interleaved.
        plan_noop = self.new(label, "plan (no-op)", [*GEOPROXY, "plan", "--detailed-exitcode"])
        plan_noop.formula = expected("plan (no-op)", shape) or {}
        listing = None
        if scenario.zones == 1:
            listing = self.new(
                label,
                "boto3: list the zone",
                [sys.executable, str(BENCH / "baselines" / "list_zone.py"), zone_ids[first_zone]],
            )
        for _ in range(self.runs):
            self.sample(plan_noop, cwd)  # exit 0: no changes, so apply left no drift
            if listing is not None:
                self.sample(listing, cwd)
        if not full:
            return

        # failover and failback, alternating; for one application, with the boto3 script.
        failover = self.new(
            label, "failover", [*GEOPROXY, "failover", "--from", FAILOVER_FROM, "--yes"]
        )
        failback = self.new(label, "failback", [*GEOPROXY, "failback", FAILOVER_FROM, "--yes"])
        failover.formula = expected("failover", shape) or {}
        # Format v2: the state record exists from the first apply, so failback reads the
        # zone as failover did.
        failback.formula = expected("failback", shape) or {}
        script = None
        if scenario.apps == 1:
            script = self.new(
                label,
                "boto3: list + change",
                [
                    sys.executable,
                    str(BENCH / "baselines" / "failover.py"),
                    zone_ids[first_zone],
                    first_name,
                    target(0, FAILOVER_FROM),
                    target(0, FAILOVER_TO),
                ],
            )
        for _ in range(write_runs):
            for measurement in (failover, failback):
                if not self.sample(measurement, cwd).requests.get("ChangeResourceRecordSets"):
                    raise BenchError(f"{measurement.command} wrote nothing")
            if script is not None:
                self.sample(script, cwd)
                restore(self.server, zone_ids[first_zone], first_name, at_first)


# --- report ----------------------------------------------------------------------------------


def requests_text(requests: dict[str, int]) -> str:
    return " ".join(f"{op}={n}" for op, n in requests.items() if op != "GetChange") or "-"


def print_table(bench: Bench) -> None:
    print(
        "\nwall s: median over the runs (min–max); CPU s: median user+sys of the child; "
        "peak MB: max RSS of the child over the runs;\nreq: requests the emulator counted "
        "(last run), GetChange separately;\nformula: docs/operations/request-formulae.md's "
        "prediction"
    )
    header = (
        f"{'scenario':<17} {'command':<22} {'runs':>4} {'wall s':>7} {'(min–max)':>15} "
        f"{'CPU s':>6} {'peak MB':>7} {'req':>5} {'GetChg':>6} formula  by operation"
    )
    print(header)
    print("-" * len(header))
    for m in bench.measurements:
        low, high = m.wall_range
        formula = m.formula
        check = "" if formula is None else "DIFF" if difference(formula, m.requests) else "ok"
        gets = m.requests.get("GetChange", 0)
        vary = " (varied between runs)" if m.requests_vary else ""
        print(
            f"{m.scenario:<17} {m.command:<22} {m.runs:>4} {m.wall_s:>7.3f} "
            f"{f'({low:.3f}–{high:.3f})':>15} {m.cpu_s:>6.2f} {m.peak_rss_mb:>7.1f} "
            f"{sum(m.requests.values()):>5} {gets:>6} {check:<8} "
            f"{requests_text(m.requests)}{vary}"
        )
    for m in bench.measurements:
        formula = m.formula
        if formula is not None and difference(formula, m.requests):
            print(
                f"  DIFF {m.scenario} {m.command}: measured vs formula: "
                f"{difference(formula, m.requests)}"
            )


def targets(bench: Bench, big: str | None) -> tuple[list[Target], list[Target]]:
    """(the issue's targets, context ratios) from what was measured."""
    found: list[Target] = []
    context: list[Target] = []

    def ratio(
        name: str, a: Measurement | None, b: Measurement | None, limit: float, into: list[Target]
    ) -> None:
        if a is not None and b is not None:
            into.append(
                Target(
                    name, a.wall_s / b.wall_s, limit, "×", f"{a.wall_s:.3f} s / {b.wall_s:.3f} s"
                )
            )

    ratio(
        "failover, 1 app / boto3 List+Change script",
        bench.find("1 app", "failover"),
        bench.find("1 app", "boto3: list + change"),
        1.3,
        found,
    )
    ratio(
        "geoproxy --help / aws --version",
        bench.find("startup", "geoproxy --help"),
        bench.find("startup", "aws --version"),
        0.5,
        found,
    )
    if big is not None:
        ratio(
            f"no-op plan, {big} / boto3 listing of the zone",
            bench.find(big, "plan (no-op)"),
            bench.find(big, "boto3: list the zone"),
            2.0,
            found,
        )
        ours = [
            m for m in bench.measurements if m.scenario == big and not m.command.startswith("boto3")
        ]
        if ours:
            worst = max(ours, key=lambda m: m.peak_rss_mb)
            found.append(
                Target(
                    f"peak RSS, {big} (the largest: {worst.command})",
                    worst.peak_rss_mb,
                    200.0,
                    "MB",
                    "",
                )
            )
        for command in ("validate", "routes"):
            m = bench.find(big, command)
            if m is not None:
                found.append(
                    Target(
                        f"{command} CPU (user+sys), {big}",
                        m.cpu_s,
                        1.0,
                        "s",
                        f"wall {m.wall_s:.3f} s",
                    )
                )
    # Context: what start-up alone costs.
    ratio(
        "geoproxy --help / python -c pass",
        bench.find("startup", "geoproxy --help"),
        bench.find("startup", "python -c pass"),
        float("inf"),
        context,
    )
    ratio(
        "aws --version / python -c pass",
        bench.find("startup", "aws --version"),
        bench.find("startup", "python -c pass"),
        float("inf"),
        context,
    )
    for scenario in sorted({m.scenario for m in bench.measurements} - {"startup"}):
        ratio(
            f"no-op plan, {scenario} / boto3 listing",
            bench.find(scenario, "plan (no-op)"),
            bench.find(scenario, "boto3: list the zone"),
            float("inf"),
            context,
        )
    return found, context


def print_targets(found: list[Target], context: list[Target]) -> None:
    print("\nTargets")
    for t in found:
        unit = "×" if t.unit == "×" else f" {t.unit}"
        bound = "≤" if t.unit == "×" else "<"
        detail = f"  [{t.detail}]" if t.detail else ""
        print(
            f"  {t.name:<58} {t.value:>7.2f}{unit:<3} (target {bound} {t.limit:g}{unit})  "
            f"{t.verdict()}{detail}"
        )
    print("Context (no target)")
    for t in context:
        print(f"  {t.name:<58} {t.value:>7.2f}×   [{t.detail}]")


# --- environment -----------------------------------------------------------------------------


def find_aws(explicit: str | None) -> list[str]:
    """`aws` from PATH (a pyenv shim resolved to the real script, so its bash start-up is not
    counted), else awscli installed into bench/.venv."""
    if explicit:
        return [explicit]
    found = shutil.which("aws")
    if found:
        if Path(found).parent.name == "shims" and shutil.which("pyenv"):
            real = subprocess.run(["pyenv", "which", "aws"], capture_output=True, text=True)
            if real.returncode == 0 and real.stdout.strip():
                return [real.stdout.strip()]
        return [found]
    venv = BENCH / ".venv"
    aws = venv / "bin" / "aws"
    if not aws.exists():
        print("aws is not on PATH: installing awscli into bench/.venv", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "awscli"], check=True
        )
    return [str(aws)]


def source_fingerprint() -> str:
    """A hash of geoproxy's source, to tell whether it changed while the benchmark ran."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "geoproxy").rglob("*.py")):
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def machine(aws_cli: list[str]) -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    aws_version = subprocess.run([*aws_cli, "--version"], capture_output=True, text=True)
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "geoproxy"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_start": os.getloadavg(),
        "aws": " ".join(aws_cli),
        "aws_version": (aws_version.stdout or aws_version.stderr).strip(),
        "versions": {name: metadata.version(name) for name in ("boto3", "botocore", "moto")},
        "geoproxy_commit": commit + (" (geoproxy/ has uncommitted changes)" if dirty else ""),
        "geoproxy_source": source_fingerprint(),
    }


# --- main ------------------------------------------------------------------------------------


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="2 runs, and only 1 and 30 applications (no 300, no two zones)",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=None,
        metavar="N",
        help="runs per command (default 5; 2 with --quick); start-up commands run twice as often",
    )
    parser.add_argument(
        "--write-runs",
        type=int,
        default=3,
        metavar="N",
        help=f"runs of apply, failover and failback from {HEAVY_FROM} "
        "applications up (default 3; never more than --runs)",
    )
    parser.add_argument(
        "--apps",
        type=int,
        nargs="+",
        default=None,
        metavar="N",
        help="application counts (default: 1 30 300)",
    )
    parser.add_argument(
        "--pending-polls",
        type=int,
        default=0,
        metavar="N",
        help="GetChange answers PENDING this often before INSYNC (default 0)",
    )
    parser.add_argument(
        "--aws",
        default=None,
        metavar="PATH",
        help="the aws executable for the baseline (default: from PATH, else "
        "installed into bench/.venv)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        metavar="OUT",
        help="also write every number to this JSON file",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print every run")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    runs = args.runs or (2 if args.quick else 5)
    write_runs = max(1, min(args.write_runs, runs))
    sizes = args.apps or ([1, 30] if args.quick else [1, 30, 300])
    big = max(sizes)
    aws_cli = find_aws(args.aws)
    info = machine(aws_cli)
    print(
        f"geoproxy benchmark, {info['date']}: {info['nproc']} CPUs ({info['cpu']}), Python "
        f"{info['python']}, load average {' '.join(f'{x:.2f}' for x in info['loadavg_start'])}"
    )
    print(
        f"geoproxy {info['geoproxy_commit']}, source {info['geoproxy_source']}; "
        f"{info['aws_version']} ({info['aws']}); "
        + ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    )
    print(
        f"runs: {runs} per command ({2 * runs} for start-up, {write_runs} for writes from "
        f"{HEAVY_FROM} apps up); GetChange PENDING polls: {args.pending_polls}; the CLI runs "
        "as `python -m geoproxy` with GEOPROXY_POLL_INTERVAL=0"
    )

    with (
        StrictMotoServer(pending_polls=args.pending_polls) as server,
        tempfile.TemporaryDirectory(prefix="geoproxy-bench-") as scratch,
    ):
        env = server.env()  # fake credentials, the local endpoint, no proxies, no AWS_* kept
        env.update(CLI_ENV)
        runner = Runner(env, RequestLog(server), verbose=args.verbose)
        print(f"peak RSS and CPU of each command measured through {runner.launcher}")
        info["launcher"] = runner.launcher
        bench = Bench(server, runner, Path(scratch), runs, write_runs, args.pending_polls)
        try:
            print("\n== start-up", flush=True)
            bench.startup(aws_cli)
            for apps in sizes:
                bench.scenario(Scenario(apps))
            if big >= HEAVY_FROM and not args.quick:
                bench.scenario(Scenario(big, zones=2), full=False)
        except BenchError as error:
            print(f"\nbenchmark failed: {error}", file=sys.stderr)
            return 1
    info["loadavg_end"] = os.getloadavg()
    info["geoproxy_source_end"] = source_fingerprint()

    print_table(bench)
    big_label = Scenario(big).label if big >= HEAVY_FROM else None
    found, context = targets(bench, big_label)
    print_targets(found, context)
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in info['loadavg_end'])}")
    if info["geoproxy_source_end"] != info["geoproxy_source"]:
        print(
            f"WARNING: geoproxy's source changed during the run (source "
            f"{info['geoproxy_source']} -> {info['geoproxy_source_end']}): the numbers mix "
            "versions; run again"
        )
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "settings": {
                        "runs": runs,
                        "write_runs": write_runs,
                        "sizes": sizes,
                        "pending_polls": args.pending_polls,
                        "cli": GEOPROXY,
                        "env": CLI_ENV,
                    },
                    "measurements": [m.to_json() for m in bench.measurements],
                    "targets": [t.to_json() for t in found],
                    "context": [t.to_json() for t in context],
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
