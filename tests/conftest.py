"""Shared by every level: the repository, the example and minimal policies, and writing a
policy file.

Each level has its own conftest.py: `unit/` (fixture names and ids of the pure tests) and
`e2e/` (the real CLI in a subprocess against the strict emulator, and reading its records).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

pytest_plugins = ["tests.strictaws.fixtures"]

# geoproxy's user cache (one-time notes, cli/notes.py) never in the home of whoever runs the
# tests; run_cli gives each run a fresh one of its own.
os.environ.setdefault("GEOPROXY_CACHE_DIR", tempfile.mkdtemp(prefix="geoproxy-test-cache-"))

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_POLICY = (REPO / "routing.yaml").read_text(encoding="utf-8")

# The smallest valid policy: one application and two PoPs. Tests of loading count its lines
# (the application on line 3, `record` on 5, `pops` on 6), and append to it.
MINIMAL_POLICY = """\
version: 1
applications:
  - name: shop
    zone: example.com
    record: origin.example.com
    pops:
      us-east-1: {target: a-1.us-east-1.elb.amazonaws.com}
      eu-west-1: {target: b-2.eu-west-1.elb.amazonaws.com}
"""


def write_policy(directory: Path, text: str = EXAMPLE_POLICY, name: str = "routing.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def many_apps_policy(count: int, zones: tuple[str, ...] = ("example.com",)) -> str:
    """`count` applications of four PoPs each, over all 34 source regions, spread over
    `zones` in turn: the shape the scale budgets are stated for."""
    lines = ["version: 1", "applications:"]
    for i in range(count):
        zone = zones[i % len(zones)]
        name = f"app{i:03d}"
        lines += [
            f"  - name: {name}",
            f"    zone: {zone}",
            f"    record: origin.{name}.{zone}",
            "    pops:",
            f"      us-east-1: {{target: {name}-use1.us-east-1.elb.amazonaws.com}}",
            f"      eu-west-1: {{target: {name}-euw1.eu-west-1.elb.amazonaws.com, "
            "failover_to: eu-central-1}",
            f"      eu-central-1: {{target: {name}-euc1.eu-central-1.elb.amazonaws.com}}",
            f"      ap-southeast-1: {{target: {name}-apse1.ap-southeast-1.elb.amazonaws.com}}",
        ]
    return "\n".join(lines) + "\n"
