"""mixed_float16 trains with a loss-scale optimizer; its state checkpoints under names of its
own. (Training in float16 needs a GPU for speed, not for correctness: this runs the real loop
for a few steps on the CPU, past the check that refuses such a run.)"""

from __future__ import annotations

import numpy as np
import pytest

import netspec.data
from netspec.data.pipeline import Batches
from netspec.runs import checkpoints
from netspec.train import session, topology
from netspec.train.loop import TrainStep, distributed_epoch
from tests.helpers import write_spec
from tests.train import helpers


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fp16")
    train = {**helpers.TINY["train"], "precision": "mixed_float16"}
    spec = netspec.spec.load(write_spec(folder, helpers.TINY, "tiny", train=train))
    place = session.Placement(*topology.make("cpu"))
    model = session._model(spec, place)
    optimizer = session._optimizer(model, spec, place)
    data = netspec.data.load(spec)
    batches = Batches(data.train, spec, data.num_classes)
    before = checkpoints.snapshot(checkpoints.model_weights(model))
    sums = TrainStep(model, optimizer, spec, place.strategy).run(
        distributed_epoch(place.strategy, place.topology, batches, 0), 4
    )
    return model, optimizer, before, sums


def test_the_optimizer_scales_the_loss_and_trains(trained):
    model, optimizer, before, sums = trained
    assert type(optimizer).__name__ == "LossScaleOptimizer"
    assert np.isfinite(sums).all() and sums[1] == 4 * helpers.TINY["train"]["batch_size"]
    after = checkpoints.snapshot(checkpoints.model_weights(model))
    assert any(not np.array_equal(before[k], after[k]) for k in before)
    assert all(a.dtype == np.float32 for a in after.values())


def test_its_state_checkpoints_without_name_clashes(trained):
    _, optimizer, _, _ = trained
    state = checkpoints.optimizer_state(optimizer)
    assert len(state) == len(optimizer.variables)
    assert "@optimizer/iteration" in state  # the wrapped optimizer's, as in float32 runs
    assert {"@optimizer/loss_scale/dynamic_scale", "@optimizer/loss_scale/iteration"} <= set(state)
    assert int(state["@optimizer/iteration"].numpy()) == 4


def test_training_mixed_float16_without_a_gpu_is_a_one_line_error(tmp_path, netspec_process):
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this host has a GPU")
    train = {**helpers.TINY["train"], "precision": "mixed_float16"}
    spec = write_spec(tmp_path, helpers.TINY, "tiny", train=train)
    result = netspec_process("train", spec, "--out", "run", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: train.precision mixed_float16 needs a GPU; this host has none",
        "  hint: use mixed_bfloat16 on CPU, or float32",
    ]
    assert not (tmp_path / "run").exists()
