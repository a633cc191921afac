"""Interrupted runs continue to the weights of an uninterrupted run, bit for bit.

Each test trains helpers.TINY in a real child process, stops it mid-run (SIGKILL, or SIGINT as
Ctrl-C sends), resumes it, and compares the final weights with `reference_run`, trained
uninterrupted in the pytest process.
"""

from __future__ import annotations

import csv
import json
import shutil
import signal

import pytest
from typer.testing import CliRunner

from netspec.cli.app import app
from netspec.errors import UserError
from netspec.runs import checkpoints
from netspec.train import train
from tests.train import helpers

pytestmark = pytest.mark.slow
EPOCHS = helpers.TINY["train"]["epochs"]


def history_rows(run, skip=("seconds",)):
    with open(run / "history.csv", newline="") as f:
        return [{k: v for k, v in row.items() if k not in skip} for row in csv.DictReader(f)]


def test_kill_9_mid_run_then_resume_matches_an_uninterrupted_run(tmp_path, reference_run):
    spec = helpers.tiny_spec(tmp_path)
    child = helpers.start_training(spec, "--out", "run", cwd=tmp_path)
    helpers.wait_for_line(child, f"epoch 2/{EPOCHS}")
    child.send_signal(signal.SIGKILL)
    child.wait()
    run = tmp_path / "run"

    _, meta = checkpoints.load(run / "checkpoints" / "last.npz")  # intact despite the kill
    assert 2 <= meta["epochs_completed"] < EPOCHS
    assert helpers.manifest(run)["status"] == "running"  # as the killed process left it
    assert len(history_rows(run)) <= meta["epochs_completed"]
    assert not (run / "checkpoints" / "final.npz").exists()
    assert not list((run / "checkpoints").glob(".*.tmp"))

    train(resume=run, quiet=True)

    helpers.assert_same_weights(helpers.final_weights(run), helpers.final_weights(reference_run))
    manifest = helpers.manifest(run)
    assert manifest["status"] == "completed" and manifest["epochs_completed"] == EPOCHS
    assert len(manifest["sessions"]) == 2
    assert history_rows(run) == history_rows(reference_run)  # all epochs, same numbers


def test_ctrl_c_saves_the_run_and_spec_plus_resume_continues_it(
    tmp_path, reference_run, monkeypatch
):
    spec = helpers.tiny_spec(tmp_path)
    child = helpers.start_training(spec, cwd=tmp_path)
    helpers.wait_for_line(child, f"epoch 1/{EPOCHS}")
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=120)

    assert child.returncode == 130, stderr
    [run] = (tmp_path / "runs" / "tiny").iterdir()
    assert f"resume with: netspec train --resume {run.relative_to(tmp_path)}" in stderr
    assert "Traceback" not in stderr
    manifest = helpers.manifest(run)
    assert manifest["status"] == "interrupted" and manifest["finished_at"]
    assert 1 <= manifest["epochs_completed"] < EPOCHS
    assert len(history_rows(run)) == manifest["epochs_completed"]
    assert (run / "curves.png").read_bytes().startswith(b"\x89PNG")

    monkeypatch.chdir(tmp_path)  # the spec's latest unfinished run is looked up under ./runs
    result = CliRunner().invoke(app, ["train", str(spec), "--resume", "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(run.relative_to(tmp_path))
    helpers.assert_same_weights(helpers.final_weights(run), helpers.final_weights(reference_run))


def test_a_run_killed_before_its_first_epoch_completed_starts_over(tmp_path, reference_run):
    run = shutil.copytree(reference_run, tmp_path / "run")
    for name in (
        "checkpoints/last.npz",
        "checkpoints/final.npz",
        "metrics.json",
        "history.csv",
        "curves.png",
    ):
        (run / name).unlink()
    manifest = helpers.manifest(run)
    manifest.update(status="running", epochs_completed=0, pid=2**22 + 1)
    (run / "manifest.json").write_text(json.dumps(manifest))

    train(resume=run, quiet=True)

    helpers.assert_same_weights(helpers.final_weights(run), helpers.final_weights(reference_run))
    assert helpers.manifest(run)["status"] == "completed"


def test_a_damaged_checkpoint_is_a_clear_error_and_is_kept(tmp_path, reference_run):
    run = shutil.copytree(reference_run, tmp_path / "run")
    (run / "checkpoints" / "last.npz").write_bytes(b"not a checkpoint")
    manifest = helpers.manifest(run)
    manifest.update(status="interrupted")
    (run / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(UserError, match="last.npz: not a readable checkpoint"):
        train(resume=run, quiet=True)
    assert (run / "checkpoints" / "last.npz").read_bytes() == b"not a checkpoint"
    assert helpers.manifest(run)["status"] == "interrupted"


def test_a_checkpoint_without_completed_epochs_is_refused_not_restarted(tmp_path, reference_run):
    # It used to restart from epoch 0 on top of the trained weights and mark the run completed.
    run = shutil.copytree(reference_run, tmp_path / "run")
    arrays, meta = checkpoints.load(run / "checkpoints" / "last.npz", training=True)
    del meta["epochs_completed"]
    checkpoints.save(
        run / "checkpoints" / "last.npz", {k: _Value(v) for k, v in arrays.items()}, meta
    )
    manifest = helpers.manifest(run)
    manifest.update(status="interrupted")
    (run / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(UserError, match="last.npz: its @meta entry lacks a valid epochs_completed"):
        train(resume=run, quiet=True)
    assert helpers.manifest(run)["status"] == "interrupted"


class _Value:
    """What checkpoints.save reads from a variable."""

    def __init__(self, array):
        self.array = array

    def numpy(self):
        return self.array
