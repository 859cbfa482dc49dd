"""`schema`: the JSON Schema of routing.yaml, for editors. Offline; loads no AWS SDK and no
terminal library, so it is as quick as `validate`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from geoproxy.cli.lazy import LazyModule
from geoproxy.cli.options import reports_errors
from geoproxy.errors import EXIT_OK

render = LazyModule("geoproxy.cli.render")


@click.command()
@reports_errors
def schema() -> int:
    """Print routing.yaml's JSON Schema for editors.

    It lets an editor complete and check a policy as it is typed. Generated from geoproxy's
    policy models, the same bytes each run: save it with
    `geoproxy schema > routing.schema.json` and start the policy with the line
    `# yaml-language-server: $schema=routing.schema.json`. It checks keys, types and ranges;
    rules across fields (compliance, regions, PoP references) stay with `geoproxy validate`.
    """
    from geoproxy.policy.schema import policy_json_schema_text

    sys.stdout.write(policy_json_schema_text())
    sys.stdout.flush()
    return EXIT_OK


def write_schema_beside(policy_file: Path, *, quiet_stdout: bool = False) -> None:
    """For `init`: routing.schema.json next to the policy, where its first line points.

    Written when missing; left alone when it is already this schema; never overwritten when
    it differs (it may be the user's own), with one line saying how to refresh it.
    """
    from geoproxy.policy.schema import SCHEMA_FILE, policy_json_schema_text

    path = policy_file.parent / SCHEMA_FILE
    text = policy_json_schema_text()
    try:
        with path.open("x", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
    except FileExistsError:
        from geoproxy.errors import GeoproxyError
        from geoproxy.policy.files import read_bounded

        try:  # bounded: a link onto /dev/zero must not be read for ever
            same = read_bounded(path, limit=len(text.encode()) + 1) == text.encode()
        except (GeoproxyError, UnicodeDecodeError):
            same = False
        if not same:
            render.warnings(
                [
                    f"left {path} as it is: it differs from this geoproxy's schema; "
                    f"refresh it with `geoproxy schema > {path}`"
                ]
            )
        return
    except OSError as error:
        render.warnings(
            [
                f"cannot write {path} ({error.strerror or error}); editors find the "
                f"schema there: `geoproxy schema > {path}`"
            ]
        )
        return
    # `import` keeps stdout for the policy or its JSON document: the line goes to stderr.
    (render.stderr if quiet_stdout else render.stdout).print(
        f"Wrote {path}, the policy's JSON Schema for editors (the policy's "
        "first line points at it)."
    )
