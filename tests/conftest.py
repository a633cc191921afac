"""Fixtures shared by the test suites."""

import subprocess
import sys

import pytest


@pytest.fixture(scope="session")
def netspec_process():
    """Run `python -m netspec ARGS...` in a fresh process (stdout, stderr and exit code)."""

    def run(*args, cwd=None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "netspec", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=300,
        )

    return run
