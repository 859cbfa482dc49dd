"""The JSON Schema of routing.yaml (`geoproxy schema`): valid draft 2020-12, accepts every
valid policy the tests use, refuses structurally broken ones as pydantic does, and leaves the
rules across fields to `validate`. Every key has a description and an example."""

from __future__ import annotations

import copy
import typing
from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ValidationError

from geoproxy.errors import PolicyError
from geoproxy.pipeline import compile_policy
from geoproxy.policy.accounts import Account
from geoproxy.policy.models import (
    Application,
    CloudFront,
    ComplianceRule,
    GeoRestriction,
    HealthCheck,
    OriginFailover,
    OriginSettings,
    Policy,
    Pop,
)
from geoproxy.policy.recovery import Arc, Recovery
from geoproxy.policy.schema import DRAFT_2020_12, policy_json_schema, policy_json_schema_text
from tests.builders import document, example_application
from tests.conftest import EXAMPLE_POLICY, REPO, many_apps_policy

SCHEMA = policy_json_schema()
VALIDATOR = Draft202012Validator(SCHEMA)
MODELINE = "# yaml-language-server: $schema=routing.schema.json\n"

# Every key of every model, set: the schema must accept all that the models accept.
FULL = """\
version: 1
owner: team-shop
accounts:
  dns: {role_arn: "arn:aws:iam::111111111111:role/geoproxy-dns", external_id: shop-dns}
  edge: {profile: prod-edge}
applications:
  - name: shop
    zone: example.com
    zone_id: Z0EXAMPLE12345
    account: dns
    record: origin.shop.example.com
    record_types: [A, AAAA]
    source_regions: [eu-west-1, us-east-1, me-south-1]
    nearest: distance
    evaluate_target_health: false
    auto_failover: true
    pops:
      us-east-1: {target: shop-use1-123.us-east-1.elb.amazonaws.com, failover_to: eu-west-1}
      eu-west-1:
        target: shop-euw1-456.eu-west-1.elb.amazonaws.com
        hosted_zone_id: Z32O12XQLNTSW2
        failover_to: eu-central-1
        health_check: {protocol: HTTPS, port: 443, path: /healthz, fqdn: health.example.com,
                       request_interval: 10, failure_threshold: 2}
      eu-central-1: {target: shop-euc1-1.eu-central-1.elb.amazonaws.com, failover_to: eu-west-1}
    force: {me-south-1: us-east-1}
    compliance:
      - {name: gdpr, sources: ["eu-*"], allowed_pops: ["eu-*"], viewer_countries: [EU, GB]}
    cloudfront:
      distribution_id: E2EXAMPLE123
      origin_id: geoproxy-shop
      origin: {protocol_policy: https-only, https_port: 443, http_port: 80, read_timeout: 30,
               keepalive_timeout: 5, ssl_protocols: [TLSv1.2], connection_attempts: 3,
               connection_timeout: 10, timeout_quota_raised: false}
      aliases: [shop.example.com]
      geo_restriction: {type: whitelist, countries: [DE, FR, 'NO']}
      origin_failover: {secondary_pop: eu-central-1, status_codes: [500, 502, 503, 504]}
      host_header: origin
      origin_shield: allow
  - name: api
    zone: example.org
    zone_id: Z0EXAMPLE67890
    account: dns
    record: origin.api.example.org
    pops:
      us-east-1: {target: api-use1-1.us-east-1.elb.amazonaws.com, failover_to: eu-west-1}
      eu-west-1: {target: api-euw1-1.eu-west-1.elb.amazonaws.com, failover_to: us-east-1}
    cloudfront: {account: edge, distribution_id: E3EXAMPLE456}
recovery:
  switches: arc
  arc:
    account: dns
    cluster_arn: arn:aws:route53-recovery-control::111122223333:cluster/0123abcd-4567
    control_panel: geoproxy-prod
    endpoints: {us-west-2: "https://abcd.route53-recovery-cluster.us-west-2.amazonaws.com/v1"}
  accelerated_recovery: true
"""


def _valid_texts() -> dict[str, str]:
    """The policy files of the tests, as text."""
    from tests.e2e import conftest as e2e
    from tests.e2e.test_auto_failover import PLAIN_POLICY
    from tests.e2e.test_latency import DISTANCE
    from tests.e2e.test_runbook import POLICY as RUNBOOK
    from tests.e2e.test_saved_plans import TOKYO_POLICY
    from tests.unit.policy import test_policy, test_policy_cloudfront, test_policy_hostile

    return {
        "example": EXAMPLE_POLICY,
        "init starter": files("geoproxy").joinpath("examples/routing.yaml").read_text("utf-8"),
        "full": FULL,
        "dr": e2e.DR_POLICY,
        "auto": e2e.AUTO_POLICY,
        "checked": e2e.CHECKED_POLICY,
        "two apps": e2e.TWO_APPS,
        "plain auto": PLAIN_POLICY,
        "distance": DISTANCE,
        "runbook": RUNBOOK,
        "tokyo": TOKYO_POLICY,
        "e2e cloudfront": e2e.cloudfront_policy(
            "E2EXAMPLE123", "      origin_failover: {secondary_pop: eu-west-1}\n"
        ),
        "many apps": many_apps_policy(3, ("example.com", "example.org")),
        "unit valid": test_policy.VALID,
        "hostile valid": test_policy_hostile.VALID,
        "unit cloudfront": test_policy_cloudfront.BASE + test_policy_cloudfront.SECOND_APP,
    }


def _built_policies() -> dict[str, dict[str, Any]]:
    """The policies the core tests build in memory, as their files would hold them."""
    from tests.unit.core import test_cloudfront, test_diff, test_failover, test_iam, test_state
    from tests.unit.core.edge import test_fence, test_plan
    from tests.unit.core.test_latency import shop as latency_shop

    return {
        "core cloudfront": document(
            test_cloudfront.shop(test_cloudfront.WITH_FAILOVER, ["A", "AAAA"])
        ),
        "core diff": document(test_diff.SHOP),
        "core state": document(test_state.SHOP),
        "core failover": document(test_failover.SHOP),
        "core latency": document(latency_shop()),
        "core edge fence": document(test_fence.shop()),
        "core edge plan": document(test_plan.FENCED),
        "built example": document(example_application()),
        "iam cloudfront": document(test_iam.FRONTED),
        "iam fenced": document(test_iam.FENCED),
    }


TEXTS = _valid_texts()
VALID = {**{name: yaml.safe_load(text) for name, text in TEXTS.items()}, **_built_policies()}


def errors(data: Any) -> list[str]:
    return [
        f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
        for error in VALIDATOR.iter_errors(data)
    ]


def test_the_schema_is_valid_draft_2020_12() -> None:
    assert SCHEMA["$schema"] == DRAFT_2020_12
    Draft202012Validator.check_schema(SCHEMA)
    assert "geoproxy schema" in SCHEMA["$comment"] and "geoproxy validate" in SCHEMA["$comment"]
    assert SCHEMA["title"] and "validate" in SCHEMA["description"]


def test_the_text_is_the_same_every_time() -> None:
    assert policy_json_schema_text() == policy_json_schema_text()
    assert policy_json_schema_text().endswith("}\n")


def test_the_committed_schema_is_this_one() -> None:
    # The CLI's own output is compared in tests/e2e/test_schema.py.
    committed = (REPO / "routing.schema.json").read_text(encoding="utf-8")
    assert committed == policy_json_schema_text(), "run `geoproxy schema > routing.schema.json`"


@pytest.mark.parametrize("name", sorted(VALID))
def test_every_valid_policy_of_the_tests_is_valid_for_the_schema(name: str) -> None:
    data = VALID[name]
    Policy.model_validate(data)  # the models accept it ...
    assert errors(data) == []  # ... and so does the schema


def test_the_example_and_the_starter_point_at_the_schema() -> None:
    assert TEXTS["example"].startswith(MODELINE)
    assert TEXTS["init starter"] == TEXTS["example"]


def test_the_full_policy_is_valid_for_validate_and_sets_every_key(tmp_path: Path) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(FULL, encoding="utf-8")
    compile_policy(path, latency_table=None)  # `geoproxy validate` accepts it
    instances = list(_instances(yaml.safe_load(FULL)))
    assert {model for model, _, _ in instances} == set(MODELS)
    unset = [
        f"{model.__name__}.{key}"
        for model in MODELS
        for key in model.model_fields
        if not any(key in data for of, _, data in instances if of is model)
    ]
    assert unset == ["Policy.latency_table"]  # a file that must exist; the examples cover it


def _instances(
    data: dict[str, Any], model: type[BaseModel] = Policy, where: str = "(top)"
) -> Iterator[tuple[type[BaseModel], str, dict[str, Any]]]:
    """Each model instance in `data`, with the model and where it is."""
    yield model, where, data
    for key, field in model.model_fields.items():
        if key in data:
            for sub, value in _held(field.annotation, data[key]):
                yield from _instances(value, sub, f"{where}.{key}")


def _held(annotation: Any, value: Any) -> list[tuple[type[BaseModel], Any]]:
    """The model instances a field's value holds: itself, or the items of a list or map."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, value)] if isinstance(value, dict) else []
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list and isinstance(value, list):
        return [pair for item in value for pair in _held(args[0], item)]
    if origin is dict and isinstance(value, dict):
        return [pair for item in value.values() for pair in _held(args[1], item)]
    return [pair for arg in args for pair in _held(arg, value)]  # X | None, and the like


# --- structurally broken policies: the schema refuses them, as the models do --------------

Edit = Callable[[dict[str, Any]], None]


def _app(data: dict[str, Any]) -> dict[str, Any]:
    return data["applications"][0]  # type: ignore[no-any-return]


def _cloudfront(data: dict[str, Any]) -> dict[str, Any]:
    return _app(data)["cloudfront"]  # type: ignore[no-any-return]


BROKEN: dict[str, Edit] = {
    # wrong types
    "version is a string": lambda d: d.update(version="one"),
    "applications is a map": lambda d: d.update(applications={"shop": _app(d)}),
    "pops is a list": lambda d: _app(d).update(pops=[_app(d)["pops"]["us-east-1"]]),
    "record_types is one string": lambda d: _app(d).update(record_types="A"),
    "auto_failover is a word": lambda d: _app(d).update(auto_failover="maybe"),
    "failure_threshold is a word": lambda d: _app(d)["pops"]["eu-west-1"]["health_check"].update(
        failure_threshold="three"
    ),
    "a bare NO in countries": lambda d: _cloudfront(d)["geo_restriction"].update(
        countries=["DE", False]
    ),
    # unknown keys, at the top and nested
    "unknown top-level key": lambda d: d.update(versoin=1),
    "unknown application key": lambda d: _app(d).update(recrod="x.example.com"),
    "unknown PoP key": lambda d: _app(d)["pops"]["us-east-1"].update(helth_check={}),
    "unknown health check key": lambda d: _app(d)["pops"]["eu-west-1"]["health_check"].update(
        timeout=5
    ),
    "unknown origin key": lambda d: _cloudfront(d)["origin"].update(read_timout=30),
    "unknown compliance key": lambda d: _app(d)["compliance"][0].update(allowed="eu-*"),
    # missing required keys
    "no applications": lambda d: d.pop("applications"),
    "no version": lambda d: d.pop("version"),
    "application without record": lambda d: _app(d).pop("record"),
    "PoP without target": lambda d: _app(d)["pops"]["us-east-1"].pop("target"),
    "rule without allowed_pops": lambda d: _app(d)["compliance"][0].pop("allowed_pops"),
    "cloudfront without distribution_id": lambda d: _cloudfront(d).pop("distribution_id"),
    # values outside their enum, const or range
    "version 2": lambda d: d.update(version=2),
    "record type CNAME": lambda d: _app(d).update(record_types=["A", "CNAME"]),
    "nearest fastest": lambda d: _app(d).update(nearest="fastest"),
    "protocol HTTP2": lambda d: _app(d)["pops"]["eu-west-1"]["health_check"].update(
        protocol="HTTP2"
    ),
    "request_interval 20": lambda d: _app(d)["pops"]["eu-west-1"]["health_check"].update(
        request_interval=20
    ),
    "geo type allowlist": lambda d: _cloudfront(d)["geo_restriction"].update(type="allowlist"),
    "status code 501": lambda d: _cloudfront(d)["origin_failover"].update(status_codes=[501]),
    "protocol policy https": lambda d: _cloudfront(d)["origin"].update(protocol_policy="https"),
    "port 0": lambda d: _app(d)["pops"]["eu-west-1"]["health_check"].update(port=0),
    "four connection attempts": lambda d: _cloudfront(d)["origin"].update(connection_attempts=4),
    "no PoPs": lambda d: _app(d).update(pops={}),
    "no record types": lambda d: _app(d).update(record_types=[]),
    "upper-case owner": lambda d: d.update(owner="Team"),
    "name starting with -": lambda d: _app(d).update(name="-shop"),
    "lower-case distribution id": lambda d: _cloudfront(d).update(distribution_id="e2example"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_structurally_broken_policy_is_refused_by_the_schema_and_the_models(case: str) -> None:
    data = yaml.safe_load(FULL)
    assert errors(data) == []
    BROKEN[case](data)
    assert errors(data), f"the schema accepts: {case}"
    with pytest.raises(ValidationError):
        Policy.model_validate(data)


# --- what the schema leaves to `validate` ---------------------------------------------------

ACROSS_FIELDS = {
    "compliance": (
        EXAMPLE_POLICY.replace(
            "      me-south-1: us-east-1\n",
            "      me-south-1: us-east-1\n      eu-west-3: us-east-1\n",
        ),
        "compliance rule 'gdpr'",
    ),
    "unknown region": (
        EXAMPLE_POLICY.replace("me-south-1: us-east-1", "me-south-9: us-east-1"),
        "is not a Route 53 latency region",
    ),
    "force to no PoP": (
        EXAMPLE_POLICY.replace("me-south-1: us-east-1", "me-south-1: sa-east-1"),
        "which is not one of this application's pops",
    ),
}


@pytest.mark.parametrize("case", sorted(ACROSS_FIELDS))
def test_rules_across_fields_stay_with_validate(tmp_path: Path, case: str) -> None:
    text, message = ACROSS_FIELDS[case]
    assert errors(yaml.safe_load(text)) == []  # the schema accepts it ...
    path = tmp_path / "routing.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as refused:  # ... `geoproxy validate` does not
        compile_policy(path, latency_table=None)
    assert message in str(refused.value)


# --- descriptions, examples and defaults ----------------------------------------------------


def _properties() -> Iterator[tuple[str, dict[str, Any]]]:
    definitions = {"Policy": SCHEMA, **SCHEMA["$defs"]}
    for name, definition in definitions.items():
        for key, prop in definition.get("properties", {}).items():
            yield f"{name}.{key}", prop


def _sub_schema(prop: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": DRAFT_2020_12, "$defs": SCHEMA["$defs"], **prop}


def test_every_model_and_key_has_a_description_and_an_example() -> None:
    assert {*SCHEMA["$defs"]} == {model.__name__ for model in MODELS} - {"Policy"}
    undocumented = [
        name
        for name, definition in SCHEMA["$defs"].items()
        if not definition.get("description", "").strip()
    ]
    assert undocumented == []
    missing = [
        (where, what)
        for where, prop in _properties()
        for what in ("description", "examples")
        if not prop.get(what)
    ]
    assert missing == []


def test_every_example_and_default_is_valid_for_its_key() -> None:
    bad = []
    for where, prop in _properties():
        validator = Draft202012Validator(_sub_schema(prop))
        for value in [*prop["examples"], *([prop["default"]] if "default" in prop else [])]:
            bad += [
                f"{where}: {value!r}: {error.message}" for error in validator.iter_errors(value)
            ]
    assert bad == []


# A valid instance of each model: each field's examples are tried in it, one at a time.
APP = {
    "name": "shop",
    "zone": "example.com",
    "record": "origin.shop.example.com",
    "pops": {"us-east-1": {"target": "shop-use1-123.us-east-1.elb.amazonaws.com"}},
}
ARN = "arn:aws:route53-recovery-control::111122223333:cluster/0123abcd"
MODELS: dict[type[BaseModel], dict[str, Any]] = {
    Policy: {"version": 1, "applications": [APP]},
    Application: APP,
    Pop: {"target": "shop-use1-123.us-east-1.elb.amazonaws.com"},
    HealthCheck: {},
    ComplianceRule: {"name": "gdpr", "sources": ["eu-*"], "allowed_pops": ["eu-*"]},
    CloudFront: {"distribution_id": "E2EXAMPLE123"},
    OriginSettings: {},
    GeoRestriction: {"type": "blacklist", "countries": ["KP"]},
    OriginFailover: {"secondary_pop": "eu-west-1"},
    Recovery: {"switches": "arc", "arc": {"cluster_arn": ARN, "control_panel": "p"}},
    Arc: {"cluster_arn": ARN, "control_panel": "p"},
    Account: {"role_arn": "arn:aws:iam::111111111111:role/geoproxy-dns"},
}
# Keys that exclude others of their model: their examples are tried without those.
EXCLUSIVE = {(Account, "profile"): ("role_arn",)}


@pytest.mark.parametrize("model", list(MODELS), ids=lambda model: model.__name__)
def test_the_models_accept_every_example(model: type[BaseModel]) -> None:
    for key, field in model.model_fields.items():
        assert field.examples, f"{model.__name__}.{key} has no example"
        base = {
            k: v
            for k, v in copy.deepcopy(MODELS[model]).items()
            if k not in EXCLUSIVE.get((model, key), ())
        }
        for example in field.examples:
            model.model_validate({**base, key: example})
