"""An export killed midway (SIGKILL, a real process) leaves the previous artifacts intact."""

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.export import helpers

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_sigkill_during_export_keeps_previous_artifacts(tmp_path, exported, small_spec):
    target = tmp_path / "export"
    shutil.copytree(exported.out_dir, target)
    (target / "previous.txt").write_text("from the export before")
    before = snapshot(target)

    child = subprocess.Popen(
        [sys.executable, "-m", "tests.export.helpers", str(small_spec), str(target)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not any(tmp_path.glob(".export.tmp-*/*")):  # it has started writing
        assert child.poll() is None, "the export finished before it could be killed"
        assert time.monotonic() < deadline, "the export never started writing"
        time.sleep(0.002)
    child.send_signal(signal.SIGKILL)
    child.wait()

    assert snapshot(target) == before
    assert list(tmp_path.glob(".export.tmp-*")), "killed after the swap, not midway"

    helpers.export(small_spec, target)  # the next export cleans up and replaces
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]
    assert not (target / "previous.txt").exists()
