"""netspec.train.recorder: the chief's writes happen on one background thread, in the order
they were handed over (a checkpoint, then the files derived from it), and a write that fails
is raised in the training thread. Failures are real ones (a file where the checkpoints folder
should be), not mocks."""

from __future__ import annotations

import csv
import json
import threading
import time
from contextlib import suppress

import numpy as np
import pytest

from netspec.runs import checkpoints, new_run
from netspec.train import history
from netspec.train.recorder import Recorder

WAIT = 30  # seconds a test waits for the writer before it calls the test failed


def row(epoch: int) -> dict:
    return history.make_row(
        epoch,
        {"loss": 1.0 / epoch, "accuracy": 0.5, "val_loss": 1.2 / epoch, "val_accuracy": 0.4},
        0.01,
        1.5,
    )


def state(epoch: int) -> dict[str, np.ndarray]:
    return {"fc/kernel": np.full((3, 2), epoch, np.float32), "fc/bias": np.zeros(2, np.float32)}


def meta(epoch: int) -> dict:
    return {"epochs_completed": epoch, "history": [row(k) for k in range(1, epoch + 1)]}


def manifest(epoch: int) -> dict:
    return {"spec": {"name": "t"}, "status": "running", "epochs_completed": epoch}


@pytest.fixture
def run(tmp_path):
    return new_run("t", out=tmp_path / "run")


@pytest.fixture
def recorder(run):
    made = Recorder(run, "t (run)")
    yield made
    made._thread.shutdown(wait=True)  # a test that failed on purpose left it open


def saved_epochs(run) -> int:
    return checkpoints.load(run.last_checkpoint, training=True)[1]["epochs_completed"]


def csv_epochs(run) -> list[int]:
    with run.history_file.open() as f:
        return [int(line["epoch"]) for line in csv.DictReader(f)]


def record_epoch(recorder, epoch: int, then=None) -> None:
    """What the training loop hands over at the end of an epoch."""
    recorder.checkpoint(state(epoch), meta(epoch))
    recorder.epoch(meta(epoch)["history"], manifest(epoch), then)


def test_checkpoint_then_files_in_order_off_thread(run, recorder):
    seen = []

    def then(epoch):
        """The progress line's turn: everything of the epoch is on disk, no later epoch is."""
        seen.append(
            {
                "epoch": epoch,
                "thread": threading.current_thread().name,
                "checkpoint": saved_epochs(run),
                "csv": csv_epochs(run),
                "manifest": json.loads(run.manifest_file.read_text())["epochs_completed"],
                "curves": run.curves_file.is_file(),
                "tb": any((run.tb_dir / "train").iterdir()),
            }
        )

    for epoch in (1, 2, 3):
        record_epoch(recorder, epoch, lambda epoch=epoch: then(epoch))
    recorder.close()
    assert [s["epoch"] for s in seen] == [1, 2, 3]
    for s in seen:
        epoch = s.pop("epoch")
        assert s["thread"].startswith("netspec-recorder")
        assert s["thread"] != threading.current_thread().name
        assert (s["checkpoint"], s["csv"], s["manifest"]) == (
            epoch,
            list(range(1, epoch + 1)),
            epoch,
        )
        assert s["tb"]
    arrays, _ = checkpoints.load(run.last_checkpoint, training=True)
    np.testing.assert_array_equal(arrays["fc/kernel"], state(3)["fc/kernel"])
    assert not run.curves_file.exists()  # drawn every CURVES_EVERY seconds, or at the end
    assert run.manifest()["epochs_completed"] == 3
    assert not run.best_checkpoint.exists()


def test_curves_are_redrawn_once_enough_time_has_passed(run, recorder, monkeypatch):
    monkeypatch.setattr("netspec.train.recorder.CURVES_EVERY", 0.0)
    for epoch in (1, 2):
        record_epoch(recorder, epoch)
    recorder.close()
    assert run.curves_file.read_bytes().startswith(b"\x89PNG")
    assert recorder.curves_epochs == 2


def test_a_best_epoch_is_saved_before_the_checkpoint(run, recorder):
    recorder.checkpoint(state(2), meta(2), best=state(1))
    recorder.flush()
    best, best_meta = checkpoints.load(run.best_checkpoint)
    np.testing.assert_array_equal(best["fc/kernel"], state(1)["fc/kernel"])
    assert best_meta == {}
    assert saved_epochs(run) == 2


def test_handing_over_does_not_wait_for_the_disk(run, recorder):
    """While the writer is busy the training thread goes on, and what it changes after the
    hand-over (the next epoch's rows, the manifest) is not what gets written."""
    busy, release = threading.Event(), threading.Event()

    def then():
        busy.set()
        assert release.wait(WAIT)

    record_epoch(recorder, 1, then)
    assert busy.wait(WAIT)
    rows, written = meta(2)["history"], manifest(2)
    recorder.checkpoint(state(2), {"epochs_completed": 2, "history": rows})
    recorder.epoch(rows, written)
    rows.append(row(3))  # the training loop's next epoch, before the writer got to epoch 2
    written["epochs_completed"] = 3
    assert saved_epochs(run) == 1 and csv_epochs(run) == [1]  # nothing of epoch 2 yet
    release.set()
    recorder.flush()
    assert saved_epochs(run) == 2
    assert csv_epochs(run) == [1, 2]
    assert run.manifest()["epochs_completed"] == 2
    recorder.close()


def break_checkpoints(run) -> None:
    """A file where the checkpoints folder should be: every checkpoint write fails."""
    run.checkpoints.rmdir()
    run.checkpoints.write_text("not a folder")


def test_flush_raises_a_failed_write_in_the_calling_thread(run, recorder):
    break_checkpoints(run)
    recorder.checkpoint(state(1), meta(1))  # handed over: no error yet
    with pytest.raises(NotADirectoryError) as failed:
        recorder.flush()
    assert failed.value.filename == str(run.last_checkpoint)  # names the file, not a temp file
    assert [p.name for p in run.path.iterdir()] == ["checkpoints"]  # no temporary file left
    recorder.close()  # the error was raised once; closing does not raise it again


def test_a_failed_write_is_raised_at_a_later_hand_over(run, recorder):
    break_checkpoints(run)
    recorder.checkpoint(state(1), meta(1))
    deadline = time.monotonic() + WAIT
    with pytest.raises(NotADirectoryError):  # once the failed write is done
        while time.monotonic() < deadline:
            recorder.checkpoint(state(2), meta(2))
            time.sleep(0.01)
    with pytest.raises(NotADirectoryError):  # the later ones failed too
        recorder.close()


def test_nothing_is_derived_from_a_checkpoint_that_failed(run, recorder):
    called = []
    break_checkpoints(run)
    recorder.checkpoint(state(1), meta(1))
    with pytest.raises(NotADirectoryError):  # at the hand-over if the write failed already
        recorder.epoch(meta(1)["history"], manifest(1), lambda: called.append(1))
        recorder.close()
    with suppress(NotADirectoryError):
        recorder.close()  # every write handed over is done
    assert not run.history_file.exists()
    assert not run.manifest_file.exists()
    assert called == []
