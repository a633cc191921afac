"""The Keras callback that saves a run after every epoch, so that Ctrl-C or `kill -9` loses at
most the epoch in progress.

At each epoch's end, in this order: the checkpoint (the truth about completed epochs: weights,
RNG and optimizer state, history rows, early-stopping state), then files derived from it
(history.csv, TensorBoard scalars, manifest). Early stopping is decided here too (the
training loop stops when the stopper says so), and a loss that is NaN or infinite stops
training before anything of its epoch is saved.
"""

from __future__ import annotations

import time

import keras

from netspec.runs import Run, checkpoints
from netspec.runs import manifest as manifests
from netspec.train import history
from netspec.train.early_stopping import EarlyStopping
from netspec.train.progress import Reporter
from netspec.train.stopping import check_finite
from netspec.train.tb_logs import EpochLogs


class EpochRecorder(keras.callbacks.Callback):
    def __init__(
        self,
        run: Run,
        manifest: dict,
        meta: dict,
        stopper: EarlyStopping | None,
        reporter: Reporter,
        epochs: int,
        steps: int,
    ):
        super().__init__()
        self.run, self.manifest, self.stopper = run, manifest, stopper
        self.reporter, self.epochs, self.steps = reporter, epochs, steps
        self.rows = list(meta.get("history", []))
        self.tb_logs = EpochLogs(run.tb_dir)
        self.started, self.epoch = None, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.started = time.monotonic()
        self.reporter.start_epoch(epoch + 1, self.epochs, self.steps)

    def on_train_batch_end(self, batch, logs=None):
        check_finite(logs or {}, self.epoch + 1, batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        check_finite(logs or {}, epoch + 1)
        row = history.make_row(
            epoch + 1,
            dict(logs or {}),
            learning_rate(self.model),
            round(time.monotonic() - self.started, 3),
        )
        stopper = self.stopper
        if stopper is not None and stopper.update(row) and stopper.restore_best:
            checkpoints.save(self.run.best_checkpoint, checkpoints.model_weights(self.model))
        self.rows.append(row)
        checkpoints.save(
            self.run.last_checkpoint,
            training_state(self.model),
            {
                "epochs_completed": epoch + 1,
                "history": self.rows,
                "early_stopping": stopper.state() if stopper else None,
            },
        )
        history.write_csv(self.run.history_file, self.rows)
        self.tb_logs.write(epoch + 1, row)
        self.reporter.end_epoch(row, self.epochs)
        self.manifest["epochs_completed"] = epoch + 1
        if stopper is not None and stopper.should_stop:
            self.manifest["stopped_early"] = {
                "epoch": epoch + 1,
                "monitor": stopper.monitor,
                "best_epoch": stopper.best_epoch,
                "best": stopper.best,
            }
        manifests.write(self.run, self.manifest)

    def close(self) -> None:
        self.tb_logs.close()


def training_state(model) -> dict:
    """Everything a resume restores: model variables (with RNG state) and optimizer state."""
    return {**checkpoints.model_state(model), **checkpoints.optimizer_state(model.optimizer)}


def learning_rate(model) -> float:
    """The rate the next step will use (the schedule at the optimizer's step counter)."""
    return float(model.optimizer.learning_rate)
