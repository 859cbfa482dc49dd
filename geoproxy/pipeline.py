"""The pipeline the commands share: policy -> routing -> desired -> live -> plan.

Each step is its own module; this one only strings them together so the CLI holds no logic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from geoproxy.aws import AwsSettings
from geoproxy.catalog import Catalog
from geoproxy.desired import DesiredApp, desired_app
from geoproxy.plan import Plan, calculate_app
from geoproxy.policy import LoadedPolicy, load_policy
from geoproxy.routing import RoutingResult, route_policy


@dataclass(frozen=True)
class Compiled:
    """A validated policy with its routes and desired records: everything known offline."""

    loaded: LoadedPolicy
    catalog: Catalog
    routing: RoutingResult
    desired: tuple[DesiredApp, ...]

    @property
    def warnings(self) -> list[str]:
        return self.routing.warnings


def compile_policy(path: str | Path, catalog: Catalog | None = None) -> Compiled:
    catalog = catalog or Catalog.load()
    loaded = load_policy(path, catalog)
    routing = route_policy(loaded, catalog)
    desired = tuple(desired_app(app_routing, catalog) for app_routing in routing.applications)
    return Compiled(loaded, catalog, routing, desired)


def compute_plan(compiled: Compiled, aws: AwsSettings, *, adopt: bool = False) -> Plan:
    from geoproxy.live import Route53Reader  # boto3 is imported only on paths that use AWS

    reader = Route53Reader(aws)
    apps = [calculate_app(desired, reader.read_app(desired), adopt=adopt)
            for desired in compiled.desired]
    return Plan(apps, warnings=list(compiled.warnings))
