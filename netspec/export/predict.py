"""Run an exported artifact (`model.onnx`, a SavedModel folder, or an export folder) on files.

The format is recognized by the registry (formats/); each format opens its artifacts without
running foreign code (see formats/saved_model.py). ONNX runs on onnxruntime without importing
TensorFlow. Class names and the input's scaling come from the artifact's own metadata.
"""

from pathlib import Path

import numpy as np

from netspec.errors import UsageError
from netspec.export.artifact import Artifact
from netspec.export.inputs import read_input

BATCH = 256


def open_artifact(path: Path) -> Artifact:
    """An artifact of any format, or an export folder (a format that needs no TensorFlow
    first)."""
    from netspec.export.formats import FORMATS

    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    for fmt in FORMATS.values():
        if fmt.recognizes(path):
            return fmt.open(path)
    if path.is_dir():
        for fmt in sorted(FORMATS.values(), key=lambda fmt: fmt.NEEDS_TENSORFLOW):
            if fmt.recognizes(path / fmt.ENTRY):
                return fmt.open(path / fmt.ENTRY)
    raise UsageError(
        f"{path}: not an exported model",
        hint="give a .onnx file, a SavedModel folder, or an export folder "
        "written by `netspec export`",
    )


def predict(artifact: Artifact, inputs: list[Path], k: int) -> list[dict]:
    """One record per example: {"input": label, "top_k": [{"class", "id", "probability"}]}."""
    info = artifact.info
    raw_range = info.input_scale["from"] if info.input_scale else None
    records = []
    for path in inputs:
        batch = read_input(path, info.input_shape, raw_range, info.input_resize)
        fed = info.scale(batch).astype(info.input_dtype)
        probs = np.concatenate(
            [artifact.probabilities(fed[i : i + BATCH]) for i in range(0, len(fed), BATCH)]
        )
        for i, row in enumerate(probs):
            best = np.argsort(-row, kind="stable")[:k]
            records.append(
                {
                    "input": str(path) if len(probs) == 1 else f"{path}[{i}]",
                    "top_k": [
                        {"class": info.class_names[c], "id": int(c), "probability": float(row[c])}
                        for c in best
                    ],
                }
            )
    return records
