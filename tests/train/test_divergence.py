"""A loss that becomes NaN stops training: the run is marked failed with a one-line reason and
keeps its last good epoch, instead of training on to NaN weights and exit 0."""

from __future__ import annotations

import json

import numpy as np
import pytest

from netspec.runs import checkpoints
from netspec.train import train
from netspec.train.stopping import TrainingDiverged
from tests.train import helpers

pytestmark = pytest.mark.slow

# TINY has 100 steps per epoch: a sane first epoch, then a learning rate no network survives.
EXPLODES_IN_EPOCH_2 = {
    **helpers.TINY["train"],
    "optimizer": "sgd",
    "learning_rate": {"schedule": "piecewise", "boundaries": [100], "values": [0.01, 1e30]},
}
# Per-batch statistics overflow into NaN; global-batch ones (sync, E[x²] - E[x]² clamped at 0)
# keep such a network finite, with losses near 1e29, which is no test of NaN detection.
OVERFLOWING_LAYERS = [
    {**layer, "sync": False} if layer["type"] == "batch_norm" else layer
    for layer in helpers.TINY["layers"]
]


def test_a_nan_loss_stops_training_and_keeps_the_last_good_epoch(tmp_path):
    spec = helpers.tiny_spec(tmp_path, train=EXPLODES_IN_EPOCH_2, layers=OVERFLOWING_LAYERS)
    with pytest.raises(TrainingDiverged, match=r"training diverged: loss became (nan|inf)"):
        train(spec, out=tmp_path / "run", quiet=True)
    run = tmp_path / "run"
    manifest = helpers.manifest(run)
    assert manifest["status"] == "failed" and manifest["epochs_completed"] == 1
    assert manifest["error"].startswith("training diverged") and "\n" not in manifest["error"]
    arrays, meta = checkpoints.load(run / "checkpoints" / "last.npz", training=True)
    assert meta["epochs_completed"] == 1
    assert all(np.isfinite(a).all() for a in arrays.values() if a.dtype.kind == "f")
    assert not (run / "checkpoints" / "final.npz").exists()
    assert not (run / "metrics.json").exists()


def test_the_cli_says_so_in_one_line(tmp_path, netspec_process):
    spec = helpers.tiny_spec(tmp_path, train=EXPLODES_IN_EPOCH_2, layers=OVERFLOWING_LAYERS)
    result = netspec_process("train", spec, "--out", "run", "--quiet", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: training diverged: loss became")
    assert lines[1].startswith("  hint: lower train.learning_rate") and len(lines) == 2
    json.loads((tmp_path / "run" / "manifest.json").read_text(), parse_constant=_no_constants)


def _no_constants(name):
    raise AssertionError(f"manifest.json holds {name}: not strict JSON")
