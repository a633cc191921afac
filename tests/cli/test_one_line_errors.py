"""Inputs that used to end in a traceback (or worse, in a half-made run) are one-line errors:
classes that do not fit the logits, NaN pixels, string arrays, edited ONNX metadata, runs
whose checkpoints are gone, folders that are not runs."""

from __future__ import annotations

import json
import shutil

import numpy as np
import onnx
import pytest

from netspec.data.sources.idx import write_idx
from netspec.data.sources.synthetic import generate
from tests.helpers import assert_error, tree_state, write_spec
from tests.train import helpers as train_helpers

NPZ_SPEC = {
    "name": "from_npz",
    "input": {"shape": [8, 8, 1], "scale": "unit"},
    "layers": [
        {"type": "flatten"},
        {"type": "dense", "name": "logits", "units": 3},
    ],
    "train": {"epochs": 1, "batch_size": 10, "seed": 1},
    "data": {"source": "npz", "path": "data.npz", "split": {"train": 0.8, "test": 0.2}},
}


def write_npz(folder, x, y) -> None:
    np.savez(folder / "data.npz", x=x, y=y)


def three_classes(examples: int = 30):
    return generate((8, 8, 1), 3, examples)


# --- classes that do not fit the last layer ------------------------------------------------


def test_a_synthetic_source_with_more_classes_than_logits(netspec_process, tmp_path):
    """The spec says how many classes synthetic data has: a diagnostic, before TensorFlow."""
    spec = train_helpers.tiny_spec(tmp_path)
    spec.write_text(spec.read_text().replace("units: 3", "units: 2"))
    before = tree_state(tmp_path)
    result = netspec_process("train", spec, cwd=tmp_path)
    line = assert_error(result, code=1)
    assert line.startswith(f"{spec}:") and "3 classes" in line
    assert tree_state(tmp_path) == before  # no runs/ folder


@pytest.mark.slow
def test_data_with_more_classes_than_logits(netspec_process, tmp_path):
    """Classes known only once the data is read: one line before a run directory exists."""
    write_npz(tmp_path, *three_classes())
    spec = write_spec(
        tmp_path,
        NPZ_SPEC,
        layers=[NPZ_SPEC["layers"][0], {"type": "dense", "name": "logits", "units": 2}],
    )
    before = tree_state(tmp_path)
    result = netspec_process("train", spec, cwd=tmp_path)
    line = assert_error(result, code=1)
    assert "the data has 3 classes" in line and "'logits' gives 2 outputs" in line
    assert (
        result.stderr.splitlines()[1] == "  hint: set units: 3 on layer 'logits' "
        "(--set layers.logits.units=3)"
    )
    assert tree_state(tmp_path) == before  # no runs/ folder


# --- bad values in data and inputs ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_infinite_pixels_in_npz_data(netspec_process, tmp_path, bad):
    x, y = three_classes()
    x = x.astype(np.float32)
    x[4, 2, 3, 0] = bad
    write_npz(tmp_path, x, y)
    spec = write_spec(tmp_path, NPZ_SPEC)
    before = tree_state(tmp_path)
    result = netspec_process("train", spec, cwd=tmp_path)
    line = assert_error(result, code=1)
    assert "1 example(s) hold NaN or infinite values (the first is example" in line
    assert tree_state(tmp_path) == before


@pytest.fixture
def predict_input(tmp_path):
    """Raw inputs that fit the `exported` model (12x12x1)."""
    path = tmp_path / "inputs.npz"
    np.savez(path, x=np.random.default_rng(0).uniform(0, 255, (2, 12, 12, 1)).astype(np.float32))
    return path


@pytest.mark.slow
def test_predict_on_an_npz_of_strings(netspec_process, exported, tmp_path):
    strings = tmp_path / "strings.npz"
    np.savez(strings, x=np.array([["a"] * 12] * 12))
    result = netspec_process("predict", exported.out_dir / "model.onnx", strings)
    line = assert_error(result, code=1)
    assert f"{strings}: holds <U1 values, not numbers" in line


# --- ONNX metadata edited by hand ----------------------------------------------------------

EDITS = {
    "too few class names": ("class_names", json.dumps(["a", "b", "c"]), "names 3 classes"),
    "wrong input_name": ("input_name", "pixels", "metadata input_name 'pixels'"),
    "wrong input_shape": ("input_shape", "[12, 12, 3]", "metadata input_shape [12, 12, 3]"),
    "empty input range": (
        "input_scale",
        json.dumps({"from": [0, 0], "to": [0, 1]}),
        "metadata input_scale.from must be two finite numbers lo < hi",
    ),
    "not JSON": ("input_shape", "[12, 12", "metadata input_shape is not valid JSON"),
}


@pytest.mark.slow
def test_the_unedited_export_predicts(netspec_process, exported, predict_input):
    """The baseline of the edits below: the same model and input work as exported."""
    result = netspec_process("predict", exported.out_dir / "model.onnx", predict_input)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.slow
@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_edited_onnx_metadata(netspec_process, exported, predict_input, tmp_path, edit):
    key, value, message = edit
    model = onnx.load(str(exported.out_dir / "model.onnx"))
    props = {prop.key: prop for prop in model.metadata_props}
    assert key in props
    props[key].value = value
    edited = tmp_path / "model.onnx"
    onnx.save(model, str(edited))
    result = netspec_process("predict", edited, predict_input)
    line = assert_error(result, code=1)
    assert line.startswith(f"error: {edited}: ") and message in line, line
    assert result.stderr.splitlines()[1].startswith("  hint: re-export it with `netspec export")


# --- evaluate: other data, options ---------------------------------------------------------


@pytest.mark.slow
def test_evaluate_on_a_folder_of_only_the_t10k_idx_pair(netspec_process, reference_run, tmp_path):
    data = tmp_path / "mnist_like"
    data.mkdir()
    x, y = generate((8, 8, 1), 3, 60)
    write_idx(data / "t10k-images-idx3-ubyte", x[..., 0])
    write_idx(data / "t10k-labels-idx1-ubyte", y.astype(np.uint8))
    out = tmp_path / "evaluation"
    before = tree_state(reference_run)
    result = netspec_process(
        "evaluate",
        reference_run,
        "--data",
        "idx",
        "--path",
        data,
        "--out",
        out,
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["examples"] == 60
    assert json.loads((out / "evaluation-idx.json").read_text()) == report
    assert tree_state(reference_run) == before


@pytest.mark.slow
def test_evaluate_data_without_path(netspec_process, reference_run):
    result = netspec_process("evaluate", reference_run, "--data", "npz")
    line = assert_error(result, code=2)
    assert "--path" in line


# --- runs ------------------------------------------------------------------------------------


def test_resume_of_a_folder_that_is_not_a_run(netspec_process, tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    before = tree_state(tmp_path)
    result = netspec_process("train", "--resume", folder, cwd=tmp_path)
    line = assert_error(result, code=2)
    assert line == f"error: {folder} is not a run directory (no manifest.json)"
    assert tree_state(tmp_path) == before


@pytest.mark.slow
@pytest.mark.parametrize("command", ["export", "evaluate"])
def test_a_completed_run_whose_checkpoints_were_deleted(netspec_process, run_copy, command):
    shutil.rmtree(run_copy / "checkpoints")
    before = tree_state(run_copy)
    result = netspec_process(command, run_copy, cwd=run_copy.parent)
    line = assert_error(result, code=1)
    assert f"completed, but {run_copy / 'checkpoints' / 'final.npz'} is missing" in line
    assert "checkpoints were moved or deleted" in result.stderr
    assert "--resume" not in result.stderr  # a completed run cannot be resumed
    assert tree_state(run_copy) == before


@pytest.mark.slow
def test_exporting_nan_weights_says_training_diverged(netspec_process, run_copy):
    # A run trained before netspec stopped on NaN losses: its export used to fail verification
    # with the hint to raise the tolerance.
    final = run_copy / "checkpoints" / "final.npz"
    with np.load(final) as npz:
        arrays = {key: npz[key] for key in npz.files}
    arrays["fc1/kernel"] = np.full_like(arrays["fc1/kernel"], np.nan)
    np.savez(final, **arrays)
    before = tree_state(run_copy)
    result = netspec_process("export", run_copy, cwd=run_copy.parent)
    line = assert_error(result, code=1)
    assert f"{final}: fc1/kernel holds NaN or infinite values" in line
    assert "training diverged" in result.stderr and "tolerance" not in result.stderr
    assert tree_state(run_copy) == before
