"""Early stopping: stops when the monitored metric stalls, and keeps the best epoch's weights."""

from __future__ import annotations

import json

import numpy as np
import pytest

from netspec.runs import checkpoints
from netspec.train import train
from tests.train import helpers


@pytest.mark.slow
def test_early_stopping_restores_the_best_epoch(tmp_path):
    spec = helpers.tiny_spec(
        tmp_path,
        train={
            **helpers.TINY["train"],
            "epochs": 30,
            "learning_rate": 0.05,
            "early_stopping": {"monitor": "val_loss", "patience": 1, "min_delta": 0.5},
        },
    )
    run = train(spec, out=tmp_path / "run", quiet=True)

    manifest = helpers.manifest(run)
    stopped = manifest["stopped_early"]
    assert manifest["status"] == "completed" and stopped["epoch"] == stopped["best_epoch"] + 1
    assert manifest["epochs_completed"] == stopped["epoch"] < 30
    final = helpers.final_weights(run)
    best, _ = checkpoints.load(run / "checkpoints" / "best.npz")
    last, _ = checkpoints.load(run / "checkpoints" / "last.npz")
    helpers.assert_same_weights(final, best)
    assert not np.array_equal(final["fc1/kernel"], last["fc1/kernel"])
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["stopped_early"] == stopped
