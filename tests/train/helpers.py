"""Specs and readers shared by the training tests."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np

from tests.helpers import start_netspec, write_spec

# Small enough to train in seconds, big enough (100 steps per epoch) to be killed mid-epoch.
# It has every kind of state a resume must restore: batch-norm moving statistics, a dropout
# RNG, Adam's slots, a decaying learning rate, augmentation, and steps_per_execution that does
# not divide the steps per epoch.
TINY = {
    "name": "tiny",
    "input": {"shape": [8, 8, 1]},
    "layers": [
        {"type": "conv2d", "name": "conv1", "filters": 4, "kernel": 3, "activation": "relu"},
        {"type": "batch_norm", "name": "bn1"},
        {"type": "flatten"},
        {"type": "dense", "name": "fc1", "units": 16, "activation": "relu"},
        {"type": "dropout", "keep_prob": 0.75},
        {"type": "dense", "name": "logits", "units": 3},
    ],
    "train": {
        "epochs": 6,
        "batch_size": 16,
        "seed": 7,
        "steps_per_execution": 3,
        "learning_rate": {
            "schedule": "decay_to_floor",
            "initial": 0.01,
            "floor": 0.001,
            "decay_steps": 200,
        },
    },
    "data": {
        "source": "synthetic",
        "classes": 3,
        "examples": 2000,
        "split": {"train": 1600, "validation": 200, "test": 200},
        "augment": {"shift": 0.1},
    },
}
PARAMS = [
    "conv1/kernel",
    "conv1/bias",
    "bn1/gamma",
    "bn1/beta",
    "bn1/moving_mean",
    "bn1/moving_variance",
    "fc1/kernel",
    "fc1/bias",
    "logits/kernel",
    "logits/bias",
]


def tiny_spec(folder: Path, **sections) -> Path:
    """TINY as folder/tiny.yaml, with `sections` merged in (see tests.helpers.write_spec)."""
    return write_spec(folder, TINY, "tiny", **sections)


def final_weights(run: Path) -> dict[str, np.ndarray]:
    with np.load(run / "checkpoints" / "final.npz") as npz:
        return {key: npz[key] for key in npz.files}


def assert_same_weights(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def manifest(run: Path) -> dict:
    return json.loads((run / "manifest.json").read_text())


def start_training(*args, cwd: Path) -> subprocess.Popen:
    """`python -m netspec train ARGS...` in a child (tests.helpers.start_netspec)."""
    return start_netspec("train", *args, cwd=cwd)


def wait_for_line(process: subprocess.Popen, prefix: str) -> list[str]:
    """Read the child's stdout until a line starts with `prefix`; returns the lines read."""
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith(prefix):
            return lines
    raise AssertionError(
        f"no line starting with {prefix!r}; stdout: {''.join(lines)}; "
        f"stderr: {process.stderr.read()}"
    )
