"""The policy reference in Markdown, generated from the models, so it cannot drift from them.

`policy_reference_markdown()` is pure (no file, no network) and deterministic: the docs
site's MkDocs hook inserts it into a page; `python -m geoproxy.policy.reference` prints it.
It is built from the same JSON Schema `geoproxy schema` prints (descriptions, examples,
defaults and constraints all come from `Field(...)` in `geoproxy.policy.models`).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from typing import Any

import yaml

from geoproxy.policy.schema import model_schema

# Section titles where the model's key name is not what a reader calls it.
TITLES = {
    "Policy": "Top level",
    "Application": "Application",
    "Pop": "PoP",
    "HealthCheck": "Health check",
    "ComplianceRule": "Compliance rule",
    "CloudFront": "CloudFront",
    "Recovery": "Recovery",
    "Arc": "ARC",
    "Account": "Account",
}
# What the keys of a map are, by the map's key in the policy.
MAP_KEYS = {
    "pops": "region",
    "force": "source region",
    "endpoints": "region",
    "accounts": "account name",
}
MAP_VALUES = {"force": "PoP region", "endpoints": "URL"}
# What a string key holds, for people (the schema only says "string"); for a list, its items.
KINDS = {
    "zone": "DNS name",
    "record": "DNS name",
    "target": "DNS name",
    "fqdn": "DNS name",
    "aliases": "DNS name",
    "zone_id": "hosted zone id",
    "hosted_zone_id": "hosted zone id",
    "failover_to": "PoP region",
    "secondary_pop": "PoP region",
    "source_regions": "region",
    "sources": "glob",
    "allowed_pops": "glob",
    "countries": "country code",
    "latency_table": "file path",
    "cluster_arn": "ARN",
    "role_arn": "ARN",
    "account": "account name",
}
MAX_INLINE_EXAMPLE = 80


@dataclass(frozen=True)
class Section:
    title: str
    yaml_path: str  # "" for the top level
    definition: str  # the model's name in the schema's $defs
    schema: dict[str, Any]

    @property
    def anchor(self) -> str:
        """The id MkDocs (Python-Markdown's toc) gives the heading."""
        return re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", self.title.lower()).strip())


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[1] if isinstance(ref, str) else None


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`X | None` is `anyOf: [X, null]`: for people, the key is simply optional."""
    options = [option for option in schema.get("anyOf", []) if option.get("type") != "null"]
    if len(options) == 1 and len(schema["anyOf"]) == 2:
        return {**{k: v for k, v in schema.items() if k != "anyOf"}, **options[0]}
    return schema


def _model_of(schema: dict[str, Any]) -> tuple[str, str] | None:
    """(definition, path suffix) when a key holds a model, a list of them or a map of them."""
    schema = _without_null(schema)
    if (name := _ref_name(schema)) is not None:
        return name, ""
    if schema.get("type") == "array" and (name := _ref_name(schema.get("items", {}))):
        return name, "[]"
    values = schema.get("additionalProperties")
    patterns = list((schema.get("patternProperties") or {}).values())  # keys with a pattern
    if values is None and len(patterns) == 1:
        values = patterns[0]
    if schema.get("type") == "object" and isinstance(values, dict) and (name := _ref_name(values)):
        return name, ".<{}>"
    return None


def sections() -> list[Section]:
    """Every model reachable from the top level, in the order a reader meets them."""
    root = model_schema()
    definitions = {**root.get("$defs", {}), "Policy": root}
    found: list[Section] = []

    def walk(definition: str, title: str, path: str) -> None:
        found.append(Section(title, path, definition, definitions[definition]))
        for key, prop in definitions[definition].get("properties", {}).items():
            model = _model_of(prop)
            if model is None or any(s.definition == model[0] for s in found):
                continue
            suffix = model[1].format(MAP_KEYS.get(key, "key"))
            walk(model[0], TITLES.get(model[0], key), f"{path}.{key}{suffix}".lstrip("."))

    walk("Policy", TITLES["Policy"], "")
    return found


def flow(value: Any) -> str:
    """A value as YAML flow text, quoted only where YAML would read it otherwise."""
    if isinstance(value, str):
        return value if _plain(value) else json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(flow(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{flow(key)}: {flow(item)}" for key, item in value.items()) + "}"
    return json.dumps(value)  # numbers, true, false, null


def _plain(text: str) -> bool:
    if text != text.strip() or not text or re.search(r"[\[\]{},#&*!|>'\"%@`]|: ", text):
        return False
    try:
        return bool(yaml.safe_load(text) == text)
    except yaml.YAMLError:
        return False


def _code(value: Any) -> str:
    return f"`{flow(value)}`"


def _link(definition: str, by_definition: dict[str, Section]) -> str:
    section = by_definition[definition]
    return f"[{section.title}](#{section.anchor})"


def _type(key: str, schema: dict[str, Any], by_definition: dict[str, Section]) -> str:
    schema = _without_null(schema)
    if (name := _ref_name(schema)) is not None:
        return _link(name, by_definition)
    if "anyOf" in schema:
        return " or ".join(_type(key, option, by_definition) for option in schema["anyOf"])
    if "const" in schema:
        return _code(schema["const"])
    if "enum" in schema:
        return "one of: " + ", ".join(_code(value) for value in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items", {})
        if "enum" in items:
            return "list of " + ", ".join(_code(value) for value in items["enum"])
        if key in KINDS and items.get("type") == "string":
            return f"list of {KINDS[key]}s"
        return "list of " + _type(key, items, by_definition)
    if kind == "object":
        values = schema.get("additionalProperties", {})
        value = MAP_VALUES.get(key) or _type(key, values, by_definition)
        return f"map of {MAP_KEYS.get(key, 'string')} → {value}"
    if kind == "integer" and ("minimum" in schema or "maximum" in schema):
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            return f"integer {low}–{high}"
        return f"integer ≥ {low}" if low is not None else f"integer ≤ {high}"
    if kind == "string" and key in KINDS:
        return KINDS[key]
    return str(kind or "any")


def _constraints(schema: dict[str, Any]) -> str:
    schema = _without_null(schema)
    found: list[str] = []
    low, high = schema.get("minLength"), schema.get("maxLength")
    if low is not None and high is not None:
        found.append(f"{low}–{high} characters")
    elif low is not None:
        found.append(f"at least {low} character" + ("s" if low != 1 else ""))
    if "pattern" in schema:
        found.append(f"matches `{schema['pattern']}`")
    if "minItems" in schema:
        count = schema["minItems"]
        found.append(f"at least {count} item" + ("s" if count != 1 else ""))
    if "minProperties" in schema:
        count = schema["minProperties"]
        found.append(f"at least {count} entr" + ("ies" if count != 1 else "y"))
    return "; ".join(found)


def _default(key: str, schema: dict[str, Any], required: bool) -> str:
    if required:
        return "**required**"
    if "default" not in schema:
        return ""
    if schema["default"] is None:
        return "unset"
    if _model_of(schema) is not None and isinstance(schema["default"], dict):
        return "its keys' defaults"
    return _code(schema["default"])


def _description(where: str, schema: dict[str, Any]) -> str:
    description: str = schema.get("description", "").strip()
    if not description:
        raise ValueError(f"{where} has no description: give it Field(description=...)")
    shown = [flow(example) for example in schema.get("examples", [])]
    shown = [text for text in shown if len(text) <= MAX_INLINE_EXAMPLE]
    if shown:
        label = "Example" if len(shown) == 1 else "Examples"
        description += f" {label}: " + ", ".join(f"`{text}`" for text in shown) + "."
    return description


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def policy_reference_markdown() -> str:
    """The policy reference: one `##` section per model, each headed by its YAML path, the
    model's description, and a table of its keys. The same text on every call."""
    found = sections()
    by_definition = {section.definition: section for section in found}
    lines = [
        "<!-- Generated by geoproxy.policy.reference from geoproxy/policy/models.py; "
        "do not edit. -->",
        "",
    ]
    for section in found:
        path = f"`{section.yaml_path}`" if section.yaml_path else "the top of the file"
        lines += [
            f"## {section.title}",
            "",
            f"Path: {path}",
            "",
            section.schema.get("description", "").strip(),
            "",
            "| Key | Type | Default | Constraints | Description and example |",
            "| --- | --- | --- | --- | --- |",
        ]
        required = set(section.schema.get("required", []))
        for key, prop in section.schema.get("properties", {}).items():
            where = f"{section.yaml_path}.{key}".lstrip(".")
            cells = [
                f"`{key}`",
                _type(key, prop, by_definition),
                _default(key, prop, key in required),
                _constraints(prop),
                _description(where, prop),
            ]
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(policy_reference_markdown())
