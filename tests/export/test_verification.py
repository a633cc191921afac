"""Parity gates the export; artifacts without preprocessing take scaled inputs."""

import json
import shutil

import numpy as np
import onnxruntime as ort
import pytest

from netspec.export import VerificationError
from netspec.export.predict import open_artifact, predict
from tests.export import helpers

pytestmark = pytest.mark.slow


def snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_failed_verification_keeps_the_previous_export(tmp_path, exported, small_spec):
    target = tmp_path / "export"
    shutil.copytree(exported.out_dir, target)
    before = snapshot(target)
    with pytest.raises(VerificationError, match="onnx on test batch") as failure:
        # onnxruntime reorders float sums: its logits differ from Keras's by ~1e-7
        helpers.export(
            small_spec,
            target,
            overrides=["export.tolerance=0.000000000001", "export.formats=[onnx]"],
        )
    assert not failure.value.report["passed"]
    assert snapshot(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["export"]


@pytest.fixture(scope="module")
def unscaled(tmp_path_factory, small_spec):
    return helpers.export(
        small_spec,
        tmp_path_factory.mktemp("unscaled") / "export",
        overrides=["export.preprocessing=false"],
    )


def test_without_preprocessing_artifacts_take_scaled_inputs(unscaled, small_model):
    import tensorflow as tf

    _, model = small_model
    raw = np.random.default_rng(3).uniform(0, 255, (6, 12, 12, 1)).astype(np.float32)
    expected = model(raw).numpy()
    session = ort.InferenceSession(str(unscaled.out_dir / "model.onnx"))
    np.testing.assert_allclose(
        session.run(["logits"], {"image": raw / 255})[0], expected, atol=1e-5
    )
    serving = tf.saved_model.load(str(unscaled.out_dir / "saved_model")).signatures[
        "serving_default"
    ]
    np.testing.assert_allclose(serving(image=tf.constant(raw / 255))["logits"], expected, atol=1e-5)
    info = json.loads((unscaled.out_dir / "saved_model" / "netspec.json").read_text())
    assert info["preprocessing"] is False and info["input_dtype"] == "float32"
    assert [p["name"] for p in unscaled.names["parameters"]] == helpers.SMALL_PARAMS


def test_predict_scales_raw_inputs_for_artifacts_without_preprocessing(
    tmp_path, unscaled, exported
):
    images = np.random.default_rng(4).integers(0, 255, (5, 12, 12)).astype(np.uint8)
    np.savez(tmp_path / "x.npz", x=images)
    with_scaling = predict(open_artifact(exported.out_dir / "model.onnx"), [tmp_path / "x.npz"], 4)
    without = predict(open_artifact(unscaled.out_dir / "model.onnx"), [tmp_path / "x.npz"], 4)
    for a, b in zip(with_scaling, without):
        assert [c["id"] for c in a["top_k"]] == [c["id"] for c in b["top_k"]]
        np.testing.assert_allclose(
            [c["probability"] for c in a["top_k"]],
            [c["probability"] for c in b["top_k"]],
            atol=1e-6,
        )
