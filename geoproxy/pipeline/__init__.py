"""The pipeline the commands share: policy -> routing -> live -> (failovers) -> desired -> plan.

Each step is its own module in `geoproxy.core` or `geoproxy.aws`; this package only strings
them together so the CLI holds no logic. Active failovers live in Route 53, so routes are
resolved against them after live is read. `compiled` holds what is known offline, `reads`
what is read from AWS, and `planning`, `failovers`, `status` and `iam` the commands' pipelines.
"""

from geoproxy.pipeline.compiled import (
    Compiled,
    Resolved,
    check_app_names,
    check_region,
    compile_policy,
    resolve_app,
    scoped,
)
from geoproxy.pipeline.failovers import failover_scope, plan_failback, plan_failover
from geoproxy.pipeline.iam import compute_iam_policy
from geoproxy.pipeline.planning import compute_plan
from geoproxy.pipeline.reads import read_distributions, read_live
from geoproxy.pipeline.status import compute_status

__all__ = [
    "Compiled",
    "Resolved",
    "check_app_names",
    "check_region",
    "compile_policy",
    "compute_iam_policy",
    "compute_plan",
    "compute_status",
    "failover_scope",
    "plan_failback",
    "plan_failover",
    "read_distributions",
    "read_live",
    "resolve_app",
    "scoped",
]
