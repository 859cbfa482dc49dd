"""Markdown for pull-request comments (cli.render_markdown): pure rendering, no AWS."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from geoproxy.cli.render_markdown import (
    LONG_TABLE_ROWS,
    Row,
    cell,
    changes_markdown,
    code,
    fenced,
    rows_by_app,
    saved_plan_markdown,
    summary,
    table,
)
from geoproxy.core.changeset import ChangeSet, HealthCheckToDelete
from geoproxy.core.saved_plan_checks import PlanApp, summary_of

ZONE = "Z1"
RECORD = "origin.shop.example.com"
APPS = [PlanApp("shop", ZONE, RECORD), PlanApp("blog", "Z2", "origin.blog.example.com")]


def latency(region: str, target: str = "lb.example.net.", name: str = RECORD) -> dict[str, Any]:
    return {
        "Name": name + ".",
        "Type": "A",
        "SetIdentifier": f"geoproxy:{region}@default",
        "Region": region,
        "AliasTarget": {"DNSName": target, "HostedZoneId": "ZLB", "EvaluateTargetHealth": False},
    }


def txt(name: str, value: str) -> dict[str, Any]:
    return {"Name": name, "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": value}]}


def changes_of(*changes: tuple[str, dict[str, Any]], zone: str = ZONE) -> ChangeSet:
    batch = [{"Action": action, "ResourceRecordSet": record} for action, record in changes]
    return ChangeSet(before_distributions={zone: [batch]})


def cells_of(row: str) -> list[str]:
    """A table row's cells as GitHub splits them: at every pipe not escaped by a backslash."""
    assert row.startswith("| ") and row.endswith(" |")
    return re.split(r"(?<!\\)\|", row[1:-1])


HOSTILE = [
    "a|b",
    "line one\nline two",
    "x\r\ny",
    "`code` and ``more``",
    "<img src=x onerror=alert(1)>",
    "<details><summary>hidden</summary>",
    "ping @octocat and @org/team",
    "see #12",
    "[click](https://evil.example)",
    "![image](https://evil.example/x.png)",
    "**bold** _em_ ~~gone~~",
    "back\\slash|pipe",
    "&lt;already escaped&gt;",
    "tab\there\x00nul\x1b[31mred",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_stays_in_its_cell_and_carries_no_markup(value: str) -> None:
    row = Row("create", value, "TXT", value, value, value, value).markdown()
    assert "\n" not in row and "\r" not in row
    assert len(cells_of(row)) == 7  # nothing ended a cell early
    # Inside a code span nothing is markup (a span holds no backtick, pipe or line break);
    # outside one, nothing may be either.
    spans = re.findall(r"`[^`]*`", row)
    assert all("|" not in span for span in spans)
    outside = re.sub(r"`[^`]*`", "", row)
    assert "<" not in outside and ">" not in outside  # no HTML tag
    assert not re.search(r"@(?!&#8203;)", outside)  # no @-mention
    assert not re.search(r"#(?!&#8203;|\d+;)", outside)  # no issue reference
    assert not re.search(r"(?<!\\)\]\(", outside)  # no link or image


def test_cell_escapes_with_entities_and_backslashes_that_render_as_the_text() -> None:
    assert cell("a|b") == "a&#124;b"
    assert cell("a\nb") == "a b"
    assert cell("`x`") == "&#96;x&#96;"
    assert cell("<b>&") == "&lt;b&gt;&amp;"
    assert cell("@team") == "@&#8203;team"
    assert cell("*x* [y]") == "\\*x\\* \\[y\\]"
    assert cell("plain text 1.2") == "plain text 1.2"


def test_code_spans_hold_what_they_can_and_fall_back_to_a_cell() -> None:
    assert code("origin.shop.example.com") == "`origin.shop.example.com`"
    assert code("@team <b>") == "`@team <b>`"  # inside a code span nothing is markup
    assert code("a`b") == "a&#96;b"
    assert code("a|b") == "a&#124;b"  # a pipe ends a cell even inside a code span
    assert code(" padded") == " padded"


def test_a_fence_is_longer_than_any_backtick_run_inside() -> None:
    lines = fenced(["ok", "````", "x ``` y"])
    assert lines[0] == "`````text" and lines[-1] == "`````"
    assert fenced(["plain"]) == ["```text", "plain", "```"]


def test_rows_are_grouped_per_application_with_the_rest_last() -> None:
    shop = changes_of(
        ("DELETE", latency("eu-west-1")),
        ("CREATE", latency("eu-west-1", "other.example.net.")),
        ("CREATE", latency("us-east-1")),
    )
    blog = [{"Action": "CREATE", "ResourceRecordSet": latency("eu-west-1", name=APPS[1].record)}]
    shop.before_distributions["Z2"] = [blog]
    shop.delete_health_checks.append(HealthCheckToDelete("hc-1", "eu-west-1"))
    groups = rows_by_app(shop, APPS)
    assert [app.name if app else None for app, _ in groups] == ["shop", "blog", None]
    update, create = groups[0][1]
    assert (update.action, update.before, update.after) == (
        "update",
        "alias lb.example.net",
        "alias other.example.net",
    )
    assert update.set_identifier == "geoproxy:eu-west-1@default"
    assert create.action == "create" and create.before == ""
    assert groups[2][1] == [Row("delete", "health check hc-1", note="PoP eu-west-1")]


def test_a_record_outside_every_application_is_shown_apart() -> None:
    stray = changes_of(("CREATE", latency("eu-west-1", name="www.other.example")))
    [(app, rows)] = rows_by_app(stray, APPS)
    assert app is None and rows[0].record == "www.other.example"
    assert rows[0].note == "zone Z1"  # no heading names it


def test_the_summary_line_comes_first_and_says_no_changes() -> None:
    counts = summary_of(changes_of(("CREATE", latency("us-east-1"))))
    assert summary(counts) == "**Plan: 1 to create, 0 to update, 0 to delete.**"
    assert summary({**counts, "unchanged": 33, "orphans": 2}).startswith(
        "**Plan: 1 to create, 0 to update, 0 to delete, 33 unchanged"
    )
    empty = summary_of(ChangeSet())
    assert summary(empty) == "**No changes.** Live records match the policy."
    lines = changes_markdown(changes_of(("CREATE", latency("us-east-1"))), APPS, counts, ["w|x"])
    assert lines[0] == summary(counts)
    assert "- ⚠️ w&#124;x" in lines
    assert "#### shop: `origin.shop.example.com` (zone `Z1`)" in lines


def test_a_long_table_folds_into_details_and_a_short_one_does_not() -> None:
    rows = [Row("create", f"r{i}") for i in range(LONG_TABLE_ROWS)]
    assert table(rows)[0].startswith("| action")
    folded = table([*rows, Row("create", "one more")])
    assert folded[0] == f"<details><summary>{LONG_TABLE_ROWS + 1} writes</summary>"
    # GitHub renders the table inside <details> only with blank lines around it.
    assert folded[1] == "" and folded[-2] == "" and folded[-1] == "</details>"


def saved(changes: ChangeSet | None, **overrides: Any) -> SimpleNamespace:
    values: dict[str, Any] = {
        "changes": changes,
        "document": {"applications": [{"name": "shop", "zone_id": ZONE, "record": RECORD}]},
        "format_version": 2,
        "signature": None,
        "created_at": "2026-12-07T06:00:00Z",
        "command": "apply",
        "policy_file": "routing.yaml",
        "text": ["switch plan text with ``` fence"],
    }
    return SimpleNamespace(**{**values, **overrides})


def test_a_saved_plan_renders_its_change_set_and_its_checks() -> None:
    changes = changes_of(("CREATE", latency("us-east-1")))
    text = saved_plan_markdown(Path("plan.json"), saved(changes), verified=False)
    lines = text.splitlines()
    assert lines[0] == "**Plan: 1 to create, 0 to update, 0 to delete.**"
    assert "not signed" in lines[2] and "`plan.json`" in lines[2]
    assert "| ➕ create | `origin.shop.example.com` | `A` |" in text
    signed = saved(changes, signature={"sig": "x"})
    assert "signature verified" in saved_plan_markdown(Path("p"), signed, verified=True)
    assert "not verified" in saved_plan_markdown(Path("p"), signed, verified=False)


def test_a_hostile_txt_value_in_a_saved_plan_cannot_break_the_table() -> None:
    value = '"x | y\\n<script>@admin</script>"'
    changes = changes_of(("CREATE", txt("_geoproxy-state." + RECORD + ".", value)))
    text = saved_plan_markdown(Path("p"), saved(changes), verified=False)
    [row] = [line for line in text.splitlines() if line.startswith("| ➕")]
    assert len(cells_of(row)) == 7
    assert "<script>" not in text and "@admin" not in text


def test_a_switch_plan_is_its_text_in_a_fence() -> None:
    text = saved_plan_markdown(Path("p"), saved(None), verified=False)
    assert "````text\nswitch plan text with ``` fence\n````" in text
