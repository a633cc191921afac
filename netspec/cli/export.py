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

    With neither --onnx nor --saved-model, writes export.formats (default: both).
    """
    from netspec.export import ExportOptions, VerificationError, export_model
    from netspec.export.source import resolve, verification_batch
    from netspec.export.verify import summary

    chosen = [name for name, flag in (("saved_model", saved_model), ("onnx", onnx)) if flag]
    target = resolve(run, overrides or ())
    options = ExportOptions.from_spec(target.settings, formats=chosen, opset=opset)
    model = target.load_model()
    real_batch, class_names, notes = verification_batch(target.spec)
    out_dir = out or target.default_out
    try:
        result = export_model(
            target.spec,
            model,
            out_dir,
            options,
            source=str(target.source),
            class_names=class_names,
            real_batch=real_batch,
            notes=tuple(notes),
        )
    except VerificationError as err:
        print("\n".join(summary(err.report)), file=sys.stderr)
        raise
    print(f"exported {target.spec.name} ({target.source}) to {result.out_dir}/")
    for name in _shown(result.files):
        print(f"  {name}")
    print(f"  {len(result.names['parameters'])} parameters named as in training (names.json)")
    print("\n".join(summary(result.report)))


def _shown(files: list[str]) -> list[str]:
    """Top-level files, and each folder once (`saved_model/`)."""
    return sorted({f.split("/")[0] + ("/" if "/" in f else "") for f in files})
