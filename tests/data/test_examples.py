"""netspec.data.examples: the fingerprint netspec 0.1 runs recorded, and image files decoded
as batches need them."""

import io

import numpy as np
import pytest
from PIL import Image

import netspec.data
from netspec.data import images
from netspec.data.examples import CHUNK, SAMPLED_ROWS, ArrayExamples, FileExamples, fingerprint
from netspec.data.sources.idx import read_idx, write_idx
from tests.data.helpers import old_fingerprint, old_fingerprint_of

RNG = np.random.default_rng(0)


def split(n, shape=(6, 5, 1), dtype=np.uint8, classes=3):
    x = (RNG.random((n, *shape)) * 255).astype(dtype)
    return x, RNG.integers(0, classes, n).astype(np.int64)


@pytest.mark.parametrize(
    "dtype_shape", [(np.uint8, (6, 5, 1)), (np.float32, (4, 4, 3))], ids=["uint8", "float32"]
)
def test_fingerprint_matches_netspec_0_1(dtype_shape):
    """Three splits, the train split larger than two chunks (and no multiple of one), the test
    split absent: byte for byte the string the whole-array function gave."""
    dtype, shape = dtype_shape
    (x_train, y_train), (x_val, y_val) = split(2 * CHUNK + 77, shape, dtype), split(5, shape, dtype)
    new = fingerprint(
        {"train": ArrayExamples(x_train, y_train), "val": ArrayExamples(x_val, y_val), "test": None}
    )
    old = old_fingerprint(
        {
            "x_train": x_train,
            "y_train": y_train,
            "x_val": x_val,
            "y_val": y_val,
            "x_test": None,
            "y_test": None,
        }
    )
    assert new == old


def test_fingerprint_of_indexed_splits_matches_netspec_0_1(tmp_path):
    """A memory-mapped pool held in memory (cache: memory), split by index in a shuffled order
    (as load does), hashes as the arrays netspec 0.1 held in memory for the same rows."""
    x, y = split(CHUNK + 500, shape=(7, 3))
    path = write_idx(tmp_path / "images-idx3-ubyte", x)
    pool = ArrayExamples(read_idx(path)[..., np.newaxis], y)
    assert not pool.in_memory
    order = np.random.default_rng(1).permutation(len(y))
    train, val = order[: CHUNK + 100], order[CHUNK + 100 :]
    held = {"train": pool.subset(train).materialized(), "val": pool.subset(val).materialized()}
    new = fingerprint({**held, "test": None})
    old = old_fingerprint(
        {
            "x_train": x[train][..., np.newaxis],
            "y_train": y[train],
            "x_val": x[val][..., np.newaxis],
            "y_val": y[val],
            "x_test": None,
            "y_test": None,
        }
    )
    assert new == old


def test_a_mapped_split_is_fingerprinted_by_a_sample_of_its_rows(tmp_path):
    """Streamed from disk, the fingerprint reads SAMPLED_ROWS rows, not the whole file: it
    still sees a changed sampled row or label, and not a change between sampled rows."""
    x, y = split(3 * SAMPLED_ROWS, shape=(4, 4))
    path = write_idx(tmp_path / "images-idx3-ubyte", x)
    pool = ArrayExamples(read_idx(path)[..., np.newaxis], y)
    before = fingerprint({"train": pool, "val": None, "test": None})
    assert before != fingerprint({"train": pool.materialized(), "val": None, "test": None})
    changed = y.copy()
    changed[5] = (changed[5] + 1) % 10
    assert before != fingerprint(
        {"train": ArrayExamples(pool.x, changed), "val": None, "test": None}
    )
    edited = np.array(x)
    edited[0, 0, 0] ^= 1  # row 0 is always sampled
    write_idx(path, edited)
    again = ArrayExamples(read_idx(path)[..., np.newaxis], y)
    assert before != fingerprint({"train": again, "val": None, "test": None})
    edited[1, 0, 0] ^= 1  # rows 1..2 fall between samples
    write_idx(path, edited)
    unseen = ArrayExamples(read_idx(path)[..., np.newaxis], y)
    assert fingerprint({"train": again, "val": None, "test": None}) == fingerprint(
        {"train": unseen, "val": None, "test": None}
    )


def test_load_fingerprint_matches_netspec_0_1(make_spec):
    ds = netspec.data.load(make_spec("synthetic", shape=(8, 8, 1), examples=3000))
    assert len(ds.train) > 2 * CHUNK and ds.fingerprint == old_fingerprint_of(ds)


# --- image files: decoded on demand --------------------------------------------------------


def png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def folder(tmp_path):
    """A/ holds 3 images, B/ 2 and b_cut.png, whose header is fine but whose pixels are cut."""
    rng = np.random.default_rng(2)
    for name, count in (("A", 3), ("B", 2)):
        (tmp_path / name).mkdir()
        for k in range(count):
            pixels = rng.integers(0, 256, (10, 10), np.uint8)
            (tmp_path / name / f"{name.lower()}{k}.png").write_bytes(png(pixels))
    noise = rng.integers(0, 256, (64, 64), np.uint8)
    (tmp_path / "B" / "b_cut.png").write_bytes(png(noise)[:200])
    assert images.probe(tmp_path / "B" / "b_cut.png") is None  # passes the header scan
    return tmp_path


ALL_TRAIN = {"train": 6, "validation": 0, "test": 0}


def test_streamed_truncated_file_stays_and_reads_as_a_failure(make_spec, folder):
    spec = make_spec(
        "image_folder", shape=(10, 10, 1), path=str(folder), cache="none", split=ALL_TRAIN
    )
    ds = netspec.data.load(spec)
    train = ds.train
    assert ds.cache == "none" and isinstance(train, FileExamples) and len(train) == 6
    assert ds.warnings == []  # nothing was skipped: the scan read headers only
    cut = [k for k, p in enumerate(train.paths) if p.endswith("b_cut.png")]
    assert len(cut) == 1
    pixels, ok = train.read(np.arange(len(train)))
    assert ok.tolist() == [k not in cut for k in range(6)]
    assert (pixels[cut[0]] == 0).all()
    for k in np.flatnonzero(ok):  # the others are the files' pixels
        with Image.open(train.paths[k]) as image:
            assert np.array_equal(pixels[k, ..., 0], np.asarray(image))
    count, named = train.failures.take()
    assert count == 1 and len(named) == 1 and named[0].startswith("B/b_cut.png: ")
    assert train.failures.take() == (0, [])  # taken means forgotten
    train.read(np.array(cut * 3))
    assert train.failures.take()[0] == 3  # counted at every read


def test_a_float_npy_among_images_is_a_failure_not_a_cast(make_spec, folder):
    """images.decode reads .npy bytes as they are; among uint8 images a float one would be
    truncated silently, so it reads as a failure."""
    buffer = io.BytesIO()
    np.save(buffer, np.full((10, 10, 1), 0.5, np.float32))
    (folder / "A" / "floats.npy").write_bytes(buffer.getvalue())
    spec = make_spec(
        "image_folder",
        shape=(10, 10, 1),
        path=str(folder),
        cache="none",
        split={"train": 7, "validation": 0, "test": 0},
    )
    train = netspec.data.load(spec).train
    _, ok = train.read(np.arange(len(train)))
    bad = [k for k, path in enumerate(train.paths) if path.endswith(("floats.npy", "b_cut.png"))]
    assert sorted(np.flatnonzero(~ok).tolist()) == sorted(bad)
    count, named = train.failures.take()
    assert count == 2 and any("holds float32 values, expected uint8" in n for n in named)


def test_each_split_counts_its_own_failures(make_spec, folder):
    """Training reports decode failures per split: a split is a subset of the scanned pool and
    must not share its counter with the other splits."""
    spec = make_spec(
        "image_folder", shape=(10, 10, 1), path=str(folder), cache="none", split=ALL_TRAIN
    )
    pool = netspec.data.load(spec).train
    cut = next(k for k, p in enumerate(pool.paths) if p.endswith("b_cut.png"))
    broken, fine = pool.subset(np.array([cut])), pool.subset(np.array([(cut + 1) % 6]))
    broken.read(np.array([0]))
    fine.read(np.array([0]))
    assert fine.failures.take() == (0, [])
    assert broken.failures.take()[0] == 1


def test_in_memory_truncated_file_is_skipped_with_a_warning(make_spec, folder):
    split = {"train": 5, "validation": 0, "test": 0}
    spec = make_spec(
        "image_folder", shape=(10, 10, 1), path=str(folder), cache="memory", split=split
    )
    ds = netspec.data.load(spec)
    assert ds.cache == "memory" and isinstance(ds.train, ArrayExamples) and ds.train.in_memory
    assert len(ds.train) == 5 and sorted(ds.train.labels.tolist()) == [0, 0, 0, 1, 1]
    assert len(ds.warnings) == 1
    assert ds.warnings[0].startswith("skipped 1 image(s) that could not be decoded, e.g. B/b_cut")


def test_decoded_leaves_failing_files_out(folder):
    paths = sorted(str(p) for p in folder.rglob("*.png"))
    labels = np.array([0 if "/A/" in p else 1 for p in paths])
    files = FileExamples(paths, labels, (10, 10, 1), "stretch", folder)
    held, warnings = files.decoded()
    kept = [p for p in paths if not p.endswith("b_cut.png")]
    assert held.in_memory and len(held) == len(kept) == 5
    assert held.labels.tolist() == [0 if "/A/" in p else 1 for p in kept]
    for k, path in enumerate(kept):
        with Image.open(path) as image:
            assert np.array_equal(held.x[k, ..., 0], np.asarray(image))
    assert warnings == [
        f"skipped 1 image(s) that could not be decoded, e.g. B/b_cut.png: {decode_error(folder)}"
    ]


def decode_error(folder) -> str:
    with pytest.raises(images.DecodeError) as err:
        images.decode((folder / "B" / "b_cut.png").read_bytes(), (10, 10, 1))
    return str(err.value)
