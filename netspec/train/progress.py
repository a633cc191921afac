"""Training progress: a live rich bar per epoch on a terminal, one plain line per epoch
otherwise (CI logs, pipes), nothing with --quiet."""

from __future__ import annotations

import sys
import time
from typing import TextIO

import keras

LABELS = {"learning_rate": "lr"}
SKIPPED = ("epoch", "seconds")


def format_metrics(values: dict) -> str:
    """`loss 0.2345  accuracy 0.9312  val_loss ...  lr 0.00212` in a stable order."""
    parts = []
    for key, value in values.items():
        if key in SKIPPED or value is None:
            continue
        parts.append(f"{LABELS.get(key, key)} {value:.3g}" if key == "learning_rate"
                     else f"{key} {value:.4f}")
    return "  ".join(parts)


class Reporter:
    """What the training loop tells the user; this base says nothing (--quiet)."""

    live = False  # whether it wants per-batch updates (they cost a sync per step)

    def start_epoch(self, epoch: int, epochs: int, steps: int) -> None:
        pass

    def update(self, step: int, values: dict) -> None:
        pass

    def end_epoch(self, row: dict, epochs: int) -> None:
        pass

    def close(self) -> None:
        pass


class PlainReporter(Reporter):
    def __init__(self, stream: TextIO):
        self.stream = stream

    def end_epoch(self, row: dict, epochs: int) -> None:
        print(f"epoch {row['epoch']}/{epochs}  {format_metrics(row)}  {row['seconds']:.1f}s",
              file=self.stream, flush=True)


class RichReporter(Reporter):
    live = True

    def __init__(self, stream: TextIO):
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeRemainingColumn)

        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(elapsed_when_finished=True), TextColumn("{task.fields[metrics]}"),
            console=Console(file=stream), redirect_stdout=False, redirect_stderr=False)
        self.progress.start()
        self.task = self.steps = None

    def start_epoch(self, epoch: int, epochs: int, steps: int) -> None:
        self.steps = steps
        self.task = self.progress.add_task(f"epoch {epoch}/{epochs}", total=steps, metrics="")

    def update(self, step: int, values: dict) -> None:
        self.progress.update(self.task, completed=step, metrics=format_metrics(values))

    def end_epoch(self, row: dict, epochs: int) -> None:
        self.progress.update(self.task, completed=self.steps, metrics=format_metrics(row))
        self.progress.stop_task(self.task)

    def close(self) -> None:
        self.progress.stop()


def make_reporter(quiet: bool, stream: TextIO | None = None) -> Reporter:
    stream = stream or sys.stdout
    if quiet:
        return Reporter()
    return RichReporter(stream) if stream.isatty() else PlainReporter(stream)


class BatchProgress(keras.callbacks.Callback):
    """Feeds running loss/accuracy and the learning rate to a live reporter, at most 10 times
    a second (reading the learning rate evaluates the schedule)."""

    INTERVAL = 0.1

    def __init__(self, reporter: Reporter):
        super().__init__()
        self.reporter = reporter
        self.last = 0.0

    def on_train_batch_end(self, batch, logs=None):
        now = time.monotonic()
        if now - self.last < self.INTERVAL:
            return
        self.last = now
        lr = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        self.reporter.update(batch + 1, {**(logs or {}), "learning_rate": lr})
