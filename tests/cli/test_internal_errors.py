"""The top-level handler: an exception that is netspec's bug, not the user's mistake, is one
line, exit 70 (EX_SOFTWARE) and a crash log under $NETSPEC_CACHE/logs holding the traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netspec.cli import summary
from tests.cli.helpers import run_main
from tests.train import helpers as train_helpers


def explode(*args, **kwargs):
    raise RuntimeError("boom\nand more about it")


@pytest.fixture
def broken_summary(monkeypatch, tmp_path):
    """`netspec summary` whose summarize raises (the command module imported it by name)."""
    monkeypatch.setattr(summary, "summarize", explode)
    return train_helpers.tiny_spec(tmp_path)


def test_an_internal_error_is_one_line_and_a_crash_log(
    monkeypatch, capsys, tmp_path, broken_summary
):
    monkeypatch.setenv("NETSPEC_CACHE", str(tmp_path / "cache"))
    outcome = run_main(monkeypatch, capsys, "summary", broken_summary)
    assert outcome.returncode == 70
    lines = outcome.stderr.splitlines()
    assert len(lines) == 2, outcome.stderr
    assert lines[0] == "error: internal error: RuntimeError: boom"
    match = re.fullmatch(r"  details: (.+)", lines[1])
    assert match, lines[1]
    log = Path(match[1])
    assert log.parent == tmp_path / "cache" / "logs"
    assert re.fullmatch(r"crash-\d{8}-\d{6}-\d+\.log", log.name)
    text = log.read_text()
    assert text.startswith(f"netspec summary {broken_summary}\n")
    assert "Traceback (most recent call last)" in text
    assert "in explode" in text and "RuntimeError: boom\nand more about it" in text


def test_a_crash_log_that_cannot_be_written(monkeypatch, capsys, tmp_path, broken_summary):
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder\n")
    monkeypatch.setenv("NETSPEC_CACHE", str(blocker))
    outcome = run_main(monkeypatch, capsys, "summary", broken_summary)
    assert outcome.returncode == 70
    assert outcome.stderr == (
        "error: internal error: RuntimeError: boom\n  (the details could not be saved)\n"
    )
    assert blocker.read_text() == "not a folder\n"
