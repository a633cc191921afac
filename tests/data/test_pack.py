"""`netspec data pack`: every example and label survives the trip to TFRecord shards and back,
in order, so training from the shards equals training from the source bit for bit; a folder
netspec did not write is never touched."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import netspec.data
from netspec.data.pack import FORMAT_KEY, pack, shard_counts
from netspec.data.sources.tfrecord import FEATURES, MANIFEST
from netspec.errors import UserError
from tests.cli.helpers import run_main
from tests.helpers import assert_error, load_spec, tree_state, write_spec
from tests.train.helpers import TINY, assert_same_weights, final_weights

HEAD = [{"type": "flatten"}, {"type": "dense", "name": "logits", "units": 3}]
ARRAYS = {
    "name": "arrays",
    "input": {"shape": [8, 8, 1]},
    "layers": HEAD,
    "data": {
        "source": "synthetic",
        "classes": 3,
        "examples": 300,
        "split": {"train": 200, "validation": 50, "test": 50},
    },
}
SPLITS = ("train", "validation", "test")


def packed_spec(folder, packed, shape, name="packed", **data):
    """A spec training from the packed folder (its splits come from the files: no data.split)."""
    doc = {"name": name, "input": {"shape": list(shape)}, "layers": HEAD}
    return load_spec(folder, doc, name, data={"source": "tfrecord", "path": str(packed), **data})


def records(folder, split: str) -> list[dict]:
    """The split's records in shard-name order, as {feature key: value}."""
    import tensorflow as tf

    found = []
    for path in sorted(folder.glob(f"{split}-*.tfrecord")):
        for raw in tf.data.TFRecordDataset(str(path)):
            features = tf.train.Example.FromString(raw.numpy()).features.feature
            found.append(
                {
                    "image": features[FEATURES["image"]].bytes_list.value[0],
                    "label": features[FEATURES["label"]].int64_list.value[0],
                    "format": features[FORMAT_KEY].bytes_list.value[0].decode(),
                }
            )
    return found


def source_examples(examples):
    """The split's decodable examples as the source reads them: (pixels, labels, ok)."""
    pixels, ok = examples.read(np.arange(len(examples)))
    return pixels[ok], examples.labels[ok], ok


@pytest.mark.slow
def test_arrays_round_trip_in_order_and_repack_replaces(tmp_path):
    spec = load_spec(tmp_path, ARRAYS, "arrays")
    out = tmp_path / "packed"
    manifest = pack(spec, out, shards=3)

    source = netspec.data.load(spec, cache="none")
    assert manifest["class_names"] == source.class_names == ["0", "1", "2"]
    assert manifest["fingerprint"] == source.fingerprint
    assert manifest["shape"] == [8, 8, 1] and manifest["value_range"] == [0.0, 255.0]
    assert json.loads((out / MANIFEST).read_text()) == manifest
    assert manifest["splits"]["train"]["files"] == [
        f"train-{k:05d}-of-00003.tfrecord" for k in range(3)
    ]
    for split, count in zip(SPLITS, (200, 50, 50)):
        assert manifest["splits"][split]["count"] == count
        assert manifest["splits"][split]["skipped"] == 0
        x, y, _ = source_examples(source.split(split))
        found = records(out, split)
        assert [r["format"] for r in found] == ["png"] * count
        assert [r["label"] for r in found] == y.tolist()
        decoded = np.stack([netspec.data.images.decode(r["image"], (8, 8, 1)) for r in found])
        np.testing.assert_array_equal(decoded, x)

    packed = netspec.data.load(packed_spec(tmp_path, out, (8, 8, 1)), cache="memory")
    assert packed.class_names == source.class_names
    assert packed.sizes() == source.sizes()
    for split in SPLITS:
        np.testing.assert_array_equal(packed.split(split).x, source.split(split).materialized().x)
        np.testing.assert_array_equal(packed.split(split).labels, source.split(split).labels)

    again = pack(spec, out)  # its own earlier output: replaced whole
    assert [len(part["files"]) for part in again["splits"].values()] == [1, 1, 1]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".netspec", MANIFEST, *(f"{s}-00000-of-00001.tfrecord" for s in SPLITS)]
    )
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".packed.")]


@pytest.mark.slow
def test_float_arrays_round_trip_as_npy(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6, 6, 1)).astype(np.float32)
    np.savez(tmp_path / "floats.npz", x=x, y=np.arange(40) % 2)
    doc = {
        "name": "floats",
        "input": {"shape": [6, 6, 1]},
        "layers": [{"type": "flatten"}, {"type": "dense", "name": "logits", "units": 2}],
        "data": {"source": "npz", "path": "floats.npz", "split": {"train": 30, "test": 10}},
    }
    spec = load_spec(tmp_path, doc, "floats")
    manifest = pack(spec, tmp_path / "packed")
    assert {r["format"] for r in records(tmp_path / "packed", "train")} == {"npy"}
    source = netspec.data.load(spec, cache="memory")
    packed = netspec.data.load(packed_spec(tmp_path, tmp_path / "packed", (6, 6, 1)), "memory")
    assert packed.value_range == source.value_range == tuple(manifest["value_range"])
    assert packed.train.x.dtype == np.float32
    for split in ("train", "test"):
        np.testing.assert_array_equal(packed.split(split).x, source.split(split).materialized().x)
        np.testing.assert_array_equal(packed.split(split).labels, source.split(split).labels)
    # streamed too: float values, not cast to the uint8 of images
    streamed = netspec.data.load(packed_spec(tmp_path, tmp_path / "packed", (6, 6, 1)), "none")
    assert streamed.train.dtype == np.float32
    from netspec.data.pipeline import Batches

    [(images, labels, weights)] = list(Batches(streamed.test, spec, 2, size=10).in_order())
    assert weights.numpy().tolist() == [1.0] * 10
    np.testing.assert_array_equal(images.numpy(), source.test.materialized().x)
    np.testing.assert_array_equal(labels.numpy(), source.test.labels)


def image_folder(root, broken: bool = True):
    """3 classes of RGB photos of mixed sizes, PNG and JPEG; plus a truncated JPEG whose
    header reads (so the folder scan keeps it) but whose pixels do not decode."""
    rng = np.random.default_rng(1)
    for c, name in enumerate(("cat", "dog", "owl")):
        (root / name).mkdir(parents=True)
        for k in range(8):
            size = (int(rng.integers(12, 40)), int(rng.integers(12, 40)))
            pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
            pixels[..., c] = 255
            fmt = "PNG" if k % 2 else "JPEG"
            Image.fromarray(pixels).save(root / name / f"{k}.{fmt.lower()}", fmt)
    if broken:
        whole = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(whole, "JPEG")
        (root / "dog" / "broken.jpeg").write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    return root


IMAGES = {
    "name": "photos",
    "input": {"shape": [16, 16, 3]},
    "layers": HEAD,
    "data": {
        "source": "image_folder",
        "path": "photos",
        "split": {"train": 0.5, "validation": 0.25, "test": 0.25},
    },
}


@pytest.mark.slow
def test_image_folder_keeps_original_bytes_and_skips_what_does_not_decode(tmp_path):
    image_folder(tmp_path / "photos")
    spec = load_spec(tmp_path, IMAGES, "photos")
    out = tmp_path / "packed"
    manifest = pack(spec, out)

    source = netspec.data.load(spec, cache="none")
    assert manifest["class_names"] == ["cat", "dog", "owl"]
    assert sum(part["skipped"] for part in manifest["splits"].values()) == 1
    assert (
        sum(part["count"] for part in manifest["splits"].values())
        == sum(len(source.split(split)) for split in SPLITS) - 1
    )
    assert any("broken.jpeg" in warning for warning in manifest["warnings"])
    for split in SPLITS:
        examples = source.split(split)
        x, y, ok = source_examples(examples)
        found = records(out, split)
        assert manifest["splits"][split]["count"] == len(found) == int(ok.sum())
        kept = [path for path, good in zip(examples.paths, ok) if good]
        assert [r["image"] for r in found] == [Path(p).read_bytes() for p in kept]
        assert [r["format"] for r in found] == [Path(p).suffix[1:] for p in kept]
        assert [r["label"] for r in found] == y.tolist()
        decoded = [netspec.data.images.decode(r["image"], (16, 16, 3)) for r in found]
        np.testing.assert_array_equal(np.stack(decoded), x)

    packed = netspec.data.load(packed_spec(tmp_path, out, (16, 16, 3)), cache="memory")
    assert packed.class_names == ["cat", "dog", "owl"]
    assert packed.sizes() == {s: manifest["splits"][s]["count"] for s in SPLITS}
    for split in SPLITS:
        x, y, _ = source_examples(source.split(split))
        np.testing.assert_array_equal(packed.split(split).x, x)
        np.testing.assert_array_equal(packed.split(split).labels, y)


@pytest.mark.slow
def test_training_from_the_shards_gives_the_same_weights(tmp_path):
    from netspec.spec import load
    from netspec.train.session import train

    small = {"classes": 3, "examples": 600, "split": {"train": 400, "validation": 100, "test": 100}}
    doc = {**TINY, "train": {**TINY["train"], "epochs": 2}}
    spec_path = write_spec(tmp_path, doc, "tiny", data={**small, "cache": "memory"})
    pack(load(spec_path), tmp_path / "packed")
    shards = {"source": "tfrecord", "path": "packed", "cache": "memory", "augment": {"shift": 0.1}}
    packed_path = write_spec(tmp_path, {**doc, "data": shards}, "packed")
    assert "split" not in load(packed_path).data  # the files bring the splits

    direct = train(spec_path, out=tmp_path / "direct", quiet=True)
    from_shards = train(packed_path, out=tmp_path / "from_shards", quiet=True)
    assert_same_weights(final_weights(direct), final_weights(from_shards))


@pytest.mark.slow
def test_records_that_do_not_read_back_as_written_fail_and_keep_the_old_folder(
    tmp_path, monkeypatch
):
    from netspec.data import pack as packing

    spec = load_spec(tmp_path, ARRAYS, "arrays")
    out = tmp_path / "packed"
    pack(spec, out, shards=2)
    before = tree_state(tmp_path)
    record = packing._record
    written = []

    def one_label_wrong(data, kind, label):  # what a failing disk or a bug would do
        written.append(label)
        return record(data, kind, label + (len(written) == 300))

    monkeypatch.setattr(packing, "_record", one_label_wrong)
    with pytest.raises(UserError, match="test shards do not hold what was written"):
        pack(spec, out)
    assert tree_state(tmp_path) == before


def test_a_folder_netspec_did_not_write_is_refused_and_untouched(tmp_path):
    spec = load_spec(tmp_path, ARRAYS, "arrays")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.txt").write_text("precious\n")
    before = tree_state(tmp_path)
    with pytest.raises(UserError, match="thesis.txt.*nothing was changed"):
        pack(spec, victim)
    assert tree_state(tmp_path) == before


@pytest.mark.parametrize("where", ["photos", "photos/packed", "."])
def test_the_data_being_packed_is_refused(tmp_path, where):
    image_folder(tmp_path / "photos", broken=False)
    spec = load_spec(tmp_path, IMAGES, "photos")
    before = tree_state(tmp_path)
    with pytest.raises(UserError, match="data being packed"):
        pack(spec, tmp_path / where)
    assert tree_state(tmp_path) == before


def test_tfrecord_data_is_not_packed_again(tmp_path):
    (tmp_path / "shards").mkdir()
    spec = packed_spec(tmp_path, tmp_path / "shards", (8, 8, 1))
    with pytest.raises(UserError, match="nothing to pack"):
        pack(spec, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_shard_counts():
    sizes = {"train": (1000, 10), "validation": (100, 10), "test": (10, 10)}
    assert shard_counts(sizes, 8) == {"train": 8, "validation": 1, "test": 1}
    assert shard_counts(sizes, 40) == {"train": 40, "validation": 4, "test": 1}
    assert shard_counts({"train": (3, 10)}, 8) == {"train": 3}  # never an empty shard
    by_size = {"train": (25_000, 10), "validation": (100, 600 << 20)}
    assert shard_counts(by_size, None) == {"train": 3, "validation": 3}


@pytest.mark.slow
def test_cli_packs_and_prints_the_folder(tmp_path, monkeypatch, capsys):
    spec = write_spec(tmp_path, ARRAYS, "arrays")
    out = tmp_path / "packed"
    result = run_main(monkeypatch, capsys, "data", "pack", spec, "--out", out, "--shards", "2")
    assert result.returncode == 0, result.stderr
    assert "train: 200 examples in 2 shard(s)" in result.stdout
    assert str(out) in result.stdout
    assert (out / MANIFEST).is_file()


def test_cli_broken_spec_is_one_line(tmp_path, monkeypatch, capsys):
    broken = {**ARRAYS, "data": {**ARRAYS["data"], "classes": 1}}
    spec = write_spec(tmp_path, broken, "broken")
    result = run_main(monkeypatch, capsys, "data", "pack", spec, "--out", tmp_path / "out")
    assert_error(result, "classes", code=1)
    assert not (tmp_path / "out").exists()
