"""`netspec compare RUN RUN... [-o FILE.png]`: runs side by side: their final metrics, where
their resolved specs differ (`layers.fc1.units: 16 → 32`), and one PNG of their curves.

The PNG (default compare.png) replaces only a file an earlier `netspec compare` drew: it
carries a signature in its Software field, and a file without it is refused, as
`netspec graph` does for drawings. No TensorFlow: runs are read, not loaded.
"""

from __future__ import annotations

from pathlib import Path

import typer

from netspec.cli.runs import duration, epochs, number
from netspec.errors import UsageError
from netspec.runs import open_run
from netspec.runs.directory import SWEEPS
from netspec.runs.listing import describe, read_history, spec_changes

ROWS = (
    ("train loss", "train", "loss"),
    ("train accuracy", "train", "accuracy"),
    ("validation loss", "validation", "loss"),
    ("validation accuracy", "validation", "accuracy"),
    ("test loss", "test", "loss"),
    ("test accuracy", "test", "accuracy"),
)


def compare(
    runs: list[Path] = typer.Argument(..., metavar="RUN RUN...", help="Run directories."),
    out: Path = typer.Option(
        Path("compare.png"),
        "-o",
        "--output",
        help="The curves of every run in one PNG (default: compare.png). Only a file an "
        "earlier comparison drew is replaced.",
    ),
) -> None:
    """Compare runs: final metrics, spec differences, and their curves overlaid in one PNG."""
    from netspec.train.figures import check_replaceable, overlay_curves

    if len(runs) < 2:
        raise UsageError(
            "compare needs two or more runs", hint="netspec runs lists them, newest first"
        )
    if out.suffix.lower() != ".png":
        raise UsageError(f"{out}: compare draws a PNG; give a file name ending in .png")
    opened = [open_run(path) for path in runs]
    for run in opened:
        run.manifest()  # a damaged run is a one-line error here, before anything is drawn
    check_replaceable(out)
    rows = [describe(run) for run in opened]
    labels = [f"[{i}]" for i in range(1, len(rows) + 1)]
    for label, row in zip(labels, rows):
        typer.echo(f"{label} {row['path']}  ({row['name']}, {row['status']})")
    typer.echo("")
    typer.echo(metrics_table(labels, rows))
    changes = spec_changes([run.spec() for run in opened])
    typer.echo("")
    if changes:
        typer.echo(f"spec differences ({' → '.join(labels)}):")
        typer.echo("\n".join(f"  {change.render()}" for change in changes))
    else:
        typer.echo("spec differences: none (the same resolved spec)")
    series = [
        (f"{label} {_short(run.path)}", read_history(run)) for label, run in zip(labels, opened)
    ]
    overlay_curves(out, series, f"netspec compare: {len(series)} runs")
    typer.echo(f"\nwrote {out}")


def metrics_table(labels: list[str], rows: list[dict]) -> str:
    lines = [
        ["", *labels],
        ["status", *(row["status"] for row in rows)],
        ["epochs", *(epochs(row) for row in rows)],
        ["time", *(duration(row["seconds"]) for row in rows)],
    ]
    for title, split, key in ROWS:
        lines.append([title, *(number((row["final"][split] or {}).get(key)) for row in rows)])
    lines.append(
        [
            "best val accuracy",
            *(
                f"{best['value']:.4f} (e{best['epoch']})" if best else "-"
                for best in (row["best_val_accuracy"] for row in rows)
            ),
        ]
    )
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines
    )


def _short(path: Path) -> str:
    """The run's last folders: `<name>/<id>`, or `<name>/sweeps/<sweep>/<trial>`."""
    parts = path.absolute().parts
    return "/".join(parts[-4:] if len(parts) > 4 and parts[-3] == SWEEPS else parts[-2:])
