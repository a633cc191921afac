"""`netspec predict ARTIFACT INPUTS...`: top-k classes from an exported model."""

from __future__ import annotations

from pathlib import Path

import typer

from netspec import files
from netspec.cli.common import FormatOption, check_format
from netspec.errors import UsageError


def predict(
    artifact: Path = typer.Argument(
        ..., help="model.onnx, a SavedModel folder, or a folder written by `netspec export`."
    ),
    inputs: list[Path] = typer.Argument(
        ..., help="PNG/JPEG images, .npz files (key x or the first array), or IDX files."
    ),
    top_k: int = typer.Option(3, "--top-k", help="Classes to show per example."),
    fmt: str = FormatOption,
) -> None:
    """Classify inputs with an exported model; prints the top-k classes and probabilities."""
    check_format(fmt)
    if top_k < 1:
        raise UsageError(f"--top-k must be at least 1, got {top_k}")
    from netspec.export.predict import open_artifact
    from netspec.export.predict import predict as run

    records = run(open_artifact(artifact), inputs, top_k)
    if fmt == "json":
        typer.echo(files.dumps(records))
        return
    width = max(len(r["input"]) for r in records)
    for record in records:
        best = "  ".join(f"{c['class']} ({c['probability']:.1%})" for c in record["top_k"])
        typer.echo(f"{record['input']:<{width}}  {best}")
