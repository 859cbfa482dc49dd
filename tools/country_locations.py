#!/usr/bin/env python3
"""Regenerate geoproxy/data/country_locations.json from world-atlas's countries-10m.json.

The edge fence (`viewer_countries` in a compliance rule) sends each fenced country to the
allowed PoP nearest it, so geoproxy needs one representative point per country that a rule
can fence: every ISO 3166-1 alpha-2 code. This script computes it once, here, from Natural
Earth's 1:10m admin-0 countries (public domain) as the `world-atlas` npm package (v2) ships
them in TopoJSON, and writes `{code: {"name", "lat", "lon"}}`.

The point of a country is the area-weighted centroid of its largest polygon (largest by area
on the sphere, measured in the sinusoidal projection, which is equal-area): the contiguous
United States rather than a point pulled north by Alaska, metropolitan France rather than a
point pulled into the Atlantic by French Guiana. It ranks PoPs hundreds of kilometres apart,
so it need not lie inside the country (Croatia's may fall in Bosnia).

Natural Earth folds some territories that have their own ISO code into another country's
feature (French Guiana into France, Svalbard into Norway) or gives them no code at all (the
Indian Ocean Territories). `CARVED` below names each: the feature that holds it and a box
around it; the territory's point is then that of the largest of the feature's polygons whose
centroid lies in the box. Codes mapped from ISO numeric ids come from Debian's `iso-codes`
(`--iso-codes`, /usr/share/iso-codes/json/iso_3166-1.json). The script refuses to write a
table that misses a code of geoproxy's ISO list, or carves a box that holds no polygon.

Usage (the values used for the shipped file; see geoproxy/data/COUNTRY_LOCATIONS_SOURCE.md):

    npm pack world-atlas@2 && tar xzf world-atlas-2.0.2.tgz
    python tools/country_locations.py package/countries-10m.json \\
        --output geoproxy/data/country_locations.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

from topojson import Point, decode_arcs, ring_of  # tools/topojson.py, beside this script

Box = tuple[float, float, float, float]  # (west, south, east, north)

# Territories with an ISO code that Natural Earth's admin-0 countries fold into another
# feature, by that feature's name: (code, name, feature, box around the territory).
CARVED: tuple[tuple[str, str, str, Box], ...] = (
    ("BQ", "Caribbean Netherlands", "Netherlands", (-69.0, 11.9, -62.9, 17.8)),
    ("BV", "Bouvet Island", "Norway", (3.0, -54.7, 3.8, -54.2)),
    ("CC", "Cocos (Keeling) Islands", "Indian Ocean Ter.", (96.7, -12.4, 97.0, -11.8)),
    ("CX", "Christmas Island", "Indian Ocean Ter.", (105.5, -10.7, 105.8, -10.3)),
    ("GF", "French Guiana", "France", (-55.0, 2.0, -51.0, 6.5)),
    ("GP", "Guadeloupe", "France", (-62.0, 15.8, -60.8, 16.6)),
    ("MQ", "Martinique", "France", (-61.3, 14.3, -60.7, 15.0)),
    ("RE", "Reunion", "France", (55.1, -21.5, 56.0, -20.8)),
    ("SJ", "Svalbard and Jan Mayen", "Norway", (-10.0, 70.5, 35.0, 81.0)),
    ("TK", "Tokelau", "New Zealand", (-173.0, -9.6, -171.0, -8.4)),
    ("YT", "Mayotte", "France", (44.9, -13.1, 45.4, -12.5)),
)


def unwrapped(ring: list[Point]) -> list[Point]:
    """The ring with longitudes made continuous: a ring across the antimeridian (Chukotka,
    Fiji) steps from 180 to -180 inside it, which would wreck a planar centroid."""
    out = [ring[0]]
    for lon, lat in ring[1:]:
        previous = out[-1][0]
        while lon - previous > 180:
            lon -= 360
        while lon - previous < -180:
            lon += 360
        out.append((lon, lat))
    return out


def area_and_centroid(ring: list[Point]) -> tuple[float, float, float]:
    """Signed area (deg², sinusoidal, so equal-area) and centroid x, y of one ring."""
    points = [(lon * math.cos(math.radians(lat)), lat) for lon, lat in unwrapped(ring)]
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    area /= 2
    if area == 0:
        return 0.0, points[0][0], points[0][1]
    return area, cx / (6 * area), cy / (6 * area)


def polygon_point(rings: list[list[Point]]) -> tuple[float, Point]:
    """A polygon's area (outer ring less its holes) and area-weighted centroid (lon, lat)."""
    total = sx = sy = 0.0
    for position, ring in enumerate(rings):
        area, x, y = area_and_centroid(ring)
        weight = abs(area) if position == 0 else -abs(area)  # holes subtract
        total += weight
        sx += weight * x
        sy += weight * y
    if total <= 0:  # degenerate (a sliver): its outer ring's first point will do
        total, sx, sy = 0.0, *area_and_centroid(rings[0])[1:]
    else:
        sx, sy = sx / total, sy / total
    cos = math.cos(math.radians(sy))
    # Back from the sinusoidal projection, and into [-180, 180).
    lon = sx / cos if cos > 1e-9 else 0.0
    return total, ((lon + 180) % 360 - 180, sy)


def polygons_of(geometry: dict[str, Any], arcs: list[list[Point]]) -> list[list[list[Point]]]:
    kind = geometry["type"]
    polygons = (
        [geometry["arcs"]]
        if kind == "Polygon"
        else geometry["arcs"]
        if kind == "MultiPolygon"
        else []
    )
    return [[ring_of(ring, arcs) for ring in polygon] for polygon in polygons]


def largest_point(polygons: list[list[list[Point]]], box: Box | None = None) -> Point | None:
    """The point of the largest polygon (whose centroid lies in `box`, if given)."""
    best: tuple[float, Point] | None = None
    for polygon in polygons:
        area, (lon, lat) = polygon_point(polygon)
        if box is not None:
            west, south, east, north = box
            if not (west <= lon <= east and south <= lat <= north):
                continue
        if best is None or area > best[0]:
            best = (area, (lon, lat))
    return best[1] if best else None


def geoproxy_codes(repository: Path) -> frozenset[str]:
    """geoproxy's ISO list, read from its source so this script needs no install."""
    sys.path.insert(0, str(repository))
    from geoproxy.policy.countries import ISO_3166_ALPHA2

    return ISO_3166_ALPHA2


def build(
    topology: dict[str, Any], iso_codes: dict[str, Any], wanted: frozenset[str]
) -> dict[str, dict[str, Any]]:
    numeric = {entry["numeric"]: entry["alpha_2"] for entry in iso_codes["3166-1"]}
    arcs = decode_arcs(topology)
    by_name: dict[str, list[list[list[Point]]]] = {}
    table: dict[str, dict[str, Any]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = geometry["properties"]["name"]
        polygons = polygons_of(geometry, arcs)
        by_name[name] = polygons
        code = numeric.get(str(geometry.get("id")))
        if code is None or code not in wanted:
            continue  # no ISO code (Kosovo, N. Cyprus, ...), or one geoproxy does not list
        point = largest_point(polygons)
        if point is None:
            raise SystemExit(f"{code} ({name}) has no polygon")
        table[code] = {"name": name, "lat": round(point[1], 2), "lon": round(point[0], 2)}
    for code, name, feature, box in CARVED:
        if code in table:
            raise SystemExit(f"{code} has its own feature now; drop it from CARVED")
        point = largest_point(by_name.get(feature, []), box)
        if point is None:
            raise SystemExit(f"no polygon of {feature!r} lies in the box given for {code}")
        table[code] = {"name": name, "lat": round(point[1], 2), "lon": round(point[0], 2)}
    missing = sorted(wanted - set(table))
    if missing:
        raise SystemExit(f"no location for {', '.join(missing)}: add them to CARVED")
    return dict(sorted(table.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("topojson", type=Path, help="world-atlas's countries-10m.json")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument(
        "--iso-codes",
        type=Path,
        default=Path("/usr/share/iso-codes/json/iso_3166-1.json"),
        help="Debian iso-codes' ISO 3166-1 JSON (numeric id -> alpha-2)",
    )
    args = parser.parse_args()
    repository = Path(__file__).resolve().parent.parent
    table = build(
        json.loads(args.topojson.read_text(encoding="utf-8")),
        json.loads(args.iso_codes.read_text(encoding="utf-8")),
        geoproxy_codes(repository),
    )
    # One country a line, sorted: small diffs when the source changes.
    lines = [
        f"{json.dumps(code)}:{json.dumps(entry, sort_keys=True, separators=(',', ':'))}"
        for code, entry in table.items()
    ]
    text = '{"countries":{\n' + ",\n".join(lines) + "\n}}\n"
    args.output.write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode()).hexdigest()
    print(
        f"wrote {args.output}: {len(table)} countries ({len(CARVED)} carved), "
        f"{len(text.encode()):,} bytes, sha256 {digest}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
