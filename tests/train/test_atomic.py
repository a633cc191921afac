"""Atomic writes: a failure (or a kill) mid-write leaves the old file as it was."""

from __future__ import annotations

import json
import os

import pytest

from netspec.train import atomic


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
