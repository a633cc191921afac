"""Atomic writes: a failure (or a kill) mid-write leaves the old file as it was."""

from __future__ import annotations

import json
import os

import pytest

from netspec import files as atomic


def test_writes_and_replaces(tmp_path):
    target = tmp_path / "a.json"
    atomic.write_json(target, {"epoch": 1})
    atomic.write_json(target, {"epoch": 2})
    assert json.loads(target.read_text()) == {"epoch": 2}
    assert os.listdir(tmp_path) == ["a.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "last.npz"
    target.write_bytes(b"good")

    def crash(src, dst):
        raise KeyboardInterrupt  # as if Ctrl-C arrived between writing and renaming

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_bytes(target, b"new")
    assert target.read_bytes() == b"good"
    assert os.listdir(tmp_path) == ["last.npz"]


def test_json_is_strict_non_finite_values_become_null(tmp_path):
    target = tmp_path / "m.json"
    atomic.write_json(target, {"loss": float("nan"), "rows": [float("inf"), 1.5, -float("inf")]})
    text = target.read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"loss": None, "rows": [None, 1.5, None]}


def test_files_get_the_mode_the_umask_allows_not_0600(tmp_path):
    previous = os.umask(0o022)
    try:
        atomic.umask.cache_clear()
        atomic.write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(previous)
        atomic.umask.cache_clear()
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644


def test_an_os_error_names_the_target_not_the_temporary_file(tmp_path, monkeypatch):
    import errno

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as err:
        atomic.write_bytes(tmp_path / "last.npz", b"data")
    assert err.value.errno == errno.ENOSPC and err.value.filename == str(tmp_path / "last.npz")
    assert os.listdir(tmp_path) == []
