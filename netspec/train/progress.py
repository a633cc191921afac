"""Training progress: a live rich bar per epoch on a terminal, one plain line per epoch
otherwise (CI logs, pipes), nothing with --quiet."""

from __future__ import annotations

import sys
from typing import TextIO

SHORT = {"accuracy": "acc", "top5_accuracy": "top5", "learning_rate": "lr"}


def format_metrics(values: dict, labels: dict | None = None) -> str:
    """`loss 0.2345  accuracy 0.9312  val_loss ...  lr 0.00212`; `labels` renames keys."""
    parts = []
    for key, value in values.items():
        if key in ("epoch", "seconds") or value is None:
            continue
        number = f"{value:.3g}" if key == "learning_rate" else f"{value:.4f}"
        parts.append(f"{(labels or {}).get(key, key)} {number}")
    return "  ".join(parts)


def epoch_line(row: dict, epochs: int) -> str:
    return (
        f"epoch {row['epoch']}/{epochs}  {format_metrics(row, {'learning_rate': 'lr'})}  "
        f"{row['seconds']:.1f}s"
    )


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
        print(epoch_line(row, epochs), file=self.stream, flush=True)


class RichReporter(Reporter):
    """A live bar for the epoch in progress (running loss, accuracy, learning rate, ETA),
    replaced by the epoch's plain line when it ends."""

    live = True

    def __init__(self, stream: TextIO):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[metrics]}"),
            console=Console(file=stream),
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.progress.start()
        self.task = None
        self.tasks = {}  # epoch -> its bar, until the epoch's line replaces it

    def start_epoch(self, epoch: int, epochs: int, steps: int) -> None:
        self.task = self.progress.add_task(f"epoch {epoch}/{epochs}", total=steps, metrics="")
        self.tasks[epoch] = self.task

    def update(self, step: int, values: dict) -> None:
        shown = {k: values[k] for k in ("loss", "accuracy", "learning_rate") if k in values}
        self.progress.update(self.task, completed=step, metrics=format_metrics(shown, SHORT))

    def end_epoch(self, row: dict, epochs: int) -> None:
        """(Called from the recorder's thread once the epoch is saved; rich is thread-safe.)"""
        self.progress.remove_task(self.tasks.pop(row["epoch"]))
        self.progress.refresh()  # else the bar's last frame is drawn again below the line
        self.progress.console.print(epoch_line(row, epochs), highlight=False, soft_wrap=True)

    def close(self) -> None:
        self.progress.stop()


def make_reporter(quiet: bool, stream: TextIO | None = None) -> Reporter:
    stream = stream or sys.stdout
    if quiet:
        return Reporter()
    return RichReporter(stream) if stream.isatty() else PlainReporter(stream)
