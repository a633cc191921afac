"""What only a GPU can show: placement, `--devices gpu`, mixed_float16 and XLA.

These run where TensorFlow sees a GPU (the `device` machine some sessions are lent) and are
skipped elsewhere; the CPU suite covers the same loop on logical CPU devices."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.helpers import write_spec
from tests.train import helpers


def _gpus() -> int:
    """NVIDIA GPUs on this host (cheap: no TensorFlow import at collection)."""
    if shutil.which("nvidia-smi") is None:
        return 0
    listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=60)
    return listed.stdout.count("GPU ") if listed.returncode == 0 else 0


GPUS = _gpus()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(GPUS == 0, reason="no GPU visible")]


def train(tmp_path, *args, **sections):
    tmp_path.mkdir(parents=True, exist_ok=True)
    spec = write_spec(tmp_path, helpers.TINY, "tiny", **sections)
    result = subprocess.run(
        [sys.executable, "-m", "netspec", "train", str(spec), "--out", "run", "--quiet", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return tmp_path / "run"


def test_devices_gpu_trains_on_the_gpu(tmp_path):
    run = train(tmp_path, "--devices", "gpu")
    topology = helpers.manifest(run)["topology"]
    assert all(device.startswith("/gpu:") for device in topology["devices"])
    assert topology["replicas"] == GPUS


def test_mixed_float16_trains_with_loss_scaling_and_exports_float32(tmp_path):
    run = train(tmp_path, train={**helpers.TINY["train"], "precision": "mixed_float16"})
    with np.load(run / "checkpoints" / "last.npz") as last:
        assert "@optimizer/loss_scale/dynamic_scale" in last.files
    exported = subprocess.run(
        [sys.executable, "-m", "netspec", "export", str(run), "--onnx"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert exported.returncode == 0, exported.stderr[-3000:]
    report = json.loads((run / "export" / "verification.json").read_text())
    assert report["precision"]["trained"] == "mixed_float16"


def test_xla_on_one_gpu(tmp_path):
    run = train(
        tmp_path, "--devices", "gpu:0", train={**helpers.TINY["train"], "jit_compile": True}
    )
    assert helpers.manifest(run)["status"] == "completed"


@pytest.mark.skipif(GPUS < 2, reason="needs 2 GPUs")
def test_two_gpus_train_what_one_does(tmp_path):
    one = train(tmp_path / "one", "--devices", "gpu:0")
    two = train(tmp_path / "two", "--devices", "gpu:0,1")
    a, b = helpers.final_weights(one), helpers.final_weights(two)
    for key in a:
        assert np.abs(a[key] - b[key]).max() <= 1e-4 * max(np.abs(a[key]).max(), 1e-12), key
