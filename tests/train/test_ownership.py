"""A run has one owner: two resumes started together never both train, and SIGTERM (what
schedulers and `docker stop` send) stops a run the way Ctrl-C does."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from netspec.train import train
from tests.train import helpers

pytestmark = pytest.mark.slow
LONG_EPOCHS = 40  # long enough that the first resume still trains when the second starts


def killed_run(tmp_path, epochs):
    """A run killed with SIGKILL after its first epoch."""
    spec = helpers.tiny_spec(tmp_path, train={**helpers.TINY["train"], "epochs": epochs})
    child = helpers.start_training(spec, "--out", "run", cwd=tmp_path)
    helpers.wait_for_line(child, f"epoch 1/{epochs}")
    child.send_signal(signal.SIGKILL)
    child.wait()
    return tmp_path / "run"


def resume(run) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "netspec", "train", "--resume", str(run), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_resumes_started_together_train_once(tmp_path):
    run = killed_run(tmp_path, LONG_EPOCHS)
    first, second = resume(run), resume(run)
    try:
        loser = next(iter(_first_to_exit(first, second)))
        winner = second if loser is first else first
        _, stderr = loser.communicate(timeout=60)
        assert loser.returncode == 1, stderr
        assert stderr.splitlines()[0] == f"error: run {run} is in use by process {winner.pid}"
        assert "Traceback" not in stderr
        assert winner.poll() is None  # still training
        winner.send_signal(signal.SIGTERM)
        _, stderr = winner.communicate(timeout=120)
        assert winner.returncode == 143, stderr
    finally:
        for child in (first, second):
            if child.poll() is None:
                child.kill()
                child.wait()
    manifest = helpers.manifest(run)
    assert len(manifest["sessions"]) == 2  # the killed start, and the one resume that trained
    assert manifest["status"] == "interrupted"


def _first_to_exit(*children, timeout=120):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [child for child in children if child.poll() is not None]
        if done:
            return done
        time.sleep(0.05)
    raise AssertionError("neither resume ended: both are training")


def test_sigterm_is_handled_like_ctrl_c(tmp_path, reference_run):
    epochs = helpers.TINY["train"]["epochs"]
    spec = helpers.tiny_spec(tmp_path)
    child = helpers.start_training(spec, "--out", "run", cwd=tmp_path)
    try:
        helpers.wait_for_line(child, f"epoch 1/{epochs}")
        child.send_signal(signal.SIGTERM)
        _, stderr = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 143, stderr
    assert "Traceback" not in stderr and "resume with: netspec train --resume run" in stderr
    run = tmp_path / "run"
    manifest = helpers.manifest(run)
    assert manifest["status"] == "interrupted" and 1 <= manifest["epochs_completed"] < epochs

    train(resume=run, quiet=True)
    helpers.assert_same_weights(helpers.final_weights(run), helpers.final_weights(reference_run))
