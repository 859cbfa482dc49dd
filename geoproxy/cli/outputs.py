"""Files a command writes (--html, --svg, --out): never over what the run reads, never over
a file geoproxy did not write unless --overwrite says so.

Checked before any AWS call, once the policy is loaded (its `latency_table:` is an input
too). A symlink is judged by the file it points at: a link onto the policy is the policy.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from geoproxy.errors import GeoproxyError

if TYPE_CHECKING:
    from geoproxy.pipeline import Compiled

_HEAD_BYTES = 4096
HTML_MARK = b'<meta name="generator" content="geoproxy">'
SVG_MARK = b'class="geoproxy-map"'


def _head(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return b""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b""
        return os.read(fd, _HEAD_BYTES)
    except OSError:
        return b""
    finally:
        os.close(fd)


def is_geoproxy_map(path: Path) -> bool:
    head = _head(path)
    return HTML_MARK in head or SVG_MARK in head


def is_geoproxy_plan(path: Path) -> bool:
    from geoproxy.aws.planfile.file import is_saved_plan

    return is_saved_plan(path)


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_outputs(
    outputs: Iterable[tuple[str, Path | None, Callable[[Path], bool]]],
    inputs: Iterable[tuple[str, str | Path | None]],
    *,
    overwrite: bool,
) -> None:
    """Refuse an output (flag, path, "did geoproxy write this?") that is one of the run's
    inputs (what, path), or an existing file geoproxy did not write, without --overwrite."""
    given = [(flag, path, ours) for flag, path, ours in outputs if path is not None]
    read = [(what, Path(path)) for what, path in inputs if path is not None and str(path) != "-"]
    for index, (flag, path, ours) in enumerate(given):
        for other_flag, other, _ in given[:index]:
            if Path(os.path.abspath(path)) == Path(os.path.abspath(other)) or _same(path, other):
                raise GeoproxyError(f"{other_flag} and {flag} both name {path}; give two files")
        for what, input_path in read:
            if _same(path, input_path):
                raise GeoproxyError(
                    f"{flag} {path} is {what}, which this run reads; refusing to write over it",
                    hint=f"give {flag} another file",
                )
        if not os.path.lexists(path):
            parent = path.parent
            if not parent.is_dir():
                raise GeoproxyError(
                    f"cannot write {path}: directory {parent} does not exist",
                    hint="create it first, or give a path in an existing directory",
                )
            continue
        if os.path.isdir(path):
            raise GeoproxyError(f"cannot write {path}: it is a directory")
        link = " (through a symbolic link)" if os.path.islink(path) else ""
        if not os.path.exists(path):
            # A dangling link: whatever it would point at, it is not ours.
            if not overwrite:
                raise GeoproxyError(
                    f"{flag} {path} is a symbolic link to nothing; not writing through it",
                    hint="remove it, or pass --overwrite",
                )
            continue
        if not overwrite and not ours(path):
            raise GeoproxyError(
                f"{flag} {path} exists{link} and geoproxy did not write it; not overwriting it",
                hint="choose another file, or pass --overwrite to replace it",
            )


def inputs_of(
    compiled: Compiled, *more: tuple[str, str | Path | None]
) -> list[tuple[str, str | Path | None]]:
    """What a run reads: the policy, the latency table in use (--latency-table, else the
    policy's `latency_table:`), and `more` (e.g. the audit log)."""
    from geoproxy.cli.options import chosen_latency_table

    loaded = compiled.loaded
    table: Path | None = chosen_latency_table()
    if table is None and loaded.policy.latency_table is not None:
        table = Path(loaded.file).parent / loaded.policy.latency_table
    return [("the policy", loaded.file), ("the latency table", table), *more]


def check_maps(
    compiled: Compiled,
    html: Path | None,
    svg: Path | None,
    *,
    overwrite: bool,
    more: tuple[tuple[str, str | Path | None], ...] = (),
) -> None:
    check_outputs(
        [("--html", html, is_geoproxy_map), ("--svg", svg, is_geoproxy_map)],
        inputs_of(compiled, *more),
        overwrite=overwrite,
    )


def check_plan_out(
    compiled: Compiled,
    out: Path | None,
    *,
    overwrite: bool,
    more: tuple[tuple[str, str | Path | None], ...] = (),
) -> None:
    check_outputs(
        [("--out", out, is_geoproxy_plan)], inputs_of(compiled, *more), overwrite=overwrite
    )
