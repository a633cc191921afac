"""SavedModel: `saved_model/`, its `serving_default` signature and `netspec.json`.

A SavedModel's graph is a program (it can read, write and list files), so `netspec predict`
never loads one. It rebuilds the network from the resolved spec embedded in netspec.json,
checks that spec against the hash recorded beside it, and reads only the parameter values
from the SavedModel's checkpoint (variables/variables.*), by the keys netspec.json names. A
SavedModel without an embedded spec (foreign, or exported before netspec embedded it) is
refused. Only `netspec export` loads the graph: its own, just written, to verify it.
"""

from __future__ import annotations

from pathlib import Path

from netspec.errors import UserError
from netspec.export.artifact import Artifact
from netspec.export.metadata import REEXPORT, SIDECAR, ArtifactInfo
from netspec.export.names import expect, expect_io

NAME = "saved_model"
ENTRY = "saved_model"
NEEDS_TENSORFLOW = True  # to open for prediction
TITLE = "SavedModel"
CHECKPOINT = "variables/variables"
OBJECT_GRAPH = "_CHECKPOINTABLE_OBJECT_GRAPH"


def write(fn, info: ArtifactInfo, settings: dict, path: Path):
    import tensorflow as tf

    from netspec.export.serving import write_saved_model

    write_saved_model(fn, info, path)
    serving = tf.saved_model.load(str(path)).signatures["serving_default"]
    return lambda x: serving(**{info.input_name: tf.constant(x)})["logits"].numpy()


def finish(path: Path, info: ArtifactInfo, spec, entries: list[dict]) -> None:
    """Write netspec.json once names.json's entries say which key holds which parameter."""
    keys = {entry["name"]: entry[NAME]["checkpoint_key"] for entry in entries}
    info.write_sidecar(path, spec=spec.doc, checkpoint_keys=keys)


def read_names(path: Path, info: ArtifactInfo) -> dict[str, dict]:
    """name -> variable name, checkpoint key, shape, dtype, read back from the files; each
    key's value must equal its variable's."""
    import numpy as np
    import tensorflow as tf

    from netspec.export.serving import CHECKPOINT_KEY

    loaded = tf.saved_model.load(str(path))
    signature = loaded.signatures["serving_default"]
    expect_io(
        TITLE,
        info,
        list(signature.structured_input_signature[1]),
        list(signature.structured_outputs),
    )
    reader = tf.train.load_checkpoint(str(path / CHECKPOINT))
    keys = set(reader.get_variable_to_shape_map()) - {OBJECT_GRAPH}
    found = {}
    for i, var in enumerate(loaded.variables):
        name, key = var.name.removesuffix(":0"), CHECKPOINT_KEY.format(i)
        expect(key in keys, f"SavedModel variable {var.name} has no checkpoint key {key}")
        expect(
            np.array_equal(reader.get_tensor(key), var.numpy()),
            f"checkpoint key {key} does not hold {var.name}",
        )
        expect(name not in found, f"SavedModel holds two variables named {var.name}")
        found[name] = {
            "variable": var.name,
            "checkpoint_key": key,
            "shape": var.shape.as_list(),
            "dtype": var.dtype.name,
        }
    extra = keys - {entry["checkpoint_key"] for entry in found.values()}
    expect(not extra, f"SavedModel checkpoint holds more than the parameters: {sorted(extra)}")
    return found


def recognizes(path: Path) -> bool:
    return path.is_dir() and (path / "saved_model.pb").is_file()


def open(path: Path) -> Artifact:
    """The network rebuilt from netspec.json's spec, with the checkpoint's values."""
    import numpy as np

    from netspec.spec import load_resolved

    info, extra = ArtifactInfo.read_sidecar(path)
    doc, keys = (extra or {}).get("spec"), (extra or {}).get("checkpoint_keys")
    if not isinstance(doc, dict) or not isinstance(keys, dict):
        raise UserError(
            f"{path}: {SIDECAR} carries no spec to rebuild the network from; "
            "netspec never runs a SavedModel's own graph",
            hint=REEXPORT,
        )
    spec = load_resolved(doc, path / SIDECAR)
    if spec.hash != info.spec_hash:
        raise UserError(
            f"{path / SIDECAR}: the embedded spec does not match its spec_hash",
            hint="the file was changed after export; " + REEXPORT,
        )
    _check_against_spec(info, spec, path)
    values = _read_checkpoint(path, keys)

    from netspec.compile import build_model
    from netspec.export.params import InferenceFunction, inference_model

    # float32, as exported, whatever the spec trained with (netspec.export.precision)
    model = inference_model(build_model(spec, "float32"), info.preprocessing)
    params = InferenceFunction(model).params
    if {p.name for p in params} != set(values):
        raise UserError(
            f"{path}: its parameters {sorted(values)} are not the spec's "
            f"{sorted(p.name for p in params)}",
            hint=REEXPORT,
        )
    for p in params:
        value = np.asarray(values[p.name])  # a string entry reads back as bytes
        if tuple(value.shape) != p.shape or value.dtype != np.dtype(p.dtype):
            raise UserError(
                f"{path}: {p.name} is {value.dtype}{list(value.shape)} in the "
                f"checkpoint, but the spec makes it {p.dtype}{list(p.shape)}",
                hint=REEXPORT,
            )
        p.variable.assign(value)

    def probabilities(x):
        import tensorflow as tf

        return tf.nn.softmax(model(x, training=False)).numpy()

    return Artifact(path, info, probabilities)


def _check_against_spec(info: ArtifactInfo, spec, path: Path) -> None:
    units = spec.output_info.output_shape[-1]
    problems = [
        f"input {info.input_name!r} is not the spec's {spec.input['name']!r}"
        if info.input_name != spec.input["name"]
        else None,
        f"input shape {info.input_shape} is not the spec's {spec.input['shape']}"
        if list(info.input_shape) != list(spec.input["shape"])
        else None,
        f"{len(info.class_names)} class names for {units} outputs"
        if len(info.class_names) != units
        else None,
    ]
    problem = next((p for p in problems if p), None)
    if problem:
        raise UserError(f"{path / SIDECAR}: {problem}", hint=REEXPORT)


def _read_checkpoint(path: Path, keys: dict) -> dict:
    """Parameter values by name, read from the checkpoint files as data."""
    import tensorflow as tf

    try:
        reader = tf.train.load_checkpoint(str(path / CHECKPOINT))
        return {name: reader.get_tensor(key) for name, key in keys.items()}
    except (tf.errors.OpError, ValueError, TypeError) as err:
        first = (getattr(err, "message", None) or str(err)).strip().splitlines()[0]
        raise UserError(
            f"{path}: unreadable SavedModel variables ({first})", hint=REEXPORT
        ) from None
