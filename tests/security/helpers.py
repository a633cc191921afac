"""Checks shared by the security tests: how a refusal looks, and proof that nothing changed."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

# What a refusal may print on stderr: diagnostics (`[file:line:col: ]error: ...`), their hints,
# and `validate`'s closing count (`spec.yaml: 2 errors`). Nothing else: no traceback, no
# TensorFlow or onnxruntime log lines, no "internal error".
ERROR_LINE = re.compile(r"^(?:\S.*: )?error: \S")
HINT_LINE = re.compile(r"^  hint: \S")
COUNT_LINE = re.compile(r"^\S.*: \d+ errors?$")


def assert_refused(result, *words: str, code: int | None = None) -> str:
    """`result` (a CompletedProcess of `python -m netspec ...`) failed with one-line errors
    (each optionally followed by a hint) whose first names every one of `words`; returns that
    first error line."""
    stderr = result.stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    assert result.returncode in ((code,) if code is not None else (1, 2)), (
        result.returncode,
        stderr,
    )
    lines = stderr.splitlines()
    assert lines, "no message on stderr"
    for line in lines:
        assert ERROR_LINE.match(line) or HINT_LINE.match(line) or COUNT_LINE.match(line), (
            f"not an error, hint or count line: {line!r}\n{stderr}"
        )
    errors = [line for line in lines if ERROR_LINE.match(line)]
    assert errors, stderr
    for word in words:
        assert word in errors[0], f"{word!r} not in {errors[0]!r}"
    return errors[0]


def assert_one_line(message: str, *words: str) -> None:
    """An exception's message, as the CLI would print it: one line naming `words`."""
    assert "\n" not in message, message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def tree_state(root: Path) -> dict[str, str]:
    """Every entry under `root` (hidden ones included) by relative path: a file's SHA-256, a
    folder, or a link's target, so two snapshots differ iff anything was added, removed or
    changed."""
    root = Path(root)
    state = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        if path.is_symlink():
            state[key] = f"link -> {path.readlink()}"
        elif path.is_dir():
            state[key] = "folder"
        else:
            state[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def copy_run(run: Path, to: Path, **manifest) -> Path:
    """A copy of the run directory `run` at `to` (others read the original as is), with
    `manifest` entries changed."""
    copied = Path(shutil.copytree(run, to))
    if manifest:
        path = copied / "manifest.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), **manifest}))
    return copied
