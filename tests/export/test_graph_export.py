"""A residual network with blocks exports under its hierarchical names: the same names in
the Keras model, the checkpoints, names.json, the SavedModel and the ONNX initializers; both
formats pass the three-engine gate, and a second export is byte-identical."""

import json

import onnx
import pytest

from netspec.runs.checkpoints import model_weights
from tests.export import helpers

pytestmark = pytest.mark.slow

INSIDE_BLOCKS = [
    "stage1/conv_a/kernel",
    "stage1/bn_a/moving_variance",
    "stage1/proj/kernel",
    "stage2_1/conv_a/depthwise_kernel",
    "stage2_1/conv_a/pointwise_kernel",
    "stage2_1/norm/gamma",
    "stage2_2/conv_a/bias",
    "stage2_2/norm/beta",
]


@pytest.fixture(scope="module")
def residual(tmp_path_factory):
    folder = tmp_path_factory.mktemp("residual")
    spec = helpers.write_spec(folder, helpers.RESIDUAL, "residual")
    return spec, helpers.export(spec, folder / "export")


def test_every_name_is_the_hierarchical_one_in_every_artifact(residual):
    spec_path, result = residual
    _, model = helpers.build(spec_path)
    keras_paths = [v.path for v in model.weights]
    assert set(INSIDE_BLOCKS) <= set(keras_paths)
    assert set(model_weights(model)) == set(keras_paths)  # checkpoint keys: the same names

    lock = json.loads((result.out_dir / "names.json").read_text())
    assert [p["name"] for p in lock["parameters"]] == keras_paths
    for entry in lock["parameters"]:  # what each artifact holds, read back from its files
        assert entry["saved_model"]["variable"] == entry["name"] + ":0"
        assert entry["onnx"]["shape"] == entry["shape"]
    initializers = {i.name for i in onnx.load(result.out_dir / "model.onnx").graph.initializer}
    assert set(keras_paths) <= initializers


def test_both_formats_pass_the_three_engine_gate(residual):
    _, result = residual
    assert result.report["passed"]
    report = json.loads((result.out_dir / "verification.json").read_text())
    assert report["passed"]


def test_a_second_export_is_byte_identical(residual, tmp_path):
    spec_path, first = residual
    again = helpers.export(spec_path, tmp_path / "again")
    for name in ("model.onnx", "names.json"):
        assert (again.out_dir / name).read_bytes() == (first.out_dir / name).read_bytes()
