"""What the chief keeps of a run as it trains, written off the training thread.

The training loop takes a snapshot of the variables (a copy in memory, milliseconds) and hands
it here; one background thread writes, in the order they came: the checkpoint (the truth about
how far the run got: weights, RNG and optimizer state, history rows, early-stopping state, and
within an epoch the steps done of it), then the files derived from it (history.csv, TensorBoard
scalars, curves.png, the manifest). A write that fails is raised in the training thread at its
next hand-over, or at `flush`. `kill -9` loses at most what was not yet written: every file is
replaced atomically (netspec.files), so each is a previous state or the new one.
"""

from __future__ import annotations

import copy
from concurrent.futures import Future, ThreadPoolExecutor

from netspec.runs import Run, checkpoints
from netspec.runs import manifest as manifests
from netspec.train import history
from netspec.train.tb_logs import EpochLogs


class Recorder:
    def __init__(self, run: Run, title: str):
        self.run, self.title = run, title
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="netspec-recorder")
        self._pending: list[Future] = []
        self._tb_logs: EpochLogs | None = None
        self.curves_epochs = -1  # epochs shown in curves.png
        self._failed = False  # a checkpoint failed: nothing may be derived from later epochs

    def checkpoint(self, state: dict, meta: dict, best: dict | None = None) -> None:
        """Save `state` (checkpoints.snapshot) with `meta`; `best`: weights of a new best epoch."""
        meta = copy.deepcopy(meta)
        self._submit(self._write_checkpoint, state, meta, best)

    def epoch(self, rows: list[dict], manifest: dict, then=None) -> None:
        """After an epoch's checkpoint: history.csv, TensorBoard, curves.png, the manifest;
        then `then()` (the epoch's progress line: shown once the epoch is saved)."""
        self._submit(self._write_epoch, copy.deepcopy(rows), copy.deepcopy(manifest), then)

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

    def _write_epoch(self, rows: list[dict], manifest: dict, then) -> None:
        if self._failed:
            return  # history.csv and the manifest never show an epoch last.npz lacks
        history.write_csv(self.run.history_file, rows)
        if self._tb_logs is None:
            self._tb_logs = EpochLogs(self.run.tb_dir)
        self._tb_logs.write(rows[-1]["epoch"], rows[-1])
        history.plot_curves(self.run.curves_file, rows, self.title)
        self.curves_epochs = len(rows)
        manifests.write(self.run, manifest)
        if then is not None:
            then()
