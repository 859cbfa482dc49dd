"""TopoJSON, decoded in plain Python for the two data tools (land_outline.py,
country_locations.py): quantized arcs to lon/lat points, and rings from arc indexes."""

from __future__ import annotations

from typing import Any

Point = tuple[float, float]


def decode_arcs(topology: dict[str, Any]) -> list[list[Point]]:
    """Each arc's absolute lon/lat points: TopoJSON stores quantized deltas."""
    transform = topology.get("transform")
    arcs: list[list[Point]] = []
    for arc in topology["arcs"]:
        x = y = 0.0
        points: list[Point] = []
        for position in arc:
            if transform:
                x += position[0]
                y += position[1]
                points.append(
                    (
                        x * transform["scale"][0] + transform["translate"][0],
                        y * transform["scale"][1] + transform["translate"][1],
                    )
                )
            else:
                points.append((float(position[0]), float(position[1])))
        arcs.append(points)
    return arcs


def ring_of(indexes: list[int], arcs: list[list[Point]]) -> list[Point]:
    """A ring from arc indexes; ~i is arc i reversed, and consecutive arcs share an end."""
    ring: list[Point] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(arc if not ring else arc[1:])
    return ring
