"""`netspec export [RUN]`: verified SavedModel and ONNX artifacts with stable parameter names."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from netspec.cli.common import Overrides, SetOption


def export(
    run: Path | None = typer.Argument(
        None,
        metavar="RUN",
        help="A run directory (default: the most recent completed run under runs/), "
        "or a spec file to export freshly initialized weights.",
    ),
    onnx: bool = typer.Option(False, "--onnx", help="Write ONNX (model.onnx)."),
    saved_model: bool = typer.Option(False, "--saved-model", help="Write a SavedModel."),
    out: Path | None = typer.Option(
        None, "--out", help="Output folder (default: RUN/export, or export/<name> for a spec)."
    ),
    opset: int | None = typer.Option(None, "--opset", help="ONNX opset, 13-18 (default 17)."),
    overrides: Overrides = SetOption,
) -> None:
    """Export, verify against the Keras model, and only then replace the output folder.

    With neither --onnx nor --saved-model, writes export.formats (default: both). The output
    folder must be new, empty, or an earlier export: nothing else is ever replaced.
    """
    from netspec.export import VerificationError, export_run
    from netspec.export.verify import summary

    chosen = [name for name, flag in (("saved_model", saved_model), ("onnx", onnx)) if flag]
    settings = [*(overrides or ())]
    if chosen:
        settings.append(f"export.formats=[{', '.join(chosen)}]")
    if opset is not None:
        settings.append(f"export.opset={opset}")
    try:
        result = export_run(run, settings, out)
    except VerificationError as err:
        print("\n".join(summary(err.report)), file=sys.stderr)
        raise
    print(f"exported {result.names['spec']['name']} ({result.source}) to {result.out_dir}/")
    for name in _shown(result.files):
        print(f"  {name}")
    print(f"  {len(result.names['parameters'])} parameters named as in training (names.json)")
    print("\n".join(summary(result.report)))


def _shown(files: list[str]) -> list[str]:
    """Top-level files, and each folder once (`saved_model/`)."""
    return sorted({f.split("/")[0] + ("/" if "/" in f else "") for f in files})
