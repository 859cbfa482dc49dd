"""The generated policy reference (geoproxy.policy.reference): every key of every model, under
its YAML path, in a stable text; it refuses a key without a description."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import typing
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from geoproxy.policy import reference
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
from geoproxy.policy.reference import flow, policy_reference_markdown
from geoproxy.policy.schema import model_schema
from tests.conftest import REPO

# In the order a reader meets them: (model, section title, YAML path).
EXPECTED = [
    (Policy, "Top level", ""),
    (Account, "Account", "accounts.<account name>"),
    (Application, "Application", "applications[]"),
    (Pop, "PoP", "applications[].pops.<region>"),
    (HealthCheck, "Health check", "applications[].pops.<region>.health_check"),
    (ComplianceRule, "Compliance rule", "applications[].compliance[]"),
    (CloudFront, "CloudFront", "applications[].cloudfront"),
    (OriginSettings, "origin", "applications[].cloudfront.origin"),
    (GeoRestriction, "geo_restriction", "applications[].cloudfront.geo_restriction"),
    (OriginFailover, "origin_failover", "applications[].cloudfront.origin_failover"),
    (Recovery, "Recovery", "recovery"),
    (Arc, "ARC", "recovery.arc"),
]
TEXT = policy_reference_markdown()


def _models_in(annotation: Any) -> set[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {annotation}
    return {model for arg in typing.get_args(annotation) for model in _models_in(arg)}


def reachable(model: type[BaseModel] = Policy) -> set[type[BaseModel]]:
    found = {model}
    for field in model.model_fields.values():
        for sub in _models_in(field.annotation) - found:
            found |= reachable(sub)
    return found


def section(title: str) -> str:
    """The text of one `## title` section, up to the next."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", TEXT, re.M | re.S)
    assert match, f"no section {title!r}"
    return match.group(1)


def test_the_sections_are_every_model_reachable_from_the_top_in_reading_order() -> None:
    assert reachable() == {model for model, _, _ in EXPECTED}
    assert re.findall(r"^## (.+)$", TEXT, re.M) == [title for _, title, _ in EXPECTED]


@pytest.mark.parametrize(
    ("model", "title", "path"), EXPECTED, ids=[title for _, title, _ in EXPECTED]
)
def test_every_key_is_in_its_section_under_its_yaml_path(
    model: type[BaseModel], title: str, path: str
) -> None:
    text = section(title)
    assert text.lstrip().startswith(f"Path: `{path}`\n" if path else "Path: the top of the file")
    assert model.__doc__ and " ".join(model.__doc__.split()) in text
    rows = {
        match.group(1): match.group(0) for match in re.finditer(r"^\| `(\w+)` \|.*$", text, re.M)
    }
    assert list(rows) == list(model.model_fields)
    for key, field in model.model_fields.items():
        assert ("| **required** |" in rows[key]) == field.is_required(), rows[key]
        assert field.description and field.description in rows[key]


def test_every_field_has_a_description_and_an_example() -> None:
    missing = [
        f"{model.__name__}.{key}: {what}"
        for model in reachable()
        for key, field in model.model_fields.items()
        for what, value in (("description", field.description), ("examples", field.examples))
        if not value
    ]
    assert missing == []
    assert [model.__name__ for model in reachable() if not model.__doc__] == []


def test_a_key_without_a_description_stops_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = model_schema()
    del schema["$defs"]["HealthCheck"]["properties"]["port"]["description"]
    monkeypatch.setattr(reference, "model_schema", lambda: schema)
    with pytest.raises(ValueError, match=r"applications\[\]\.pops\.<region>\.health_check\.port"):
        policy_reference_markdown()


def test_the_text_is_stable_across_runs_and_processes() -> None:
    assert policy_reference_markdown() == TEXT
    printed = subprocess.run(
        [sys.executable, "-m", "geoproxy.policy.reference"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert printed.stdout == TEXT


def test_links_go_to_sections_and_the_page_is_short() -> None:
    anchors = {s.anchor for s in reference.sections()}
    assert anchors == {
        "top-level",
        "account",
        "application",
        "pop",
        "health-check",
        "compliance-rule",
        "cloudfront",
        "origin",
        "geo_restriction",
        "origin_failover",
        "recovery",
        "arc",
    }
    assert set(re.findall(r"\]\(#([\w-]+)\)", TEXT)) <= anchors
    assert len(TEXT.splitlines()) < 300


def test_types_and_defaults_read_as_people_write_them() -> None:
    rows = {
        match.group(1): match.group(0)
        for match in re.finditer(r"^\| `(\w+)` \|.*$", section("Health check"), re.M)
    }
    assert rows["protocol"].startswith("| `protocol` | one of: `HTTPS`, `HTTP`, `TCP` | `HTTPS` |")
    assert rows["port"].startswith("| `port` | integer 1–65535 | unset |")
    app = section("Application")
    assert "| `pops` | map of region → [PoP](#pop) | **required** | at least 1 entry |" in app
    assert "| `record_types` | list of `A`, `AAAA` | `[A]` | at least 1 item |" in app
    assert "| `source_regions` | `all` or list of regions | `all` |" in app


def test_the_kinds_name_real_keys() -> None:
    keys = {key for model in reachable() for key in model.model_fields}
    assert set(reference.KINDS) | set(reference.MAP_KEYS) <= keys


def test_examples_are_written_as_yaml_reads_them() -> None:
    schema = model_schema()
    for definition in [schema, *schema["$defs"].values()]:
        for prop in definition["properties"].values():
            for example in prop["examples"]:
                assert yaml.safe_load(flow(example)) == example, flow(example)
    assert flow(["eu-*"]) == '["eu-*"]' and flow("NO") == '"NO"' and flow("/healthz") == "/healthz"
