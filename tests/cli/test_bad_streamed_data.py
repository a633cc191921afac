"""Bad data read by streaming sources (`cache: none`) is a one-line error before a run
directory exists, as it is for data held in memory; data that breaks mid-training stops the
run cleanly, marked failed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from netspec.data.memory import machine_memory
from netspec.data.sources.synthetic import generate
from tests.helpers import assert_error, tree_state, write_spec
from tests.train.test_resume_streamed import write_image_folder, write_records

pytestmark = pytest.mark.slow


def spec_for(folder, data: dict, units: int = 3, shape=(8, 8, 1)):
    return write_spec(
        folder,
        {
            "name": "streamed",
            "input": {"shape": list(shape)},
            "layers": [{"type": "flatten"}, {"type": "dense", "name": "logits", "units": units}],
            "train": {"epochs": 1, "batch_size": 10, "seed": 1},
            "data": {"cache": "none", **data},
        },
    )


def assert_refused(netspec_process, folder, spec, *words, exclude=()):
    before = tree_state(folder, exclude)
    result = netspec_process("train", spec, cwd=folder)
    line = assert_error(result, code=1)
    for word in words:
        assert word in line, line
    assert tree_state(folder, exclude) == before  # no runs/ folder, nothing half-made
    return line


def test_nan_in_a_memory_mapped_npz(netspec_process, tmp_path):
    x, y = generate((8, 8, 1), 3, 40)
    x = x.astype(np.float32)
    x[17, 3, 3, 0] = np.nan
    np.savez(tmp_path / "data.npz", x=x, y=y)  # uncompressed: memory-mapped, not read whole
    spec = spec_for(tmp_path, {"source": "npz", "path": "data.npz"})
    assert_refused(netspec_process, tmp_path, spec, "1 example(s) hold NaN", "example 17")


def test_more_classes_in_an_image_folder_than_logits(netspec_process, tmp_path):
    write_image_folder(tmp_path / "images", *generate((8, 8, 1), 3, 30))
    spec = spec_for(tmp_path, {"source": "image_folder", "path": "images"}, units=2)
    assert_refused(netspec_process, tmp_path, spec, "the data has 3 classes", "gives 2 outputs")


def test_more_classes_in_tfrecords_than_logits(netspec_process, tmp_path):
    write_records(tmp_path / "shards", "train", *generate((8, 8, 1), 3, 30), shards=2)
    spec = spec_for(tmp_path, {"source": "tfrecord", "path": "shards"}, units=2)
    assert_refused(netspec_process, tmp_path, spec, "the data has 3 classes", "gives 2 outputs")


def test_records_without_the_label_feature(netspec_process, tmp_path):
    write_records(tmp_path / "shards", "train", *generate((8, 8, 1), 3, 30), shards=1)
    spec = spec_for(
        tmp_path, {"source": "tfrecord", "path": "shards", "features": {"label": "label"}}
    )
    assert_refused(netspec_process, tmp_path, spec, "have no integer 'label' feature")


def test_a_split_larger_than_the_folder(netspec_process, tmp_path):
    write_image_folder(tmp_path / "images", *generate((8, 8, 1), 3, 30))
    spec = spec_for(
        tmp_path,
        {"source": "image_folder", "path": "images", "split": {"train": 100, "test": 0}},
    )
    assert_refused(netspec_process, tmp_path, spec, "asks for 100 train", "has 30 examples")


def test_cache_memory_for_data_larger_than_the_machine(netspec_process, tmp_path):
    """An IDX file whose header declares more pixels than this machine has memory; sparse,
    so it takes no disk. `cache: none` would stream it; `memory` cannot hold it."""
    folder = tmp_path / "idx"
    folder.mkdir()
    count = machine_memory() // (64 * 64) + 1000
    with open(folder / "train-images-idx3-ubyte", "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in (count, 64, 64)))
        f.truncate(16 + count * 64 * 64)
    with open(folder / "train-labels-idx1-ubyte", "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + count.to_bytes(4, "big"))
        f.truncate(8 + count)
    spec = spec_for(
        tmp_path, {"source": "idx", "path": "idx", "cache": "memory"}, units=1, shape=(64, 64, 1)
    )
    assert_refused(
        netspec_process, tmp_path, spec, "data.cache is memory", "GiB decoded", exclude=("idx",)
    )


def corrupt_shard(folder):
    write_records(folder, "train", *generate((8, 8, 1), 3, 400), shards=2)
    shard = folder / "train-00001-of-00002.tfrecord"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)  # breaks a record's checksum
    shard.write_bytes(bytes(data))
    return shard


def test_a_corrupt_shard_found_when_counting_records(netspec_process, tmp_path):
    shard = corrupt_shard(tmp_path / "shards")
    spec = spec_for(tmp_path, {"source": "tfrecord", "path": "shards"})
    assert_refused(netspec_process, tmp_path, spec, f"{shard}: not a readable TFRecord file")


def test_a_corrupt_shard_mid_training_fails_the_run_cleanly(netspec_process, tmp_path):
    """With a manifest (as `netspec data pack` writes) nothing reads the records before
    training: the broken checksum shows mid-epoch."""
    corrupt_shard(tmp_path / "shards")
    manifest = {"splits": {"train": {"count": 400}}, "class_names": ["0", "1", "2"]}
    manifest["value_range"] = [0, 255]
    (tmp_path / "shards" / "netspec-data.json").write_text(json.dumps(manifest))
    spec = spec_for(tmp_path, {"source": "tfrecord", "path": "shards"})
    result = netspec_process("train", spec, "--out", "run", cwd=tmp_path)
    line = assert_error(result, code=1)
    assert "reading the training data failed" in line, line
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert "reading the training data failed" in manifest["error"]
