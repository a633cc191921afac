"""names.json: every parameter's stable name, shape and dtype, as read back from each artifact.

The entries are taken from the written files (ONNX initializers, the SavedModel's restored
variables and checkpoint keys), not from what we meant to write, and must agree with the
Keras model; any drift is a bug and stops the export before anything is moved into place.
"""

from pathlib import Path

import onnx
import tensorflow as tf
from onnx import helper

from netspec.export.metadata import ArtifactInfo
from netspec.export.params import OUTPUT_NAMES, Param

CHECKPOINT_KEY = "params/{}/.ATTRIBUTES/VARIABLE_VALUE"


def names_lock(
    params: list[Param],
    info: ArtifactInfo,
    saved_model: Path | None,
    onnx_model: onnx.ModelProto | None,
) -> dict:
    entries = [
        {"name": p.name, "shape": list(p.shape), "dtype": p.dtype, "trainable": p.trainable}
        for p in params
    ]
    lock = {
        "spec": {"name": info.spec_name, "hash": info.spec_hash},
        "input": {"name": info.input_name, "shape": [None, *info.input_shape]},
        "outputs": list(OUTPUT_NAMES),
        "parameters": entries,
    }
    if saved_model is not None:
        loaded = tf.saved_model.load(str(saved_model))
        signature = loaded.signatures["serving_default"]
        _expect_io(
            "SavedModel",
            info,
            list(signature.structured_input_signature[1]),
            list(signature.structured_outputs),
        )
        found = _saved_model_params(saved_model, loaded)
        for entry in entries:
            entry["saved_model"] = _take(found, entry["name"], "SavedModel")
        _expect(not found, f"SavedModel holds variables that are not parameters: {sorted(found)}")
    if onnx_model is not None:
        _expect_io(
            "ONNX",
            info,
            [i.name for i in onnx_model.graph.input],
            [o.name for o in onnx_model.graph.output],
        )
        found = {
            init.name: {
                "initializer": init.name,
                "shape": list(init.dims),
                "dtype": helper.tensor_dtype_to_np_dtype(init.data_type).name,
            }
            for init in onnx_model.graph.initializer
        }
        for entry in entries:
            entry["onnx"] = _take(found, entry["name"], "ONNX")
    for entry in entries:
        for fmt in ("saved_model", "onnx"):
            if fmt in entry:
                written = entry[fmt]
                same = written["shape"] == entry["shape"] and written["dtype"] == entry["dtype"]
                _expect(same, f"{fmt} {entry['name']}: {written} differs from Keras {entry}")
    return lock


def _saved_model_params(path: Path, loaded) -> dict[str, dict]:
    """name -> variable name, checkpoint key, shape, dtype, from the files on disk."""
    checkpoint = {key for key, _ in tf.train.list_variables(str(path / "variables" / "variables"))}
    found = {}
    for var in _leaves(loaded.params):
        name = var.name.removesuffix(":0")
        key = CHECKPOINT_KEY.format(name)
        _expect(key in checkpoint, f"SavedModel variable {var.name} has no checkpoint key {key}")
        _expect(name not in found, f"SavedModel holds two variables named {var.name}")
        found[name] = {
            "variable": var.name,
            "checkpoint_key": key,
            "shape": var.shape.as_list(),
            "dtype": var.dtype.name,
        }
    extra = (
        checkpoint
        - {CHECKPOINT_KEY.format(name) for name in found}
        - {"_CHECKPOINTABLE_OBJECT_GRAPH"}
    )
    _expect(not extra, f"SavedModel checkpoint holds more than the parameters: {sorted(extra)}")
    return found


def _leaves(tree):
    for value in tree.values():
        yield from _leaves(value) if hasattr(value, "values") else (value,)


def _expect_io(fmt: str, info: ArtifactInfo, inputs: list[str], outputs: list[str]) -> None:
    _expect(inputs == [info.input_name], f"{fmt} inputs are {inputs}, not [{info.input_name!r}]")
    _expect(sorted(outputs) == sorted(OUTPUT_NAMES), f"{fmt} outputs are {outputs}")


def _take(found: dict, name: str, fmt: str) -> dict:
    _expect(name in found, f"{fmt} has no parameter named {name}")
    return found.pop(name)


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(f"names lock: {message}")
