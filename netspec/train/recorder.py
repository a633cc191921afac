"""What the chief keeps of a run as it trains, written off the training thread.

The training loop takes a snapshot of the variables (a copy in memory, milliseconds) and hands
it here; one background thread writes, in the order they came: the checkpoint (the truth about
how far the run got: weights, RNG and optimizer state, history rows, early-stopping state, and
within an epoch the steps done of it), then the files derived from it (history.csv, TensorBoard
scalars, curves.png at most every CURVES_EVERY seconds and at the end, the manifest). A write
that fails is raised in the training thread at its next hand-over, or at `flush`. `kill -9`
loses at most what was not yet written: every file is replaced atomically (netspec.files), so
each is a previous state or the new one.
"""

from __future__ import annotations

import copy
import time
from concurrent.futures import Future, ThreadPoolExecutor

from netspec.runs import Run, checkpoints
from netspec.runs import manifest as manifests
from netspec.train import history
from netspec.train.tb_logs import EpochLogs

# Drawing curves.png takes a core for a few tenths of a second, which on a small machine is
# taken from training: it is redrawn at most this often, and when the run ends.
CURVES_EVERY = 30.0  # seconds


class Recorder:
    def __init__(self, run: Run, title: str):
        self.run, self.title = run, title
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="netspec-recorder")
        self._pending: list[Future] = []
        self._tb_logs: EpochLogs | None = None
        self.curves_epochs = -1  # epochs shown in curves.png
        self._drawn = time.monotonic()  # when curves.png was last drawn
        self._failed = False  # a checkpoint failed: nothing may be derived from later epochs

    def checkpoint(self, state: dict, meta: dict, best: dict | None = None) -> None:
        """Save `state` (checkpoints.snapshot) with `meta`; `best`: weights of a new best epoch."""
        meta = copy.deepcopy(meta)
        self._submit(self._write_checkpoint, state, meta, best)

    def epoch(self, rows: list[dict], manifest: dict, then=None) -> None:
        """After an epoch's checkpoint: history.csv, TensorBoard, curves.png, the manifest;
        then `then()` (the epoch's progress line: shown once the epoch is saved)."""
        self._submit(self._write_epoch, copy.deepcopy(rows), copy.deepcopy(manifest), then)

    def curves(self, rows: list[dict]) -> None:
        """Draw curves.png of every epoch, unless it shows them already (the run's end)."""
        self._submit(self._draw, copy.deepcopy(rows), True)

    def flush(self) -> None:
        """Wait for every write handed over; raise the first that failed."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._thread.shutdown(wait=True)
            if self._tb_logs is not None:
                self._tb_logs.close()

    def _submit(self, function, *args) -> None:
        for future in self._pending:
            if future.done():
                future.result()  # raises a failed write's error
        self._pending = [f for f in self._pending if not f.done()]
        self._pending.append(self._thread.submit(function, *args))

    def _write_checkpoint(self, state: dict, meta: dict, best: dict | None) -> None:
        self._failed = True
        if best is not None:
            checkpoints.save(self.run.best_checkpoint, best)
        checkpoints.save(self.run.last_checkpoint, state, meta)
        self._failed = False

    def _draw(self, rows: list[dict], now: bool = False) -> None:
        if self._failed or self.curves_epochs == len(rows):
            return
        if now or time.monotonic() - self._drawn >= CURVES_EVERY:
            history.plot_curves(self.run.curves_file, rows, self.title)
            self.curves_epochs, self._drawn = len(rows), time.monotonic()

    def _write_epoch(self, rows: list[dict], manifest: dict, then) -> None:
        if self._failed:
            return  # history.csv and the manifest never show an epoch last.npz lacks
        history.write_csv(self.run.history_file, rows)
        if self._tb_logs is None:
            self._tb_logs = EpochLogs(self.run.tb_dir)
        self._tb_logs.write(rows[-1]["epoch"], rows[-1])
        self._draw(rows)
        manifests.write(self.run, manifest)
        if then is not None:
            then()
