"""Run one command in a child process and measure it: wall time, CPU, peak RSS, requests.

Wall time is taken around the child's whole life (spawn to reaped). CPU time (user + sys)
comes from the kernel's rusage of that one child (`os.wait4`), so nothing else that runs
meanwhile, in particular the emulator serving it in this process, is counted in it.

Peak RSS cannot come from the same rusage: Linux carries a process's high-water RSS across
exec, and a child forked from this process (which holds the emulator's state, hundreds of MB
at 300 applications) starts with this process's RSS as its own. So the command is started by
a small launcher that forks it and reports its ru_maxrss: GNU time (`/usr/bin/time -f %M`)
when it is there, else a Python one, whose own ~10 MB is then the floor of what is reported.

Requests are counted at the emulator, by operation, for exactly the child's run.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class BenchError(Exception):
    """A measured command did not do what the benchmark needs (wrong exit code, ...)."""


@dataclass(frozen=True)
class Sample:
    wall_s: float
    user_s: float
    sys_s: float
    peak_rss_mb: float
    exit_code: int
    requests: dict[str, int]

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s


@dataclass
class Measurement:
    """Several runs of one command in one scenario."""

    scenario: str
    command: str
    argv: list[str]
    samples: list[Sample] = field(default_factory=list)
    formula: dict[str, int] | None = None  # the requests the formulae page predicts

    @property
    def runs(self) -> int:
        return len(self.samples)

    @property
    def wall_s(self) -> float:
        return statistics.median(s.wall_s for s in self.samples)

    @property
    def wall_range(self) -> tuple[float, float]:
        return min(s.wall_s for s in self.samples), max(s.wall_s for s in self.samples)

    @property
    def cpu_s(self) -> float:
        return statistics.median(s.cpu_s for s in self.samples)

    @property
    def peak_rss_mb(self) -> float:
        return max(s.peak_rss_mb for s in self.samples)

    @property
    def requests(self) -> dict[str, int]:
        """The last run's requests by operation (`requests_vary` says if runs differed)."""
        return self.samples[-1].requests if self.samples else {}

    @property
    def requests_vary(self) -> bool:
        return len({tuple(sorted(s.requests.items())) for s in self.samples}) > 1

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "command": self.command,
            "argv": self.argv,
            "runs": self.runs,
            "wall_s_median": self.wall_s,
            "wall_s_min": self.wall_range[0],
            "wall_s_max": self.wall_range[1],
            "cpu_s_median": self.cpu_s,
            "peak_rss_mb_max": self.peak_rss_mb,
            "requests": self.requests,
            "requests_vary": self.requests_vary,
            "formula": self.formula,
            "samples": [
                {
                    "wall_s": s.wall_s,
                    "user_s": s.user_s,
                    "sys_s": s.sys_s,
                    "peak_rss_mb": s.peak_rss_mb,
                    "exit_code": s.exit_code,
                    "requests": s.requests,
                }
                for s in self.samples
            ],
        }


class RequestLog:
    """What the runner needs of the emulator: reset its log, read it by operation."""

    def __init__(self, server: Any) -> None:
        self._server = server

    def reset(self) -> None:
        self._server.reset_log()

    def by_operation(self) -> dict[str, int]:
        return dict(Counter(self._server.operations()))


# argv: [report file, command...]; forks the command, writes its ru_maxrss (KiB), exits as it.
PYTHON_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def launcher() -> tuple[str, list[str]]:
    """(its name, argv before the report file and the command)."""
    gnu_time = shutil.which("time", path="/usr/bin:/bin")
    if gnu_time:
        probe = subprocess.run(
            [gnu_time, "-f", "%M", "-o", os.devnull, "true"], capture_output=True
        )
        if probe.returncode == 0:
            return "GNU time", [gnu_time, "-f", "%M", "-o"]
    return "python launcher", [sys.executable, "-c", PYTHON_LAUNCHER]


class Runner:
    def __init__(
        self,
        env: Mapping[str, str],
        log: RequestLog,
        timeout_s: float = 900.0,
        verbose: bool = False,
    ) -> None:
        self._env = dict(env)
        self._log = log
        self._timeout_s = timeout_s
        self._verbose = verbose
        self.launcher, self._launch = launcher()

    def run(self, argv: Sequence[str], cwd: Path, expect: Sequence[int] = (0,)) -> Sample:
        """Run `argv` once, stdin empty and output to files; BenchError on another exit."""
        with (
            tempfile.TemporaryFile() as out,
            tempfile.TemporaryFile() as err,
            tempfile.NamedTemporaryFile("r", suffix=".rss") as rss,
        ):
            self._log.reset()
            started = time.perf_counter()
            child = subprocess.Popen(
                [*self._launch, rss.name, *argv],
                cwd=cwd,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
            watchdog = threading.Timer(self._timeout_s, child.kill)
            watchdog.start()
            try:
                # wait4 reaps the child and returns its own rusage; tell Popen it is done.
                _, status, usage = os.wait4(child.pid, 0)
            finally:
                watchdog.cancel()
            wall = time.perf_counter() - started
            child.returncode = os.waitstatus_to_exitcode(status)
            requests = self._log.by_operation()
            # GNU time puts "Command exited with non-zero status N" first: the number is last.
            lines = rss.read().split()
            peak_kib = int(lines[-1]) if lines and lines[-1].isdigit() else 0
            sample = Sample(
                wall, usage.ru_utime, usage.ru_stime, peak_kib / 1024, child.returncode, requests
            )
            if self._verbose:
                print(
                    f"    {wall:7.3f}s  exit {child.returncode}  {' '.join(argv[-4:])}", flush=True
                )
            if child.returncode not in expect:
                out.seek(0)
                err.seek(0)
                raise BenchError(
                    f"{' '.join(argv)} exited {child.returncode} (expected "
                    f"{' or '.join(map(str, expect))})\n--- stdout (end) ---\n"
                    f"{out.read()[-3000:].decode(errors='replace')}\n--- stderr (end) ---\n"
                    f"{err.read()[-3000:].decode(errors='replace')}"
                )
            return sample
