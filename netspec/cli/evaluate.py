"""`netspec evaluate RUN [--data SOURCE] [--path P] [--split S] [--format json] [--out DIR]`."""

from __future__ import annotations

from pathlib import Path

import typer

from netspec import files
from netspec.cli.common import FormatOption, check_format
from netspec.errors import UsageError


def evaluate(
    run: Path = typer.Argument(..., help="A run directory of a completed run."),
    data: str | None = typer.Option(
        None,
        "--data",
        metavar="SOURCE",
        help="Evaluate on this data source instead (its own test "
        "set if it has one, else all its examples).",
    ),
    path: Path | None = typer.Option(
        None, "--path", help="Where --data reads from (e.g. the folder of the MNIST IDX files)."
    ),
    split: str = typer.Option(
        "test",
        "--split",
        help="The run's split to evaluate when no --data: test, validation or train.",
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Folder for the confusion-matrix PNG "
        "and evaluation JSON (default: the run directory).",
    ),
    fmt: str = FormatOption,
) -> None:
    """Loss, accuracy, per-class accuracy and a confusion-matrix PNG of a trained run."""
    check_format(fmt)
    from netspec.data.sources import SOURCES

    if path is not None and data is None:
        raise UsageError("--path needs --data: it is where that data source reads from")
    needs_path = data in SOURCES and "path" in SOURCES[data].fields
    if data is not None and path is None and needs_path:
        raise UsageError(f"--data {data} needs --path: the file or folder to read")
    from netspec.train.evaluation import evaluate_run

    report = evaluate_run(run, source=data, path=path, split=split, out=out)
    if fmt == "json":
        typer.echo(files.dumps(report))
        return
    _print_report(report)


def _print_report(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    for warning in report["warnings"]:
        Console(stderr=True).print(f"warning: {warning}", style="yellow", highlight=False)
    print(f"{report['run']} on {report['data']}")
    table = Table()
    for column in ("class", "examples", "correct", "accuracy"):
        table.add_column(column, justify="left" if column == "class" else "right")
    for row in report["per_class"]:
        accuracy = "-" if row["accuracy"] is None else f"{row['accuracy']:.4f}"
        table.add_row(row["class"], str(row["examples"]), str(row["correct"]), accuracy)
    table.add_section()
    table.add_row(
        "all",
        str(report["examples"]),
        str(sum(row["correct"] for row in report["per_class"])),
        f"{report['accuracy']:.4f}",
    )
    Console().print(table)
    print(
        f"loss {report['loss']:.4f}  accuracy {report['accuracy']:.4f}\n"
        f"confusion matrix: {report['confusion_png']}"
    )
