"""netspec.data.pipeline: the batches netspec trains, validates and evaluates on.

Every example's pixels (0, 0) and (0, 1) hold its index (low and high byte), so a batch says
which examples it holds even after decoding from a PNG file or a TFRecord. These import
TensorFlow, hence slow.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from netspec.data import images
from netspec.data.examples import ArrayExamples, FileExamples, RecordExamples
from netspec.data.pipeline import Augmentation, Batches, shard_bounds
from netspec.spec import load
from tests.helpers import write_spec

pytestmark = pytest.mark.slow

SHAPE = (8, 8, 1)
CLASSES = 3
KEYS = {"image": "image/encoded", "label": "image/class/label"}
AUGMENT = {"shift": 0.2, "rotation": 20, "zoom": 0.2}
KINDS = ("memory", "memmap", "files", "records")
_names = itertools.count()


# --- what the tests build ------------------------------------------------------------------


def spec_doc(batch_size=10, seed=3, augment=None, labels="sparse") -> dict:
    return {
        "name": "pipeline",
        "input": {"shape": list(SHAPE)},
        "layers": [{"type": "flatten"}, {"type": "dense", "name": "logits", "units": CLASSES}],
        "train": {
            "batch_size": batch_size,
            "seed": 1,
            "loss": {"type": "softmax_cross_entropy", "labels": labels},
        },
        "data": {
            "source": "synthetic",
            "classes": CLASSES,
            "examples": 200,
            "split": {"train": 160, "validation": 20, "test": 20},
            "seed": seed,
            "augment": augment,
        },
    }


def make_spec(folder: Path, **options):
    """A real resolved spec (netspec.spec.load) of spec_doc(**options); Batches reads
    data.seed, data.augment, train.batch_size and train.loss.labels."""
    return load(write_spec(folder, spec_doc(**options), f"spec-{next(_names)}"))


def pictures(count: int, seed: int = 0) -> np.ndarray:
    """uint8 noise images (so augmentation visibly moves pixels) that carry their index."""
    x = np.random.default_rng(seed).integers(0, 256, (count, *SHAPE), np.uint8)
    x[:, 0, 0, 0] = np.arange(count) % 256
    x[:, 0, 1, 0] = np.arange(count) // 256
    return x


def ids_of(x) -> np.ndarray:
    x = np.asarray(x)
    return (x[:, 0, 0, 0] + 256 * x[:, 0, 1, 0]).astype(np.int64)


def truncated(data: bytes) -> bytes:
    """A PNG with a valid header whose pixel data is cut off."""
    return data[: data.index(b"IDAT") + 4 + 8]


def record_files(folder: Path, x, labels, parts: int = 3, garbage=()) -> list[str]:
    """`parts` uneven TFRecord shards of the examples in index order; the image bytes of the
    indexes in `garbage` are not an image."""
    import tensorflow as tf

    count = len(x)
    bounds = [0, *(count * k * (k + 1) // (parts * (parts + 1)) for k in range(1, parts)), count]
    paths = []
    for k, (start, end) in enumerate(itertools.pairwise(bounds)):
        path = folder / f"train-{k:05d}-of-{parts:05d}.tfrecord"
        with tf.io.TFRecordWriter(str(path)) as writer:
            for i in range(start, end):
                data = b"\x00garbage, not an image" if i in garbage else images.encode(x[i])
                feature = {
                    KEYS["image"]: tf.train.Feature(bytes_list=tf.train.BytesList(value=[data])),
                    KEYS["label"]: tf.train.Feature(
                        int64_list=tf.train.Int64List(value=[int(labels[i])])
                    ),
                }
                example = tf.train.Example(features=tf.train.Features(feature=feature))
                writer.write(example.SerializeToString())
        paths.append(str(path))
    return paths


def make_examples(kind: str, folder: Path, count: int, labels=None, bad=(), buffer=10):
    """(examples of `kind` holding pictures(count), those pictures). Labels default to
    index % CLASSES; `bad` indexes are truncated PNGs (files) or garbage bytes (records)."""
    x = pictures(count)
    labels = np.arange(count, dtype=np.int64) % CLASSES if labels is None else labels
    folder = folder / f"{kind}-{next(_names)}"
    folder.mkdir()
    if kind == "memory":
        return ArrayExamples(x, labels), x
    if kind == "memmap":
        path = folder / "x.u8"
        written = np.memmap(path, np.uint8, "w+", shape=x.shape)
        written[:] = x
        written.flush()
        return ArrayExamples(np.memmap(path, np.uint8, "r", shape=x.shape), labels), x
    if kind == "files":
        paths = []
        for i in range(count):
            data = images.encode(x[i])
            paths.append(folder / f"{i:04d}.png")
            paths[-1].write_bytes(truncated(data) if i in bad else data)
        return FileExamples([str(p) for p in paths], labels, SHAPE, "stretch", folder), x
    files = record_files(folder, x, labels, garbage=bad)
    return RecordExamples(files, count, KEYS, SHAPE, "stretch", buffer), x


def collect(dataset) -> list[tuple[np.ndarray, ...]]:
    """Every element of `dataset` as numpy arrays."""
    return [tuple(part.numpy() for part in element) for element in dataset]


def step_ids(elements) -> list[np.ndarray]:
    return [ids_of(element[0]) for element in elements]


def assert_same_elements(a, b) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert len(x) == len(y)
        for u, v in zip(x, y):
            np.testing.assert_array_equal(u, v)


def splits_every_step(single, shards) -> bool:
    """Whether `shards` (per shard, per step: example ids) are the sharding of `single` (per
    step: the single-device batch's ids) that training needs: the same steps, and at every step
    the shards' examples are disjoint, together are the step's batch (as a multiset), and
    concatenated by shard index are that batch in order."""
    if any(len(shard) != len(single) for shard in shards):
        return False
    for step, batch in enumerate(single):
        parts = [np.asarray(shard[step]) for shard in shards]
        seen = Counter()
        for part in parts:
            if seen & Counter(part.tolist()):
                return False  # two shards hold the same example
            seen.update(part.tolist())
        if seen != Counter(np.asarray(batch).tolist()):
            return False
        if not np.array_equal(np.concatenate(parts), batch):
            return False
    return True


def sharded(batches: Batches, epoch: int, num_shards: int) -> list[list[tuple]]:
    return [collect(batches.epoch(epoch, num_shards, k)) for k in range(num_shards)]


# --- sharding ------------------------------------------------------------------------------


@pytest.mark.parametrize("num_shards", [2, 3])
@pytest.mark.parametrize("count", [57, 61])  # last batch: 7 (> N), 1 (< N: a shard gets none)
@pytest.mark.parametrize("kind", ["memory", "memmap"])
def test_array_shards_are_each_steps_batch_split(tmp_path, kind, count, num_shards):
    examples, x = make_examples(kind, tmp_path, count)
    batches = Batches(examples, make_spec(tmp_path, batch_size=10), CLASSES)
    single = collect(batches.epoch(2))
    assert batches.steps == len(single) == -(-count // 10)
    assert [len(e[1]) for e in single] == [10] * (count // 10) + [count % 10]
    ids = step_ids(single)
    assert sorted(np.concatenate(ids).tolist()) == list(range(count))  # each once
    for (images_, labels), index in zip(single, ids):
        assert images_.dtype == np.float32 and labels.dtype == np.int64
        np.testing.assert_array_equal(images_, x[index].astype(np.float32))
        np.testing.assert_array_equal(labels, index % CLASSES)

    shards = sharded(batches, 2, num_shards)
    shard_ids = [step_ids(shard) for shard in shards]
    assert splits_every_step(ids, shard_ids)
    for step in range(len(single)):  # near-equal parts, and labels travel with their images
        sizes = [len(shard[step][1]) for shard in shards]
        assert max(sizes) - min(sizes) <= 1
        for shard in shards:
            np.testing.assert_array_equal(shard[step][1], ids_of(shard[step][0]) % CLASSES)
    if count % 10 < num_shards:  # the last step leaves a shard an empty (well-shaped) batch
        assert min(len(shard[-1][1]) for shard in shards) == 0
        assert all(shard[-1][0].shape[1:] == SHAPE for shard in shards)

    # The checker has teeth: the k-th contiguous part of the epoch's whole order, batched into
    # the same number of steps, is disjoint and covers the epoch but not step by step ...
    order = np.concatenate(ids)
    halves = [np.array_split(part, len(ids)) for part in np.array_split(order, num_shards)]
    assert not splits_every_step(ids, halves)
    # ... and each step's batch dealt out round-robin is the right multiset, in the wrong order.
    dealt = [[batch[k::num_shards] for batch in ids] for k in range(num_shards)]
    assert not splits_every_step(ids, dealt)
    # (while any per-step split into contiguous parts, in shard order, passes)
    assert splits_every_step(ids, list(zip(*(np.array_split(b, num_shards) for b in ids))))


@pytest.mark.parametrize("num_shards", [2, 3])
@pytest.mark.parametrize(("kind", "count"), [("files", 47), ("records", 53), ("records", 49)])
def test_file_and_record_shards_are_each_steps_batch_split(tmp_path, kind, count, num_shards):
    # batch 8: the last batch holds 7, 5 and 1 (fewer than the shards) examples
    examples, x = make_examples(kind, tmp_path, count, buffer=10)  # buffer < count
    batches = Batches(examples, make_spec(tmp_path, batch_size=8), CLASSES)
    single = collect(batches.epoch(1))
    assert len(single) == batches.steps == -(-count // 8)
    ids = step_ids(single)
    assert sorted(np.concatenate(ids).tolist()) == list(range(count))
    for images_, labels, weights in single:
        index = ids_of(images_)
        np.testing.assert_array_equal(images_, x[index].astype(np.float32))
        np.testing.assert_array_equal(labels, index % CLASSES)
        assert weights.dtype == np.float32 and (weights == 1).all()

    shards = sharded(batches, 1, num_shards)
    assert all(len(element) == 3 for shard in shards for element in shard)
    assert splits_every_step(ids, [step_ids(shard) for shard in shards])
    for shard in shards:
        for images_, labels, weights in shard:
            np.testing.assert_array_equal(labels, ids_of(images_) % CLASSES)
            assert len(weights) == len(labels) and (weights == 1).all()
    for step in range(len(single)):  # near-equal parts
        sizes = [len(shard[step][1]) for shard in shards]
        assert max(sizes) - min(sizes) <= 1, (step, sizes)


def test_in_order_shards_split_each_step_too(tmp_path):
    examples, _ = make_examples("records", tmp_path, 29)
    batches = Batches(examples, make_spec(tmp_path, batch_size=8), CLASSES)
    ids = step_ids(collect(batches.in_order()))
    shards = [step_ids(collect(batches.in_order(3, k))) for k in range(3)]
    assert splits_every_step(ids, shards)


def test_shard_bounds_split_each_step_near_equally():
    starts, ends = shard_bounds(23, 10, 1, 0)
    assert starts.tolist() == [0, 10, 20] and ends.tolist() == [10, 20, 23]
    parts = [shard_bounds(23, 10, 3, k) for k in range(3)]
    assert [s.tolist() for s, _ in parts] == [[0, 10, 20], [3, 13, 21], [6, 16, 22]]
    assert [e.tolist() for _, e in parts] == [[3, 13, 21], [6, 16, 22], [10, 20, 23]]
    for count, size, num_shards in [(23, 10, 3), (61, 10, 4), (8, 8, 3), (5, 10, 7), (0, 4, 2)]:
        parts = [shard_bounds(count, size, num_shards, k) for k in range(num_shards)]
        steps = -(-count // size)
        for step in range(steps):
            first, last = step * size, min(step * size + size, count)
            bounds = [(int(s[step]), int(e[step])) for s, e in parts]
            assert bounds[0][0] == first and bounds[-1][1] == last
            assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))  # contiguous
            sizes = [e - s for s, e in bounds]
            assert min(sizes) >= 0 and max(sizes) - min(sizes) <= 1
        assert all(len(s) == len(e) == steps for s, e in parts)
    for bad in (-1, 3, 4):
        with pytest.raises(ValueError, match="shard"):
            shard_bounds(23, 10, 3, bad)


# --- determinism ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_epochs_are_a_function_of_seed_and_epoch(tmp_path, kind):
    examples, _ = make_examples(kind, tmp_path, 41)
    spec = make_spec(tmp_path, batch_size=8)
    fresh = collect(Batches(examples, spec, CLASSES).epoch(2))
    used = Batches(examples, spec, CLASSES)
    for epoch in (0, 1, 3):
        collect(used.epoch(epoch))
    collect(used.in_order())
    assert_same_elements(collect(used.epoch(2)), fresh)
    assert_same_elements(collect(used.epoch(2)), fresh)  # and again, from the same object

    order = np.concatenate(step_ids(fresh))
    assert sorted(order.tolist()) == list(range(41))
    assert not np.array_equal(order, np.arange(41))  # shuffled
    other_epoch = np.concatenate(step_ids(collect(used.epoch(3))))
    assert not np.array_equal(other_epoch, order)
    other_seed = Batches(examples, make_spec(tmp_path, batch_size=8, seed=4), CLASSES)
    assert not np.array_equal(np.concatenate(step_ids(collect(other_seed.epoch(2)))), order)


@pytest.mark.parametrize("kind", KINDS)
def test_in_order_is_unshuffled_and_not_augmented(tmp_path, kind):
    examples, x = make_examples(kind, tmp_path, 29)
    batches = Batches(examples, make_spec(tmp_path, batch_size=8, augment=AUGMENT), CLASSES)
    assert batches.augment is not None
    elements = collect(batches.in_order())
    assert [len(e[1]) for e in elements] == [8, 8, 8, 5]
    order = np.concatenate(step_ids(elements))
    np.testing.assert_array_equal(np.concatenate([e[0] for e in elements]), x[order])
    np.testing.assert_array_equal(np.concatenate([e[1] for e in elements]), order % CLASSES)
    assert_same_elements(collect(batches.in_order()), elements)
    if kind != "records":
        np.testing.assert_array_equal(order, np.arange(29))
        return
    # Records are read through a deterministic interleave of the shards: each shard's records
    # come in the shard's order, none shuffled.
    assert sorted(order.tolist()) == list(range(29))
    sizes = [sum(1 for _ in _records(path)) for path in examples.files]
    assert len(sizes) == 3 and len(set(sizes)) > 1
    bounds = np.cumsum([0, *sizes])
    for start, end in itertools.pairwise(bounds):
        mine = order[(order >= start) & (order < end)]
        np.testing.assert_array_equal(mine, np.arange(start, end))


def _records(path):
    import tensorflow as tf

    return tf.data.TFRecordDataset(path)


# --- augmentation --------------------------------------------------------------------------


@pytest.mark.parametrize("num_shards", [2, 3])
@pytest.mark.parametrize("kind", ["memory", "files", "records"])
def test_augmentation_does_not_depend_on_the_split(tmp_path, kind, num_shards):
    count = 41  # batch 8: the last holds 1, leaving some shards none
    examples, _ = make_examples(kind, tmp_path, count)
    augmented = Batches(examples, make_spec(tmp_path, batch_size=8, augment=AUGMENT), CLASSES)
    single = collect(augmented.epoch(1))
    shards = sharded(augmented, 1, num_shards)
    assert len(single) == augmented.steps
    for step, element in enumerate(single):
        for part in range(len(element)):  # images (augmented), labels and weights
            joined = np.concatenate([shard[step][part] for shard in shards])
            np.testing.assert_allclose(joined, element[part], atol=1e-5)

    # The same epoch unaugmented (same seed: the same order) differs in nearly every image.
    plain = collect(Batches(examples, make_spec(tmp_path, batch_size=8), CLASSES).epoch(1))
    moved = 0
    for a, b in zip(single, plain):
        np.testing.assert_array_equal(a[1], b[1])
        assert a[0].shape == b[0].shape and a[0].dtype == np.float32
        moved += int((np.abs(a[0] - b[0]).reshape(len(a[0]), -1).max(1) > 1).sum())
        assert a[0].min() >= 0 and a[0].max() <= 255  # edge pixels repeated, no new values
    assert moved >= 0.9 * count


def test_augmentation_with_nothing_to_do_is_none(tmp_path):
    assert Augmentation.from_options(None) is None
    assert Augmentation.from_options({}) is None
    zeros = {"shift": 0, "rotation": 0, "zoom": 0}
    assert Augmentation.from_options(zeros) is None
    examples, x = make_examples("memory", tmp_path, 20)
    batches = Batches(examples, make_spec(tmp_path, batch_size=8, augment=zeros), CLASSES)
    assert batches.augment is None
    for images_, _ in collect(batches.epoch(0)):
        np.testing.assert_array_equal(images_, x[ids_of(images_)])


def test_augmentation_transform():
    """Uniforms of 0.5 are the identity; shift uniforms of 1 move by shift·size pixels."""
    import tensorflow as tf

    x = pictures(4).astype(np.float32)
    augment = Augmentation(shift=0.25, rotation=30, zoom=0.3)
    same = augment(tf.constant(x), tf.fill((4, Augmentation.DRAWS), 0.5)).numpy()
    np.testing.assert_allclose(same, x, atol=1e-4)
    right = np.array([[0.5, 0.5, 1.0, 0.5]] * 4, np.float32)  # dx = 0.25 · 8 = 2 pixels
    moved = augment(tf.constant(x), tf.constant(right)).numpy()
    np.testing.assert_allclose(moved[:, :, 2:], x[:, :, :-2], atol=1e-4)
    np.testing.assert_allclose(moved[:, :, :2], np.repeat(x[:, :, :1], 2, axis=2), atol=1e-4)


# --- weights and labels --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["files", "records"])
def test_an_example_that_cannot_be_decoded_has_weight_zero(tmp_path, kind):
    count, bad = 30, 13
    examples, x = make_examples(kind, tmp_path, count, labels=np.arange(count), bad={bad})
    if kind == "files":  # a valid header (it passes the probe), pixel data cut off
        assert images.probe(examples.paths[bad]) is None
        with pytest.raises(images.DecodeError):
            images.decode(Path(examples.paths[bad]).read_bytes(), SHAPE)
    batches = Batches(examples, make_spec(tmp_path, batch_size=8), CLASSES)
    for dataset in (batches.epoch(0), batches.in_order()):
        elements = collect(dataset)
        assert len(elements) == batches.steps == 4
        assert [len(e[1]) for e in elements] == [8, 8, 8, 6]
        failures = examples.failures.take()
        assert failures[0] == 1, failures
        assert len(failures[1]) == 1
        if kind == "files":
            assert failures[1][0].startswith(f"{bad:04d}.png: ")
        for images_, labels, weights in elements:
            assert len(weights) == len(labels) == len(images_) and weights.dtype == np.float32
            for image, label, weight in zip(images_, labels, weights):
                if label == bad:
                    assert weight == 0 and not image.any()
                else:
                    assert weight == 1 and ids_of(image[None])[0] == label
                    np.testing.assert_array_equal(image, x[label])
        assert sorted(np.concatenate([e[1] for e in elements]).tolist()) == list(range(count))
    assert examples.failures.take() == (0, [])


@pytest.mark.parametrize("kind", ["memory", "records"])
def test_one_hot_labels(tmp_path, kind):
    examples, _ = make_examples(kind, tmp_path, 25)
    spec = make_spec(tmp_path, batch_size=8, labels="one_hot")
    for dataset in (Batches(examples, spec, 5).epoch(0), Batches(examples, spec, 5).in_order()):
        elements = collect(dataset)
        for element in elements:
            labels = element[1]
            assert labels.dtype == np.float32 and labels.shape == (len(element[0]), 5)
            np.testing.assert_array_equal(labels.argmax(1), ids_of(element[0]) % CLASSES)
            np.testing.assert_array_equal(labels.sum(1), 1)
            assert set(np.unique(labels).tolist()) <= {0.0, 1.0}
        assert sum(len(e[1]) for e in elements) == 25


# --- across processes ----------------------------------------------------------------------

DIGESTS = """
import hashlib, json, sys
import numpy as np
import tensorflow as tf
from netspec.data.examples import ArrayExamples, FileExamples, RecordExamples
from netspec.data.pipeline import Batches
from netspec.spec import load

folder, paths, files = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
x = np.load(folder + "/x.npy")
labels = np.arange(len(x)) % 3
spec = load(sys.argv[4])
kinds = {
    "memory": ArrayExamples(x, labels),
    "files": FileExamples(paths, labels, (8, 8, 1), "stretch", folder),
    "records": RecordExamples(files, len(x), KEYS, (8, 8, 1), "stretch", 10),
}

def digest(dataset):
    sha = hashlib.sha256()
    for element in dataset:
        for part in element:
            sha.update(part.numpy().tobytes())
    return sha.hexdigest()

out = {}
for seed in (None, 7, 8):  # TensorFlow's global seed: training sets it to train.seed
    if seed is not None:
        tf.random.set_seed(seed)
    out[str(seed)] = {k: digest(Batches(e, spec, 3).epoch(2)) for k, e in kinds.items()}
print(json.dumps(out))
""".replace("KEYS", repr(KEYS))


@pytest.fixture(scope="module")
def fresh_process(tmp_path_factory):
    """Epoch 2's digests for arrays, files and records computed by a fresh process, under no
    TensorFlow global seed and under seeds 7 and 8; the spec and the examples it read."""
    folder = tmp_path_factory.mktemp("process")
    examples = {kind: make_examples(kind, folder, 37)[0] for kind in ("memory", "files")}
    x = pictures(37)
    np.save(folder / "x.npy", x)
    files = record_files(folder, x, np.arange(37) % CLASSES)
    spec = write_spec(folder, spec_doc(batch_size=8, augment=AUGMENT), f"spec-{next(_names)}")
    argv = [str(folder), json.dumps(examples["files"].paths), json.dumps(files), str(spec)]
    run = subprocess.run(
        [sys.executable, "-c", DIGESTS, *argv], capture_output=True, text=True, timeout=180
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.splitlines()[-1]), spec, examples


def test_a_fresh_process_sees_the_same_epoch(fresh_process):
    """What --resume needs: a process that starts at epoch 2 sees this process's epoch 2."""
    digests, spec_path, examples = fresh_process
    spec = load(spec_path)
    for kind in ("memory", "files"):  # read by index: TensorFlow's seeds play no part
        sha = hashlib.sha256()
        for element in Batches(examples[kind], spec, CLASSES).epoch(2):
            for part in element:
                sha.update(part.numpy().tobytes())
        assert {digests[seed][kind] for seed in digests} == {sha.hexdigest()}, kind


def test_streamed_epochs_do_not_depend_on_tensorflow_global_seed(fresh_process):
    digests, *_ = fresh_process
    assert digests["7"]["records"] == digests["8"]["records"] == digests["None"]["records"]
