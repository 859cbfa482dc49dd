"""The documentation site: it builds strictly, fetches nothing, and documents every command,
option and policy key, because its references are generated from the code they describe.

The site is built once per test process with the real `mkdocs build --strict` (about a second);
the `docs` extra is part of CI's install, so a missing MkDocs fails here rather than skipping.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import typing
from pathlib import Path

import click
import pytest
import yaml
from pydantic import BaseModel

from geoproxy.cli.app import cli
from geoproxy.policy.models import Policy
from geoproxy.policy.reference import MAP_KEYS
from tests.conftest import REPO

DOCS = REPO / "docs"


def build_site(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    # Never --quiet: it hides the warnings from strict mode's count, and the build passes.
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=source,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    built = build_site(REPO, out)
    assert built.returncode == 0, f"mkdocs build --strict failed:\n{built.stderr}"
    assert "WARNING" not in built.stderr, built.stderr
    return out


def test_the_strict_build_fails_on_a_broken_link(tmp_path: Path) -> None:
    """The gate itself: a copy of the site's sources with one broken link does not build."""
    for name in ("mkdocs.yml", "routing.schema.json", "CHANGELOG.md"):
        shutil.copyfile(REPO / name, tmp_path / name)
    for folder in ("docs", "tools"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    faq = tmp_path / "docs" / "faq.md"
    faq.write_text(
        faq.read_text(encoding="utf-8") + "\nSee [nowhere](no-such-page.md).\n", encoding="utf-8"
    )
    built = build_site(tmp_path, tmp_path / "site")
    assert built.returncode != 0
    assert "contains a link 'no-such-page.md'" in built.stderr


def page_text(site: Path, page: str) -> str:
    return (site / page / "index.html").read_text(encoding="utf-8")


def sections(page_html: str) -> dict[str, str]:
    """The page's content split at its headings, keyed by heading id."""
    content = page_html[page_html.index('class="md-content"') :]
    parts = re.split(r'<h[1-6][^>]*\bid="([^"]+)"', content)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def commands() -> dict[str, click.Command]:
    assert isinstance(cli, click.Group)
    return dict(cli.commands)


# --- commands ---------------------------------------------------------------------------------


def test_every_command_has_a_section_with_its_help_and_every_option(site: Path) -> None:
    by_id = sections(page_text(site, "commands/reference"))
    assert set(commands()) >= {"plan", "apply", "failover", "failback", "status", "schema"}
    for name, command in commands().items():
        section = by_id.get(f"geoproxy-{name}")
        assert section is not None, f"`geoproxy {name}` is missing from the command reference"
        summary = html.escape((command.help or "").split("\n")[0].strip(), quote=False)
        assert summary[:40] in section, f"{name}: its help text is not in its section"
        for param in command.params:
            if isinstance(param, click.Option):
                for flag in param.opts:
                    assert f"<code>{flag}</code>" in section, f"{name}: {flag} undocumented"
            else:
                assert param.human_readable_name in section, f"{name}: {param.name} undocumented"


def test_the_global_options_are_documented(site: Path) -> None:
    section = sections(page_text(site, "commands/reference"))["geoproxy"]
    for param in cli.params:
        for flag in param.opts:
            assert f"<code>{flag}</code>" in section, f"{flag} undocumented"


def test_every_command_also_has_a_hand_written_guide() -> None:
    """The generated reference says what the flags are; a guide says what the command does,
    with real output. Each command is a heading of some page."""
    headings: set[str] = set()
    for page in DOCS.rglob("*.md"):
        for line in page.read_text(encoding="utf-8").splitlines():
            if match := re.match(r"^#{1,6} `?([a-z-]+)`?\s*$", line):
                headings.add(match.group(1))
    missing = sorted(set(commands()) - headings)
    assert not missing, f"commands without a guide section (a `## name` heading): {missing}"


def test_no_sentinel_or_placeholder_leaks_into_the_reference(site: Path) -> None:
    text = page_text(site, "commands/reference")
    assert "Sentinel" not in text and "mkdocs-click" not in text


# --- policy keys ------------------------------------------------------------------------------


def _models(model: type[BaseModel], path: str) -> list[tuple[str, type[BaseModel]]]:
    """Every model reachable from `model`, with the YAML path the reference heads it with."""
    found = [(path, model)]
    for name, field in model.model_fields.items():
        annotation = field.annotation
        inner: list[typing.Any] = [annotation]
        suffix = f"{path}.{name}" if path else name
        origin = typing.get_origin(annotation)
        if origin is list:
            inner, suffix = list(typing.get_args(annotation)), f"{suffix}[]"
        elif origin is dict:
            key = MAP_KEYS.get(name, "key")
            inner, suffix = [typing.get_args(annotation)[1]], f"{suffix}.<{key}>"
        elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            inner = list(typing.get_args(annotation))
        for candidate in inner:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                found += _models(candidate, suffix)
    return found


def test_every_policy_key_is_in_the_generated_reference(site: Path) -> None:
    text = page_text(site, "policy/reference")
    models = _models(Policy, "")
    assert len(models) >= 9  # Policy, Application, Pop, HealthCheck, ComplianceRule, ...
    by_id = sections(text)
    for path, model in models:
        marker = "the top of the file" if not path else f"<code>{html.escape(path)}</code>"
        owning = [body for body in by_id.values() if f"Path: {marker}" in body]
        assert owning, f"no section of the policy reference is headed by the path {path!r}"
        for name, field in model.model_fields.items():
            key = field.alias or name
            assert f"<td><code>{key}</code></td>" in owning[0], (
                f"policy key {path + '.' if path else ''}{key} is not in the reference"
            )


def test_the_generated_reference_carries_each_fields_description(site: Path) -> None:
    text = html.unescape(re.sub(r"<[^>]+>", "", page_text(site, "policy/reference")))
    flat = re.sub(r"\s+", " ", text)
    for _, model in _models(Policy, ""):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
            words = re.sub(r"\s+", " ", re.sub(r"`", "", field.description))[:30]
            assert words in flat, f"{model.__name__}.{name}: description not on the page"


# --- the site as a whole ----------------------------------------------------------------------


EXTERNAL_RESOURCE = re.compile(
    r"""<(?:script|img|iframe|source)\b[^>]*\bsrc\s*=\s*["']?(?:https?:)?//"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?//"""
    r"""|@import\s+(?:url\()?["']?(?:https?:)?//"""
    r"""|url\(\s*["']?(?:https?:)?//""",
    re.IGNORECASE,
)


def test_the_site_fetches_nothing_from_anywhere(site: Path) -> None:
    """Offline: no font, script, style or image is loaded from another host (links to AWS's
    documentation are fine: they are followed only when clicked)."""
    offenders = []
    for file in site.rglob("*"):
        if file.suffix in {".html", ".css", ".js"}:
            text = file.read_text(encoding="utf-8", errors="replace")
            if match := EXTERNAL_RESOURCE.search(text):
                offenders.append(f"{file.relative_to(site)}: {match.group(0)[:80]}")
            if "fonts.googleapis.com" in text or "fonts.gstatic.com" in text:
                offenders.append(f"{file.relative_to(site)}: Google Fonts")
    assert not offenders, "\n".join(offenders)
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["theme"]["font"] is False


def test_search_index_is_built_and_covers_the_pages(site: Path) -> None:
    index = (site / "search" / "search_index.json").read_text(encoding="utf-8")
    for word in ("override-compliance", "detailed-exitcode", "allowed_pops"):
        assert word in index


def test_every_page_is_in_the_navigation() -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))

    def walk(node: object) -> list[str]:
        if isinstance(node, str):
            return [node]
        if isinstance(node, list):
            return [page for item in node for page in walk(item)]
        if isinstance(node, dict):
            return [page for value in node.values() for page in walk(value)]
        return []

    in_nav = set(walk(config["nav"]))
    on_disk = {str(page.relative_to(DOCS)) for page in DOCS.rglob("*.md")}
    assert on_disk == in_nav


def test_the_changelog_page_is_the_changelog(site: Path) -> None:
    """Included by pymdownx.snippets, not copied by hand."""
    assert (DOCS / "changelog.md").read_text(encoding="utf-8").strip() == '--8<-- "CHANGELOG.md"'
    first_entry = next(
        line
        for line in (REPO / "CHANGELOG.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    )
    visible = html.unescape(re.sub(r"<[^>]+>", "", page_text(site, "changelog")))
    assert first_entry.removeprefix("## ").strip() in visible


def test_the_json_schema_is_published_with_the_site(site: Path) -> None:
    assert (site / "routing.schema.json").read_bytes() == (
        REPO / "routing.schema.json"
    ).read_bytes()


def test_the_map_on_the_routing_map_page_is_what_routes_draws(tmp_path: Path) -> None:
    """docs/assets/routes-example.svg is `geoproxy routes --svg` of the example policy, as
    committed: regenerate it (from the repository root) when the map or the example changes."""
    drawn = tmp_path / "routes.svg"
    subprocess.run(
        [sys.executable, "-m", "geoproxy", "routes", "-f", "routing.yaml", "--svg", str(drawn)],
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    assert drawn.read_bytes() == (DOCS / "assets" / "routes-example.svg").read_bytes(), (
        "regenerate it: geoproxy routes -f routing.yaml --svg docs/assets/routes-example.svg"
    )
