"""Run an exported artifact (`model.onnx`, a SavedModel folder, or an export folder) on files.

ONNX runs on onnxruntime without importing TensorFlow. Class names and the input's scaling
come from the artifact itself (ONNX metadata_props, or the SavedModel's netspec.json).
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netspec.errors import UsageError, UserError
from netspec.export.exporter import ONNX_FILE, SAVED_MODEL_DIR
from netspec.export.inputs import read_input
from netspec.export.metadata import SIDECAR, ArtifactInfo

BATCH = 256


@dataclass
class Artifact:
    path: Path
    info: ArtifactInfo
    probabilities: Callable[[np.ndarray], np.ndarray]  # input batch -> (N, classes)


def open_artifact(path: Path) -> Artifact:
    """`model.onnx`, a SavedModel folder, or an export folder (its ONNX model first)."""
    path = Path(path)
    if path.is_dir() and not (path / "saved_model.pb").is_file():
        for inner in (path / ONNX_FILE, path / SAVED_MODEL_DIR):
            if inner.exists():
                return open_artifact(inner)
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    if path.is_dir() and (path / "saved_model.pb").is_file():
        return _open_saved_model(path)
    if path.is_file() and path.suffix == ".onnx":
        return _open_onnx(path)
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
        batch = read_input(path, info.input_shape, raw_range)
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


def _open_onnx(path: Path) -> Artifact:
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime raises its own unexported exception types
        raise UserError(f"{path}: not a loadable ONNX model ({str(err).splitlines()[0]})") from None
    props = session.get_modelmeta().custom_metadata_map
    try:
        info = ArtifactInfo.from_props(props)
    except (KeyError, ValueError, TypeError):
        raise UserError(
            f"{path}: has no netspec metadata",
            hint="predict runs models written by `netspec export`",
        ) from None
    return Artifact(path, info, lambda x: session.run(["probabilities"], {info.input_name: x})[0])


def _open_saved_model(path: Path) -> Artifact:
    try:
        info = ArtifactInfo.read_sidecar(path)
    except (OSError, ValueError, TypeError):
        raise UserError(
            f"{path}: has no readable {SIDECAR}",
            hint="predict runs models written by `netspec export`",
        ) from None
    import tensorflow as tf

    serving = tf.saved_model.load(str(path)).signatures["serving_default"]
    return Artifact(
        path, info, lambda x: serving(**{info.input_name: tf.constant(x)})["probabilities"].numpy()
    )
