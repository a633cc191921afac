"""`netspec export` and `netspec predict` as a user runs them (real processes)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper
from PIL import Image

from netspec.data.sources.idx import write_idx
from netspec.export.predict import open_artifact, predict
from tests.export import helpers

HEAVY = ("tensorflow", "keras", "onnx", "tf2onnx", "onnxruntime")


def errors(result) -> list[str]:
    """stderr's lines (TensorFlow's start-up logging is kept off it)."""
    return result.stderr.splitlines()


def test_command_modules_import_cheaply():
    code = (
        "import sys, netspec.cli.export, netspec.cli.predict, netspec.export.predict; "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_export_onnx_right_after_train(netspec_process, tmp_path):
    spec = helpers.write_spec(tmp_path, helpers.SMALL, "small")
    trained = netspec_process("train", spec, "--set", "train.epochs=1", "--quiet", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    run = Path(trained.stdout.strip().splitlines()[-1])

    result = netspec_process("export", "--onnx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "verification passed" in result.stdout
    out = tmp_path / run / "export"
    assert sorted(p.name for p in out.iterdir()) == [
        ".netspec",
        "model.onnx",
        "names.json",
        "verification.json",
    ]
    report = json.loads((out / "verification.json").read_text())
    assert report["passed"] and report["batches"]["test"]["size"] == 60

    from netspec.runs import open_run
    from netspec.runs.trained import load_trained

    _, model = load_trained(open_run(tmp_path / run))  # the trained weights were exported
    initializers = {
        i.name: numpy_helper.to_array(i) for i in onnx.load(out / "model.onnx").graph.initializer
    }
    for variable in model.variables:
        if variable.path in helpers.SMALL_PARAMS:
            np.testing.assert_array_equal(initializers[variable.path], variable.numpy())
    info = dict((p.key, p.value) for p in onnx.load(out / "model.onnx").metadata_props)
    assert info["source"] == str((tmp_path / run).resolve())


@pytest.mark.slow
def test_export_a_spec_file_with_fresh_weights(netspec_process, tmp_path):
    spec = helpers.write_spec(tmp_path, helpers.SMALL, "small")
    result = netspec_process("export", spec, "--saved-model", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        ".netspec",
        "names.json",
        "saved_model",
        "verification.json",
    ]
    names = json.loads((tmp_path / "out" / "names.json").read_text())
    assert [p["name"] for p in names["parameters"]] == helpers.SMALL_PARAMS


@pytest.mark.parametrize(
    "args, message, code",
    [
        (["--opset", "19"], "--set export.opset=19: error: export.opset: must be <= 18, got 19", 1),
        ([], "error: no completed run under runs", 1),
        (["missing.yaml"], "error: missing.yaml: no such file", 2),
    ],
)
def test_export_usage_errors_are_one_line_and_fast(netspec_process, tmp_path, args, message, code):
    if args[:1] == ["--opset"]:
        args = [helpers.write_spec(tmp_path, helpers.SMALL, "small"), *args]
    result = netspec_process("export", *args, cwd=tmp_path)
    assert result.returncode == code
    assert errors(result)[0] == message


def test_a_run_exports_only_with_export_overrides(tmp_path):
    from netspec.errors import UsageError
    from netspec.export.source import resolve

    run = tmp_path / "runs" / "small" / "20260101-000000"
    run.mkdir(parents=True)
    (run / "manifest.json").write_text('{"spec": {"name": "small"}, "status": "completed"}')
    (run / "checkpoints").mkdir()
    (run / "checkpoints" / "final.npz").write_bytes(b"")
    helpers.write_spec(run, helpers.SMALL, "spec")
    with pytest.raises(UsageError, match="a trained run's model cannot change"):
        resolve(run, ["layers.conv1.filters=8"])
    target = resolve(run, ["export.opset=13"])
    assert target.settings["opset"] == 13 and target.spec.export["opset"] == 17
    assert target.default_out == run / "export" and target.run.path == run


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    images = np.random.default_rng(5).integers(0, 255, (4, 12, 12)).astype(np.uint8)
    Image.fromarray(images[0]).save(folder / "digit.png")
    np.savez(folder / "batch.npz", x=images[1:3, :, :, None])
    write_idx(folder / "images-idx3-ubyte", images[3:])
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    return folder, images


@pytest.mark.slow
def test_predict_onnx_on_png_npz_idx(netspec_process, exported, small_model, inputs):
    folder, images = inputs
    result = netspec_process(
        "predict",
        exported.out_dir / "model.onnx",
        "digit.png",
        "batch.npz",
        "images-idx3-ubyte",
        "--top-k",
        "2",
        "--format",
        "json",
        cwd=folder,
    )
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["input"] for r in records] == [
        "digit.png",
        "batch.npz[0]",
        "batch.npz[1]",
        "images-idx3-ubyte",
    ]  # one example: no index
    _, model = small_model
    logits = np.asarray(model(images[..., None].astype(np.float32)), dtype=np.float64)
    probabilities = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    for record, expected in zip(records, probabilities):
        top = record["top_k"]
        assert len(top) == 2 and top[0]["id"] == int(np.argmax(expected))
        assert top[0]["class"] == str(top[0]["id"])
        assert top[0]["probability"] == pytest.approx(expected.max(), abs=1e-5)

    text = netspec_process("predict", exported.out_dir, "digit.png", cwd=folder)
    assert text.returncode == 0 and text.stdout.startswith("digit.png  ")
    assert text.stdout.count("%") == 3  # default top-3


@pytest.mark.slow
def test_predict_saved_model_matches_onnx(exported, inputs):
    folder, _ = inputs
    files = [folder / "digit.png", folder / "batch.npz"]
    from_saved_model = predict(open_artifact(exported.out_dir / "saved_model"), files, 4)
    from_onnx = predict(open_artifact(exported.out_dir / "model.onnx"), files, 4)
    for a, b in zip(from_saved_model, from_onnx, strict=True):
        assert [c["id"] for c in a["top_k"]] == [c["id"] for c in b["top_k"]]


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message, code",
    [
        (["nothing.png"], "error: nothing.png: no such file", 2),
        (["corrupt.png"], "error: corrupt.png: not a readable image, .npz or IDX file", 1),
    ],
)
def test_predict_bad_inputs_are_one_line_errors(
    netspec_process, exported, inputs, args, message, code
):
    result = netspec_process("predict", exported.out_dir / "model.onnx", *args, cwd=inputs[0])
    assert result.returncode == code
    assert len(errors(result)) == 1 and errors(result)[0].startswith(message)


def test_predict_needs_an_exported_model(netspec_process, tmp_path):
    (tmp_path / "x.png").write_bytes(b"")
    result = netspec_process("predict", tmp_path, "x.png", cwd=tmp_path)
    assert result.returncode == 2
    assert errors(result)[0] == f"error: {tmp_path}: not an exported model"
