"""The arithmetic of the training loop that needs no model: how an epoch is cut into calls
(netspec.train.loop.chunks), the running sums a mid-epoch checkpoint keeps (EpochSums), and
where each replica's examples sit in the step's global batch (Batches.rows)."""

import itertools
import math

import numpy as np
import pytest

from netspec.data.examples import ArrayExamples
from netspec.data.pipeline import Batches
from netspec.runs import checkpoints
from netspec.train.loop import STATS, EpochSums, chunks
from tests.data.conftest import stand_in_spec

# --- chunks --------------------------------------------------------------------------------

GRID = list(
    itertools.product(range(1, 26), range(1, 8), [None, *range(1, 11)])
)  # (steps, per_call, checkpoint_every)


def test_chunks_cover_every_step_once_in_order():
    for steps, per_call, every in GRID:
        for start in range(steps + 1):
            cut = list(chunks(steps, start, per_call, every))
            shown = f"steps={steps} start={start} per_call={per_call} every={every}: {cut}"
            covered = [step for first, count in cut for step in range(first, first + count)]
            assert covered == list(range(start, steps)), shown
            assert all(1 <= count <= per_call for _, count in cut), shown


def test_a_checkpoint_step_always_ends_a_chunk():
    for steps, per_call, every in GRID:
        if every is None:
            continue
        for start in range(steps + 1):
            cut = list(chunks(steps, start, per_call, every))
            ends = {first + count for first, count in cut}
            due = set(range(every, steps, every)) - set(range(start + 1))
            assert due <= ends, f"steps={steps} start={start} per_call={per_call} every={every}"


def test_without_checkpoints_chunks_are_as_long_as_allowed():
    for steps, per_call, _ in GRID:
        cut = list(chunks(steps, 0, per_call, None))
        assert [count for _, count in cut[:-1]] == [per_call] * (len(cut) - 1)
        assert len(cut) == math.ceil(steps / per_call)


def test_a_resumed_epoch_is_cut_as_the_uninterrupted_one():
    """A run resumes at a checkpoint (a multiple of checkpoint_every): the calls that follow
    are the uninterrupted epoch's, so the seed states advance and reductions happen alike."""
    for steps, per_call, every in GRID:
        if every is None:
            continue
        whole = list(chunks(steps, 0, per_call, every))
        for resume in range(every, steps, every):
            tail = [chunk for chunk in whole if chunk[0] >= resume]
            assert list(chunks(steps, resume, per_call, every)) == tail, (
                f"steps={steps} resume={resume} per_call={per_call} every={every}"
            )


def test_chunks_examples():
    assert list(chunks(10, 0, 4, None)) == [(0, 4), (4, 4), (8, 2)]
    assert list(chunks(10, 0, 4, 3)) == [(0, 3), (3, 3), (6, 3), (9, 1)]
    assert list(chunks(10, 0, 3, 5)) == [(0, 3), (3, 2), (5, 3), (8, 2)]
    assert list(chunks(10, 5, 3, 5)) == [(5, 3), (8, 2)]
    assert list(chunks(10, 10, 3, 5)) == []


# --- EpochSums -----------------------------------------------------------------------------

METRICS = ("accuracy", "top5_accuracy")


def test_logs_from_known_sums():
    # loss_sum, count, weight, then weighted correct counts per metric
    sums = EpochSums(METRICS, [12.0, 8.0, 6.0, 3.0, 6.0])
    assert sums.logs() == {"loss": 1.5, "accuracy": 0.5, "top5_accuracy": 1.0}


def test_a_new_epoch_sums_to_zero_and_shows_no_number():
    sums = EpochSums(METRICS)
    assert sums.values == [0.0] * (len(STATS) + len(METRICS))
    logs = sums.logs()
    assert list(logs) == ["loss", *METRICS]
    assert all(math.isnan(value) for value in logs.values())


def test_chunks_add_up():
    sums = EpochSums(("accuracy",))
    sums.add(np.array([3.0, 4.0, 4.0, 1.0]))  # TrainStep.run's float64 sums of one chunk
    sums.add(np.array([1.0, 2.0, 1.0, 1.0]))
    assert sums.values == [4.0, 6.0, 5.0, 2.0]
    assert all(type(value) is float for value in sums.values)  # JSON, not numpy
    assert sums.logs() == {"loss": 4.0 / 6.0, "accuracy": 2.0 / 5.0}


def test_sums_survive_a_checkpoint_bit_for_bit(tmp_path):
    """A mid-epoch checkpoint stores the values in its JSON @meta; the resumed epoch goes on
    from exactly those numbers."""
    sums = EpochSums(METRICS)
    rng = np.random.default_rng(5)
    for _ in range(7):
        sums.add(rng.random(len(STATS) + len(METRICS)) * 1e3)
    path = tmp_path / "last.npz"
    checkpoints.save(path, {}, {"partial": {"sums": sums.values}})
    _, meta = checkpoints.load(path)
    restored = EpochSums(METRICS, meta["partial"]["sums"])
    assert restored.values == sums.values
    assert restored.logs() == sums.logs()
    assert restored.values is not meta["partial"]["sums"]  # adding leaves the meta alone


# --- Batches.rows --------------------------------------------------------------------------

BATCH = 10


def batches_of(count: int) -> Batches:
    """`count` tiny in-memory examples whose pixel (0, 0) holds the example's index."""
    x = np.zeros((count, 2, 2, 1), np.uint8)
    x[:, 0, 0, 0] = np.arange(count)
    spec = stand_in_spec("synthetic", shape=(2, 2, 1), batch_size=BATCH)
    return Batches(ArrayExamples(x, np.zeros(count, np.int64)), spec, 4)


def ids(element) -> np.ndarray:
    return element[0].numpy()[:, 0, 0, 0].astype(np.int64)


@pytest.mark.parametrize("count", [103, 101, 100, 7])
@pytest.mark.parametrize("num_shards", [1, 2, 3])
def test_rows_tile_each_global_batch(count, num_shards):
    """Shard k's part of step s is rows [offset, offset + its size) of the step's global batch
    of `total` examples: the shards' parts tile [0, total) in shard order, every step."""
    batches = batches_of(count)
    totals = [min(BATCH, count - step * BATCH) for step in range(batches.steps)]
    rows = [batches.rows(num_shards, k) for k in range(num_shards)]
    sizes = [[len(ids(e)) for e in batches.epoch(0, num_shards, k)] for k in range(num_shards)]
    for offsets, total in rows:
        assert offsets.dtype.kind == total.dtype.kind == "i"
        assert total.tolist() == totals  # the global batch's size, the last one short
        assert len(offsets) == batches.steps
    for step, total in enumerate(totals):
        position = 0
        for k in range(num_shards):
            assert rows[k][0][step] == position, f"step {step} shard {k}"
            position += sizes[k][step]
        assert position == total, f"step {step}"


@pytest.mark.parametrize("count", [103, 101])
@pytest.mark.parametrize("num_shards", [2, 3])
def test_rows_name_the_examples_each_shard_reads(count, num_shards):
    """The rows a shard holds in the global batch are the examples it reads: the global batch
    sliced at (offset, size) is the shard's batch, from any start step."""
    batches = batches_of(count)
    single = [ids(element) for element in batches.epoch(3)]
    for start in (0, 4):
        for k in range(num_shards):
            offsets, _ = batches.rows(num_shards, k)
            shard = [ids(element) for element in batches.epoch(3, num_shards, k, start)]
            assert len(shard) == batches.steps - start
            for step, part in zip(range(start, batches.steps), shard):
                offset = offsets[step]
                np.testing.assert_array_equal(part, single[step][offset : offset + len(part)])


def test_rows_of_one_shard_are_the_whole_batch():
    offsets, totals = batches_of(103).rows()
    assert offsets.tolist() == [0] * 11
    assert totals.tolist() == [10] * 10 + [3]


@pytest.mark.slow
def test_jit_compile_trains_the_same_function_through_xla(tmp_path):
    """train.jit_compile compiles each replica's step with XLA: other kernels, the same
    training. (Not the same dropout masks: XLA's stateless RNG draws other numbers.)"""
    from netspec.train import train
    from tests.helpers import write_spec
    from tests.train import helpers

    runs = {}
    layers = [layer for layer in helpers.TINY["layers"] if layer["type"] != "dropout"]
    for jit in (False, True):
        short = {**helpers.TINY["train"], "epochs": 1, "jit_compile": jit}
        spec = write_spec(tmp_path, helpers.TINY, f"tiny-{jit}", train=short, layers=layers)
        runs[jit] = helpers.final_weights(train(spec, out=tmp_path / f"run-{jit}", quiet=True))
    differences = {
        key: float(np.abs(value - runs[True][key]).max() / max(np.abs(value).max(), 1e-12))
        for key, value in runs[False].items()
    }
    assert max(differences.values()) > 0  # XLA's kernels did run
    # fused kernels round differently, and 100 steps carry that to ~1% of a few weights
    assert max(differences.values()) <= 0.05, differences
