"""Folders that netspec writes into, and the rule that keeps it from destroying anything else.

A user-named output folder (`export --out`, `evaluate --out`, `letters DIR`) is only ever
written into, or replaced, when it is provably netspec's: it does not exist, it is empty, or
it holds netspec's marker file (`.netspec`, a small JSON naming what wrote the folder).
Anything else is refused before a byte is written. Replacing a folder (`replace_dir`) stages
the new content beside it and swaps the two only when the new one is complete.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from netspec import files, locks
from netspec.errors import UserError

MARKER = ".netspec"


@dataclass(frozen=True)
class Legacy:
    """What netspec wrote into folders of one kind before it marked them: a folder holding all
    of `required` and nothing outside `allowed` counts as netspec's too."""

    allowed: frozenset[str]
    required: frozenset[str]

    def matches(self, names: set[str]) -> bool:
        return self.required <= names <= self.allowed


def marker_kind(folder: Path) -> str | None:
    """What netspec wrote `folder` as ("export", "evaluation", ...), or None if not netspec."""
    try:
        kind = json.loads((Path(folder) / MARKER).read_text()).get("kind")
    except (OSError, ValueError, AttributeError):
        return None
    return kind if isinstance(kind, str) else None


def mark(folder: Path, kind: str) -> None:
    import netspec

    files.write_json(
        Path(folder) / MARKER,
        {"kind": kind, "written_by": "netspec", "netspec_version": netspec.__version__},
    )


def check_signed(path: Path, signature: str, what: str, hint: str) -> None:
    """Raise unless the single file `path` is missing or holds `signature` in its first 4 KiB
    (a drawing netspec made: `netspec graph`, `netspec compare`). A link, a folder or any
    other file is refused as `<path> exists and is not <what>`."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    if path.is_symlink() or not path.is_file() or not _signed(path, signature):
        raise UserError(f"{path} exists and is not {what}: it is left as it is", hint=hint)


def _signed(path: Path, signature: str) -> bool:
    with open(path, "rb") as f:
        return signature.encode() in f.read(4096)


def check_ours(folder: Path, kind: str, legacy: Legacy | None = None) -> None:
    """Raise unless `folder` is missing, empty, marked as `kind`, or matches `legacy` (what
    netspec wrote there before it had a marker)."""
    folder = Path(folder)
    if not folder.exists() and not folder.is_symlink():
        return
    if not folder.is_dir() or folder.is_symlink():
        raise UserError(
            f"{folder} exists and is not a folder; netspec will not replace it",
            hint="choose another path",
        )
    if Path.cwd().resolve().is_relative_to(folder.resolve()):
        raise UserError(
            f"{folder} is the current folder (or holds it); netspec will not replace it",
            hint="choose a new folder",
        )
    if _is_ours(folder, kind, legacy):
        return
    names = {p.name for p in folder.iterdir()}
    foreign = sorted(names - (legacy.allowed if legacy else set()) or names)
    shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
    raise UserError(
        f"{folder} holds files netspec did not write ({shown}): it is not a netspec {kind} "
        "folder, so nothing was changed",
        hint="choose a new or empty folder",
    )


def _is_ours(folder: Path, kind: str, legacy: Legacy | None) -> bool:
    names = {p.name for p in folder.iterdir()}
    return not names or marker_kind(folder) == kind or bool(legacy and legacy.matches(names))


def claim(folder: Path, kind: str) -> Path:
    """`folder`, created if missing, checked to be ours (see check_ours) and marked."""
    folder = Path(folder)
    check_ours(folder, kind)
    folder.mkdir(parents=True, exist_ok=True)
    mark(folder, kind)
    return folder


@contextmanager
def replace_dir(target: Path, kind: str, legacy: Legacy | None = None) -> Iterator[Path]:
    """A fresh, marked folder beside `target` that replaces it when the block completes.

    `target` must be ours (check_ours). If the block raises or the process dies, `target`
    stays as it was. Leftovers of a killed process (`.<name>.tmp-*`, `.<name>.old`) are
    cleaned up or moved back by the next call, which holds `.<name>.lock` while it works.
    """
    target = Path(target)
    check_ours(target, kind, legacy)
    target.parent.mkdir(parents=True, exist_ok=True)
    with locks.acquire(_sibling(target, "lock"), f"{target}", remove=True):
        _recover(target, kind, legacy)
        check_ours(target, kind, legacy)
        # Not mkdtemp: its 0700 mode would stick to the published folder.
        staging = _sibling(target, f"tmp-{secrets.token_hex(4)}")
        staging.mkdir()
        try:
            mark(staging, kind)
            yield staging
            old = _sibling(target, "old")
            if target.exists():
                os.rename(target, old)
            os.rename(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        shutil.rmtree(old, ignore_errors=True)


def _sibling(target: Path, suffix: str) -> Path:
    return target.with_name(f".{target.name}.{suffix}")


def _recover(target: Path, kind: str, legacy: Legacy | None) -> None:
    """Called with the target's lock held: any leftover is a dead process's."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(tmp-[0-9a-f]+|old)")
    for leftover in sorted(target.parent.iterdir()):
        if not pattern.fullmatch(leftover.name) or leftover.is_symlink():
            continue
        if not leftover.is_dir() or not (_is_ours(leftover, kind, legacy) or _unmarked(leftover)):
            continue
        if leftover.name.endswith(".old") and not target.exists():
            os.rename(leftover, target)  # killed between the two renames: put it back
        else:
            shutil.rmtree(leftover, ignore_errors=True)


def _unmarked(staging: Path) -> bool:
    """A staging folder killed before its marker was in place: empty, or holding only the
    marker's temporary file."""
    return all(
        p.name.startswith(f".{MARKER}.") and p.name.endswith(".tmp")  # files.write_*
        for p in staging.iterdir()
    )
