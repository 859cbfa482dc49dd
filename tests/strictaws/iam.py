"""A small IAM evaluator for one identity-based policy, since moto authorizes nothing.

    evaluate(policy, "route53:GetChange", "arn:aws:route53:::change/C1", {}).allowed

It covers the policy language geoproxy's generated policy may use and refuses (UnsupportedPolicy)
what it does not model (numeric, date and IP operators, policy variables, Principal), so a
policy can never pass here by way of a construct this module silently misreads.

Sources, cited by short name next to each rule:
  [eval]   "Policy evaluation logic" and "The difference between explicit and implicit denies",
           https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
           https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html
  [action] "IAM JSON policy elements: Action" and "...: NotAction",
           https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
           https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
  [res]    "IAM JSON policy elements: Resource" and "...: NotResource",
           https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
           https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
  [cond]   "IAM JSON policy elements: Condition",
           https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
  [ops]    "IAM JSON policy elements: Condition operators",
           https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
  [multi]  "Conditions with multiple context keys or values",
           https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
  [sets]   "Single-valued vs. multivalued context keys" (Set operators for multivalued context
           keys) and "Multivalued context key examples",
           https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
           https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html
  [setops] "Creating a Condition That Tests Multiple Key Values (Set Operations)", the page the
           above replaced (archived in github.com/awsdocs/iam-user-guide, doc_source/
           reference_policies_multi-value-conditions.md): its DynamoDB examples and the note
           "ForAllValues returns true, and ... ForAnyValue returns false" on an empty data set.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Context = Mapping[str, "str | list[str]"]


class UnsupportedPolicy(ValueError):
    """The policy uses something this evaluator does not model: refuse rather than guess."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    effect: str  # "Allow", "Deny" (explicit) or "ImplicitDeny"
    statement: str | None  # Sid, or "Statement[i]", of the statement that decided
    reason: str
    # Statements whose Action and Resource matched but whose Condition did not, and why: what a
    # failure message needs when a request is implicitly denied.
    near_misses: tuple[str, ...] = field(default=(), repr=False)

    def __str__(self) -> str:
        return self.reason


def evaluate(document: dict, action: str, resource: str, context: Context) -> Decision:
    """Allow or deny `action` on `resource` with `context` under one identity policy."""
    ctx = _normalize_context(context)
    allowed_by: str | None = None
    near_misses: list[str] = []
    # Every statement is checked before any decides, so an unsupported construct is refused
    # even in a statement that an earlier Deny would have made moot.
    for label, statement in list(_statements(document)):
        applies, why_not = _statement_applies(statement, action, resource, ctx)
        effect = statement["Effect"]
        if applies and effect == "Deny":
            # [eval]: an explicit Deny in any applicable statement overrides every Allow.
            return Decision(False, "Deny", label, f"explicitly denied by {label}")
        if applies and allowed_by is None:
            allowed_by = label
        elif why_not and effect == "Allow":
            near_misses.append(f"{label}: {why_not}")
    if allowed_by is not None:
        return Decision(True, "Allow", allowed_by, f"allowed by {allowed_by}")
    # [eval]: with no applicable Allow (and no Deny) the request is implicitly denied.
    detail = "; ".join(near_misses) or "no Allow statement covers this action and resource"
    return Decision(
        False, "ImplicitDeny", None, f"implicitly denied ({detail})", tuple(near_misses)
    )


# -- statements ----------------------------------------------------------------------------------
_KNOWN = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}


def _statements(document: dict) -> Iterable[tuple[str, dict]]:
    statements = document.get("Statement")
    if statements is None:
        raise UnsupportedPolicy("policy has no Statement")
    if isinstance(statements, dict):  # a single statement may stand alone, not in a list
        statements = [statements]
    for i, statement in enumerate(statements):
        label = f"statement {statement['Sid']!r}" if statement.get("Sid") else f"Statement[{i}]"
        unknown = set(statement) - _KNOWN
        if unknown:  # Principal/NotPrincipal belong to resource policies, not identity ones
            raise UnsupportedPolicy(f"{label}: unsupported element(s) {sorted(unknown)}")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise UnsupportedPolicy(f"{label}: Effect must be Allow or Deny")
        # [action], [res]: exactly one of Action/NotAction and one of Resource/NotResource.
        for pair in (("Action", "NotAction"), ("Resource", "NotResource")):
            if sum(key in statement for key in pair) != 1:
                raise UnsupportedPolicy(f"{label}: needs exactly one of {'/'.join(pair)}")
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            _strings(statement.get(key, []))
        for operator, block in statement.get("Condition", {}).items():
            _parse_operator(operator)
            for values in block.values():
                _strings(values)
        yield label, statement


def _statement_applies(
    statement: dict, action: str, resource: str, ctx: dict[str, list[str]]
) -> tuple[bool, str | None]:
    """(applies, why a statement that matched action and resource still did not apply)."""
    # [action]: "The prefix and the action name are case insensitive"; `*` is a wildcard
    # anywhere in the name (e.g. "iam:*AccessKey*"). NotAction matches every action not listed.
    if "Action" in statement:
        action_ok = any(_glob(p, action, fold=True) for p in _strings(statement["Action"]))
    else:
        action_ok = not any(_glob(p, action, fold=True) for p in _strings(statement["NotAction"]))
    # [res]: `*` and `?` wildcards, case-sensitive; a `*` expands across `/` and, at the end of a
    # segment, across `:` too, so a plain glob over the whole ARN. NotResource is the complement.
    if "Resource" in statement:
        resource_ok = any(_glob(p, resource) for p in _strings(statement["Resource"]))
    else:
        resource_ok = not any(_glob(p, resource) for p in _strings(statement["NotResource"]))
    if not (action_ok and resource_ok):
        return False, None
    failed = _failed_condition(statement.get("Condition", {}), ctx)
    return failed is None, failed


# -- conditions ----------------------------------------------------------------------------------
def _failed_condition(condition: dict, ctx: dict[str, list[str]]) -> str | None:
    """None if every operator block holds, else a description of the first that does not."""
    # [multi]: several operators in one Condition are ANDed, and so are several keys under one
    # operator; several values for one key are ORed (NOR for a negated operator, see _key_holds).
    for operator, block in condition.items():
        op = _parse_operator(operator)
        for key, values in block.items():
            policy_values = _strings(values)
            # [cond]: condition key names are case-insensitive (aws:SourceIP == AWS:SourceIp).
            present = ctx.get(key.lower(), [])
            if not _key_holds(op, present, policy_values):
                got = present if present else "absent"
                return f"{operator} {key} {policy_values} did not match {got}"
    return None


@dataclass(frozen=True)
class _Operator:
    name: str
    qualifier: str | None  # "ForAllValues", "ForAnyValue" or None
    if_exists: bool
    match: Callable[[str, str], bool] | None  # None for Null
    negated: bool


def _string_like(pattern: str, value: str) -> bool:
    return _glob(pattern, value)


def _arn_like(pattern: str, value: str) -> bool:
    # [ops] ARN operators: "Each of the six colon-delimited components of the ARN is checked
    # separately and each can include" `*` and `?` - so a `*` never spans a colon before the
    # resource part (the page's example: StringLike matches, ArnLike does not).
    p, v = pattern.split(":", 5), value.split(":", 5)
    return len(p) == len(v) == 6 and all(_glob(a, b) for a, b in zip(p, v, strict=True))


# [ops]: the string, Boolean and ARN operator tables. StringEquals is exact and case-sensitive;
# the IgnoreCase ones ignore case; StringLike takes `*` and `?`; ArnEquals and ArnLike "behave
# identically", as do ArnNotEquals and ArnNotLike.
_BASE: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (lambda p, v: p == v, False),
    "StringNotEquals": (lambda p, v: p == v, True),
    "StringEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "Bool": (lambda p, v: p.lower() == v.lower(), False),
}


@functools.cache
def _parse_operator(operator: str) -> _Operator:
    qualifier, _, name = operator.rpartition(":")
    if qualifier not in ("", "ForAllValues", "ForAnyValue"):
        raise UnsupportedPolicy(f"unknown set operator in {operator!r}")
    if name == "Null":
        if qualifier:
            raise UnsupportedPolicy(f"{operator!r}: Null takes no set operator")
        return _Operator(name, None, False, None, False)
    # [ops]: "You can add IfExists to the end of any condition operator name except the Null
    # condition".
    if_exists = name.endswith("IfExists")
    base = name.removesuffix("IfExists")
    if base not in _BASE:
        raise UnsupportedPolicy(f"condition operator {operator!r} is not modelled here")
    if if_exists and qualifier == "ForAnyValue":
        # AWS's pages do not say whether IfExists turns ForAnyValue's false-on-missing-key into
        # true, and sources disagree; a test tool must not guess in either direction.
        raise UnsupportedPolicy(f"{operator!r}: ForAnyValue with IfExists is ambiguous")
    match, negated = _BASE[base]
    return _Operator(name, qualifier or None, if_exists, match, negated)


def _key_holds(op: _Operator, present: list[str], policy_values: list[str]) -> bool:
    if op.match is None:
        # [ops] Null: "true" holds when the key is absent, "false" when it exists and is not
        # null; [sets] treats an empty value set as null too.
        return any((v.lower() == "true") == (not present) for v in policy_values)
    if not present:
        if op.if_exists:  # [ops] ...IfExists: "If the key is not present, evaluate ... as true"
            return True
        if op.qualifier == "ForAllValues":
            # [sets]: ForAllValues "also returns true if there are no context keys in the
            # request, or if the context key value resolves to a null dataset".
            return True
        if op.qualifier == "ForAnyValue":
            return False  # [setops]: ForAnyValue on an empty data set returns false
        # [ops] Important box: a missing key makes the condition false, except for negated
        # operators such as StringNotLike or ArnNotLike, for which it is true.
        return op.negated

    def one(value: str) -> bool:
        # [multi]: a key's policy values are ORed; for a negated operator NOR - the request
        # value must match none of them.
        hit = any(op.match(p, value) for p in policy_values)  # type: ignore[misc]
        return not hit if op.negated else hit

    if op.qualifier == "ForAllValues":
        # [sets]: every value in the request must match (at least one value in the policy).
        return all(one(v) for v in present)
    if op.qualifier == "ForAnyValue":
        # [sets]: at least one value in the request must match.
        return any(one(v) for v in present)
    # A single-valued operator on a key with several values: AWS documents only that set
    # operators should be used; here a positive operator needs some value to match and a
    # negated one needs none to (the negation of the positive test).
    hit = any(op.match(p, v) for v in present for p in policy_values)  # type: ignore[misc]
    return not hit if op.negated else hit


# -- helpers -------------------------------------------------------------------------------------
def _strings(value: Any) -> list[str]:
    """A policy element's value(s) as strings: JSON true/false become "true"/"false"."""
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif not isinstance(v, str | int | float):
            raise UnsupportedPolicy(f"unsupported policy value {v!r}")
        text = str(v)
        if "${" in text:  # policy variables would need the principal's context: not modelled
            raise UnsupportedPolicy(f"policy variable in {text!r}")
        out.append(text)
    return out


def _normalize_context(context: Context) -> dict[str, list[str]]:
    # [cond]: key names are case-insensitive, so they are looked up lower-cased.
    return {
        key.lower(): [value] if isinstance(value, str) else list(value)
        for key, value in context.items()
    }


@functools.cache
def _glob_regex(pattern: str, fold: bool) -> re.Pattern[str]:
    # `*` is any run of characters (colons and slashes included), `?` exactly one; nothing
    # else is special, so fnmatch (which also treats `[` specially) would be wrong here.
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if fold else 0))


def _glob(pattern: str, value: str, fold: bool = False) -> bool:
    return _glob_regex(pattern, fold).fullmatch(value) is not None
