"""A disk that really fills up (a small tmpfs): one line naming the file and saying so, and
nothing half written: a run directory that tells the truth (manifest `failed` with the error,
the last complete checkpoint whole), earlier files kept, no temporary files left."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess

import pytest

from netspec.runs import checkpoints
from netspec.spec.schema import schema_text
from tests.helpers import assert_error, tree_state, write_spec

NO_SPACE = "No space left on device"
HINT = "  hint: free some space on that disk, or write somewhere else"

DISK = 3 * 2**20  # the tmpfs: 3 MiB
INPUTS, CLASSES = 8 * 8, 3
# Adam's checkpoint holds every parameter three times (value and two moments), float32:
# 12 bytes per parameter. A hidden layer of `UNITS` makes last.npz about 0.65 * DISK: the
# first epoch's checkpoint fits, the second does not (netspec writes the new file before it
# replaces the old one, so it needs room for both).
UNITS = int(0.65 * DISK / 12 / (INPUTS + 1 + CLASSES))
CHECKPOINT = 12 * ((INPUTS + 1) * UNITS + (UNITS + 1) * CLASSES)
assert DISK / 2 < CHECKPOINT < DISK * 0.9

SPEC = {
    "name": "wide",
    "input": {"shape": [8, 8, 1], "scale": "unit"},
    "layers": [
        {"type": "flatten"},
        {"type": "dense", "name": "wide", "units": UNITS, "activation": "relu"},
        {"type": "dense", "name": "logits", "units": CLASSES},
    ],
    "train": {"optimizer": "adam", "learning_rate": 0.001, "epochs": 3, "batch_size": 50},
    "data": {
        "source": "synthetic",
        "classes": CLASSES,
        "examples": 150,
        "split": {"train": 100, "test": 50},
    },
}


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MiB tmpfs (needs root, or skips), unmounted afterwards."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or 'mount failed'}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


@pytest.mark.slow
def test_training_onto_a_disk_that_fills_up(netspec_process, tmp_path, small_disk):
    spec = write_spec(tmp_path, SPEC, "wide")
    run = small_disk / "run"
    result = netspec_process("train", spec, "--out", run, cwd=tmp_path)
    last = run / "checkpoints" / "last.npz"
    line = assert_error(result, code=1)
    assert line == f"error: {last}: No space left on device"
    assert result.stderr.splitlines()[1] == (
        "  hint: free some space on that disk, or write somewhere else"
    )
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["error"] == f"{last}: No space left on device"
    assert manifest["finished_at"] and manifest["epochs_completed"] == 1
    assert DISK / 2 < last.stat().st_size < DISK  # the arithmetic above held
    arrays, meta = checkpoints.load(last, training=True)
    assert meta["epochs_completed"] == 1 and arrays["wide/kernel"].shape == (INPUTS, UNITS)
    assert (run / "history.csv").read_text().count("\n") == 2  # header and epoch 1
    assert not (run / "checkpoints" / "final.npz").exists()
    assert not (run / "metrics.json").exists()
    assert [p.name for p in run.rglob("*.tmp")] == []  # the failed write gave its space back


def fill(disk, leave: int) -> None:
    """Fill `disk` up to its last `leave` bytes (with a file named filler)."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        size = 0
        while True:
            try:
                size += os.write(fd, bytes(2**16))
            except OSError as err:
                assert err.errno == errno.ENOSPC
                break
        os.ftruncate(fd, max(size - leave, 0))
    finally:
        os.close(fd)


def assert_no_space(result, name_pattern: str) -> None:
    """One line naming a file that matches `name_pattern` (a regex), the reason, the hint."""
    line = assert_error(result, code=1)
    assert re.fullmatch(f"error: {name_pattern}: {NO_SPACE}", line), line
    assert result.stderr.splitlines()[1] == HINT


def test_schema_onto_a_full_disk_keeps_the_old_file(netspec_process, small_disk):
    target = small_disk / "netspec.schema.json"
    target.write_text("{}\n")
    fill(small_disk, 0)
    assert len(schema_text()) > 4096  # more than the page that is free at most
    before = tree_state(small_disk)
    result = netspec_process("schema", "-o", target)
    assert_no_space(result, re.escape(str(target)))
    assert tree_state(small_disk) == before


@pytest.mark.slow
@pytest.mark.parametrize("fmt, entry", [("--onnx", "model.onnx"), ("--saved-model", "saved_model")])
def test_export_onto_a_full_disk(netspec_process, tmp_path, small_disk, fmt, entry):
    """The wide spec's fresh weights (700 KB) do not fit in the 64 KiB left; the marker does."""
    spec = write_spec(tmp_path, SPEC, "wide")
    fill(small_disk, 2**16)
    before = tree_state(small_disk)
    result = netspec_process("export", spec, fmt, "--out", small_disk / "e", cwd=tmp_path)
    assert_no_space(result, rf"{re.escape(str(small_disk))}/\.e\.tmp-[0-9a-f]+/{entry}")
    assert tree_state(small_disk) == before  # no export, no staging folder, no lock


def test_letters_onto_a_full_disk(netspec_process, tmp_path, small_disk):
    fill(small_disk, 2**16)
    before = tree_state(small_disk)
    result = netspec_process("letters", small_disk / "l", cwd=tmp_path)
    assert_no_space(result, rf"{re.escape(str(small_disk))}/\.l\.tmp-[0-9a-f]+/[A-J]/\d{{5}}\.png")
    assert tree_state(small_disk) == before
