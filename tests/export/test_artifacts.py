"""What the exported files hold, read back from the files themselves."""

import json
import re
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

import netspec
from netspec.export.metadata import ArtifactInfo
from tests.export.helpers import EXPORT_FILES, SMALL_PARAMS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def onnx_model(exported):
    return onnx.load(exported.out_dir / "model.onnx")


@pytest.fixture(scope="module")
def loaded(exported):
    import tensorflow as tf

    return tf.saved_model.load(str(exported.out_dir / "saved_model"))


@pytest.fixture(scope="module")
def keras_values(small_model):
    _, model = small_model
    return {v.path: v.numpy() for v in model.variables if v.path in SMALL_PARAMS}


def raw_batch(n, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (n, 12, 12, 1)).astype(np.float32)


def saved_variables(loaded):
    return {var.name: var for var in loaded.variables}


def test_exported_files(exported):
    assert exported.files == EXPORT_FILES


def test_onnx_initializers_are_the_tf_variables_by_name(onnx_model, keras_values, loaded):
    initializers = {i.name: numpy_helper.to_array(i) for i in onnx_model.graph.initializer}
    assert [name for name in initializers if name in keras_values] == SMALL_PARAMS
    anonymous = [name for name in initializers if name not in keras_values]
    assert all(re.fullmatch(r"const\d+", name) for name in anonymous)
    restored = saved_variables(loaded)
    for name, value in keras_values.items():
        np.testing.assert_array_equal(initializers[name], value, err_msg=name)
        np.testing.assert_array_equal(restored[f"{name}:0"].numpy(), value, err_msg=name)
    # nothing folded: every parameter feeds the graph, no constant holds a parameter's values
    used = {name for node in onnx_model.graph.node for name in node.input}
    assert set(SMALL_PARAMS) <= used
    for name in anonymous:
        assert not any(np.array_equal(initializers[name], v) for v in keras_values.values())


def test_conv_kernels_stay_hwio_behind_a_transpose(onnx_model):
    shapes = {i.name: list(i.dims) for i in onnx_model.graph.initializer}
    assert shapes["conv1/kernel"] == [3, 3, 1, 4] and shapes["fc1/kernel"] == [54, 16]
    (transpose,) = [n for n in onnx_model.graph.node if list(n.input) == ["conv1/kernel"]]
    assert transpose.op_type == "Transpose"
    assert list(transpose.attribute[0].ints) == [3, 2, 0, 1]  # HWIO -> OIHW


def test_onnx_interface_is_checked_and_batch_is_dynamic(exported, onnx_model, small_model):
    onnx.checker.check_model(onnx_model, full_check=True)
    assert {o.domain: o.version for o in onnx_model.opset_import}[""] == 17

    def dims(value):
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]

    assert [(i.name, dims(i)) for i in onnx_model.graph.input] == [("image", ["batch", 12, 12, 1])]
    assert [(o.name, dims(o)) for o in onnx_model.graph.output] == [
        ("logits", ["batch", 4]),
        ("probabilities", ["batch", 4]),
    ]
    session = ort.InferenceSession(str(exported.out_dir / "model.onnx"))
    _, model = small_model
    for n in (1, 7):
        x = raw_batch(n)
        logits, probs = session.run(None, {"image": x})
        np.testing.assert_allclose(logits, model(x), atol=1e-5)
        np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)


def test_onnx_metadata_and_sidecar(exported, onnx_model, small_model, small_spec):
    spec, _ = small_model
    props = {p.key: p.value for p in onnx_model.metadata_props}
    assert props["netspec_version"] == netspec.__version__
    assert props["spec_hash"] == spec.hash and props["spec_name"] == "small"
    assert json.loads(props["class_names"]) == ["0", "1", "2", "3"]
    assert json.loads(props["input_scale"]) == {"from": [0, 255], "to": [0.0, 1.0]}
    assert props["source"] == str(small_spec.resolve())
    assert props["preprocessing"] == "true"
    sidecar, extra = ArtifactInfo.read_sidecar(exported.out_dir / "saved_model")
    assert sidecar == ArtifactInfo.from_props(props, exported.out_dir / "model.onnx")
    assert extra["spec"] == spec.doc  # predict rebuilds the network from it
    assert sorted(extra["checkpoint_keys"]) == sorted(SMALL_PARAMS)


def test_saved_model_signature_names_and_raw_pixels(loaded, small_model):
    import tensorflow as tf

    signature = loaded.signatures["serving_default"]
    assert signature.structured_input_signature == (
        (),
        {"image": tf.TensorSpec((None, 12, 12, 1), tf.float32, name="image")},
    )
    assert sorted(signature.structured_outputs) == ["logits", "probabilities"]
    assert sorted(saved_variables(loaded)) == sorted(f"{name}:0" for name in SMALL_PARAMS)
    _, model = small_model
    x = raw_batch(9)
    np.testing.assert_allclose(signature(image=tf.constant(x))["logits"], model(x), atol=1e-6)


def test_checkpoint_holds_only_the_parameters_under_recorded_keys(exported, keras_values):
    import tensorflow as tf

    prefix = str(exported.out_dir / "saved_model" / "variables" / "variables")
    keys = {key for key, _ in tf.train.list_variables(prefix)} - {"_CHECKPOINTABLE_OBJECT_GRAPH"}
    recorded = json.loads((exported.out_dir / "saved_model" / "netspec.json").read_text())
    assert keys == set(recorded["checkpoint_keys"].values())
    assert sorted(recorded["checkpoint_keys"]) == sorted(SMALL_PARAMS)
    reader = tf.train.load_checkpoint(prefix)
    for name, value in keras_values.items():
        np.testing.assert_array_equal(reader.get_tensor(recorded["checkpoint_keys"][name]), value)


def test_the_loaded_saved_model_offers_its_variables_like_keras_archives(loaded):
    assert [v.name for v in loaded.variables] == [f"{name}:0" for name in SMALL_PARAMS]
    trainable = [v.name for v in loaded.trainable_variables]
    frozen = [v.name for v in loaded.non_trainable_variables]
    assert frozen == ["bn1/moving_mean:0", "bn1/moving_variance:0"]
    assert sorted(trainable + frozen) == sorted(v.name for v in loaded.variables)


def test_saved_model_cli_shows_the_signature(exported):
    cli = f"{sys.exec_prefix}/bin/saved_model_cli"
    shown = subprocess.run(
        [cli, "show", "--all", "--dir", str(exported.out_dir / "saved_model")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    signature = shown[shown.index("signature_def['serving_default']") :]
    assert "inputs['image'] tensor_info:" in signature
    assert "shape: (-1, 12, 12, 1)" in signature
    assert "outputs['logits'] tensor_info:" in signature
    assert "outputs['probabilities'] tensor_info:" in signature


def test_keras_tfsm_layer_runs_it(exported, small_model):
    import keras

    layer = keras.layers.TFSMLayer(
        str(exported.out_dir / "saved_model"), call_endpoint="serving_default"
    )
    _, model = small_model
    x = raw_batch(4)
    outputs = layer(x)
    np.testing.assert_allclose(outputs["logits"], model(x), atol=1e-6)
    # The parameters and nothing else (no RNG state); moving statistics stay non-trainable.
    assert len(layer.weights) == len(SMALL_PARAMS)
    assert len(layer.non_trainable_weights) == 2


def test_verification_report_is_saved(exported):
    report = json.loads((exported.out_dir / "verification.json").read_text())
    assert report == exported.report and report["passed"]
    assert {name: b["size"] for name, b in report["batches"].items()} == {"test": 60, "random": 64}
    for batch in report["batches"].values():
        assert 0 < batch["float32_spacing"] < batch["max_abs_logit"]
    assert set(report["engines"]) == {"keras", "saved_model", "onnx"}
    for engine in ("saved_model", "onnx"):
        for result in report["engines"][engine].values():
            assert result["max_abs_diff"] <= 1e-5 and result["argmax_mismatches"] == 0
            assert result["ms"] > 0


def test_names_json_lists_each_parameter_in_each_format(exported, keras_values):
    names = json.loads((exported.out_dir / "names.json").read_text())
    assert names["input"] == {"name": "image", "shape": [None, 12, 12, 1]}
    assert names["outputs"] == ["logits", "probabilities"]
    assert [p["name"] for p in names["parameters"]] == SMALL_PARAMS
    for entry in names["parameters"]:
        shape = list(keras_values[entry["name"]].shape)
        assert entry["shape"] == shape and entry["dtype"] == "float32"
        assert entry["saved_model"] == {
            "variable": f"{entry['name']}:0",
            "shape": shape,
            "dtype": "float32",
            "checkpoint_key": f"variables/{SMALL_PARAMS.index(entry['name'])}"
            "/.ATTRIBUTES/VARIABLE_VALUE",
        }
        assert entry["onnx"] == {"initializer": entry["name"], "shape": shape, "dtype": "float32"}
    assert [p["trainable"] for p in names["parameters"]].count(False) == 2  # BN statistics
