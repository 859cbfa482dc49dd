"""Render the routing map: SVG text, and a self-contained HTML page around it.

`maps.model` decides styles and positions; this module only writes them out. The output
fetches nothing: the land outline is package data drawn inline, the font is the reader's
own sans-serif, tooltips are SVG `<title>` elements, and there is no script.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from geoproxy.cli.maps.geometry import XY, Frame, LonLat, text_width
from geoproxy.cli.maps.model import (
    POP_RADIUS,
    SOURCE_RADIUS,
    MapDocument,
    PanelLayout,
    PopState,
    Style,
    layout,
)
from geoproxy.errors import GeoproxyError

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
LAND_ID = "geoproxy-land"

# (stroke, width, dash) per line style; a fence's colour comes from FENCE_COLOURS.
LINE_STYLES: dict[Style, tuple[str, float, str]] = {
    "nearest": ("#5c6b7a", 1.3, ""),
    "forced": ("#e8590c", 2.0, "7 4"),
    "fenced": ("#1c7ed6", 1.8, ""),
    "failover": ("#c2255c", 2.6, ""),
    "drift": ("#e03131", 2.0, "2 3"),
    "missing": ("#e03131", 1.5, ""),
    "foreign": ("#862e9c", 1.5, ""),
}
FENCE_COLOURS = ("#1c7ed6", "#2f9e44", "#7048e8", "#0c8599", "#a61e4d")
LEGEND_TEXT: dict[Style, str] = {
    "nearest": "nearest PoP",
    "forced": "forced (force: in the policy)",
    "fenced": "inside compliance fence",
    "failover": "moved by a failover",
    "drift": "drift: live differs from the policy",
    "missing": "record missing (no line)",
    "foreign": "record not geoproxy's (no line)",
}
POP_TEXT: dict[PopState, str] = {
    "pop": "PoP",
    "failed_away": "PoP failed away from",
    "not_in_policy": "live target, not a PoP of the policy",
}
LEGEND_ROW = 20.0
LEGEND_SAMPLE = 30.0


@lru_cache(maxsize=1)
def land_rings() -> tuple[tuple[LonLat, ...], ...]:
    """Natural Earth's 1:110m land (geoproxy/data/LAND_SOURCE.md) as lon/lat rings."""
    text = (resources.files("geoproxy") / "data" / "land_110m.json").read_text(encoding="utf-8")
    return tuple(
        tuple(zip(ring[::2], ring[1::2], strict=True)) for ring in json.loads(text)["rings"]
    )


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _polyline(points: Sequence[XY], closed: bool = False) -> str:
    """`M x y x y ...`: after a moveto, SVG takes further pairs as linetos."""
    pairs: list[str] = []
    for x, y in points:
        pair = f"{_n(x)} {_n(y)}"
        if not pairs or pairs[-1] != pair:
            pairs.append(pair)
    return "M" + " ".join(pairs) + ("Z" if closed else "")


@lru_cache(maxsize=4)
def land_path(frame: Frame) -> str:
    return "".join(
        _polyline([frame.xy(lon, lat) for lon, lat in ring], closed=True) for ring in land_rings()
    )


@dataclass(frozen=True)
class Palette:
    """Fence colours, given out in the order fences are met over all panels, so one fence
    has one colour everywhere in a document."""

    fences: tuple[str, ...]

    def fence(self, name: str) -> str:
        return FENCE_COLOURS[self.fences.index(name) % len(FENCE_COLOURS)]

    def line(self, style: Style, fence: str) -> tuple[str, float, str]:
        colour, width, dash = LINE_STYLES[style]
        return (self.fence(fence) if style == "fenced" and fence else colour), width, dash


def _stroke(colour: str, width: float, dash: str) -> str:
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return f'fill="none" stroke="{colour}" stroke-width="{_n(width)}"{dashed}'


def _source_dot(at: XY, style: Style, fence: str, palette: Palette) -> str:
    colour = palette.line(style, fence)[0]
    hollow = style in ("missing", "foreign")
    ring = palette.fence(fence) if fence else ("#ffffff" if not hollow else colour)
    fill = "#ffffff" if hollow else colour
    width = 1.6 if fence or hollow else 1.0
    return (
        f'<circle cx="{_n(at[0])}" cy="{_n(at[1])}" r="{_n(SOURCE_RADIUS)}" '
        f'fill="{fill}" stroke="{ring}" stroke-width="{_n(width)}"/>'
    )


def _pop_marker(at: XY, state: PopState) -> str:
    x, y = _n(at[0]), _n(at[1])
    if state == "pop":
        return (
            f'<circle cx="{x}" cy="{y}" r="{_n(POP_RADIUS)}" fill="#212529" '
            f'stroke="#ffffff" stroke-width="2"/>'
            f'<circle cx="{x}" cy="{y}" r="2" fill="#ffffff"/>'
        )
    if state == "failed_away":
        d = POP_RADIUS * 0.6
        cross = (
            f"M{_n(at[0] - d)} {_n(at[1] - d)}L{_n(at[0] + d)} {_n(at[1] + d)}"
            f"M{_n(at[0] - d)} {_n(at[1] + d)}L{_n(at[0] + d)} {_n(at[1] - d)}"
        )
        return (
            f'<circle cx="{x}" cy="{y}" r="{_n(POP_RADIUS)}" fill="#ffffff" '
            f'stroke="#868e96" stroke-width="2" stroke-dasharray="3 2"/>'
            f'<path d="{cross}" stroke="#868e96" stroke-width="1.6"/>'
        )
    return (
        f'<circle cx="{x}" cy="{y}" r="{_n(POP_RADIUS)}" fill="#ffffff" '
        f'stroke="#212529" stroke-width="2"/>'
    )


def _title(text: str) -> str:
    return f"<title>{escape(text)}</title>"


def map_body(panel: PanelLayout, palette: Palette) -> str:
    """The map of one panel, at the origin, `panel.frame` sized."""
    frame = panel.frame
    parts = [
        f'<path class="ocean" d="{_polyline(frame.outline(), closed=True)}" '
        'fill="#eef4fa" stroke="#b8c7d6" stroke-width="1"/>',
        f'<use class="land" href="#{LAND_ID}"/>',
        '<g class="routes">',
    ]
    for shape in panel.routes:
        route = shape.route
        attributes = (
            f"data-source={quoteattr(route.source)} "
            f'data-pop={quoteattr(route.pop or "")} data-style="{route.style}"'
            + (f" data-fence={quoteattr(route.fence)}" if route.fence else "")
        )
        line = ""
        if shape.lines:
            d = "".join(_polyline(piece) for piece in shape.lines)
            line = (
                f'<path d="{d}" {_stroke(*palette.line(route.style, route.fence))} '
                'stroke-linecap="round" stroke-opacity="0.9"/>'
            )
        parts.append(f'<g class="route" {attributes}>{_title(route.note)}{line}</g>')
    # Markers under the dots: a source that is itself a PoP shows as the marker's centre,
    # so its own state (missing, moved) stays visible.
    parts.append('</g><g class="pops">')
    for pop_shape in panel.pops:
        pop = pop_shape.pop
        parts.append(
            f'<g class="pop" data-pop={quoteattr(pop.region)} '
            f'data-state="{pop.state}">{_title(pop.note or pop.region)}'
            f"{_pop_marker(pop_shape.at, pop.state)}</g>"
        )
    parts.append('</g><g class="sources">')
    for shape in panel.routes:
        route = shape.route
        parts.append(
            f'<g class="source" data-source={quoteattr(route.source)}>'
            f"{_title(route.note)}"
            f"{_source_dot(shape.dot, route.style, route.fence, palette)}</g>"
        )
    parts.append('</g><g class="labels">')
    pops = {shape.pop.region for shape in panel.pops}
    for label in panel.labels:
        if label.leader is not None:
            (x0, y0), (x1, y1) = label.leader
            parts.append(
                f'<path class="leader" d="M{_n(x0)} {_n(y0)}L{_n(x1)} {_n(y1)}" '
                'stroke="#495057" stroke-width="0.8"/>'
            )
        weight = ' font-weight="700"' if label.key in pops else ""
        parts.append(
            f'<text class="label" data-for={quoteattr(label.key)} '
            f'x="{_n(label.x)}" y="{_n(label.y)}" text-anchor="{label.anchor}" '
            f'font-size="{_n(label.size)}"{weight} fill="#212529" stroke="#ffffff" '
            f'stroke-width="3" stroke-linejoin="round" paint-order="stroke">'
            f"{escape(label.text)}</text>"
        )
    parts.append("</g>")
    return "".join(parts)


def _legend_items(panel: PanelLayout, palette: Palette) -> list[tuple[str, str, str]]:
    """(data-style, sample SVG, text) per legend entry, in legend order."""
    items: list[tuple[str, str, str]] = []
    y = LEGEND_ROW / 2
    drawn_fenced = [
        f
        for f in panel.fences
        if any(r.route.style == "fenced" and r.route.fence == f for r in panel.routes)
    ]
    for style in panel.styles:
        for fence in drawn_fenced if style == "fenced" else [""]:
            stroke = palette.line(style, fence)
            line = (
                ""
                if style in ("missing", "foreign")
                else f'<path d="M0 {_n(y)}H{_n(LEGEND_SAMPLE - 6)}" {_stroke(*stroke)}/>'
            )
            dot = _source_dot((0 if line else LEGEND_SAMPLE / 2 - 6, y), style, fence, palette)
            text = LEGEND_TEXT[style] + (f" {fence}" if fence else "")
            items.append((style, line + dot, text))
    for fence in panel.fences:  # a fenced source drawn in another style shows its ring
        if any(r.route.fence == fence and r.route.style != "fenced" for r in panel.routes):
            dot = (
                f'<circle cx="{_n(LEGEND_SAMPLE / 2 - 6)}" cy="{_n(y)}" r="4" '
                f'fill="{LINE_STYLES["nearest"][0]}" stroke="{palette.fence(fence)}" '
                'stroke-width="2"/>'
            )
            items.append(("fence-ring", dot, f"ringed dot: inside compliance fence {fence}"))
    for state in panel.pop_states:
        items.append(
            (f"pop-{state}", _pop_marker((LEGEND_SAMPLE / 2 - 6, y), state), POP_TEXT[state])
        )
    return items


def legend(panel: PanelLayout, palette: Palette, width: float) -> tuple[str, float]:
    """The legend as rows of entries across `width`; returns (SVG, height)."""
    parts: list[str] = []
    x, row = 12.0, 0
    for key, sample, text in _legend_items(panel, palette):
        size = 11.0
        item_width = LEGEND_SAMPLE + 6 + text_width(text, size) + 22
        if x + item_width > width and x > 12.0:
            x, row = 12.0, row + 1
        parts.append(
            f'<g class="legend-entry" data-style="{key}" '
            f'transform="translate({_n(x + 4)},{_n(row * LEGEND_ROW)})">{sample}'
            f'<text x="{_n(LEGEND_SAMPLE + 2)}" y="{_n(LEGEND_ROW / 2 + 4)}" '
            f'font-size="{_n(size)}" fill="#343a40">{escape(text)}</text></g>'
        )
        x += item_width
    return '<g class="legend">' + "".join(parts) + "</g>", (row + 1) * LEGEND_ROW


def _defs(frame: Frame) -> str:
    return (
        f'<defs><path id="{LAND_ID}" d="{land_path(frame)}" fill="#e4ddcb" '
        'fill-rule="evenodd" stroke="#c4b89a" stroke-width="0.5"/></defs>'
    )


Prepared = tuple[list[PanelLayout], Palette]


def _layouts(data: MapDocument) -> Prepared:
    frame = Frame()
    layouts = [layout(panel, data.locations, frame) for panel in data.panels]
    fences = tuple(dict.fromkeys(f for item in layouts for f in item.fences))
    return layouts, Palette(fences)


def _unlocated_note(panel: PanelLayout) -> str:
    if not panel.unlocated:
        return ""
    return "not drawn (no known location): " + ", ".join(panel.unlocated)


def svg_document(data: MapDocument, prepared: Prepared | None = None) -> str:
    """One SVG: a heading, then a panel per application, each with its legend."""
    layouts, palette = prepared or _layouts(data)
    frame = Frame()
    parts: list[str] = []
    y = 44.0
    for panel in layouts:
        body = map_body(panel, palette)
        legend_svg, legend_height = legend(panel, palette, frame.width)
        note = _unlocated_note(panel)
        subtitle = panel.panel.subtitle + (f" · {note}" if note else "")
        parts.append(
            f'<g class="panel" data-app={quoteattr(panel.panel.title)} '
            f'transform="translate(0,{_n(y)})">'
            f'<text x="12" y="18" font-size="17" font-weight="700" fill="#212529">'
            f"{escape(panel.panel.title)}</text>"
            f'<text x="12" y="36" font-size="11.5" fill="#495057">{escape(subtitle)}</text>'
            f'<g class="map" transform="translate(0,44)">{body}</g>'
            f'<g transform="translate(0,{_n(44 + frame.height + 6)})">{legend_svg}</g></g>'
        )
        y += 44 + frame.height + 6 + legend_height + 22
    height = y
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" class="geoproxy-map" '
        f'viewBox="0 0 {_n(frame.width)} {_n(height)}" width="{_n(frame.width)}" '
        f'height="{_n(height)}" font-family="{FONT}">'
        f"{_title(data.title)}{_defs(frame)}"
        f'<rect width="100%" height="100%" fill="#ffffff"/>'
        f'<text x="12" y="26" font-size="20" font-weight="700" fill="#212529">'
        f"{escape(data.title)}</text>" + "".join(parts) + "</svg>\n"
    )


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #212529; background: #f8f9fa; }
header, section { max-width: 1240px; margin: 0 auto; padding: 12px 20px; }
h1 { font-size: 1.4rem; margin: 8px 0 2px; }
h2 { font-size: 1.15rem; margin: 0 0 2px; }
p { margin: 2px 0 8px; color: #495057; font-size: 0.9rem; }
section { background: #ffffff; border: 1px solid #dee2e6; border-radius: 6px;
          margin-bottom: 16px; }
svg.map { display: block; width: 100%; height: auto; }
.defs { position: absolute; width: 0; height: 0; overflow: hidden; }
"""


def html_document(data: MapDocument, prepared: Prepared | None = None) -> str:
    """A page that needs nothing but itself: inline CSS and SVG, no script, no link."""
    layouts, palette = prepared or _layouts(data)
    frame = Frame()
    sections = []
    for panel in layouts:
        legend_svg, legend_height = legend(panel, palette, frame.width)
        height = frame.height + 6 + legend_height
        note = _unlocated_note(panel)
        sections.append(
            f'<section class="panel" data-app={quoteattr(panel.panel.title)}>'
            f"<h2>{escape(panel.panel.title)}</h2><p>{escape(panel.panel.subtitle)}</p>"
            + (f"<p>{escape(note)}</p>" if note else "")
            + f'<svg class="map" viewBox="0 0 {_n(frame.width)} {_n(height)}" '
            f'font-family="{FONT}" role="img" aria-label={quoteattr(panel.panel.title)}>'
            f"{map_body(panel, palette)}"
            f'<g transform="translate(0,{_n(frame.height + 6)})">{legend_svg}</g></svg>'
            "</section>"
        )
    # The generator mark near the top: a later --html finds it and replaces the file
    # without --overwrite (geoproxy wrote it).
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="generator" content="geoproxy">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(data.title)}</title><style>{_CSS}</style></head><body>"
        f'<svg class="defs" aria-hidden="true">{_defs(frame)}</svg>'
        f"<header><h1>{escape(data.title)}</h1><p>{escape(data.note)}</p></header>"
        + "".join(sections)
        + "</body></html>\n"
    )


# --- files -------------------------------------------------------------------------------


def write_file(path: Path, text: str) -> None:
    """Whole or not at all: written beside the target, then renamed over it, so a reader
    (or a browser reloading it) never sees half a map."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)  # as open() would have made it
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise GeoproxyError(f"cannot write {path}: {error.strerror or error}") from None


def write_maps(data: MapDocument, html: Path | None, svg: Path | None) -> list[str]:
    """Write the files asked for; returns what to tell the user, one line per file."""
    said = []
    routes = sum(len(panel.routes) for panel in data.panels)
    prepared = _layouts(data)  # labels are the slow part: placed once for both files
    for path, render in ((html, html_document), (svg, svg_document)):
        if path is None:
            continue
        write_file(path, render(data, prepared))
        said.append(f"Wrote {path}: {len(data.panels)} map(s), {routes} route(s).")
    return said
