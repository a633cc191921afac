"""Why training stops before its last epoch: Ctrl-C, SIGTERM, or a loss that is no number.

SIGTERM is what schedulers, `docker stop` and `kill` send; it is handled like Ctrl-C (the run
keeps its last checkpoint and is marked `interrupted`), and the process exits 143
(128 + SIGTERM) instead of 130.
"""

from __future__ import annotations

import gc
import math
import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from netspec.errors import UserError, tf_message

SETTLE = 0.5  # seconds tf.data's threads get to wind down after a reading error


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Python would raise KeyboardInterrupt for SIGINT."""

    signal = signal.SIGTERM


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during training: the run keeps its last checkpoint."""

    def __init__(self, run_dir: Path | None, epochs_completed: int, epochs: int, signum: int):
        super().__init__(f"interrupted after epoch {epochs_completed}/{epochs}")
        self.run_dir, self.epochs_completed, self.epochs = run_dir, epochs_completed, epochs
        self.signal = signum


class TrainingDiverged(UserError):
    """The loss became NaN or infinite: nothing after the last good epoch is saved."""


def signal_of(interrupt: KeyboardInterrupt) -> int:
    return getattr(interrupt, "signal", signal.SIGINT)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises Terminated (in the main thread; elsewhere Python
    cannot install handlers, and the block runs as it is)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def check_finite(values: dict, epoch: int, step: int | None = None) -> None:
    """Raise TrainingDiverged if a loss in `values` (loss, val_loss) is NaN or infinite."""
    for key in ("loss", "val_loss"):
        value = values.get(key)
        if value is not None and not math.isfinite(float(value)):
            where = f"epoch {epoch}" + (f", step {step}" if step is not None else "")
            raise TrainingDiverged(
                f"training diverged: {key} became {float(value)} in {where}; the run keeps "
                f"epoch {epoch - 1} and is marked failed",
                hint="lower train.learning_rate, or check the data for NaN/Inf values; then "
                "train again",
            )


@contextmanager
def reading_errors() -> Iterator[None]:
    """A data file that breaks while training (a corrupt TFRecord shard, a file deleted or made
    unreadable) stops the run with a one-line error instead of TensorFlow's trace.

    The error is raised only once TensorFlow's has been dropped and collected: its traceback
    keeps `fit`'s input iterator alive, and an iterator whose tf.data threads are still
    decoding in Python, left to be destroyed while the interpreter exits, hung the process."""
    import tensorflow as tf

    failed = None
    try:
        yield
    except (
        tf.errors.DataLossError,
        tf.errors.NotFoundError,
        tf.errors.PermissionDeniedError,
    ) as err:
        failed = tf_message(err)
    if failed is not None:
        gc.collect()
        time.sleep(SETTLE)  # without the GIL: in-flight Python decoding finishes
        raise UserError(
            f"reading the training data failed: {failed}",
            hint="repair or restore the data, then resume the run",
        )


class PeerFailed(UserError):
    """Another worker of a multi-worker job died or stopped answering."""


@contextmanager
def peer_errors(run, workers: int) -> Iterator[None]:
    """A worker that dies (kill -9, a lost machine) makes TensorFlow's coordination service
    abort the collectives of the others within seconds (heartbeats); this turns that into a
    one-line error naming the worker. `run`: the run directory, on the chief; `workers`: how
    many the job has (with one, such errors are not a peer's and pass unchanged)."""
    import tensorflow as tf

    try:
        yield
    except (tf.errors.UnavailableError, tf.errors.AbortedError, tf.errors.CancelledError) as err:
        if workers < 2:
            raise
        text = str(err)
        tasks = sorted({int(k) for k in re.findall(r"/job:worker/replica:0/task:(\d+)", text)})
        who = f"worker {', '.join(map(str, tasks))}" if tasks else "another worker of the job"
        resume = f"netspec train --resume {run.path}" if run is not None else "--resume"
        raise PeerFailed(
            f"{who} stopped answering (its process died or its host is unreachable); "
            "training stopped on this worker too",
            hint=f"the run keeps its last checkpoint: start every worker again with {resume}",
        ) from None
