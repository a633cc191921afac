"""Matplotlib figures saved as PNG, off-screen (Agg: no display needed; safe in CI and over ssh).

Uses `Figure` directly rather than pyplot, so nothing global is kept between plots.
"""

from __future__ import annotations

import io
from pathlib import Path

from netspec import files
from netspec.outputs import check_signed

# Inside every PNG `netspec compare` draws (its Software field): the mark that lets a later
# comparison replace the file. A file without it is never overwritten.
COMPARE_SIGNATURE = "drawn by netspec compare"


def new_figure(**options):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(layout="constrained", **options)


def save_png(figure, path: Path, signature: str | None = None) -> None:
    """Write `figure` to `path` atomically; `signature` goes into the PNG's Software field."""
    buffer = io.BytesIO()
    metadata = {"Software": signature} if signature else None
    figure.savefig(buffer, format="png", dpi=100, metadata=metadata)
    files.write_bytes(path, buffer.getvalue())


def check_replaceable(path: Path) -> None:
    """Raise unless `path` is missing or a comparison netspec drew (netspec.outputs)."""
    check_signed(
        path,
        COMPARE_SIGNATURE,
        "a picture netspec drew",
        "remove it, or choose another file name (-o FILE.png)",
    )


def overlay_curves(path: Path, series: list[tuple[str, list[dict]]], title: str) -> None:
    """Loss and accuracy per epoch of several runs in one PNG: one colour per run, training
    solid, validation dashed. `series` holds (label, history.csv rows) per run. Replaces only
    a file an earlier comparison drew (check_replaceable)."""
    check_replaceable(path)
    figure = new_figure(figsize=(11, 4.5))
    for ax, metric in zip(figure.subplots(1, 2), ("loss", "accuracy")):
        for i, (label, rows) in enumerate(series):
            for key, style in ((metric, "-"), (f"val_{metric}", "--")):
                points = [(row["epoch"], row[key]) for row in rows if row.get(key) is not None]
                if points:
                    ax.plot(
                        *zip(*points),
                        style,
                        color=f"C{i % 10}",
                        marker="o",
                        markersize=3,
                        label=label,
                    )
                    label = None  # one legend entry per run
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_title(f"{metric} (solid: train, dashed: validation)", fontsize="medium")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="small")
    figure.suptitle(title)
    save_png(figure, path, COMPARE_SIGNATURE)
