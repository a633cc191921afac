"""Shared by the CLI hardening tests: one-line errors, untouched folders, in-process runs."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# What TensorFlow prints on stderr while it starts (netspec.cli.quiet_tf keeps it away).
TF_NOISE = ("cudart_stub", "cuInit", "cpu_feature_guard", "oneDNN", "absl::InitializeLog")
# `error: ...`, or a spec diagnostic `file:line:col: error: ...`.
FIRST_LINE = re.compile(r"(error: |\S.*:\d+:\d+: error: )\S")


@dataclass
class Outcome:
    """What a finished command left: the fields of subprocess.CompletedProcess that the
    assertions read, also for commands run in this process (run_main)."""

    returncode: int
    stdout: str
    stderr: str


def assert_one_line_error(result, code: int = 1) -> str:
    """`result` (a CompletedProcess or Outcome) exited with `code`, and its stderr is one error
    line, optionally followed by one `  hint:` line: no traceback, no TensorFlow start-up lines.
    Returns the error line."""
    stderr = result.stderr
    shown = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{stderr}"
    assert result.returncode == code, shown
    assert "Traceback" not in stderr, shown
    for noise in TF_NOISE:
        assert noise not in stderr, f"TensorFlow's start-up line ({noise}) on stderr:\n{shown}"
    lines = stderr.splitlines()
    assert lines and FIRST_LINE.match(lines[0]), shown
    assert len(lines) <= 2, shown
    if len(lines) == 2:
        assert lines[1].startswith("  hint: "), shown
    return lines[0]


def tree_digest(root: Path, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """Every path under `root` (relative, `exclude`d ones and what is below them left out)
    with a digest of what it is: a file's bytes, a link's target, or `folder`. Equal digests
    before and after a command prove it changed nothing there (a diff names what did)."""
    root = Path(root)
    found = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if any(name == skip or name.startswith(f"{skip}/") for skip in exclude):
            continue
        if path.is_symlink():
            found[name] = f"link -> {path.readlink()}"
        elif path.is_dir():
            found[name] = "folder"
        else:
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def run_main(monkeypatch, capsys, *args) -> Outcome:
    """`netspec ARGS...` in this process, through the real entry point (netspec.cli.app.main),
    so that a test can inject faults with monkeypatch first. The quiet TensorFlow import hook
    the CLI installs is removed again afterwards (monkeypatch restores sys.meta_path)."""
    from netspec.cli.app import main

    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    monkeypatch.setattr(sys, "argv", ["netspec", *map(str, args)])
    capsys.readouterr()
    try:
        main()
    except SystemExit as end:
        code = end.code if isinstance(end.code, int) else (0 if end.code is None else 1)
    else:
        code = 0
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def python_process(*args, cwd=None) -> Outcome:
    """`python ARGS...` in a fresh process (for interpreter options such as -X importtime)."""
    done = subprocess.run(
        [sys.executable, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300
    )
    return Outcome(done.returncode, done.stdout, done.stderr)
