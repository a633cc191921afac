"""Run directories: naming, finding the latest, telling live runs from killed ones."""

from __future__ import annotations

import json
import os
import socket
from datetime import datetime

import pytest

from netspec.errors import UsageError, UserError
from netspec.train import runs


def make_run(path, status="completed", started_at="2025-01-01T10:00:00+00:00", **fields):
    path.mkdir(parents=True)
    (path / "manifest.json").write_text(
        json.dumps({"status": status, "started_at": started_at, **fields})
    )
    (path / "spec.yaml").write_text("name: x\n")
    return path


def test_new_run_names_by_time_and_numbers_same_second_runs(tmp_path):
    now = datetime(2025, 3, 4, 5, 6, 7)
    first = runs.new_run("cnn", root=tmp_path, now=now)
    second = runs.new_run("cnn", root=tmp_path, now=now)
    third = runs.new_run("cnn", root=tmp_path, now=now)
    assert [r.path.name for r in (first, second, third)] == [
        "20250304-050607",
        "20250304-050607-2",
        "20250304-050607-3",
    ]
    assert first.path.parent == tmp_path / "cnn" and first.checkpoints.is_dir()


def test_new_run_with_out_refuses_a_folder_that_holds_files(tmp_path):
    assert runs.new_run("cnn", out=tmp_path / "new").path == tmp_path / "new"
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="already exists and is not an empty folder"):
        runs.new_run("cnn", out=tmp_path / "used")


def test_latest_run_is_the_last_started_completed_one(tmp_path):
    make_run(tmp_path / "cnn" / "a", started_at="2025-01-01T10:00:00+00:00")
    newest = make_run(tmp_path / "mlp" / "b", started_at="2025-01-02T10:00:00+00:00")
    make_run(tmp_path / "cnn" / "c", status="interrupted", started_at="2025-01-03T10:00:00+00:00")
    (tmp_path / "cnn" / "broken").mkdir()
    (tmp_path / "cnn" / "broken" / "manifest.json").write_text("{not json")
    assert runs.latest_run(tmp_path) == newest


def test_latest_run_without_any_is_a_clear_error(tmp_path):
    make_run(tmp_path / "cnn" / "a", status="interrupted")
    with pytest.raises(UserError, match=f"no completed run under {tmp_path}") as err:
        runs.latest_run(tmp_path)
    assert err.value.hint == "train one first: netspec train SPEC"


def test_latest_unfinished_run_skips_completed_and_live_runs(tmp_path):
    killed = make_run(
        tmp_path / "cnn" / "a",
        status="running",
        pid=2**22 + 1,
        host=socket.gethostname(),
        started_at="2025-01-01T10:00:00+00:00",
    )
    make_run(tmp_path / "cnn" / "b", started_at="2025-01-02T10:00:00+00:00")
    make_run(
        tmp_path / "cnn" / "c",
        status="running",
        pid=os.getpid(),
        host=socket.gethostname(),
        started_at="2025-01-03T10:00:00+00:00",
    )
    assert runs.latest_unfinished_run("cnn", tmp_path) == killed
    with pytest.raises(UserError, match="no unfinished run of 'mlp'"):
        runs.latest_unfinished_run("mlp", tmp_path)


def test_is_alive_only_for_a_running_process_on_this_host():
    host = socket.gethostname()
    assert runs.is_alive({"status": "running", "pid": os.getpid(), "host": host})
    assert not runs.is_alive({"status": "interrupted", "pid": os.getpid(), "host": host})
    assert not runs.is_alive({"status": "running", "pid": os.getpid(), "host": host + "-other"})
    assert not runs.is_alive({"status": "running", "pid": 2**22 + 1, "host": host})


def test_resolve_spec_arg(tmp_path):
    run = make_run(tmp_path / "run")
    assert runs.resolve_spec_arg(run) == run / "spec.yaml"
    assert runs.resolve_spec_arg(tmp_path / "cnn.yaml") == tmp_path / "cnn.yaml"
    with pytest.raises(UsageError, match="is a folder, not a spec file or a run directory"):
        runs.resolve_spec_arg(tmp_path)


def test_open_run_needs_a_manifest(tmp_path):
    with pytest.raises(UsageError, match="no such run directory"):
        runs.open_run(tmp_path / "missing")
    with pytest.raises(UsageError, match="is not a run directory"):
        runs.open_run(tmp_path)
