"""Streamed data (`cache: none`) resumes bit for bit too: a run over an image folder and one
over TFRecord shards are killed with SIGKILL mid-epoch, resumed, and compared with the same
run trained uninterrupted."""

from __future__ import annotations

import signal

import numpy as np
import pytest

from netspec.data.images import encode
from netspec.data.sources.synthetic import generate
from netspec.train import train
from tests.train import helpers

pytestmark = pytest.mark.slow
EPOCHS = 4


def write_image_folder(folder, x, y):
    from PIL import Image

    for k, (pixels, label) in enumerate(zip(x, y)):
        (folder / f"c{label}").mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels[..., 0]).save(folder / f"c{label}" / f"{k:05d}.png")


def write_records(folder, split, x, y, shards):
    import tensorflow as tf

    folder.mkdir(parents=True, exist_ok=True)
    for s, rows in enumerate(np.array_split(np.arange(len(y)), shards)):
        with tf.io.TFRecordWriter(str(folder / f"{split}-{s:05d}-of-{shards:05d}.tfrecord")) as w:
            for k in rows:
                feature = {
                    "image/encoded": tf.train.Feature(
                        bytes_list=tf.train.BytesList(value=[encode(x[k])])
                    ),
                    "image/class/label": tf.train.Feature(
                        int64_list=tf.train.Int64List(value=[int(y[k])])
                    ),
                }
                example = tf.train.Example(features=tf.train.Features(feature=feature))
                w.write(example.SerializeToString())


def image_folder_data(tmp_path) -> dict:
    x, y = generate((8, 8, 1), 3, 1800)
    write_image_folder(tmp_path / "images", x, y)
    return {
        "source": "image_folder",
        "path": "images",
        "cache": "none",
        "split": {"train": 1600, "validation": 200, "test": 0},
        "augment": {"shift": 0.1},
    }


def tfrecord_data(tmp_path) -> dict:
    x, y = generate((8, 8, 1), 3, 1800)
    write_records(tmp_path / "shards", "train", x[:1600], y[:1600], shards=5)
    write_records(tmp_path / "shards", "validation", x[1600:], y[1600:], shards=1)
    return {
        "source": "tfrecord",
        "path": "shards",
        "cache": "none",
        "shuffle_buffer": 300,
        "augment": {"shift": 0.1},
    }


@pytest.mark.parametrize("make_data", [image_folder_data, tfrecord_data], ids=["folder", "records"])
def test_kill_9_mid_epoch_then_resume_matches_an_uninterrupted_run(tmp_path, make_data):
    data = make_data(tmp_path)
    tiny = {**helpers.TINY, "data": data}  # write_spec would merge the data sections
    spec = helpers.write_spec(tmp_path, tiny, "streamed", train={"epochs": EPOCHS})
    reference = train(spec, out=tmp_path / "reference", quiet=True)
    assert helpers.manifest(reference)["data"]["cache"] == "none"

    child = helpers.start_training(spec, "--out", "run", cwd=tmp_path)
    helpers.wait_for_line(child, f"epoch 2/{EPOCHS}")
    child.send_signal(signal.SIGKILL)
    child.wait()
    run = tmp_path / "run"
    assert helpers.manifest(run)["status"] == "running"
    assert helpers.manifest(run)["epochs_completed"] < EPOCHS

    train(resume=run, quiet=True)

    helpers.assert_same_weights(helpers.final_weights(run), helpers.final_weights(reference))
    assert helpers.manifest(run)["status"] == "completed"
