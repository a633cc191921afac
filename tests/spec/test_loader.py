"""load(): the resolved spec that everything downstream receives (docs/design.md)."""

from __future__ import annotations

import pytest
import yaml

from netspec.errors import UsageError
from netspec.spec import load
from tests.specs.spec_corpus import HERE, SPECS

CNN = SPECS / "cnn.yaml"


def test_the_resolved_cnn():
    spec = load(CNN)
    assert (spec.name, spec.path) == ("cnn", CNN)
    assert spec.input == {
        "name": "image",
        "shape": [28, 28, 1],
        "dtype": "float32",
        "scale": {"from": [0, 255], "to": [0.0, 1.0]},
    }
    assert [layer["name"] for layer in spec.layers] == [
        "conv1",
        "conv2",
        "conv3",
        "flatten_1",
        "fc1",
        "dropout_1",
        "logits",
    ]
    conv2 = spec.layers[1]
    assert conv2 == {
        "type": "conv2d",
        "name": "conv2",
        "inputs": None,
        "filters": 12,
        "kernel": [5, 5],
        "stride": [2, 2],
        "padding": "same",
        "dilation": [1, 1],
        "activation": "relu",
        "alpha": 0.2,
        "use_bias": True,
        "l2": None,
        "kernel_init": {"type": "glorot_uniform"},
        "bias_init": {"type": "zeros"},
    }
    assert spec.layers[5] == {"type": "dropout", "name": "dropout_1", "inputs": None, "rate": 0.25}
    assert spec.blocks == {} and spec.doc["output"] is None
    assert [node.inputs for node in spec.graph.nodes()][:2] == [("image",), ("conv1",)]
    assert spec.train["loss"] == {
        "type": "softmax_cross_entropy",
        "labels": "sparse",
        "label_smoothing": 0.0,
    }
    assert spec.train["optimizer"] == {
        "type": "adam",
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-7,
    }
    assert spec.train["learning_rate"] == {
        "schedule": "decay_to_floor",
        "initial": 0.003,
        "floor": 0.0001,
        "decay_steps": 2000,
    }
    assert spec.data["split"] == {"train": 4000, "validation": 0, "test": 1000}
    assert spec.data["seed"] == spec.train["seed"] == 1
    assert spec.export == {
        "formats": ["saved_model", "onnx"],
        "opset": 17,
        "preprocessing": True,
        "tolerance": 1e-5,
    }
    assert spec.init_from is None and spec.warnings == []


@pytest.mark.parametrize(
    "given, resolved",
    [
        (0.01, {"schedule": "constant", "value": 0.01}),
        (
            {"schedule": "exponential", "initial": 0.1, "decay_steps": 10, "decay_rate": 0.5},
            {
                "schedule": "exponential",
                "initial": 0.1,
                "decay_steps": 10,
                "decay_rate": 0.5,
                "staircase": False,
            },
        ),
        (
            {"schedule": "cosine", "initial": 0.1, "decay_steps": 10},
            {
                "schedule": "cosine",
                "initial": 0.1,
                "decay_steps": 10,
                "warmup_steps": 0,
                "floor": 0.0,
            },
        ),
    ],
)
def test_learning_rate_shorthands_and_defaults(given, resolved):
    spec = load(CNN, [f"train.learning_rate={given}"])
    assert spec.train["learning_rate"] == resolved


def test_optimizer_names_expand_to_their_defaults():
    assert load(CNN, ["train.optimizer=momentum"]).train["optimizer"] == {
        "type": "momentum",
        "momentum": 0.9,
        "nesterov": False,
    }


def test_the_hash_follows_the_content_not_the_way_it_was_written():
    plain, overridden = load(CNN), load(CNN, ["train.epochs=3"])
    assert plain.hash != overridden.hash
    assert overridden.hash == load(CNN, ["train.epochs=3", "layers.fc1.units=200"]).hash
    assert len(plain.hash) == 64


def test_data_paths_are_relative_to_the_file_that_wrote_them(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "base.yaml").write_text(
        "input: {shape: [28, 28, 1]}\nlayers: [{type: flatten}, {type: dense, units: 10}]\n"
        "data: {source: idx, path: digits_idx}\n"
    )
    child = tmp_path / "child.yaml"
    child.write_text("extends: base/base.yaml\n")
    spec = load(child)
    assert spec.data["path"] == str(tmp_path / "base" / "digits_idx")
    assert [w.code for w in spec.warnings] == ["W-PATH"]  # the folder does not exist


def test_an_unnamed_spec_is_named_after_its_file(tmp_path):
    spec = tmp_path / "My Net-2.yaml"
    spec.write_text((HERE / "valid" / "base_mlp.yaml").read_text().replace("name: base_mlp\n", ""))
    assert load(spec).name == "my_net_2"


def test_missing_files_and_folders_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        load(tmp_path / "missing.yaml")
    with pytest.raises(UsageError, match="not a file"):
        load(tmp_path)


@pytest.mark.parametrize("name", ["cnn", "best", "notmnist"])
def test_a_resolved_spec_written_as_yaml_reloads_to_the_same_spec(tmp_path, name):
    spec = load(SPECS / f"{name}.yaml")
    written = tmp_path / "spec.yaml"
    written.write_text(yaml.safe_dump(spec.doc, sort_keys=False))
    again = load(written)
    assert again.doc == spec.doc and again.hash == spec.hash
