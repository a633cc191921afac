"""history.csv and curves.png from the per-epoch rows the training loop keeps.

The rows live in the checkpoint (so a resumed run continues them exactly); both files are
rewritten whole from them, atomically, so they never show an epoch the checkpoint lacks.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from netspec import files
from netspec.train import figures

LEADING = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds")


def make_row(epoch: int, logs: dict, learning_rate: float, seconds: float) -> dict:
    """One epoch's row (1-based `epoch`), keys in column order."""
    values = {"epoch": epoch, **logs, "learning_rate": learning_rate, "seconds": seconds}
    return {key: values[key] for key in columns([values])}


def columns(rows: list[dict]) -> list[str]:
    """The leading columns present, then any others (extra metrics) in first-seen order."""
    seen = dict.fromkeys(key for row in rows for key in row)
    return [c for c in LEADING if c in seen] + [c for c in seen if c not in LEADING]


def write_csv(path: Path, rows: list[dict]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=columns(rows) or list(LEADING[:1]), lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    files.write_text(path, buffer.getvalue())


def plot_curves(path: Path, rows: list[dict], title: str) -> None:
    """Loss and accuracy per epoch (1-based), training solid, validation dashed."""
    figure = figures.new_figure(figsize=(10, 4))
    for ax, metric in zip(figure.subplots(1, 2), ("loss", "accuracy")):
        for key, label, style in ((metric, "train", "-"), (f"val_{metric}", "validation", "--")):
            points = [(row["epoch"], row[key]) for row in rows if row.get(key) is not None]
            if points:
                ax.plot(*zip(*points), style, marker="o", markersize=3, label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        if ax.has_data():
            ax.legend()
    figure.suptitle(title)
    figures.save_png(figure, path)


def _cell(value):
    return f"{value:.6g}" if isinstance(value, float) else value
