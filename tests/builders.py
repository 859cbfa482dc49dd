"""In-memory builders of what the pure tests need: applications and policies validated as the
loader validates a file, compiled (routed) as `geoproxy.pipeline.compile_policy` compiles one,
and live state as Route 53 lists it. No YAML and no files: a test that is about loading a
policy belongs in `tests/unit/policy/`.

    app = application(source_regions=["us-east-1", "eu-west-1"], pops=pops("us-east-1", ...))
    shop = compiled(app)                      # a `Compiled`, as compile_policy returns it
    routes = routing(app)                     # its `AppRouting`
    live = live_app(*in_sync({"eu-west-1": "eu-west-1"}))

The ELB names are made up; their hosted zone ids are AWS's documented ALB zones per region.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from geoproxy.core.failover import Failover
from geoproxy.core.live import LiveApp
from geoproxy.core.records import LiveRecord
from geoproxy.core.routing import AppRouting, route_policy
from geoproxy.pipeline import Compiled
from geoproxy.pipeline.compiled import check_compiled
from geoproxy.policy.catalog import Catalog
from geoproxy.policy.latency import LatencyTable, shipped_table
from geoproxy.policy.loader import LoadedPolicy, SourceMap, validate_policy
from geoproxy.policy.models import DEFAULT_OWNER, Application, Policy

NAME = "origin.example.com"
ZONE = "example.com"
ZONE_ID = "ZHOSTED123"
AT = "2026-01-02T03:04:05Z"

USE1_ELB = "a-1.us-east-1.elb.amazonaws.com"
EUW1_ELB = "b-2.eu-west-1.elb.amazonaws.com"
EUC1_ELB = "c-3.eu-central-1.elb.amazonaws.com"
EUC2_ELB = "d-4.eu-central-2.elb.amazonaws.com"
APSE1_ELB = "c-3.ap-southeast-1.elb.amazonaws.com"
USE1_ZONE = "Z35SXDOTRQ7X7K"  # us-east-1 ALB
EUW1_ZONE = "Z32O12XQLNTSW2"  # eu-west-1 ALB
EUC1_ZONE = "Z215JYRZR1TBD5"  # eu-central-1 ALB

# PoP -> (ELB target, its ALB hosted zone id): the PoPs `pops()` gives by default.
TARGETS = {
    "us-east-1": (USE1_ELB, USE1_ZONE),
    "eu-west-1": (EUW1_ELB, EUW1_ZONE),
    "eu-central-1": (EUC1_ELB, EUC1_ZONE),
}
# Every PoP a builder knows a target for (the zones of the others are the catalog's).
ELBS = {
    **{pop: elb for pop, (elb, _) in TARGETS.items()},
    "eu-central-2": EUC2_ELB,
    "ap-southeast-1": APSE1_ELB,
}

# The compliance rule most tests fence with: EU sources stay on EU PoPs.
GDPR: dict[str, Any] = {"name": "gdpr", "sources": ["eu-*"], "allowed_pops": ["eu-*"]}

# What a policy built in memory calls its file in errors.
IN_MEMORY = "<in memory>"


@functools.cache
def catalog() -> Catalog:
    """The region catalog, loaded once."""
    return Catalog.load()


# --- policies -------------------------------------------------------------------------------


def pop(region: str, **settings: Any) -> dict[str, Any]:
    """A PoP in `region` at its made-up ELB, with `settings` (failover_to, health_check…)."""
    return {"target": ELBS[region], **settings}


def pops(*regions: str) -> dict[str, dict[str, Any]]:
    """PoPs at `regions` (default: us-east-1, eu-west-1 and eu-central-1)."""
    return {region: pop(region) for region in regions or TARGETS}


def application(**overrides: Any) -> Application:
    """The application `shop` at NAME in ZONE with the default `pops()`; `overrides` are
    its policy keys, as the YAML spells them. Validated by the schema, as the loader does."""
    data: dict[str, Any] = {"name": "shop", "zone": ZONE, "record": NAME, "pops": pops()}
    data.update(overrides)
    return Application.model_validate(data)


def example_application(**overrides: Any) -> Application:
    """The application of the example policy geoproxy ships (`routing.yaml`), built in
    memory; `tests/unit/policy/test_builders.py` checks it is what loading the file gives."""
    data: dict[str, Any] = {
        "name": "shop",
        "zone": ZONE,
        "record": "origin.shop.example.com",
        "record_types": ["A"],
        "source_regions": "all",
        "pops": {
            "us-east-1": {"target": "shop-use1-123.us-east-1.elb.amazonaws.com"},
            "eu-west-1": {"target": "shop-euw1-456.eu-west-1.elb.amazonaws.com"},
            "ap-southeast-1": {
                "target": "shop-apse1-789.ap-southeast-1.elb.amazonaws.com",
                "hosted_zone_id": "Z1LMS91P8CMLE5",
            },
        },
        "force": {"me-south-1": "us-east-1"},
        "evaluate_target_health": False,
        "compliance": [GDPR],
    }
    data.update(overrides)
    return Application.model_validate(data)


def policy(
    *apps: Application,
    owner: str = DEFAULT_OWNER,
    regions: Catalog | None = None,
    recovery: dict[str, Any] | None = None,
) -> Policy:
    """A policy of `apps` (default: `application()`), validated as the loader validates a
    file: the schema, then the checks that need the region catalog (`regions`, default the
    shipped one); raises PolicyError."""
    data: dict[str, Any] = {
        "version": 1,
        "owner": owner,
        "applications": list(apps) or [application()],
    }
    if recovery is not None:
        data["recovery"] = recovery
    return validate_policy(data, IN_MEMORY, SourceMap({}), regions or catalog())


def document(*apps: Application, owner: str | None = None) -> dict[str, Any]:
    """The policy of `apps` as its YAML file would hold it: the keys each was built with
    (what the JSON schema, which editors check files with, must accept)."""
    data: dict[str, Any] = {"version": 1}
    if owner is not None:
        data["owner"] = owner
    data["applications"] = [app.model_dump(mode="json", exclude_unset=True) for app in apps]
    return data


def loaded_policy(
    *apps: Application,
    owner: str = DEFAULT_OWNER,
    regions: Catalog | None = None,
    recovery: dict[str, Any] | None = None,
) -> LoadedPolicy:
    """`policy(*apps)` as `load_policy` returns a file's (with no lines to point errors at):
    what `route_policy` takes."""
    return LoadedPolicy(
        IN_MEMORY, policy(*apps, owner=owner, regions=regions, recovery=recovery), SourceMap({})
    )


def compiled(
    *apps: Application,
    owner: str = DEFAULT_OWNER,
    table: LatencyTable | None = None,
    recovery: dict[str, Any] | None = None,
) -> Compiled:
    """What `compile_policy` returns for a file holding these applications: routed against
    `table` (default: the shipped latency table), an edge fence refused as it refuses it."""
    loaded = loaded_policy(*apps, owner=owner, recovery=recovery)
    table = table or shipped_table()
    result = Compiled(loaded, catalog(), route_policy(loaded, catalog(), table), table)
    check_compiled(result)
    return result


def routing(app: Application | None = None, **options: Any) -> AppRouting:
    """The routes of `app` (default: `application()`), compiled alone; `options` go to
    `compiled`."""
    app = app or application()
    return compiled(app, **options).app_routing(app.name)


def failover(
    from_pop: str, to_pop: str, *, by: str = "", reason: str = "", override: str = "", at: str = AT
) -> Failover:
    return Failover(from_pop, to_pop, at, by, reason, override)


def overlay(*failovers: Failover) -> dict[str, Failover]:
    """Failovers keyed by the PoP each leaves, as the state record holds them."""
    return {f.from_pop: f for f in failovers}


# --- live state -----------------------------------------------------------------------------


def latency_record(
    source: str,
    pop: str | None = None,
    *,
    target: tuple[str, str] | None = None,
    name: str = NAME,
    record_type: str = "A",
    set_identifier: str | None = None,
    health: bool = False,
) -> dict[str, Any]:
    """geoproxy's latency record for `source` as Route 53 lists it: an alias to `pop`'s
    ELB, or to `target` (DNS name, hosted zone id); marked with the default owner unless
    `set_identifier` says otherwise."""
    if target is None:
        assert pop is not None, "a PoP or a target"
        target = TARGETS[pop]
    dns, zone = target
    return {
        "Name": name + ".",
        "Type": record_type,
        "SetIdentifier": (
            set_identifier if set_identifier is not None else f"geoproxy:{source}@{DEFAULT_OWNER}"
        ),
        "Region": source,
        "AliasTarget": {"HostedZoneId": zone, "DNSName": dns + ".", "EvaluateTargetHealth": health},
    }


def in_sync(routes: Mapping[str, str], **options: Any) -> list[dict[str, Any]]:
    """The latency records of `routes` (source -> PoP); `options` go to `latency_record`."""
    return [latency_record(source, pop, **options) for source, pop in routes.items()]


def live_app(
    *records: dict[str, Any] | LiveRecord, zone_id: str = ZONE_ID, zone_name: str = ZONE
) -> LiveApp:
    """What `live` reads for one application: these record sets in its zone."""
    return LiveApp(zone_id, zone_name, tuple(live_records(records)))


def live_records(records: Iterable[dict[str, Any] | LiveRecord]) -> list[LiveRecord]:
    """Record sets as Route 53 lists them, each kept as it is (not copied): an exact DELETE
    sends that very dict, and tests check it does."""
    return [record if isinstance(record, LiveRecord) else LiveRecord(record) for record in records]
