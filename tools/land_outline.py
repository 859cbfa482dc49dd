#!/usr/bin/env python3
"""Regenerate geoproxy/data/land_110m.json from world-atlas's land-110m.json (TopoJSON).

The routing map (`geoproxy routes --svg/--html`) draws land under the routes. Its outline is
Natural Earth's 1:110m land, as the `world-atlas` npm package (v2) ships it in TopoJSON. That
format shares arcs between polygons and delta-encodes quantized points; decoding it at every
run would mean shipping a TopoJSON reader in geoproxy, so this script decodes it once, here,
in plain Python, and writes what the map needs: rings of lon/lat.

What the script changes, and nothing else:
  * arcs are decoded (quantization transform, delta encoding, reversed arcs) into rings;
  * rings that cross the antimeridian (Fiji, Chukotka, Wrangel Island: TopoJSON's spherical
    polygons step from 180° to -180°) are cut there into one ring per side, closed along
    the map's edge, so that a flat map does not draw their step as a line across the world;
  * rings lying wholly south of --south (default -60) are dropped: Antarctica and its
    islands hold no AWS region, and the map is cropped above them;
  * each ring is simplified by Douglas-Peucker with --tolerance degrees (default 0.1: about
    a third of a pixel on geoproxy's 1,200-pixel map), keeping every ring's own endpoints,
    and rings that end up with fewer than four points are dropped;
  * coordinates are rounded to --digits decimals (default 2: about 1 km).
What is dropped is reported on stderr.

Usage (the values used for the shipped file; see geoproxy/data/LAND_SOURCE.md):

    npm pack world-atlas@2 && tar xzf world-atlas-2.0.2.tgz
    python tools/land_outline.py package/land-110m.json --output geoproxy/data/land_110m.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from topojson import Point, decode_arcs, ring_of  # tools/topojson.py, beside this script


def rings_of(topology: dict[str, Any], name: str) -> list[list[Point]]:
    arcs = decode_arcs(topology)
    rings: list[list[Point]] = []
    for geometry in topology["objects"][name]["geometries"]:
        kind = geometry["type"]
        polygons = (
            [geometry["arcs"]]
            if kind == "Polygon"
            else geometry["arcs"]
            if kind == "MultiPolygon"
            else []
        )
        for polygon in polygons:
            rings.extend(ring_of(ring, arcs) for ring in polygon)
    return rings


def cut_at_antimeridian(ring: list[Point]) -> list[list[Point]]:
    """A closed ring that steps across ±180° twice, as two closed rings, one per side; a
    ring that does not cross comes back whole."""
    points = ring[:-1] if ring[0] == ring[-1] else list(ring)
    count = len(points)
    jumps = [i for i in range(count) if abs(points[(i + 1) % count][0] - points[i][0]) > 180]
    if not jumps:
        return [ring]
    if len(jumps) != 2:
        raise ValueError(
            f"a ring crosses the antimeridian {len(jumps)} times; this script "
            "only cuts rings that cross it twice"
        )
    start = jumps[0] + 1
    rotated = points[start:] + points[:start]  # from just after one crossing, round to it
    pieces: list[list[Point]] = [[]]
    for here, after in zip(rotated, rotated[1:] + rotated[:1], strict=True):
        pieces[-1].append(here)
        if abs(after[0] - here[0]) > 180:
            edge = 180.0 if here[0] > 0 else -180.0
            unwrapped = after[0] + (360.0 if here[0] > 0 else -360.0)
            span = unwrapped - here[0]  # 0 when both ends are on the edge already
            lat = here[1] + (after[1] - here[1]) * ((edge - here[0]) / span if span else 0.0)
            pieces[-1].append((edge, lat))
            pieces.append([(-edge, lat)])
    entry = pieces.pop()  # where the first piece came in, met again at the end of the walk
    pieces[0] = entry + pieces[0]
    return [[*piece, piece[0]] for piece in pieces]


def _offset(point: Point, start: Point, end: Point) -> float:
    """Distance of `point` from the segment start-end, in degrees (flat: fine at 0.1°)."""
    (px, py), (ax, ay), (bx, by) = point, start, end
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return float(((px - ax) ** 2 + (py - ay) ** 2) ** 0.5)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return float(((px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2) ** 0.5)


def simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker, iterative (rings of a thousand points would nest deep)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst, index = 0.0, -1
        for i in range(first + 1, last):
            offset = _offset(points[i], points[first], points[last])
            if offset > worst:
                worst, index = offset, i
        if index >= 0 and worst > tolerance:
            keep[index] = True
            stack.extend(((first, index), (index, last)))
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def convert(
    topology: dict[str, Any], *, south: float, tolerance: float, digits: int
) -> tuple[list[list[float]], list[str]]:
    """Flat [lon, lat, lon, lat, ...] rings, and what was dropped."""
    dropped: list[str] = []
    out: list[list[float]] = []
    kept: list[list[Point]] = []
    for ring in rings_of(topology, "land"):
        if max(lat for _, lat in ring) < south:  # Antarctica goes round the pole: no cut
            dropped.append(f"a ring of {len(ring)} points south of {south}°")
        else:
            kept.append(ring)
    for ring in [piece for whole in kept for piece in cut_at_antimeridian(whole)]:
        simple = simplify(ring, tolerance)
        rounded = [(round(lon, digits), round(lat, digits)) for lon, lat in simple]
        deduped = [p for i, p in enumerate(rounded) if i == 0 or p != rounded[i - 1]]
        if len(deduped) < 4:
            dropped.append(f"a ring of {len(ring)} points, under {tolerance}° once simplified")
            continue
        out.append([value for point in deduped for value in point])
    return out, dropped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("topojson", type=Path, help="world-atlas's land-110m.json")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--south", type=float, default=-60.0)
    parser.add_argument("--tolerance", type=float, default=0.1)
    parser.add_argument("--digits", type=int, default=2)
    parser.add_argument(
        "--package",
        default="world-atlas@2.0.2",
        help="the npm package the file came from, recorded in the output",
    )
    args = parser.parse_args(argv)

    raw = args.topojson.read_bytes()
    rings, dropped = convert(
        json.loads(raw), south=args.south, tolerance=args.tolerance, digits=args.digits
    )
    document = {
        "format": "geoproxy-land-outline",
        "version": 1,
        "source": f"Natural Earth 1:110m land (public domain), from the npm package "
        f"{args.package} land-110m.json (ISC), sha256 "
        f"{hashlib.sha256(raw).hexdigest()}",
        "south": args.south,
        "tolerance_deg": args.tolerance,
        "rings": rings,
    }
    # One ring per line: small, and a later regeneration diffs ring by ring.
    lines = ",\n".join(json.dumps(ring, separators=(",", ":")) for ring in rings)
    head = json.dumps({k: v for k, v in document.items() if k != "rings"}, indent=1)[:-2]
    args.output.write_text(f'{head},\n "rings": [\n{lines}\n]}}\n', encoding="utf-8")
    json.loads(args.output.read_text(encoding="utf-8"))  # what was written parses
    for line in dropped:
        print(f"dropped {line}", file=sys.stderr)
    points = sum(len(ring) // 2 for ring in rings)
    print(
        f"wrote {args.output}: {len(rings)} rings, {points} points, "
        f"{args.output.stat().st_size:,} bytes",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
