"""Benchmark: wall time and request count of apply and of a no-op plan for N applications.

Runs the real CLI against the strict moto server on 127.0.0.1 (never AWS). Times are printed,
not asserted: request counts are what the tests pin.

    python bench/plan_scale.py 1 10 50
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.strictaws import StrictMotoServer

EXAMPLE = (Path(__file__).resolve().parent.parent / "routing.yaml").read_text()


def policy(apps: int) -> str:
    body = EXAMPLE.split("applications:\n", 1)[1]
    return "version: 1\napplications:\n" + "".join(
        body.replace("name: shop", f"name: app{i}").replace("origin.shop.", f"origin.app{i}.")
        for i in range(apps)
    )


def run(aws: StrictMotoServer, cwd: Path, *args: str) -> float:
    env = aws.env()
    env["GEOPROXY_POLL_INTERVAL"] = "0.01"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "geoproxy", *args], cwd=cwd, env=env, check=True, capture_output=True
    )
    return time.perf_counter() - started


def main(sizes: list[int]) -> None:
    print(
        f"{'apps':>5} {'records':>8} {'apply s':>8} {'apply req':>9} {'plan s':>7} {'plan req':>8}"
    )
    with StrictMotoServer(pending_polls=0) as aws:
        for apps in sizes:
            aws.reset()
            aws.client("route53").create_hosted_zone(Name="example.com", CallerReference="b")
            with tempfile.TemporaryDirectory() as scratch:
                cwd = Path(scratch)
                (cwd / "routing.yaml").write_text(policy(apps))
                aws.reset_log()
                apply_s = run(aws, cwd, "apply", "--yes")
                apply_requests = aws.count()
                aws.reset_log()
                plan_s = run(aws, cwd, "plan", "--detailed-exitcode")
                print(
                    f"{apps:>5} {apps * 34:>8} {apply_s:>8.2f} {apply_requests:>9} "
                    f"{plan_s:>7.2f} {aws.count():>8}"
                )


if __name__ == "__main__":
    main([int(size) for size in sys.argv[1:]] or [1, 10, 50])
