"""Matplotlib figures saved as PNG, off-screen (Agg: no display needed; safe in CI and over ssh).

Uses `Figure` directly rather than pyplot, so nothing global is kept between plots.
"""

from __future__ import annotations

import io
from pathlib import Path

from netspec import files


def new_figure(**options):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(layout="constrained", **options)


def save_png(figure, path: Path) -> None:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    files.write_bytes(path, buffer.getvalue())
