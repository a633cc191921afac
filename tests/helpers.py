"""What many test suites share: writing spec files, how a refusal must look on stderr, and
proof that a command changed nothing in a folder."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import yaml

# What TensorFlow prints on stderr while it starts (netspec.cli.quiet_tf keeps it away).
TF_NOISE = ("cudart_stub", "cuInit", "cpu_feature_guard", "oneDNN", "absl::InitializeLog")
# `error: ...`, a spec diagnostic `file:line:col: error: ...` or `--set x=y: error: ...`.
ERROR_LINE = re.compile(r"^(?:\S.*: )?error: \S")
HINT_LINE = re.compile(r"^  hint: \S")
COUNT_LINE = re.compile(r"^\S.*: \d+ errors?$")  # validate's closing line


def write_spec(folder: Path, spec: str | dict, name: str = "spec", **sections) -> Path:
    """Write `spec` as `folder/<name>.yaml` and return its path.

    A dict gets `sections` merged in (one level deep: `train={"epochs": 2}` keeps the other
    train fields); a text is written as is.
    """
    path = Path(folder) / (name if name.endswith(".yaml") else f"{name}.yaml")
    if isinstance(spec, str):
        if sections:
            raise TypeError("sections can only be merged into a dict spec")
        path.write_text(spec)
        return path
    doc = json.loads(json.dumps(spec))
    for key, value in sections.items():
        doc[key] = {**doc[key], **value} if isinstance(value, dict) and key in doc else value
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def load_spec(folder: Path, spec: str | dict, name: str = "spec", **sections):
    """write_spec, then netspec.spec.load: the resolved Spec."""
    from netspec.spec import load

    return load(write_spec(folder, spec, name, **sections))


def assert_error(result, *words: str, code: int | None = None, single: bool = True) -> str:
    """`result` (a finished `netspec` command: returncode, stdout, stderr) failed with exit
    `code` (default: 1 or 2) and printed nothing on stderr but error lines, each optionally
    followed by a hint (and validate's closing count): no traceback, no internal error, no
    TensorFlow start-up lines. `single`: exactly one error line. Returns the first error line,
    which names every one of `words`."""
    stderr = result.stderr
    shown = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{stderr}"
    assert result.returncode in ((code,) if code is not None else (1, 2)), shown
    assert "Traceback" not in stderr and "internal error" not in stderr, shown
    for noise in TF_NOISE:
        assert noise not in stderr, f"TensorFlow's start-up line ({noise}) on stderr:\n{shown}"
    lines = stderr.splitlines()
    for line in lines:
        assert ERROR_LINE.match(line) or HINT_LINE.match(line) or COUNT_LINE.match(line), shown
    errors = [line for line in lines if ERROR_LINE.match(line)]
    assert errors and ERROR_LINE.match(lines[0]), shown
    if single:
        assert len(lines) <= 2 and len(errors) == 1, shown
    for word in words:
        assert word in errors[0], f"{word!r} not in {errors[0]!r}"
    return errors[0]


def tree_state(root: Path, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """Every entry under `root` (hidden ones included; `exclude`d paths and what is below them
    left out) by relative path: a file's SHA-256, `folder`, or a link's target. Equal states
    before and after a command prove it changed nothing there (a diff names what did)."""
    root = Path(root)
    state = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        if any(key == skip or key.startswith(f"{skip}/") for skip in exclude):
            continue
        if path.is_symlink():
            state[key] = f"link -> {path.readlink()}"
        elif path.is_dir():
            state[key] = "folder"
        else:
            state[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def start_netspec(*args, cwd: Path) -> subprocess.Popen:
    """`python -m netspec ARGS...` in a child whose stdout is a pipe (plain progress lines).

    The child starts with the default SIGINT action even if this process ignores SIGINT (as
    background jobs do), so Python turns SIGINT into KeyboardInterrupt there.
    """
    return subprocess.Popen(
        [sys.executable, "-m", "netspec", *map(str, args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
