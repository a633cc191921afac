"""Shared by the security tests (the stderr and folder checks are tests/helpers.py's)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.helpers import assert_error


def assert_refused(result, *words: str, code: int | None = None) -> str:
    """A refusal (tests.helpers.assert_error): validate may report several errors at once."""
    return assert_error(result, *words, code=code, single=False)


def assert_one_line(message: str, *words: str) -> None:
    """An exception's message, as the CLI would print it: one line naming `words`."""
    assert "\n" not in message, message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def copy_run(run: Path, to: Path, **manifest) -> Path:
    """A copy of the run directory `run` at `to` (others read the original as is), with
    `manifest` entries changed."""
    copied = Path(shutil.copytree(run, to))
    if manifest:
        path = copied / "manifest.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), **manifest}))
    return copied
