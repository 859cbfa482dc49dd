"""The example GitHub Actions workflows (docs/examples/github-actions) keep their promises:
no secret where pull-request code runs, the comment rendered by `show -o markdown` from the
saved plan, apply of that plan only (verified, never re-planned). actionlint checks their
syntax in .ci/run; these check what they do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from geoproxy.cli.app import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "github-actions"


def load(name: str) -> dict[Any, Any]:
    return dict(yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8")))


def runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def test_the_pull_request_workflow_holds_no_secret_and_no_role() -> None:
    text = (EXAMPLES / "geoproxy-pr.yml").read_text(encoding="utf-8")
    workflow = load("geoproxy-pr.yml")
    assert list(workflow[True]) == ["pull_request"]  # YAML reads `on` as true
    assert "secrets." not in text and "id-token" not in text
    assert workflow["permissions"] == {"contents": "read"}
    assert "geoproxy validate" in runs(workflow["jobs"]["policy"])


def test_the_trusted_workflow_plans_comments_signs_and_applies() -> None:
    workflow = load("geoproxy.yml")
    assert set(workflow[True]) == {"workflow_run", "push"}
    jobs = workflow["jobs"]
    plan = runs(jobs["plan"])
    assert "geoproxy plan -f routing.yaml --out geoproxy.plan --detailed-exitcode" in plan
    assert "geoproxy show geoproxy.plan --output markdown" in plan
    assert "GEOPROXY_PLAN_SIGNING_KEY" not in str(jobs["plan"])
    sign = jobs["sign"]
    assert sign["environment"] == "geoproxy-sign"
    assert "geoproxy sign geoproxy.plan --key" in runs(sign)
    apply = jobs["apply"]
    assert "GEOPROXY_PLAN_SIGNING_KEY" not in str(apply)
    applied = runs(apply)
    assert "geoproxy apply geoproxy.plan --yes" in applied
    assert "geoproxy plan" not in applied  # the reviewed plan, never a new one
    assert '"$code" -eq 3' in applied  # a stale plan is said, and fails the job
    verifying = [step.get("env", {}) for step in apply["steps"]]
    assert any("GEOPROXY_PLAN_VERIFY_KEY" in env for env in verifying)


def test_the_workflows_use_only_flags_geoproxy_has() -> None:
    show = {p.name for p in cli.commands["show"].params}
    plan = {p.name for p in cli.commands["plan"].params}
    assert {"output", "verify_key"} <= show and {"out_file", "detailed_exitcode"} <= plan
    output = next(p for p in cli.commands["show"].params if p.name == "output")
    assert list(output.type.choices) == ["text", "json", "markdown"]  # type: ignore[attr-defined]
