"""Shared by every level: the repository, the example policy, and writing a policy file.

Each level has its own conftest.py: `unit/` (fixture names and ids of the pure tests) and
`e2e/` (the real CLI in a subprocess against the strict emulator, and reading its records).
"""

from __future__ import annotations

from pathlib import Path

pytest_plugins = ["tests.strictaws.fixtures"]

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_POLICY = (REPO / "routing.yaml").read_text(encoding="utf-8")

def write_policy(directory: Path, text: str = EXAMPLE_POLICY, name: str = "routing.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path
