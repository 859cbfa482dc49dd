"""The policy's `recovery` section (issue 25; the keys are pinned).

Only `accelerated_recovery` here: the `switches`/`arc` keys come with the switches work,
which owns this module's full shape.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Recovery(_Strict):
    """How geoproxy fails over when the Route 53 control plane (in us-east-1) is down."""

    accelerated_recovery: bool = Field(
        default=False,
        examples=[True],
        description="If `true`, `apply` enables Route 53 accelerated recovery on the policy's "
        "public zones, so their records can be changed while us-east-1 is unavailable "
        "(after Route 53's own failover). The zones then need `zone_id`.",
    )
