"""Inter-region latency: the measured round trips "nearest" is judged by.

A table maps a source region to the round-trip time, in milliseconds, from a client there to
an endpoint in each other region. geoproxy ships cloudping.co's one-year P50 matrix
(geoproxy/data/latency_p50.json; provenance in geoproxy/data/LATENCY_SOURCE.md); a user can
load their own in the same shape (`--latency-table FILE`, or `latency_table:` in the
policy). The shape is pinned by the pydantic model below, which is also its JSON Schema.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from geoproxy.errors import Issue, PolicyError
from geoproxy.policy.files import ReadRefused, read_bounded

SHIPPED = "latency_p50.json"
# Within this share of the best round trip, the runner-up is a near tie: data this coarse
# cannot tell them apart, so `routes` says so and the user decides with `force`.
NEAR_TIE_SHARE = 0.05
MAX_TABLE_BYTES = 4 * 1024 * 1024


class LatencyTableFile(BaseModel):
    """A latency table file (JSON)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["geoproxy-latency-table"] = Field(
        description="Always `geoproxy-latency-table`."
    )
    version: Literal[1] = Field(description="The shape's version: 1.")
    unit: Literal["ms"] = Field(description="Round trips are in milliseconds.")
    percentile: str = Field(
        min_length=1,
        examples=["p50"],
        description="Which percentile of the measurements, e.g. `p50`.",
    )
    window: str = Field(
        default="", examples=["1 year"], description="Over how long the measurements were taken."
    )
    snapshot: str = Field(
        default="", examples=["2025-05-29"], description="When the numbers were taken (a date)."
    )
    source: str = Field(
        min_length=1, description="Where the numbers come from, for people and `routes`."
    )
    rtt_ms: dict[str, dict[str, float]] = Field(
        description="Source region -> destination region -> round trip in ms, measured from "
        "a client in the source region to an endpoint in the destination. A pair "
        "may be absent: that source then ranks its PoPs by distance.",
        examples=[{"af-south-1": {"eu-west-1": 158.0, "ap-southeast-1": 316.0}}],
    )


@dataclass(frozen=True)
class LatencyTable:
    source: str
    percentile: str
    snapshot: str
    rtt_ms: dict[str, dict[str, float]]

    def rtt(self, source_region: str, pop: str) -> float | None:
        return self.rtt_ms.get(source_region, {}).get(pop)

    @property
    def label(self) -> str:
        when = f", {self.snapshot}" if self.snapshot else ""
        return f"{self.source} ({self.percentile}{when})"


def _problems(error: ValidationError) -> list[Issue]:
    return [
        Issue(tuple(part for part in problem["loc"]), problem["msg"]) for problem in error.errors()
    ]


def parse_table(text: str, file: str, known_regions: set[str]) -> LatencyTable:
    """A table from JSON text, or one PolicyError naming every problem by its JSON path."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyError(file, [Issue((), f"not valid JSON: {error.msg}", error.lineno)]) from None
    try:
        model = LatencyTableFile.model_validate(data)
    except ValidationError as error:
        raise PolicyError(file, _problems(error)) from None
    issues = []
    for source, row in model.rtt_ms.items():
        if source not in known_regions:
            issues.append(Issue(("rtt_ms", source), f"unknown region {source!r}"))
        for target, value in row.items():
            if target not in known_regions:
                issues.append(Issue(("rtt_ms", source, target), f"unknown region {target!r}"))
            if not value >= 0 or value == float("inf"):
                issues.append(
                    Issue(
                        ("rtt_ms", source, target),
                        f"a round trip must be a finite number of ms, at least 0; got {value}",
                    )
                )
    if issues:
        raise PolicyError(file, issues)
    return LatencyTable(
        model.source,
        model.percentile,
        model.snapshot,
        {source: dict(row) for source, row in model.rtt_ms.items()},
    )


def load_table(path: str | Path, known_regions: set[str]) -> LatencyTable:
    """A regular file of at most MAX_TABLE_BYTES, enforced while reading (`/dev/zero` is
    refused as a device, an endless file stops at the limit)."""
    file = str(path)
    try:
        raw = read_bounded(path, limit=MAX_TABLE_BYTES)
    except ReadRefused as refused:
        raise PolicyError(file, [Issue((), f"latency table: {refused.reason}")]) from None
    return parse_table(raw.decode("utf-8", errors="replace"), file, known_regions)


@functools.cache
def shipped_table() -> LatencyTable:
    """The matrix geoproxy ships; trusted, so only its shape is checked."""
    text = (resources.files("geoproxy") / "data" / SHIPPED).read_text(encoding="utf-8")
    model = LatencyTableFile.model_validate_json(text)
    return LatencyTable(
        model.source,
        model.percentile,
        model.snapshot,
        {source: dict(row) for source, row in model.rtt_ms.items()},
    )
