"""Run directories: naming, finding the latest, telling live runs from killed ones."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import pytest

from netspec import runs
from netspec.errors import UsageError, UserError
from netspec.runs import Run


def make_run(path, status="completed", started_at="2025-01-01T10:00:00+00:00", **fields):
    path.mkdir(parents=True)
    (path / "manifest.json").write_text(
        json.dumps({"spec": {"name": "x"}, "status": status, "started_at": started_at, **fields})
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
    assert [p.name for p in (tmp_path / "used").iterdir()] == ["notes.txt"]


def test_latest_run_is_the_last_started_completed_one(tmp_path):
    make_run(tmp_path / "cnn" / "a", started_at="2025-01-01T10:00:00+00:00")
    newest = make_run(tmp_path / "mlp" / "b", started_at="2025-01-02T10:00:00+00:00")
    make_run(tmp_path / "cnn" / "c", status="interrupted", started_at="2025-01-03T10:00:00+00:00")
    (tmp_path / "cnn" / "broken").mkdir()
    (tmp_path / "cnn" / "broken" / "manifest.json").write_text("{not json")
    assert runs.latest_run(tmp_path).path == newest


def test_latest_run_without_any_is_a_clear_error(tmp_path):
    make_run(tmp_path / "cnn" / "a", status="interrupted")
    with pytest.raises(UserError, match=f"no completed run under {tmp_path}") as err:
        runs.latest_run(tmp_path)
    assert err.value.hint == "train one first: netspec train SPEC"


def test_latest_unfinished_run_skips_completed_and_live_runs(tmp_path):
    killed = make_run(
        tmp_path / "cnn" / "a", status="running", started_at="2025-01-01T10:00:00+00:00"
    )
    make_run(tmp_path / "cnn" / "b", started_at="2025-01-02T10:00:00+00:00")
    live = make_run(
        tmp_path / "cnn" / "c", status="running", started_at="2025-01-03T10:00:00+00:00"
    )
    with Run(live).lock():
        assert runs.latest_unfinished_run("cnn", tmp_path).path == killed
    assert runs.latest_unfinished_run("cnn", tmp_path).path == live
    with pytest.raises(UserError, match="no unfinished run of 'mlp'"):
        runs.latest_unfinished_run("mlp", tmp_path)


HOLD_LOCK = """
import sys, time
from pathlib import Path
from netspec.runs import Run
lock = Run(Path(sys.argv[1])).lock()
print("locked", flush=True)
time.sleep(60)
"""


def test_a_run_is_active_while_a_live_process_holds_its_lock(tmp_path):
    run = Run(make_run(tmp_path / "run", status="running"))
    assert not run.is_active()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(run.path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert run.is_active()
        with pytest.raises(UserError, match=f"run {run.path} is in use by process {holder.pid}"):
            run.lock()
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert not run.is_active()  # the OS released the killed process's lock
    run.lock().release()


def test_resolve_spec_arg(tmp_path):
    run = make_run(tmp_path / "run")
    assert runs.resolve_spec_arg(run) == run / "spec.yaml"
    assert runs.resolve_spec_arg(tmp_path / "cnn.yaml") == tmp_path / "cnn.yaml"
    with pytest.raises(UsageError, match="is a folder, not a spec file or a run directory"):
        runs.resolve_spec_arg(tmp_path)


def test_open_run_needs_a_run_directory(tmp_path):
    with pytest.raises(UsageError, match="no such run directory"):
        runs.open_run(tmp_path / "missing")
    with pytest.raises(UsageError, match="is not a run directory"):
        runs.open_run(tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="is not a run directory"):
        runs.open_run(tmp_path / "file")


def test_the_manifest_is_read_once_per_run_object(tmp_path):
    run = runs.open_run(make_run(tmp_path / "run"))
    assert run.manifest()["status"] == "completed"
    run.manifest_file.write_text("{broken")
    assert run.manifest()["status"] == "completed"
    with pytest.raises(UserError, match="unreadable manifest"):
        runs.open_run(run.path).manifest()
