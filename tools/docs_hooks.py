"""MkDocs hooks: generated pages, so the references cannot drift from the code.

`docs/policy/reference.md` holds a marker that is replaced by the reference rendered from the
pydantic models; the JSON Schema is published as a file of the site.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

POLICY_REFERENCE_MARKER = "<!-- generated: policy reference -->"
REPO = Path(__file__).resolve().parent.parent


def on_config(config: Any) -> Any:
    """The references document the checkout being built, never whatever geoproxy the Python
    that runs mkdocs has installed (an older release, or an editable install of another
    tree). Here, not at import: mkdocs restores sys.path after loading a hooks file."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    return config


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if POLICY_REFERENCE_MARKER in markdown:
        from geoproxy.policy.reference import policy_reference_markdown

        markdown = markdown.replace(POLICY_REFERENCE_MARKER, policy_reference_markdown())
    return markdown


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    # Click 8.2+ leaves a repeatable option's default as its UNSET sentinel, which
    # mkdocs-click prints as is: say "none", as for any other option without a default.
    return html.replace("<td><code>Sentinel.UNSET</code></td>", "<td>None</td>")


def on_files(files: Any, config: Any) -> Any:
    """The committed JSON Schema is a file of the site, so pages may link it and the strict
    build checks those links (a copy made after the build would be invisible to them)."""
    from mkdocs.structure.files import File

    files.append(
        File.generated(
            config, "routing.schema.json", abs_src_path=str(REPO / "routing.schema.json")
        )
    )
    return files
