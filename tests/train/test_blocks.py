"""Training networks with blocks: init_from into a deeper ResNet from a shallower one's
instances (by instance name, inner path or glob; frozen layers inside instances stay as they
were), and a kill -9 mid-run resumed to the weights of an uninterrupted run (dropout inside
the instances included)."""

from __future__ import annotations

import signal

import numpy as np
import pytest

from netspec.compile import build_model
from netspec.compile.model import spec_layers
from netspec.errors import UserError
from netspec.runs.checkpoints import model_weights
from netspec.spec import load
from netspec.train import finetune, train
from tests.train import helpers

pytestmark = pytest.mark.slow

RESNET = {
    "name": "resnet",
    "input": {"shape": [8, 8, 1]},
    "blocks": {
        "residual": {
            "params": {"filters": "int"},
            "layers": [
                {"type": "conv2d", "name": "conv_a", "filters": "${filters}", "kernel": 3},
                {"type": "batch_norm", "name": "bn_a"},
                {"type": "activation", "name": "relu_a", "activation": "relu"},
                {"type": "add", "name": "sum", "inputs": ["input", "relu_a"]},
            ],
        }
    },
    "layers": [
        {"type": "conv2d", "name": "stem", "filters": 4, "kernel": 3},
        {"type": "block", "block": "residual", "name": "stage1", "repeat": 2,
         "with": {"filters": 4}},
        {"type": "global_avg_pool", "name": "gap"},
        {"type": "dense", "name": "logits", "units": 3},
    ],
    "train": {"epochs": 1, "batch_size": 16, "seed": 3},
    "data": {"source": "synthetic", "classes": 3, "examples": 160,
             "split": {"train": 128, "validation": 0, "test": 32}},
}  # fmt: skip
# One more instance in stage1 and a second stage.
DEEPER = {
    **RESNET,
    "name": "deeper",
    "layers": [
        *RESNET["layers"][:1],
        {**RESNET["layers"][1], "repeat": 3},
        {"type": "block", "block": "residual", "name": "stage2", "with": {"filters": 4}},
        *RESNET["layers"][2:],
    ],
}


@pytest.fixture(scope="module")
def shallow_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shallow")
    return train(load(helpers.write_spec(folder, RESNET, "resnet")), out=folder / "run", quiet=True)


def deeper(tmp_path, run, **init_from):
    path = helpers.write_spec(tmp_path, DEEPER, "deeper", init_from={"run": str(run), **init_from})
    return load(path)


def test_instances_load_by_name_and_new_ones_stay_fresh(tmp_path, shallow_run):
    spec = deeper(tmp_path, shallow_run, layers=["stage1_1", "stage1_2/conv_a"])
    model, fresh = build_model(spec), build_model(spec)
    record = finetune.load_layers(model, spec)

    trained, ours, new = (
        helpers.final_weights(shallow_run),
        model_weights(model),
        model_weights(fresh),
    )
    loaded = [k for k in ours if k.startswith(("stage1_1/", "stage1_2/conv_a/"))]
    assert sorted(loaded) == sorted(
        ["stage1_1/conv_a/kernel", "stage1_1/conv_a/bias"]
        + [f"stage1_1/bn_a/{p}" for p in ("gamma", "beta", "moving_mean", "moving_variance")]
        + ["stage1_2/conv_a/kernel", "stage1_2/conv_a/bias"]
    )
    for key in ours:
        expected = trained[key] if key in loaded else new[key].numpy()
        np.testing.assert_array_equal(ours[key].numpy(), expected, err_msg=key)
    assert record["layers"] == ["stage1_1/conv_a", "stage1_1/bn_a", "stage1_2/conv_a"]


def test_a_glob_selects_every_matching_instance_and_freezing_reaches_inside(tmp_path, shallow_run):
    spec = deeper(tmp_path, shallow_run, layers=["stage1_*"], freeze=True)
    with pytest.raises(UserError, match="run .* has no layer 'stage1_3/conv_a'"):
        finetune.load_layers(build_model(spec), spec)  # stage1_3 is new: the run lacks it

    spec = deeper(tmp_path, shallow_run, layers=["stage1_[12]", "stem"], freeze=True)
    run = train(spec, out=tmp_path / "run", quiet=True)
    ours, theirs = helpers.final_weights(run), helpers.final_weights(shallow_run)
    frozen = [k for k in theirs if k.startswith(("stage1_1/", "stage1_2/", "stem/"))]
    assert len(frozen) == 14
    for key in frozen:
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)
    assert not np.array_equal(ours["stage2/conv_a/kernel"], theirs["stage1_1/conv_a/kernel"])
    layers = spec_layers(build_model(spec))
    assert helpers.manifest(run)["init_from"]["layers"][:3] == [
        "stem",
        "stage1_1/conv_a",
        "stage1_1/bn_a",
    ]
    assert "stage1_2/bn_a" in layers


def test_an_unknown_instance_is_a_spec_error_with_a_suggestion(tmp_path, shallow_run):
    from netspec.spec.diagnostics import SpecError

    with pytest.raises(SpecError, match="no layer or block instance named 'stage3'"):
        deeper(tmp_path, shallow_run, layers=["stage3"])


def test_kill_9_then_resume_equals_an_uninterrupted_run(tmp_path):
    block = RESNET["blocks"]["residual"]
    spec = {
        **RESNET,
        "blocks": {"residual": {**block, "layers": [
            *block["layers"][:3],
            {"type": "dropout", "name": "drop", "rate": 0.3},
            {"type": "add", "name": "sum", "inputs": ["input", "drop"]},
        ]}},
        "train": {**RESNET["train"], "epochs": 4, "steps_per_execution": 7},
        "data": {**RESNET["data"], "examples": 2000,
                 "split": {"train": 1600, "validation": 0, "test": 400}},
    }  # fmt: skip
    path = helpers.write_spec(tmp_path, spec, "resnet")
    reference = train(load(path), out=tmp_path / "reference", quiet=True)

    child = helpers.start_training(path, "--out", "run", cwd=tmp_path)
    helpers.wait_for_line(child, "epoch 2/4")
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert helpers.manifest(tmp_path / "run")["status"] == "running"
    train(resume=tmp_path / "run", quiet=True)

    ours = helpers.final_weights(tmp_path / "run")
    assert "stage1_2/conv_a/kernel" in ours
    helpers.assert_same_weights(ours, helpers.final_weights(reference))
