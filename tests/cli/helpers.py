"""Shared by the CLI hardening tests: commands run in this process (to inject faults) and
fresh interpreters (for -X importtime). The checks are tests/helpers.py's."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass


@dataclass
class Outcome:
    """What a finished command left: the fields of subprocess.CompletedProcess that the
    assertions read, also for commands run in this process (run_main)."""

    returncode: int
    stdout: str
    stderr: str


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
