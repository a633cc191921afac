"""An ONNX model may keep initializers in "external data" files named by a path inside the
model. `netspec predict` must not read a file outside the model's folder through it
(onnxruntime refuses such paths; these tests keep that so, whatever version is installed).

Each crafted model is the real export with `fc1/kernel` moved to external data. Outside the
model's folder lies `secret.bin`, exactly as long as the tensor, so a reader that followed the
path would load it without complaint; a prediction would then exit 0, and the tests would fail.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, numpy_helper
from onnx.external_data_helper import set_external_data

from netspec.errors import UserError
from netspec.export.predict import open_artifact
from tests.security.helpers import assert_one_line, assert_refused

pytestmark = pytest.mark.slow  # the `exported` fixture exports a model

MOVED = "fc1/kernel"


def with_external_data(exported, folder: Path, location: str) -> tuple[Path, bytes]:
    """folder/model.onnx: the export with MOVED's values in the external file `location`;
    returns (its path, the bytes those values take)."""
    model = onnx.load(str(exported.out_dir / "model.onnx"))
    tensor = next(t for t in model.graph.initializer if t.name == MOVED)
    values = numpy_helper.to_array(tensor)
    tensor.CopyFrom(numpy_helper.from_array(values, MOVED))  # values as raw_data
    raw = tensor.raw_data
    set_external_data(tensor, location=location, offset=0, length=len(raw))
    tensor.ClearField("raw_data")
    assert tensor.data_location == TensorProto.EXTERNAL
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.onnx"
    path.write_bytes(model.SerializeToString())
    return path, raw


def secret_like(raw: bytes) -> bytes:
    """As many bytes as the tensor's values, but other values: finite float32 numbers."""
    return np.full(len(raw) // 4, 1234.5, np.float32).tobytes()


@pytest.fixture
def inputs(tmp_path) -> Path:
    path = tmp_path / "batch.npz"
    np.savez(path, x=np.random.default_rng(3).uniform(0, 255, (4, 12, 12, 1)).astype(np.float32))
    return path


def test_external_data_inside_the_model_folder_is_read(exported, tmp_path, inputs):
    """The control: the crafted model is valid, and predicts as the export does, when its
    external data is where it may be."""
    path, raw = with_external_data(exported, tmp_path / "model", "weights.bin")
    (path.parent / "weights.bin").write_bytes(raw)
    x = np.load(inputs)["x"]
    expected = open_artifact(exported.out_dir / "model.onnx").probabilities(x)
    np.testing.assert_allclose(open_artifact(path).probabilities(x), expected, atol=1e-6)


@pytest.mark.parametrize("where", ["parent", "absolute", "symlink"])
def test_external_data_outside_the_model_folder_is_refused(
    netspec_process, exported, tmp_path, inputs, where
):
    secret = tmp_path / "secret.bin"
    location = {"parent": "../secret.bin", "absolute": str(secret), "symlink": "weights.bin"}
    path, raw = with_external_data(exported, tmp_path / "model", location[where])
    secret.write_bytes(secret_like(raw))
    if where == "symlink":  # inside the folder by name, outside by target
        os.symlink(secret, path.parent / "weights.bin")

    with pytest.raises(UserError) as refused:
        open_artifact(path)
    assert_one_line(refused.value.message, str(path), "not a loadable ONNX model")

    for artifact in (path, path.parent):  # the model file, or its folder as an export folder
        result = netspec_process("predict", artifact, inputs, "--format", "json", cwd=tmp_path)
        assert_refused(result, str(path), "not a loadable ONNX model", code=1)
        assert result.stdout == ""
    assert secret.read_bytes() == secret_like(raw)


def test_the_export_itself_keeps_every_initializer_inside(exported):
    """netspec's own ONNX never needs external data, so refusing it costs nothing."""
    model = onnx.load(str(exported.out_dir / "model.onnx"), load_external_data=False)
    assert model.graph.initializer
    assert all(t.data_location != TensorProto.EXTERNAL for t in model.graph.initializer)
    names = json.loads((exported.out_dir / "names.json").read_text())
    assert MOVED in {p["name"] for p in names["parameters"]}
