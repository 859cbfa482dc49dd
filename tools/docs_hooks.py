"""MkDocs hooks: generated pages, so the references cannot drift from the code.

`docs/policy/reference.md` holds a marker that is replaced by the reference rendered from the
pydantic models; the JSON Schema is published beside the site's pages.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

POLICY_REFERENCE_MARKER = "<!-- generated: policy reference -->"
REPO = Path(__file__).resolve().parent.parent


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if POLICY_REFERENCE_MARKER in markdown:
        from geoproxy.policy.reference import policy_reference_markdown

        markdown = markdown.replace(POLICY_REFERENCE_MARKER, policy_reference_markdown())
    return markdown


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    # Click 8.2+ leaves a repeatable option's default as its UNSET sentinel, which
    # mkdocs-click prints as is: say "none", as for any other option without a default.
    return html.replace("<td><code>Sentinel.UNSET</code></td>", "<td>None</td>")


def on_post_build(config: Any) -> None:
    schema = REPO / "routing.schema.json"
    if schema.exists():
        shutil.copyfile(schema, Path(config["site_dir"]) / "routing.schema.json")
