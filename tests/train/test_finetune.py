"""init_from: weights by stable name from an earlier run into a changed spec."""

from __future__ import annotations

import numpy as np
import pytest

from netspec.compile import build_model
from netspec.errors import UserError
from netspec.spec import load
from netspec.train import finetune, train
from tests.train import helpers

pytestmark = pytest.mark.slow

# TINY with a wider fc1 replaced by a new fc2 and 5 classes instead of 3.
CHANGED = {
    **helpers.TINY,
    "name": "changed",
    "layers": [
        *helpers.TINY["layers"][:3],
        {"type": "dense", "name": "fc1", "units": 16, "activation": "relu"},
        {"type": "dense", "name": "fc2", "units": 8, "activation": "relu"},
        {"type": "dense", "name": "logits", "units": 5},
    ],
    "data": {**helpers.TINY["data"], "classes": 5},
}


def changed_spec(tmp_path, reference_run, epochs=1, **init_from):
    return load(
        helpers.write_spec(
            tmp_path,
            CHANGED,
            "changed.yaml",
            train={**CHANGED["train"], "epochs": epochs},
            init_from={"run": str(reference_run), **init_from},
        )
    )


def layer_weights(model, name):
    return [w.numpy() for w in model.get_layer(name).weights]


def test_loads_listed_layers_and_leaves_the_others_fresh(tmp_path, reference_run):
    spec = changed_spec(tmp_path, reference_run, layers=["conv1", "bn1"])
    model, fresh = build_model(spec), build_model(spec)
    record = finetune.load_layers(model, spec)

    trained = helpers.final_weights(reference_run)
    for key in ("conv1/kernel", "conv1/bias", "bn1/gamma", "bn1/moving_mean"):
        layer, param = key.split("/")
        [value] = [w.numpy() for w in model.get_layer(layer).weights if w.name == param]
        np.testing.assert_array_equal(value, trained[key])
    for name in ("fc1", "fc2", "logits"):  # not listed: same as a fresh build (seeded)
        for ours, theirs in zip(layer_weights(model, name), layer_weights(fresh, name)):
            np.testing.assert_array_equal(ours, theirs)
    assert record == {
        "run": str(reference_run),
        "spec_hash": helpers.manifest(reference_run)["spec"]["hash"],
        "layers": ["conv1", "bn1"],
        "freeze": False,
    }


def test_layers_null_means_every_layer_both_share_and_shape_changes_are_named(
    tmp_path, reference_run
):
    spec = changed_spec(tmp_path, reference_run, layers=None)
    with pytest.raises(UserError) as err:
        finetune.load_layers(build_model(spec), spec)
    assert err.value.message == (
        f"init_from: logits/kernel has shape (16, 3) in run {reference_run} but (8, 5) in this spec"
    )
    assert "leave 'logits' out of init_from.layers" in err.value.hint


def test_a_layer_the_run_lacks_is_an_error(tmp_path, reference_run):
    spec = changed_spec(tmp_path, reference_run, layers=["conv1", "fc2"])
    with pytest.raises(UserError, match=f"run {reference_run} has no layer 'fc2'"):
        finetune.load_layers(build_model(spec), spec)


def test_a_missing_run_is_an_error(tmp_path):
    spec = load(helpers.tiny_spec(tmp_path, init_from={"run": "runs/nothing"}))
    with pytest.raises(UserError, match="init_from.run: no run directory runs/nothing"):
        train(spec, out=tmp_path / "run", quiet=True)
    assert not (tmp_path / "run").exists()  # nothing is created for a run that cannot start


def test_frozen_layers_keep_their_weights_while_the_rest_trains(tmp_path, reference_run):
    spec = changed_spec(tmp_path, reference_run, layers=["conv1", "bn1", "fc1"], freeze=True)
    run = train(spec, out=tmp_path / "run", quiet=True)

    ours, theirs = helpers.final_weights(run), helpers.final_weights(reference_run)
    for key in (
        "conv1/kernel",
        "conv1/bias",
        "bn1/gamma",
        "bn1/beta",
        "bn1/moving_mean",
        "bn1/moving_variance",
        "fc1/kernel",
        "fc1/bias",
    ):
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)
    fresh = build_model(load(run / "spec.yaml"))
    assert not np.array_equal(ours["fc2/kernel"], fresh.get_layer("fc2").weights[0].numpy())
    manifest = helpers.manifest(run)
    assert manifest["init_from"]["layers"] == ["conv1", "bn1", "fc1"]
    assert load(run / "spec.yaml").init_from["run"] == str(reference_run)  # absolute


# TINY with fc1 widened: conv1 and bn1 fit, fc1 does not, and of logits only the bias does.
WIDE = {
    **helpers.TINY,
    "name": "wide",
    "layers": [
        *helpers.TINY["layers"][:3],
        {**helpers.TINY["layers"][3], "units": 32},
        *helpers.TINY["layers"][4:],
    ],
}
PLANNED = ["conv1", "bn1", "logits/bias"]


def wide_spec(tmp_path, reference_run, **init_from):
    return load(
        helpers.write_spec(
            tmp_path, WIDE, "wide.yaml", init_from={"run": str(reference_run), **init_from}
        )
    )


def test_single_variables_load_and_their_layers_keep_training(tmp_path, reference_run):
    spec = wide_spec(tmp_path, reference_run, layers=PLANNED, freeze=True)
    model, fresh = build_model(spec), build_model(spec)
    record = finetune.load_layers(model, spec)

    assert record["layers"] == PLANNED
    trained = helpers.final_weights(reference_run)
    ours = {f"{layer.name}/{w.name}": w for layer in model.layers for w in layer.weights}
    theirs = {f"{layer.name}/{w.name}": w for layer in fresh.layers for w in layer.weights}
    for key, variable in ours.items():
        expected = trained[key] if key.split("/")[0] in PLANNED or key in PLANNED else None
        if expected is None:
            expected = theirs[key].numpy()
        np.testing.assert_array_equal(variable.numpy(), expected, err_msg=key)
    # frozen: the layers loaded whole; logits (loaded in part) trains, all of it
    assert [layer.name for layer in model.layers if layer.weights and not layer.trainable] == [
        "conv1",
        "bn1",
    ]
    assert model.get_layer("logits").trainable


def test_a_variable_whose_shape_changed_is_an_error_naming_both_shapes(tmp_path, reference_run):
    spec = wide_spec(tmp_path, reference_run, layers=["conv1", "logits/kernel"])
    with pytest.raises(UserError) as err:
        finetune.load_layers(build_model(spec), spec)
    assert err.value.message == (
        f"init_from: logits/kernel has shape (16, 3) in run {reference_run} but (32, 3) in "
        "this spec"
    )
    assert "leave 'logits/kernel' out of init_from.layers" in err.value.hint


def test_a_variable_glob_selects_across_layers(tmp_path, reference_run):
    spec = wide_spec(tmp_path, reference_run, layers=["*/moving_*", "logits/b*"])
    record = finetune.load_layers(build_model(spec), spec)
    assert record["layers"] == ["bn1/moving_mean", "bn1/moving_variance", "logits/bias"]


def test_train_init_from_a_run_loads_the_planned_variables(
    tmp_path, reference_run, netspec_process
):
    spec = helpers.write_spec(tmp_path, WIDE, "wide.yaml", train={"epochs": 1})
    result = netspec_process(
        "train", spec, "--init-from", reference_run, "--out", tmp_path / "run", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert (
        f"init_from {reference_run}: 7 of 10 variables load (59 of 8,379 values); fresh: "
        "fc1/kernel, fc1/bias, logits/kernel"
    ) in result.stderr.splitlines()
    manifest = helpers.manifest(tmp_path / "run")
    assert manifest["init_from"]["layers"] == PLANNED
    # the weights it started from: what the run's spec loads, before any training
    trained_spec = load(tmp_path / "run" / "spec.yaml", resolved=True)
    assert trained_spec.init_from == {
        "run": str(reference_run.resolve()),
        "layers": PLANNED,
        "freeze": False,
    }
    model, fresh = build_model(trained_spec), build_model(trained_spec)
    finetune.load_layers(model, trained_spec)
    trained = helpers.final_weights(reference_run)
    np.testing.assert_array_equal(
        model.get_layer("logits").weights[1].numpy(), trained["logits/bias"]
    )
    np.testing.assert_array_equal(
        model.get_layer("logits").weights[0].numpy(), fresh.get_layer("logits").weights[0].numpy()
    )
    np.testing.assert_array_equal(
        model.get_layer("conv1").weights[0].numpy(), trained["conv1/kernel"]
    )
    assert not np.array_equal(
        helpers.final_weights(tmp_path / "run")["logits/bias"], trained["logits/bias"]
    )  # and then it trained


def test_train_init_from_refuses_a_run_without_weights(tmp_path, netspec_process):
    spec = helpers.write_spec(tmp_path, WIDE, "wide.yaml")
    result = netspec_process("train", spec, "--init-from", tmp_path / "nothing")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == f"error: {tmp_path / 'nothing'}: no such run directory"
