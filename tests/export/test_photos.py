"""Real folders hold photos: RGB and grayscale, JPEG and PNG, of any size. A [64, 64, 3] spec
trains on such a folder, and `predict` on one of those files sees exactly the tensor the
training pipeline decoded (one decode/resize function, and the export records `resize`)."""

from __future__ import annotations

import numpy as np
import pytest

from netspec.data.examples import FileExamples
from netspec.data.pipeline import Batches
from netspec.export import export_run
from netspec.export.predict import open_artifact, predict
from netspec.runs import open_run
from netspec.runs.trained import load_trained
from netspec.train import train
from tests.helpers import write_spec

pytestmark = pytest.mark.slow

SPEC = {
    "name": "photos",
    "input": {"shape": [64, 64, 3]},
    "layers": [
        {"type": "conv2d", "name": "conv1", "filters": 4, "kernel": 5, "stride": 4},
        {"type": "flatten"},
        {"type": "dense", "name": "logits", "units": 3},
    ],
    "train": {"epochs": 2, "batch_size": 8, "seed": 3},
    "data": {
        "source": "image_folder",
        "path": "photos",
        "resize": "crop",
        "cache": "none",
        "split": {"train": 0.8, "validation": 0, "test": 0.2},
    },
}


def write_photos(folder, per_class=12):
    """Mixed sizes, aspect ratios, modes and formats; each class its own color."""
    from PIL import Image

    rng = np.random.default_rng(0)
    written = []
    for label, color in enumerate([(200, 40, 40), (40, 200, 40), (40, 40, 200)]):
        (folder / f"class{label}").mkdir(parents=True)
        for k in range(per_class):
            size = (int(rng.integers(40, 160)), int(rng.integers(40, 160)))
            pixels = rng.integers(0, 60, (size[1], size[0], 3)) + np.array(color)
            image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
            if k % 4 == 3:
                image = image.convert("L")
            path = folder / f"class{label}" / f"{k:03d}.{'jpg' if k % 2 else 'png'}"
            image.save(path)
            written.append(path)
    return written


def test_photos_train_and_predict_sees_the_training_tensor(tmp_path):
    photos = write_photos(tmp_path / "photos")
    spec_path = write_spec(tmp_path, SPEC, "photos")
    run_dir = train(spec_path, out=tmp_path / "run", quiet=True)
    result = export_run(run_dir, out=tmp_path / "export")

    spec, model = load_trained(open_run(run_dir))
    photo = photos[7]  # a JPEG, 3 channels, neither 64 wide nor high
    one = FileExamples([str(photo)], np.array([0]), (64, 64, 3), "crop", photo.parent)
    images = next(iter(Batches(one, spec, 3).in_order()))[0]
    expected = _softmax(np.asarray(model(images, training=False), np.float64))[0]

    for entry in ("model.onnx", "saved_model"):
        [record] = predict(open_artifact(result.out_dir / entry), [photo], k=3)
        got = {row["id"]: row["probability"] for row in record["top_k"]}
        np.testing.assert_allclose([got[c] for c in range(3)], expected, atol=1e-5)


def test_a_different_resize_mode_gives_a_different_tensor(tmp_path):
    [photo] = write_photos(tmp_path / "photos", per_class=1)[:1]
    tensors = {
        mode: FileExamples([str(photo)], np.array([0]), (64, 64, 3), mode, photo.parent).read(
            np.array([0])
        )[0]
        for mode in ("stretch", "crop", "pad")
    }
    assert not np.array_equal(tensors["stretch"], tensors["crop"])
    assert not np.array_equal(tensors["crop"], tensors["pad"])


def _softmax(logits):
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
