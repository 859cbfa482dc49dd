"""Loading routing.yaml: YAML with a source map, then the schema, then the checks.

Loading is strict: unknown keys, duplicate keys and unknown regions are errors, and every
error carries the YAML path and line it is about, so a user can fix the file in one pass.
"""

from __future__ import annotations

import difflib
import hashlib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, cast

import yaml
from pydantic import BaseModel, ValidationError

from geoproxy.errors import Issue, PolicyError
from geoproxy.policy.catalog import Catalog
from geoproxy.policy.checks import check_policy
from geoproxy.policy.files import ReadRefused, read_bounded
from geoproxy.policy.models import Policy, YamlPath


@dataclass(frozen=True)
class SourceMap:
    """Where each YAML path starts in the file, so errors can name a line."""

    lines: dict[YamlPath, int]

    def line_of(self, path: YamlPath) -> int | None:
        # An error about a missing key points at the nearest enclosing node that exists.
        for length in range(len(path), -1, -1):
            if path[:length] in self.lines:
                return self.lines[path[:length]]
        return None

    def locate(self, issues: list[Issue]) -> list[Issue]:
        return [Issue(issue.path, issue.message, self.line_of(issue.path)) for issue in issues]


@dataclass(frozen=True)
class LoadedPolicy:
    file: str
    policy: Policy
    source: SourceMap
    # Of the bytes read (a saved plan records it): the policy may have come from a FIFO or
    # stdin, which cannot be read twice.
    sha256: str = ""

    def error(self, issues: list[Issue]) -> PolicyError:
        """A PolicyError about this file, with lines filled in (used by later pipeline steps)."""
        return PolicyError(self.file, self.source.locate(issues))


# Bounds for hostile input: a real policy of 300 applications is about 10,000 YAML nodes
# and 8 levels deep. Aliases are expanded when the YAML becomes Python objects, which is
# where nine nested levels of aliases ("billion laughs") would otherwise take minutes and
# gigabytes; the budget stops that after a fraction of a second.
MAX_POLICY_BYTES = 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64
# Documented caps (docs/policy/index.md), checked while the YAML becomes Python objects: a
# list over its cap is refused before any of its items is built or validated, so 150,000
# empty applications cost a fraction of a second and one error line, not a minute, 1.4 GB
# and 600,000 lines. The schema (models.py) states the same caps.
MAX_APPLICATIONS = 1_000
MAX_POPS = 40
MAX_COMPLIANCE_RULES = 100


def _cap_problem(path: YamlPath, count: int) -> str | None:
    """Why a list or mapping of `count` entries at `path` is over its documented cap."""
    if path == ("applications",) and count > MAX_APPLICATIONS:
        return (
            f"more than {MAX_APPLICATIONS:,} applications, the most a policy may have "
            "(split it into several policies with different owners)"
        )
    if len(path) == 3 and path[0] == "applications" and isinstance(path[1], int):
        if path[2] == "pops" and count > MAX_POPS:
            return f"more than {MAX_POPS} PoPs, the most an application may have"
        if path[2] == "compliance" and count > MAX_COMPLIANCE_RULES:
            return (
                f"more than {MAX_COMPLIANCE_RULES} compliance rules, the most an "
                "application may have"
            )
    return None


class _TooBig(Exception):
    def __init__(self, message: str, line: int | None, path: YamlPath = ()) -> None:
        self.issue = Issue(path, message, line)


# libyaml's parser when PyYAML was built with it (ten times faster on a 300-application
# policy; the same nodes and line marks), else PyYAML's own.
_COMPOSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class _Budget:
    nodes: int = 0
    # One constructor for the whole document: making one per scalar cost more than parsing.
    constructor: Any = field(default_factory=lambda: yaml.SafeLoader(""))


def _to_python(node: yaml.Node, path: YamlPath, lines: dict[YamlPath, int], budget: _Budget) -> Any:
    budget.nodes += 1
    line = node.start_mark.line + 1
    if budget.nodes > MAX_NODES:
        raise _TooBig(
            f"more than {MAX_NODES:,} values once aliases are expanded; refusing "
            "to load it (a policy needs far fewer)",
            line,
        )
    if len(path) > MAX_DEPTH:
        raise _TooBig(f"nested more than {MAX_DEPTH} levels deep", line)
    lines[path] = line
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and (
        problem := _cap_problem(path, len(node.value))
    ):
        raise _BadNode(Issue(path, problem, line))
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _to_python(key_node, (*path, "<key>"), {}, budget)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise _BadNode(
                    Issue(
                        path,
                        f"a key must be a plain value, not a {type(key).__name__}",
                        key_node.start_mark.line + 1,
                    )
                )
            if key in result:
                raise _DuplicateKey(path, key, key_node.start_mark.line + 1)
            # YAML allows a float or null key too: the path keeps it as it is (a YamlPath is
            # typed for the str and int keys a valid policy has).
            entry = cast(YamlPath, (*path, key))
            result[key] = _to_python(value_node, entry, lines, budget)
            # An error about an entry is about its key's line, even when the value is a block.
            lines[entry] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _to_python(item, (*path, index), lines, budget) for index, item in enumerate(node.value)
        ]
    try:
        return budget.constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as error:
        problem = getattr(error, "problem", None) or str(error)
        raise _BadNode(Issue(path, f"cannot read this value: {problem}", line)) from None


def _check_expanded_size(root: yaml.Node) -> None:
    """Count the values the document expands to, in time linear in its size: an alias shares
    its node, so each node's size is counted once and reused (a billion laughs is refused
    here in milliseconds, before anything is built)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if depth > MAX_DEPTH:
            raise _TooBig(f"nested more than {MAX_DEPTH} levels deep", node.start_mark.line + 1)
        if key in open_nodes:
            raise _TooBig("an alias refers to a node that contains it", node.start_mark.line + 1)
        open_nodes.add(key)
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(item, depth + 1) for item in node.value)
        else:
            total = 1
        open_nodes.discard(key)
        if total > MAX_NODES:
            raise _TooBig(
                f"more than {MAX_NODES:,} values once aliases are expanded; "
                "refusing to load it (a policy needs far fewer)",
                node.start_mark.line + 1,
            )
        sizes[key] = total
        return total

    size(root, 0)


class _DuplicateKey(Exception):
    def __init__(self, path: YamlPath, key: object, line: int) -> None:
        self.issue = Issue((*path, str(key)), f"key {key!r} appears twice", line)


class _BadNode(Exception):
    def __init__(self, issue: Issue) -> None:
        self.issue = issue


@dataclass
class _Frame:
    is_map: bool
    path: YamlPath
    line: int | None
    count: int = 0
    key_next: bool = True
    key: str | int = "<key>"


_CAPPED_DEPTH = 3  # ("applications", i, "pops"): the deepest path with a cap


def _check_caps_while_parsing(text: str) -> None:
    """The documented caps, from the parser's event stream as it goes: composing 150,000
    applications into nodes alone takes a second, so an over-long list is refused at its
    (cap + 1)th entry, long before the document has been composed. A syntax error is left
    for the composer to report; a list reached through an alias is capped in _to_python."""
    stack: list[_Frame] = []
    try:
        for event in yaml.parse(text, Loader=_COMPOSER):
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                stack.pop()
                continue
            if not isinstance(
                event,
                (
                    yaml.MappingStartEvent,
                    yaml.SequenceStartEvent,
                    yaml.ScalarEvent,
                    yaml.AliasEvent,
                ),
            ):
                continue
            path: YamlPath = ()
            if stack:
                parent = stack[-1]
                if parent.is_map and parent.key_next:
                    parent.key_next = False
                    parent.key = (
                        str(event.value) if isinstance(event, yaml.ScalarEvent) else "<key>"
                    )
                    path = (*parent.path, "<key>")
                else:
                    parent.count += 1
                    if parent.is_map:
                        parent.key_next = True
                        path = (*parent.path, parent.key)
                    else:
                        path = (*parent.path, parent.count - 1)
                    if len(parent.path) <= _CAPPED_DEPTH and (
                        problem := _cap_problem(parent.path, parent.count)
                    ):
                        raise _TooBig(problem, parent.line, parent.path)
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                mark = event.start_mark
                stack.append(
                    _Frame(
                        isinstance(event, yaml.MappingStartEvent),
                        path,
                        mark.line + 1 if mark else None,
                    )
                )
    except yaml.YAMLError:
        return


def _compose(text: str) -> Any:
    """Parse fast; on an error, parse again with PyYAML's own parser, whose messages are
    the ones geoproxy documents, whichever parser this installation has."""
    try:
        return yaml.compose(text, Loader=_COMPOSER)
    except yaml.YAMLError:
        if _COMPOSER is yaml.SafeLoader:
            raise
        return yaml.compose(text, Loader=yaml.SafeLoader)


def parse_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    try:
        _check_caps_while_parsing(text)
    except _TooBig as too_big:
        raise PolicyError(file, [too_big.issue]) from None
    try:
        node = _compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise PolicyError(
            file, [Issue((), f"not valid YAML: {problem}", mark.line + 1 if mark else None)]
        ) from None
    except RecursionError:
        raise PolicyError(file, [Issue((), f"nested more than {MAX_DEPTH} levels deep")]) from None
    lines: dict[YamlPath, int] = {}
    if node is None:
        return None, SourceMap(lines)
    try:
        _check_expanded_size(node)
        return _to_python(node, (), lines, _Budget()), SourceMap(lines)
    except (_DuplicateKey, _TooBig, _BadNode) as problem:
        raise PolicyError(file, [problem.issue]) from None
    except RecursionError:
        raise PolicyError(file, [Issue((), f"nested more than {MAX_DEPTH} levels deep")]) from None


def _allowed_keys(path: YamlPath) -> list[str]:
    """The keys the schema allows at `path` (the parent of an unknown key), for hints."""
    annotation: Any = Policy
    for part in path:
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif origin in (list, dict):
            annotation = typing.get_args(annotation)[-1]
        else:
            return []
        while typing.get_origin(annotation) in (typing.Union, Annotated) or (
            type(annotation).__name__ == "UnionType"
        ):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = next(
                (
                    a
                    for a in members
                    if typing.get_origin(a) in (list, dict)
                    or (isinstance(a, type) and issubclass(a, BaseModel))
                ),
                members[0],
            )
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


# Keys whose type is a union: one plain sentence instead of one error per union member.
_UNION_EXPECTATIONS = {"source_regions": "`all` or a list of regions"}


def _issues_from(error: ValidationError) -> list[Issue]:
    issues = []
    seen_paths: set[YamlPath] = set()
    # A misspelt required key shows up twice (unknown + missing); the hint says it all.
    suggested: set[tuple[YamlPath, str]] = set()
    missing: set[YamlPath] = set()
    for detail in error.errors():
        path: YamlPath = tuple(part for part in detail["loc"] if not _is_union_tag(part))
        union_member = any(_is_union_tag(part) for part in detail["loc"])
        if union_member and path in seen_paths:
            continue  # one message per key, not one per member of its union type
        seen_paths.add(path)
        last = str(path[-1]) if path else ""
        if union_member and last in _UNION_EXPECTATIONS:
            expected = _UNION_EXPECTATIONS[last]
            issues.append(Issue(path, f"expected {expected}, got {detail['input']!r}"))
            continue
        message = _in_our_words(detail)
        if detail["type"] == "extra_forbidden" and path:
            key = last
            close = difflib.get_close_matches(key, _allowed_keys(path[:-1]), n=1)
            message = f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
            if close:
                suggested.add((path[:-1], close[0]))
        elif detail["type"] == "missing" and path:
            message = f"required key {last!r} is missing"
            missing.add(path)
        issues.append(Issue(path, message))
    return [
        issue
        for issue in issues
        if not (issue.path in missing and (issue.path[:-1], str(issue.path[-1])) in suggested)
    ]


# pydantic's phrasing ("Input should be a valid list") in geoproxy's words: what the key
# expects, and what the file has instead.
_EXPECTED = {
    "list_type": "a list (`[a, b]` or `- a` lines)",
    "dict_type": "a mapping (`key: value` lines)",
    "model_type": "a mapping (`key: value` lines)",
    "model_attributes_type": "a mapping (`key: value` lines)",
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (an empty value)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _in_our_words(detail: Any) -> str:
    """One validation problem as geoproxy says it, never in pydantic's phrasing."""
    kind, message = detail["type"], str(detail["msg"]).removeprefix("Value error, ")
    got = f", got {_shown(detail.get('input'))}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}{got}"
    context = detail.get("ctx") or {}
    if kind == "literal_error":
        return f"expected {context.get('expected', 'one of the allowed values')}{got}"
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        size = context.get("min_length" if kind == "too_short" else "max_length")
        return f"needs {bound} {size} item(s), has {context.get('actual_length', '?')}"
    if kind in ("string_too_short", "string_too_long"):
        bound = "at least" if kind == "string_too_short" else "at most"
        size = context.get("min_length" if kind == "string_too_short" else "max_length")
        return f"must be {bound} {size} character(s) long{got}"
    if kind == "string_pattern_mismatch":
        return f"expected text matching {context.get('pattern', 'the pattern')}{got}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return message.replace("Input should be", "must be") + got
    if message.startswith("Input should be "):
        return "expected " + message.removeprefix("Input should be ") + got
    return message.replace("Input ", "The value ")


def _is_union_tag(part: str | int) -> bool:
    # pydantic names the union member it tried (e.g. "list[str]", "literal['all']") in locs.
    return isinstance(part, str) and ("[" in part or part.startswith(("literal", "function")))


def validate_policy(data: Any, file: str, source: SourceMap, catalog: Catalog) -> Policy:
    """Schema first (pydantic), then the rules that need the region catalog."""
    try:
        policy = Policy.model_validate(data)
    except ValidationError as error:
        raise PolicyError(file, source.locate(_issues_from(error))) from None
    issues = check_policy(policy, catalog)
    if issues:
        raise PolicyError(file, source.locate(issues))
    return policy


def load_policy(path: str | Path, catalog: Catalog) -> LoadedPolicy:
    """Read (bounded: a regular file, a FIFO or `-` for stdin, at most MAX_POLICY_BYTES,
    within the read timeout), parse and validate a policy."""
    file = str(path)
    try:
        raw = read_bounded(path, limit=MAX_POLICY_BYTES, stream_ok=True)
        text = raw.decode("utf-8")
    except ReadRefused as refused:
        raise PolicyError(file, [Issue((), refused.reason)]) from None
    except UnicodeDecodeError as error:
        raise PolicyError(
            file, [Issue((), f"cannot read: not UTF-8 ({error.reason} at byte {error.start:,})")]
        ) from None
    data, source = parse_yaml(text, file)
    if isinstance(data, dict) and data.get("kind") == "geoproxy-plan":
        raise PolicyError(
            file,
            [
                Issue(
                    (),
                    "this is a saved geoproxy plan, not a policy; "
                    f"apply it with `geoproxy apply --plan {file}`",
                )
            ],
        )
    if not isinstance(data, dict):
        raise PolicyError(file, [Issue((), "expected a mapping with `version` and `applications`")])
    return LoadedPolicy(
        file, validate_policy(data, file, source, catalog), source, hashlib.sha256(raw).hexdigest()
    )
