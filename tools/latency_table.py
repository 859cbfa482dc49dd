#!/usr/bin/env python3
"""Regenerate geoproxy/data/latency_p50.json from a saved cloudping.co latency matrix.

The input is the JSON that https://www.cloudping.co/api/latencies?percentile=p_50&timeframe=1Y
returns (for example the copy saved in github.com/oaustegard/oaustegard.github.io):

    {"metadata": {"percentile": "p_50", "timeframe": "1Y", "unit": "milliseconds"},
     "data": {"<region_from>": {"<region_to>": <ms>, ...}, ...}}

The outer key is the region the measuring Lambda runs in (cloudping's `region_from`), the inner
key the region whose DynamoDB endpoint it connects to (`region_to`). The output keeps that
orientation: rtt_ms[A][B] is the P50 from a client in A to an endpoint in B. Nothing is
transposed, averaged or symmetrised.

What the script changes, and nothing else:
  * values are rounded to 0.1 ms, half up, from their decimal text (no binary-float surprises);
  * keys that are not AWS region ids (`xx-name-N`) are dropped, as are non-numeric values;
  * regions are sorted, and the metadata is written in geoproxy's latency-table shape.
Whatever is dropped is reported on stderr.

Usage (the values used for the shipped file):

    python tools/latency_table.py awspingp501y.json \\
        --path awspingp501y.json \\
        --commit 5ffed9e5a0d2580a07de4c24cb9c14ff7c61be4c \\
        --snapshot 2025-05-29 \\
        --output geoproxy/data/latency_p50.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

REGION_ID = re.compile(r"^[a-z]{2}-[a-z]+-[0-9]+$")
COMMIT = re.compile(r"^[0-9a-f]{40}$")
STEP = Decimal("0.1")
DEFAULT_REPO = "oaustegard/oaustegard.github.io"

# cloudping timeframe -> (window as geoproxy writes it, adjective for the source line)
TIMEFRAMES = {
    "1D": ("1 day", "one-day"),
    "1W": ("1 week", "one-week"),
    "1M": ("1 month", "one-month"),
    "1Y": ("1 year", "one-year"),
}
PERCENTILE = re.compile(r"^p_?([0-9]{1,2})$")


def _fail(message: str) -> None:
    sys.exit(f"latency_table: {message}")


def _ms(value: Any) -> Decimal | None:
    """The value as a Decimal rounded to 0.1 ms, or None if it is not a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0:
        return None
    return number.quantize(STEP, rounding=ROUND_HALF_UP)


def build(
    source: dict[str, Any], *, repo: str, path: str, commit: str, snapshot: str
) -> tuple[dict[str, Any], list[str]]:
    """The geoproxy latency table and the list of things dropped on the way."""
    metadata = source.get("metadata") or {}
    data = source.get("data")
    if not isinstance(data, dict):
        _fail("the source has no `data` object")
    unit = metadata.get("unit")
    if unit != "milliseconds":
        _fail(f"expected unit 'milliseconds', got {unit!r}")
    match = PERCENTILE.match(str(metadata.get("percentile", "")))
    if not match:
        _fail(f"unrecognised percentile {metadata.get('percentile')!r}")
    percentile = f"p{match.group(1)}"
    timeframe = metadata.get("timeframe")
    if timeframe not in TIMEFRAMES:
        _fail(f"unrecognised timeframe {timeframe!r}")
    window, adjective = TIMEFRAMES[timeframe]

    dropped: list[str] = []
    rows: dict[str, dict[str, float]] = {}
    for region_from in sorted(data):
        row = data[region_from]
        if not REGION_ID.match(region_from) or not isinstance(row, dict):
            dropped.append(f"source {region_from!r} (not a region id or not an object)")
            continue
        out: dict[str, float] = {}
        for region_to in sorted(row):
            if not REGION_ID.match(region_to):
                dropped.append(f"{region_from} -> {region_to!r} (not a region id)")
                continue
            ms = _ms(row[region_to])
            if ms is None:
                dropped.append(f"{region_from} -> {region_to} (value {row[region_to]!r})")
                continue
            out[region_to] = float(ms)
        rows[region_from] = out

    table = {
        "format": "geoproxy-latency-table",
        "version": 1,
        "unit": "ms",
        "percentile": percentile,
        "window": window,
        "snapshot": snapshot,
        "source": f"cloudping.co ({adjective} {percentile.upper()}), saved copy in "
        f"github.com/{repo} {path} at commit {commit}",
        "rtt_ms": rows,
    }
    return table, dropped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Regenerate geoproxy's latency table from a saved cloudping.co matrix."
    )
    parser.add_argument(
        "source_file", type=Path, help="the downloaded cloudping JSON ({metadata, data})"
    )
    parser.add_argument(
        "--repo",
        default=DEFAULT_REPO,
        help=f"GitHub repository holding the saved copy (default {DEFAULT_REPO})",
    )
    parser.add_argument(
        "--path", required=True, help="the saved copy's path inside that repository"
    )
    parser.add_argument(
        "--commit", required=True, help="the commit (40 hex digits) the copy was taken from"
    )
    parser.add_argument(
        "--snapshot", required=True, help="the date cloudping's numbers were captured, YYYY-MM-DD"
    )
    parser.add_argument(
        "-o", "--output", type=Path, help="where to write the table (default: stdout)"
    )
    args = parser.parse_args(argv)

    if not COMMIT.match(args.commit):
        _fail(f"--commit must be 40 lowercase hex digits, got {args.commit!r}")
    try:
        dt.date.fromisoformat(args.snapshot)
    except ValueError:
        _fail(f"--snapshot must be a date YYYY-MM-DD, got {args.snapshot!r}")

    try:
        # parse_float=Decimal keeps each value's decimal text, so rounding is exact
        source = json.loads(args.source_file.read_text(encoding="utf-8"), parse_float=Decimal)
    except (OSError, ValueError) as error:
        _fail(f"cannot read {args.source_file}: {error}")

    table, dropped = build(
        source, repo=args.repo, path=args.path, commit=args.commit, snapshot=args.snapshot
    )
    text = json.dumps(table, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)

    rows = table["rtt_ms"]
    regions = sorted(set(rows) | {target for row in rows.values() for target in row})
    missing = [f"{a} -> {b}" for a in rows for b in regions if b not in rows[a]]
    print(
        f"latency_table: {len(rows)} source regions, {len(regions)} regions in all, "
        f"{sum(len(row) for row in rows.values())} pairs",
        file=sys.stderr,
    )
    for item in dropped:
        print(f"latency_table: dropped {item}", file=sys.stderr)
    for item in missing:
        print(f"latency_table: no value for {item}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
