"""data.cache: memory refuses data the machine cannot hold; none streams it from disk.

The large sets here are IDX files whose header declares more bytes than the machine has, made
sparse (the header, then a hole): they take no disk, and the refusal must come before any
pixel is read.
"""

import math
import struct
import tracemalloc

import numpy as np
import pytest

import netspec.data
from netspec.data import dataset
from netspec.data.examples import SAMPLED_ROWS, ArrayExamples
from netspec.data.memory import gib, machine_memory
from netspec.data.sources import SOURCES
from netspec.data.sources.idx import write_idx
from netspec.errors import UserError


def sparse_idx_set(folder, count, height, width):
    """train-images-idx3-ubyte declaring `count` height x width images, all a hole (zeros), and
    real train-labels-idx1-ubyte."""
    images = folder / "train-images-idx3-ubyte"
    with open(images, "wb") as f:
        f.write(struct.pack(">BBBB3I", 0, 0, 0x08, 3, count, height, width))
        f.truncate(16 + count * height * width)
    if images.stat().st_blocks * 512 > 1 << 20:
        pytest.skip("this file system does not make sparse files")
    write_idx(folder / "train-labels-idx1-ubyte", np.arange(count, dtype=np.uint8) % 10)
    return folder


@pytest.fixture
def larger_than_the_machine(tmp_path):
    """A set of 1 MiB images, 64 more than this machine's memory holds: (folder, shape)."""
    side = 1024
    count = machine_memory() // (side * side) + 64
    return sparse_idx_set(tmp_path, count, side, side), (side, side, 1)


@pytest.fixture
def no_pixel_reads(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pixels were read")

    monkeypatch.setattr(ArrayExamples, "read", refuse)


def test_memory_refuses_data_larger_than_the_machine(
    make_spec, larger_than_the_machine, no_pixel_reads
):
    folder, shape = larger_than_the_machine
    spec = make_spec("idx", shape=shape, path=str(folder), cache="memory")
    with pytest.raises(UserError) as err:
        netspec.data.load(spec)
    message = err.value.message
    assert "\n" not in message
    assert "data.cache is memory" in message and "source 'idx'" in message
    assert f"this machine has {gib(machine_memory())} of memory" in message
    assert "data.cache: none" in err.value.hint


def test_cache_choice_for_data_larger_than_the_machine(larger_than_the_machine, no_pixel_reads):
    folder, shape = larger_than_the_machine
    parts = [SOURCES["idx"].read({"path": str(folder), "test_path": None}, {"shape": shape})]
    parts = [parts[0].examples]
    assert not parts[0].in_memory  # mapped: nothing was read to get here
    assert len(parts[0]) * math.prod(parts[0].shape) > machine_memory()
    assert dataset.choose_cache("none", parts, "idx") == "none"
    assert dataset.choose_cache("auto", parts, "idx") == "none"
    with pytest.raises(UserError, match="data.cache is memory"):
        dataset.choose_cache("memory", parts, "idx")


def test_auto_holds_small_data_and_streams_what_passes_its_limits(tmp_path):
    small = ArrayExamples(np.memmap(tmp_path / "m", np.uint8, "w+", 0, (10, 4, 4, 1)), np.zeros(10))
    assert dataset.choose_cache("auto", [small], "idx") == "memory"
    assert dataset.choose_cache("none", [small], "idx") == "none"
    held = ArrayExamples(np.zeros((10, 4, 4, 1), np.uint8), np.zeros(10))
    assert dataset.choose_cache("none", [held], "idx") == "memory"  # nothing left to stream
    limit = min(dataset.AUTO_MEMORY, machine_memory() // dataset.AUTO_SHARE)
    # holding data takes HELD_COPIES times its size: half the limit (plus 1 MiB) is too much
    big = sparse_idx_set(tmp_path, limit // dataset.HELD_COPIES // (1 << 20) + 1, 1024, 1024)
    pool = SOURCES["idx"].read({"path": str(big), "test_path": None}, {"shape": [1024, 1024, 1]})
    assert dataset.choose_cache("auto", [pool.examples], "idx") == "none"
    rows = limit // dataset.HELD_COPIES // (1 << 20) - 1
    fits = ArrayExamples(pool.examples.x[:rows], pool.examples.labels[:rows])
    assert dataset.choose_cache("auto", [fits], "idx") == "memory"


def test_none_streams_data_larger_than_memory(make_spec, tmp_path, monkeypatch):
    """A machine of 16 MiB: the 24 MiB set loads mapped and is never read whole; the
    fingerprint of mapped data reads only SAMPLED_ROWS rows of each split."""
    monkeypatch.setattr(dataset, "machine_memory", lambda: 16 << 20)
    count, side = 24 * 1024, 32
    folder = sparse_idx_set(tmp_path, count, side, side)
    shape = (side, side, 1)
    split = {"train": 0.9, "validation": 0.1, "test": 0}
    with pytest.raises(UserError, match="data.cache is memory"):
        netspec.data.load(make_spec("idx", shape=shape, path=str(folder), cache="memory"))

    reads = []
    read = ArrayExamples.read

    def counted(self, index):
        reads.append(len(index))
        return read(self, index)

    monkeypatch.setattr(ArrayExamples, "read", counted)
    monkeypatch.setattr(ArrayExamples, "materialized", None)  # never called
    tracemalloc.start()
    try:
        ds = netspec.data.load(
            make_spec("idx", shape=shape, path=str(folder), cache="auto", split=split)
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert ds.cache == "none" and not ds.train.in_memory and not ds.validation.in_memory
    assert isinstance(ds.train.x, np.memmap)
    assert ds.sizes() == {"train": count * 9 // 10, "validation": count // 10, "test": None}
    # the fingerprint's sample of each split, nothing more
    assert reads == [min(SAMPLED_ROWS, len(ds.train)), min(SAMPLED_ROWS, len(ds.validation))]
    assert peak < (count * side * side) // 2  # well below the set's 24 MiB
