"""Uncompressed idx and npz data is memory-mapped; compressed data is read into memory."""

import numpy as np
import pytest

import netspec.data
from netspec.data.examples import ArrayExamples
from netspec.data.sources import SOURCES
from netspec.data.sources.idx import write_idx
from tests.data.helpers import arrays

RNG = np.random.default_rng(0)
X = RNG.integers(0, 256, (300, 12, 10), np.uint8)
Y = np.arange(300, dtype=np.int64) % 5
X_TEST = RNG.integers(0, 256, (40, 12, 10), np.uint8)
Y_TEST = np.arange(40, dtype=np.int64) % 5
INPUT = {"shape": [12, 10, 1]}
SPLIT = {"train": 0.8, "validation": 0.2, "test": 0}


def idx_folder(folder, gz=False):
    suffix = ".gz" if gz else ""
    write_idx(folder / f"train-images-idx3-ubyte{suffix}", X)
    write_idx(folder / f"train-labels-idx1-ubyte{suffix}", Y)
    write_idx(folder / f"t10k-images-idx3-ubyte{suffix}", X_TEST)
    write_idx(folder / f"t10k-labels-idx1-ubyte{suffix}", Y_TEST)
    return folder


def npz_file(path, compressed=False, x=X):
    save = np.savez_compressed if compressed else np.savez
    save(path, x_train=x, y_train=Y, x_test=X_TEST, y_test=Y_TEST)
    return path


def pool(source, path):
    data = {"path": str(path), "test_path": None}
    return SOURCES[source].read(data, INPUT)


def assert_holds(examples, x, y, mapped):
    assert isinstance(examples, ArrayExamples)
    assert isinstance(examples.x, np.memmap) is mapped and examples.in_memory is not mapped
    assert examples.shape == (*x.shape[1:], 1) and len(examples) == len(y)
    assert np.array_equal(np.asarray(examples.x)[..., 0], x)
    assert np.array_equal(examples.labels, y) and examples.labels.dtype == np.int64


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzipped"])
def test_idx_maps_plain_files_and_reads_gzipped_ones(tmp_path, compressed):
    found = pool("idx", idx_folder(tmp_path, gz=compressed))
    assert_holds(found.examples, X, Y, mapped=not compressed)
    assert_holds(found.test, X_TEST, Y_TEST, mapped=not compressed)


@pytest.mark.parametrize("compressed", [False, True], ids=["savez", "savez_compressed"])
def test_npz_maps_stored_arrays_and_reads_compressed_ones(tmp_path, compressed):
    found = pool("npz", npz_file(tmp_path / "d.npz", compressed))
    assert_holds(found.examples, X, Y, mapped=not compressed)
    assert_holds(found.test, X_TEST, Y_TEST, mapped=not compressed)


def test_npz_maps_float32_and_converts_other_types_in_memory(tmp_path):
    as_float32 = pool("npz", npz_file(tmp_path / "f32.npz", x=(X / 255).astype(np.float32)))
    assert isinstance(as_float32.examples.x, np.memmap)
    as_float64 = pool("npz", npz_file(tmp_path / "f64.npz", x=X / 255))
    assert as_float64.examples.in_memory and as_float64.examples.dtype == np.float32
    assert np.array_equal(np.asarray(as_float64.examples.x)[..., 0], (X / 255).astype(np.float32))


def test_mapped_reads_follow_the_index_in_any_order(tmp_path):
    examples = pool("idx", idx_folder(tmp_path)).examples
    rows = np.array([299, 3, 150, 3, 0])
    pixels, ok = examples.read(rows)
    assert ok.all() and np.array_equal(pixels[..., 0], X[rows])
    subset = examples.subset(np.array([10, 5, 7]))
    pixels, _ = subset.read(np.array([2, 0]))
    assert (
        np.array_equal(pixels[..., 0], X[[7, 10]])
        and subset.labels.tolist() == Y[[10, 5, 7]].tolist()
    )
    held = subset.materialized()
    assert held.in_memory and np.array_equal(held.x[..., 0], X[[10, 5, 7]])


@pytest.mark.parametrize(
    "write",
    [lambda tmp: ("idx", idx_folder(tmp)), lambda tmp: ("npz", npz_file(tmp / "d.npz"))],
    ids=["idx", "npz"],
)
def test_cache_none_keeps_the_data_mapped_and_memory_holds_it(make_spec, tmp_path, write):
    source, path = write(tmp_path)

    def load(cache):
        spec = make_spec(source, shape=INPUT["shape"], path=str(path), cache=cache, split=SPLIT)
        return netspec.data.load(spec)

    mapped, held, auto = load("none"), load("memory"), load("auto")
    assert mapped.cache == "none" and held.cache == "memory"
    assert auto.cache == "memory"  # a small set: auto holds it
    for name in ("train", "validation", "test"):
        assert not mapped.split(name).in_memory
        assert isinstance(mapped.split(name).x, np.memmap)
        assert held.split(name).in_memory and auto.split(name).in_memory
        assert np.array_equal(arrays(mapped.split(name))[0], arrays(held.split(name))[0])
        assert np.array_equal(mapped.split(name).labels, held.split(name).labels)
    assert mapped.sizes() == held.sizes() == {"train": 240, "validation": 60, "test": 40}
    # held: every byte hashed, as netspec 0.1 did; mapped: a sample (recorded with cache: none)
    assert held.fingerprint == auto.fingerprint != mapped.fingerprint


def test_data_read_whole_is_in_memory_whatever_the_cache_says(make_spec, tmp_path):
    """Gzipped files are decompressed by the source: there is nothing to stream."""
    spec = make_spec(
        "idx", shape=INPUT["shape"], path=str(idx_folder(tmp_path, gz=True)), cache="none"
    )
    ds = netspec.data.load(spec)
    assert ds.cache == "memory" and ds.train.in_memory and ds.test.in_memory
