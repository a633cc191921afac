"""Output folders: netspec replaces only what is provably its own, and only when complete."""

import json
import os

import pytest

from netspec import outputs
from netspec.errors import UserError
from tests.helpers import tree_state

LEGACY = outputs.Legacy(frozenset({"model.onnx", "names.json"}), frozenset({"names.json"}))


def test_replaces_target_only_when_the_block_completes(tmp_path):
    target = tmp_path / "export"
    with outputs.replace_dir(target, "export") as staging:
        (staging / "old.txt").write_text("old")
    with outputs.replace_dir(target, "export") as staging:
        (staging / "new.txt").write_text("new")
        assert (target / "old.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]
    assert sorted(p.name for p in target.iterdir()) == [outputs.MARKER, "new.txt"]
    assert outputs.marker_kind(target) == "export"


def test_failure_leaves_target_and_no_staging(tmp_path):
    target = tmp_path / "export"
    with outputs.replace_dir(target, "export") as staging:
        (staging / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), outputs.replace_dir(target, "export") as staging:
        (staging / "half.txt").write_text("half")
        raise RuntimeError("verification failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]
    assert (target / "old.txt").read_text() == "old"


def test_a_folder_with_foreign_files_is_refused_and_untouched(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.txt").write_text("precious")
    before = tree_state(tmp_path)
    with (
        pytest.raises(UserError, match="thesis.txt.*not a netspec export folder"),
        outputs.replace_dir(victim, "export"),
    ):
        pytest.fail("must not start")
    assert tree_state(tmp_path) == before


def test_a_folder_marked_as_another_kind_is_refused(tmp_path):
    with outputs.replace_dir(tmp_path / "letters", "letters"):
        pass
    with pytest.raises(UserError, match="not a netspec export folder"):
        outputs.check_ours(tmp_path / "letters", "export")


def test_empty_folders_and_legacy_exports_may_be_replaced(tmp_path):
    (tmp_path / "empty").mkdir()
    outputs.check_ours(tmp_path / "empty", "export", LEGACY)
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "model.onnx").write_bytes(b"onnx")
    with pytest.raises(UserError, match="model.onnx"):  # names.json, always written, is missing
        outputs.check_ours(legacy, "export", LEGACY)
    (legacy / "names.json").write_text("{}")
    with outputs.replace_dir(legacy, "export", LEGACY) as staging:
        (staging / "names.json").write_text("{}")
    assert outputs.marker_kind(legacy) == "export"
    assert (legacy / "names.json").read_text() == "{}" and not (legacy / "model.onnx").exists()
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "model.onnx").write_bytes(b"onnx")
    (tmp_path / "mixed" / "notes.md").write_text("mine")
    with pytest.raises(UserError, match="notes.md"):
        outputs.check_ours(tmp_path / "mixed", "export", LEGACY)


def test_files_symlinks_and_the_current_folder_are_refused(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="is not a folder"):
        outputs.check_ours(tmp_path / "file", "export")
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(UserError, match="is not a folder"):
        outputs.check_ours(tmp_path / "link", "export")
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    for target in (".", "..", str(tmp_path / "cwd")):
        with pytest.raises(UserError, match="is the current folder"):
            outputs.check_ours(outputs.Path(target), "export")


def test_claim_creates_and_marks_a_folder(tmp_path):
    folder = outputs.claim(tmp_path / "a" / "b", "evaluation")
    assert json.loads((folder / outputs.MARKER).read_text())["kind"] == "evaluation"
    (folder / "evaluation-test.json").write_text("{}")
    assert outputs.claim(folder, "evaluation") == folder  # ours: written into again


def test_published_folder_gets_normal_permissions(tmp_path):
    with outputs.replace_dir(tmp_path / "export", "export"):
        pass
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "export").stat().st_mode & 0o777 == 0o777 & ~umask


def test_leftovers_of_a_killed_export_are_cleaned_up(tmp_path):
    target = tmp_path / "export"
    stale = tmp_path / ".export.tmp-abcd1234"
    stale.mkdir()
    outputs.mark(stale, "export")
    killed_early = tmp_path / ".export.tmp-99999999"  # before its marker was in place
    killed_early.mkdir()
    (killed_early / "..netspec.x1y2z3.tmp").write_text("{")
    foreign = tmp_path / ".export.tmp-00ff00ff"
    foreign.mkdir()
    (foreign / "user.txt").write_text("not ours")
    with outputs.replace_dir(target, "export"):
        assert not stale.exists() and not killed_early.exists()
    assert (foreign / "user.txt").read_text() == "not ours"
    assert not (tmp_path / ".export.lock").exists()


def test_a_kill_between_the_two_renames_is_repaired(tmp_path):
    # The previous export was moved aside, the new one not yet moved in: bring the old back.
    old = tmp_path / ".export.old"
    old.mkdir()
    outputs.mark(old, "export")
    (old / "model.onnx").write_text("previous")
    with pytest.raises(RuntimeError), outputs.replace_dir(tmp_path / "export", "export"):
        raise RuntimeError("this export fails too")
    assert (tmp_path / "export" / "model.onnx").read_text() == "previous"
    assert not old.exists()
