"""`netspec runs [DIR]`: the runs under DIR (default runs/), newest first: how each ended, its
epochs, best validation accuracy, test metrics, training time and spec hash.

Reads only manifest.json, metrics.json and history.csv (netspec.runs.listing): no TensorFlow,
and a damaged run is a row saying why, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from netspec.cli.common import FormatOption, check_format
from netspec.errors import UsageError
from netspec.runs.directory import RUNS_ROOT, run_paths
from netspec.runs.listing import list_runs


def runs(
    root: Path | None = typer.Argument(
        None, metavar="[DIR]", help="Where to look (default: runs/); may be one run."
    ),
    trials: bool = typer.Option(
        False, "--all", help="Include sweep trials (runs/<name>/sweeps/<sweep id>/...)."
    ),
    fmt: str = FormatOption,
) -> None:
    """List runs, newest first; sweep trials only with --all."""
    check_format(fmt)
    folder = RUNS_ROOT if root is None else root
    if root is not None and not root.is_dir():
        raise UsageError(
            f"{root}: no such folder" if not root.exists() else f"{root} is not a folder",
            hint="give the folder holding the runs (netspec train writes them under runs/)",
        )
    rows = list_runs(folder, trials) if folder.is_dir() else []
    if fmt == "json":
        typer.echo(json.dumps({"root": str(folder), "runs": rows}, indent=2, allow_nan=False))
        return
    hidden = 0 if trials or not folder.is_dir() else len(run_paths(folder, True)) - len(rows)
    if rows:
        typer.echo(render(rows, any(row["sweep"] for row in rows)))
    else:
        typer.echo(
            f"no runs under {folder}" + ("" if hidden else " (netspec train SPEC makes one)")
        )
    for row in rows:
        for problem in row["problems"]:
            typer.echo(f"note: {row['path']}: {problem}")
    if hidden:
        typer.echo(f"({hidden} sweep trial{'s' if hidden > 1 else ''} not shown: --all shows them)")


def render(rows: list[dict], sweeps: bool) -> str:
    """The rows as aligned columns, the status last (it may be long: a reason)."""
    header = ["NAME", "RUN", *(["SWEEP"] if sweeps else []), "EPOCHS", "BEST VAL ACC"]
    header += ["TEST ACC", "TEST LOSS", "TIME", "SPEC", "STATUS"]
    table = [header]
    for row in rows:
        test = row["final"]["test"] or {}
        best = row["best_val_accuracy"]
        table.append(
            [
                row["name"] or "-",
                row["path"],
                *([row["sweep"] or "-"] if sweeps else []),
                epochs(row),
                f"{best['value']:.4f} (e{best['epoch']})" if best else "-",
                number(test.get("accuracy")),
                number(test.get("loss")),
                duration(row["seconds"]),
                (row["spec_hash"] or "-")[:8],
                row["status"] + (f": {row['error']}" if row["error"] else ""),
            ]
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths)) + "  " + line[-1]
        for line in table
    )


def epochs(row: dict) -> str:
    done, total = row["epochs_completed"], row["epochs"]
    if done is None and total is None:
        return "-"
    text = f"{'?' if done is None else done}/{'?' if total is None else total}"
    return text + (" early" if row["stopped_early"] else "")


def number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"
