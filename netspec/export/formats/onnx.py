"""ONNX: `model.onnx`, converted by tf2onnx, every parameter an initializer named as in training
(onnx_graph.py), in canonical form so the same weights give the same bytes (canonical.py).

Prediction runs it on onnxruntime without importing TensorFlow. Its metadata_props can be
edited by anyone, so they are checked against the graph itself (input name and shape, the
number of classes) before use.
"""

from __future__ import annotations

from pathlib import Path

from netspec import files
from netspec.errors import UserError
from netspec.export.artifact import Artifact
from netspec.export.metadata import REEXPORT, ArtifactInfo
from netspec.export.names import expect_io

NAME = "onnx"
ENTRY = "model.onnx"
NEEDS_TENSORFLOW = False  # to open for prediction
TITLE = "ONNX"


def write(fn, info: ArtifactInfo, settings: dict, path: Path):
    import onnx

    from netspec.export import onnx_graph
    from netspec.export.canonical import canonicalize

    converted = onnx_graph.convert(fn, info, settings["opset"])
    onnx_graph.attach_metadata(converted, info)
    model = canonicalize(converted, [p.name for p in fn.params], info.spec_name)
    onnx.checker.check_model(model, full_check=True)
    files.write_bytes(path, model.SerializeToString(deterministic=True))  # errors name the file
    session = _session(path)
    return lambda x: session.run(["logits"], {info.input_name: x})[0]


def finish(path: Path, info: ArtifactInfo, spec, entries: list[dict]) -> None:
    """Nothing to add: the metadata is inside the model."""


def read_names(path: Path, info: ArtifactInfo) -> dict[str, dict]:
    import onnx
    from onnx import helper

    model = onnx.load(str(path))
    expect_io(
        TITLE, info, [i.name for i in model.graph.input], [o.name for o in model.graph.output]
    )
    return {
        init.name: {
            "initializer": init.name,
            "shape": list(init.dims),
            "dtype": helper.tensor_dtype_to_np_dtype(init.data_type).name,
        }
        for init in model.graph.initializer
    }


def recognizes(path: Path) -> bool:
    return path.is_file() and path.suffix == ".onnx"


def open(path: Path) -> Artifact:
    session = _session(path)
    info = ArtifactInfo.from_props(session.get_modelmeta().custom_metadata_map, path)
    inputs, outputs = session.get_inputs(), {o.name: o for o in session.get_outputs()}
    if [i.name for i in inputs] != [info.input_name]:
        raise UserError(
            f"{path}: metadata input_name {info.input_name!r}, but the model's "
            f"inputs are {[i.name for i in inputs]}",
            hint=REEXPORT,
        )
    if not _fits(inputs[0].shape[1:], info.input_shape):
        raise UserError(
            f"{path}: metadata input_shape {info.input_shape}, but the model takes "
            f"{inputs[0].shape}",
            hint=REEXPORT,
        )
    if "probabilities" not in outputs:
        raise UserError(f"{path}: the model has no output named 'probabilities'", hint=REEXPORT)
    classes = outputs["probabilities"].shape[-1]
    if isinstance(classes, int) and classes != len(info.class_names):
        raise UserError(
            f"{path}: metadata names {len(info.class_names)} classes, but the model "
            f"gives {classes} probabilities",
            hint=REEXPORT,
        )
    return Artifact(path, info, lambda x: session.run(["probabilities"], {info.input_name: x})[0])


def _session(path: Path):
    import onnxruntime as ort

    try:
        return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime raises its own unexported exception types
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(f"{path}: not a loadable ONNX model ({first})") from None


def _fits(dims, shape: list[int]) -> bool:
    """ONNX dims (ints, or names for dynamic ones) against the metadata's example shape."""
    return len(dims) == len(shape) and all(
        not isinstance(d, int) or d == s for d, s in zip(dims, shape)
    )
