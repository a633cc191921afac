import os
import subprocess
import sys

import pytest

from netspec.export.atomic import staged_dir


def test_replaces_target_only_when_the_block_completes(tmp_path):
    target = tmp_path / "export"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with staged_dir(target) as staging:
        (staging / "new.txt").write_text("new")
        assert (target / "old.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]


def test_failure_leaves_target_and_no_staging(tmp_path):
    target = tmp_path / "export"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), staged_dir(target) as staging:
        (staging / "half.txt").write_text("half")
        raise RuntimeError("verification failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]
    assert (target / "old.txt").read_text() == "old"


def test_published_folder_gets_normal_permissions(tmp_path):
    with staged_dir(tmp_path / "export"):
        pass
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "export").stat().st_mode & 0o777 == 0o777 & ~umask


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_leftovers_of_a_killed_export_are_cleaned_up(tmp_path):
    target = tmp_path / "export"
    target.mkdir()
    stale = tmp_path / f".export.tmp-{dead_pid()}-abcd"
    stale.mkdir()
    with staged_dir(target):
        assert not stale.exists()


def test_a_kill_between_the_two_renames_is_repaired(tmp_path):
    # The previous export was moved aside, the new one not yet moved in: bring the old back.
    old = tmp_path / f".export.old-{dead_pid()}"
    old.mkdir()
    (old / "model.onnx").write_text("previous")
    with pytest.raises(RuntimeError), staged_dir(tmp_path / "export"):
        raise RuntimeError("this export fails too")
    assert (tmp_path / "export" / "model.onnx").read_text() == "previous"
    assert not old.exists()
