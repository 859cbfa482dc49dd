"""Profile one geoproxy command against the strict emulator, with N applications applied.

    python bench/profile_plan.py [--apps 300] [--top 30] [--sort cumtime] [-- plan ...]

Starts the emulator on 127.0.0.1, applies the benchmark's policy for N applications (one
zone), then runs `python -m cProfile -o STATS -m geoproxy COMMAND...` (default: `plan`, the
no-op plan) in a child process with the benchmark's environment, and prints the top entries.
"""

from __future__ import annotations

import argparse
import pstats
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run import CLI_ENV, GEOPROXY, fresh_zones
from scenario import Scenario

from tests.strictaws import StrictMotoServer


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python bench/profile_plan.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--apps", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumtime", help="pstats sort key (default cumtime)")
    parser.add_argument("--no-apply", action="store_true", help="profile on an empty zone")
    parser.add_argument(
        "command",
        nargs="*",
        default=["plan"],
        help="the geoproxy command and its arguments (default: plan)",
    )
    args = parser.parse_args()
    scenario = Scenario(args.apps)
    with (
        StrictMotoServer(pending_polls=0) as server,
        tempfile.TemporaryDirectory(prefix="geoproxy-profile-") as scratch,
    ):
        cwd = Path(scratch)
        (cwd / "routing.yaml").write_text(scenario.policy(), encoding="utf-8")
        env = {**server.env(), **CLI_ENV}
        fresh_zones(server, scenario)
        if not args.no_apply:
            print(f"applying {scenario.label}...", flush=True)
            subprocess.run(
                [*GEOPROXY, "apply", "--yes"], cwd=cwd, env=env, check=True, capture_output=True
            )
        stats = cwd / "profile.stats"
        server.reset_log()
        command = [
            sys.executable,
            "-m",
            "cProfile",
            "-o",
            str(stats),
            "-m",
            "geoproxy",
            *args.command,
        ]
        print(f"profiling: geoproxy {' '.join(args.command)}", flush=True)
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        print(f"exit {done.returncode}; {len(server.operations())} requests")
        if not stats.exists():
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        pstats.Stats(str(stats)).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
