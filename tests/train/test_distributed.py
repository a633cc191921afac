"""Data-parallel training computes the same function on 1 device, 2 devices and 2 workers.

SPEC has what a split batch could get wrong: convolution, batch norm (statistics of the global
batch), dropout (masks drawn for the global batch), augmentation (drawn per example) and L2
(added once, not once per replica). Each run is a real `netspec train` process: logical CPU
devices and TF_CONFIG workers need a process of their own.

TOLERANCE: float32 sums in another order (per replica, then all-reduced) differ in the last
bits, and two epochs of training carry that to ~4e-6 of each array's largest value; a batch
split the naive way differs by orders of magnitude more (test_a_naive_split_...).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from netspec.runs import checkpoints
from netspec.train.launcher import free_ports, tf_config
from tests.helpers import write_spec
from tests.train import helpers

pytestmark = pytest.mark.slow

TOLERANCE = 1e-4  # max |a - b| / max |a|, per array
SPEC = {
    "name": "split",
    "input": {"shape": [8, 8, 1], "scale": "unit"},
    "layers": [
        {"type": "conv2d", "name": "conv1", "filters": 4, "kernel": 3, "activation": "relu"},
        {"type": "batch_norm", "name": "bn1"},
        {"type": "flatten"},
        {"type": "dense", "name": "fc1", "units": 16, "activation": "relu"},
        {"type": "dropout", "name": "drop", "keep_prob": 0.75},
        {"type": "dense", "name": "logits", "units": 10},
    ],
    "train": {"epochs": 2, "batch_size": 50, "seed": 5, "l2": 0.001, "steps_per_execution": 4},
    "data": {
        "source": "digits",
        "split": {"train": 1000, "validation": 197, "test": 200},
        "augment": {"rotation": 10, "shift": 0.1},
    },
}
NAIVE = Path(__file__).with_name("naive_split.py")
LIMIT = 300  # seconds any one training process may take here


def netspec(*args, cwd: Path, env: dict | None = None, check: bool = True):
    result = subprocess.run(
        [sys.executable, "-m", "netspec", "train", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=LIMIT,
        env={**os.environ, **(env or {})},
    )
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """The same spec trained on one device, on 2 logical CPU devices, and by 2 workers."""
    folder = tmp_path_factory.mktemp("split")
    spec = write_spec(folder, SPEC, "split")
    (folder / "worker-files").mkdir()
    netspec(spec, "--out", "one", "--quiet", cwd=folder)
    netspec(spec, "--out", "devices", "--devices", "2", "--quiet", cwd=folder)
    netspec(
        spec,
        "--out",
        "workers",
        "--workers",
        "2",
        "--quiet",
        cwd=folder,
        env={"NETSPEC_WORKER_DIR": str(folder / "worker-files")},
    )
    return {name: folder / name for name in ("one", "devices", "workers")}


def largest_difference(a: dict, b: dict) -> float:
    assert sorted(a) == sorted(b)
    return max(float(np.abs(a[key] - b[key]).max() / max(np.abs(a[key]).max(), 1e-12)) for key in a)


def test_one_device_two_devices_and_two_workers_train_the_same_weights(runs):
    one = helpers.final_weights(runs["one"])
    assert largest_difference(one, helpers.final_weights(runs["devices"])) <= TOLERANCE
    assert largest_difference(one, helpers.final_weights(runs["workers"])) <= TOLERANCE
    topologies = {name: helpers.manifest(run)["topology"] for name, run in runs.items()}
    assert topologies["one"] == {
        "strategy": "default",
        "replicas": 1,
        "workers": 1,
        "devices": ["/cpu:0"],
    }
    assert topologies["devices"]["strategy"] == "mirrored"
    assert topologies["devices"]["replicas"] == 2
    assert topologies["workers"]["strategy"] == "multi_worker_mirrored"
    assert (topologies["workers"]["replicas"], topologies["workers"]["workers"]) == (2, 2)


def test_the_two_workers_hold_identical_copies(runs):
    with np.load(runs["workers"].parent / "worker-files" / "worker-1-final.npz") as other:
        helpers.assert_same_weights(
            {key: other[key] for key in other.files}, helpers.final_weights(runs["workers"])
        )


def test_only_the_chief_writes_the_run_directory(runs):
    def listing(run: Path) -> set[str]:
        return {
            str(path.relative_to(run))
            for path in run.rglob("*")
            if "tb" not in path.relative_to(run).parts[:1] or path.is_dir()
        }

    assert listing(runs["workers"]) == listing(runs["one"])  # no files of a second writer
    assert len(list((runs["workers"] / "tb" / "train").iterdir())) == 1  # one event file
    leftovers = sorted(p.name for p in (runs["workers"].parent / "worker-files").iterdir())
    assert leftovers == ["worker-1-final.npz", "worker-1.log"]


def test_a_naive_split_exceeds_the_tolerance(runs):
    """Contiguous halves of the epoch per replica, and dropout masks drawn per replica: the
    check above would catch a pipeline or a dropout layer that split the batch this way."""
    folder = runs["one"].parent
    result = subprocess.run(
        [sys.executable, str(NAIVE), str(folder / "split.yaml"), str(folder / "naive")],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=LIMIT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    one = helpers.final_weights(runs["one"])
    assert largest_difference(one, helpers.final_weights(folder / "naive")) > 100 * TOLERANCE


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def worker_index(pid: int) -> int:
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    [config] = [v for v in environ if v.startswith(b"TF_CONFIG=")]
    return json.loads(config.split(b"=", 1)[1])["task"]["index"]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


THREE_EPOCHS = {**SPEC["train"], "epochs": 3}


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory) -> Path:
    """The 3-epoch spec trained uninterrupted by 2 workers: what a resumed job must equal."""
    folder = tmp_path_factory.mktemp("two_workers")
    spec = write_spec(folder, SPEC, "split", train=THREE_EPOCHS)
    netspec(spec, "--out", "reference", "--workers", "2", "--quiet", cwd=folder)
    return folder / "reference"


def test_kill_9_a_worker_then_resume_matches_an_uninterrupted_job(two_workers, tmp_path):
    spec = write_spec(tmp_path, SPEC, "split", train=THREE_EPOCHS)

    job = helpers.start_training(spec, "--out", "run", "--workers", "2", cwd=tmp_path)
    try:
        helpers.wait_for_line(job, "epoch 1/3")
        workers = {worker_index(pid): pid for pid in children(job.pid)}
        os.kill(workers[1], signal.SIGKILL)
        killed = time.monotonic()
        _, stderr = job.communicate(timeout=90)
        assert time.monotonic() - killed < 60
    finally:
        job.kill()
        for pid in children(job.pid) if not gone(job.pid) else []:
            os.kill(pid, signal.SIGKILL)
    assert job.returncode != 0
    assert "worker 1 of 2 died (killed by SIGKILL)" in stderr, stderr[-3000:]
    assert "Traceback" not in stderr
    assert all(gone(pid) for pid in workers.values())

    netspec("--resume", tmp_path / "run", "--workers", "2", "--quiet", cwd=tmp_path)
    helpers.assert_same_weights(
        helpers.final_weights(tmp_path / "run"), helpers.final_weights(two_workers)
    )
    assert len(helpers.manifest(tmp_path / "run")["sessions"]) == 2


def by_hand(args: list, cwd: Path) -> list[subprocess.Popen]:
    """Two `netspec train ARGS` processes, each with its own TF_CONFIG."""
    ports = free_ports(2)
    return [
        subprocess.Popen(
            [sys.executable, "-m", "netspec", "train", *map(str, args)],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={
                **os.environ,
                "PYTHONUNBUFFERED": "1",
                "TF_CONFIG": json.dumps(tf_config(ports, index)),
            },
        )
        for index in (0, 1)
    ]


def test_a_worker_started_by_hand_stops_when_its_peer_is_killed(two_workers, tmp_path):
    """As a cluster scheduler runs them: two `netspec train` processes, each with its own
    TF_CONFIG and nothing else watching them; then both started again with --resume."""
    spec = write_spec(tmp_path, SPEC, "split", train=THREE_EPOCHS)
    workers = []
    try:
        workers = by_hand([spec, "--out", "run"], tmp_path)
        helpers.wait_for_line(workers[0], "epoch 1/3")
        workers[1].kill()
        killed = time.monotonic()
        _, stderr = workers[0].communicate(timeout=90)
        assert time.monotonic() - killed < 60
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
    assert workers[0].returncode == 1
    assert "error: worker 1 stopped answering" in stderr, stderr[-3000:]
    assert "hint: the run keeps its last checkpoint" in stderr
    assert "Traceback" not in stderr and "E0000" not in stderr  # one error, no C++ log
    manifest = helpers.manifest(tmp_path / "run")
    assert manifest["status"] == "failed" and manifest["epochs_completed"] >= 1

    resumed = by_hand(["--resume", tmp_path / "run", "--quiet"], tmp_path)
    try:
        errors = [worker.communicate(timeout=LIMIT)[1] for worker in resumed]
    finally:
        for worker in resumed:
            worker.kill()
            worker.wait()
    assert [worker.returncode for worker in resumed] == [0, 0], errors
    helpers.assert_same_weights(
        helpers.final_weights(tmp_path / "run"), helpers.final_weights(two_workers)
    )


def test_a_run_resumed_on_another_topology_warns_and_matches_to_rounding(tmp_path):
    spec = write_spec(tmp_path, SPEC, "split", train={**SPEC["train"], "epochs": 3})
    netspec(spec, "--out", "reference", "--quiet", cwd=tmp_path)
    child = helpers.start_training(spec, "--out", "run", cwd=tmp_path)
    try:
        helpers.wait_for_line(child, "epoch 1/3")  # printed once the epoch is saved
    finally:
        child.kill()
        child.wait()

    resumed = netspec("--resume", tmp_path / "run", "--devices", "2", "--quiet", cwd=tmp_path)
    assert "trained on 1 replica(s) in 1 worker(s) and continues on 2 in 1" in resumed.stderr
    run, reference = tmp_path / "run", tmp_path / "reference"
    assert largest_difference(helpers.final_weights(run), helpers.final_weights(reference)) <= (
        TOLERANCE
    )
    assert helpers.manifest(run)["topology"]["replicas"] == 2


def test_a_mid_epoch_checkpoint_resumes_bit_for_bit(tmp_path):
    """train.checkpoint_every: a kill -9 within an epoch loses at most that many steps."""
    from netspec.train import train

    spec_train = {**SPEC["train"], "epochs": 4, "checkpoint_every": 5}
    spec = write_spec(tmp_path, SPEC, "split", train=spec_train)
    train(spec, out=tmp_path / "reference", quiet=True)

    child = helpers.start_training(spec, "--out", "run", "--quiet", cwd=tmp_path)
    last = tmp_path / "run" / "checkpoints" / "last.npz"
    meta = {}
    try:
        deadline = time.monotonic() + LIMIT
        while not meta.get("step") and time.monotonic() < deadline:
            time.sleep(0.02)
            if last.exists():
                _, meta = checkpoints.load(last, training=True)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    _, meta = checkpoints.load(last, training=True)  # what the kill left
    assert meta.get("step") in (5, 10, 15), meta  # within an epoch (20 steps each)

    train(resume=tmp_path / "run", quiet=True)
    helpers.assert_same_weights(
        helpers.final_weights(tmp_path / "run"), helpers.final_weights(tmp_path / "reference")
    )
    history = (tmp_path / "run" / "history.csv").read_text().splitlines()
    reference = (tmp_path / "reference" / "history.csv").read_text().splitlines()
    strip = lambda lines: [line.rsplit(",", 1)[0] for line in lines]  # noqa: E731 (seconds)
    assert strip(history) == strip(reference)
