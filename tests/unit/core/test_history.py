"""core/history.py: the comment geoproxy's batches carry, and what a zone's change history
says of them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from geoproxy.core.history import (
    MAX_COMMENT,
    apps_in,
    batch_comment,
    failover_by,
    geoproxy_entries,
    last_per_app,
    parse_comment,
    with_token,
)

T0 = datetime(2026, 12, 7, 6, 0, tzinfo=timezone.utc)


def change(name: str) -> dict[str, Any]:
    return {"Action": "CREATE", "ResourceRecordSet": {"Name": name, "Type": "A"}}


def summary(comment: str | None, minutes: int, who: str = "arn:a", **kw: Any) -> dict[str, Any]:
    found = {
        "ChangeId": f"C{minutes}",
        "Operation": "ChangeResourceRecordSets",
        "SubmittedAt": T0 + timedelta(minutes=minutes),
        "SubmittedBy": who,
        "ChangeCount": 1,
        **kw,
    }
    if comment is not None:
        found["Comment"] = comment
    return found


def test_the_comment_keeps_the_command_and_adds_token_and_apps() -> None:
    comment = batch_comment("geoproxy failover", "gp-abc234", ["shop", "blog"])
    assert comment == "geoproxy failover gp-abc234 apps=shop,blog"
    tagged = parse_comment(comment)
    assert tagged is not None
    assert (tagged.command, tagged.token, tagged.apps) == (
        "failover",
        "gp-abc234",
        ("shop", "blog"),
    )
    assert batch_comment("geoproxy apply", "gp-x", []) == "geoproxy apply gp-x"


def test_a_comment_never_passes_route53s_256_characters() -> None:
    apps = [f"application-{i:03d}" for i in range(40)]
    comment = batch_comment("geoproxy apply", "gp-abcdefgh", apps)
    assert len(comment) <= MAX_COMMENT
    tagged = parse_comment(comment)
    assert tagged is not None
    assert comment.endswith(f",+{40 - len(tagged.apps)}")  # the rest are counted
    assert tagged.apps == tuple(apps[: len(tagged.apps)])


def test_other_comments_are_not_geoproxys() -> None:
    assert parse_comment("geoproxy apply") is None  # an older geoproxy: no token
    assert parse_comment("by hand") is None
    assert parse_comment(None) is None


def test_apps_in_a_batch_by_their_names() -> None:
    apps = [("shop", "origin.shop.example.com"), ("blog", "origin.blog.example.com")]
    batch = [change("_geoproxy.origin.shop.example.com."), change("ORIGIN.shop.example.com")]
    assert apps_in(batch, apps) == ["shop"]
    assert apps_in([change("www.example.com.")], apps) == []


def test_entries_token_last_write_and_who_failed_over() -> None:
    page = [
        summary("geoproxy failover gp-2 apps=shop", 10, "arn:jane"),
        summary("by hand", 9),
        summary("geoproxy apply gp-1 apps=shop,blog", 1, "arn:ci"),
        summary(None, 0, Operation="CreateHostedZone"),
        summary("geoproxy apply gp-9 apps=shop", 11, Operation="SomethingNew"),
    ]
    entries = geoproxy_entries("Z1", page)
    assert [e.token for e in entries] == ["gp-2", "gp-1"]
    found = with_token(entries, "gp-1")
    assert found is not None and found.change_id == "C1"
    assert with_token(entries, "gp-7") is None
    newest = last_per_app(entries, ["shop", "blog", "api"])
    assert (newest["shop"].submitted_by, newest["blog"].submitted_by) == ("arn:jane", "arn:ci")
    assert "api" not in newest
    declared = T0 + timedelta(minutes=10)
    by = failover_by(entries, "shop", declared)
    assert by is not None and by.submitted_by == "arn:jane"
    assert failover_by(entries, "shop", declared + timedelta(seconds=1)) is None
    assert failover_by(entries, "blog", T0) is None  # blog's batch was no failover
