"""OS errors (no permission, no space) while a command writes: one line naming the path and the
reason, the hint for that errno, exit 1, and nothing half written.

Root ignores permissions and the test disk is not full, so the errors are injected in this
process (netspec.cli.app.main, with monkeypatch): at `os.mkdir` (what Path.mkdir calls),
`tempfile.mkstemp` and `os.replace` (what netspec.files.write_bytes calls). Each injector fails
only for the paths its `when` picks; everything else goes through.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from netspec.errors import OS_HINTS
from tests.cli.helpers import run_main
from tests.helpers import assert_error, tree_state
from tests.train import helpers as train_helpers

EACCES, ENOSPC = errno.EACCES, errno.ENOSPC


def os_error(code: int, *names) -> OSError:
    return OSError(code, os.strerror(code), *map(str, names))


def fail_mkdir(monkeypatch, code: int, when) -> None:
    real = os.mkdir

    def mkdir(path, mode=0o777, *, dir_fd=None):
        if when(Path(path)):
            raise os_error(code, path)
        return real(path, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "mkdir", mkdir)


def fail_mkstemp(monkeypatch, code: int, when) -> None:
    """`when` gets the path the temporary file stands in for (netspec.files names them
    `.<name>.<random>.tmp` beside it)."""
    real = tempfile.mkstemp

    def mkstemp(suffix=None, prefix=None, dir=None, text=False):
        if dir is not None and prefix and when(Path(dir) / prefix[1:-1]):
            raise os_error(code, Path(dir) / f"{prefix}abcd1234{suffix or ''}")
        return real(suffix, prefix, dir, text)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


def fail_replace(monkeypatch, code: int, when) -> None:
    real = os.replace

    def replace(src, dst, **options):
        if when(Path(dst)):
            raise os_error(code, src, None, dst)
        return real(src, dst, **options)

    monkeypatch.setattr(os, "replace", replace)


def assert_os_error(outcome, path: Path, code: int) -> None:
    """Exactly `error: PATH: REASON` and the errno's hint."""
    assert_error(outcome, code=1)
    assert outcome.stderr == f"error: {path}: {os.strerror(code)}\n  hint: {OS_HINTS[code]}\n"


def temporary_files(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*.tmp")]


# --- train -----------------------------------------------------------------------------------


@pytest.fixture
def small_tiny(tmp_path):
    """TINY, three short epochs."""
    return train_helpers.tiny_spec(
        tmp_path,
        train={"epochs": 3},
        data={"examples": 300, "split": {"train": 240, "validation": 30, "test": 30}},
    )


@pytest.mark.slow
def test_no_space_for_the_second_checkpoint(monkeypatch, capsys, tmp_path, small_tiny):
    run = tmp_path / "run"
    last = run / "checkpoints" / "last.npz"
    saves = []

    def second_save(path: Path) -> bool:
        if path != last:
            return False
        saves.append(path)
        return len(saves) == 2

    fail_replace(monkeypatch, ENOSPC, second_save)
    monkeypatch.chdir(tmp_path)
    outcome = run_main(monkeypatch, capsys, "train", small_tiny, "--out", run)
    assert_os_error(outcome, last, ENOSPC)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["error"] == f"{last}: {os.strerror(ENOSPC)}"
    assert manifest["epochs_completed"] == 1
    from netspec.runs import checkpoints

    arrays, meta = checkpoints.load(last, training=True)  # the first epoch's, whole
    assert meta["epochs_completed"] == 1 and len(meta["history"]) == 1
    assert "logits/kernel" in arrays
    assert (run / "history.csv").read_text().count("\n") == 2  # header and epoch 1
    assert not (run / "checkpoints" / "final.npz").exists()
    assert temporary_files(run) == []


@pytest.mark.slow
def test_no_permission_to_create_the_run_directory(monkeypatch, capsys, tmp_path, small_tiny):
    run = tmp_path / "runs" / "mine"
    fail_mkdir(monkeypatch, EACCES, lambda path: path == run.parent)
    monkeypatch.chdir(tmp_path)
    before = tree_state(tmp_path)
    outcome = run_main(monkeypatch, capsys, "train", small_tiny, "--out", run)
    assert_os_error(outcome, run.parent, EACCES)
    assert tree_state(tmp_path) == before


# --- export ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_export_with_no_permission_to_create_the_folder(
    monkeypatch, capsys, tmp_path, reference_run
):
    out = tmp_path / "exports" / "tiny"
    fail_mkdir(monkeypatch, EACCES, lambda path: path == out.parent)
    monkeypatch.chdir(tmp_path)
    before = tree_state(tmp_path)
    outcome = run_main(monkeypatch, capsys, "export", reference_run, "--onnx", "--out", out)
    assert_os_error(outcome, out.parent, EACCES)
    assert tree_state(tmp_path) == before


@pytest.mark.slow
def test_export_out_of_space_keeps_the_earlier_export(
    monkeypatch, capsys, tmp_path, reference_run, exported
):
    out = shutil.copytree(exported.out_dir, tmp_path / "export")
    before = tree_state(tmp_path)
    fail_replace(monkeypatch, ENOSPC, lambda path: path.name == "names.json")
    monkeypatch.chdir(tmp_path)
    outcome = run_main(monkeypatch, capsys, "export", reference_run, "--onnx", "--out", out)
    line = assert_error(outcome, code=1)
    # The file being written is in the staging folder beside `out` (on the same disk).
    staged = Path(line.removeprefix("error: ").split(": ")[0])
    assert staged.parent.parent == tmp_path and staged.name == "names.json"
    assert line.endswith(f": {os.strerror(ENOSPC)}")
    assert outcome.stderr.splitlines()[1] == f"  hint: {OS_HINTS[ENOSPC]}"
    assert tree_state(tmp_path) == before  # the earlier export as it was, no leftovers


# --- evaluate --out ----------------------------------------------------------------------------


@pytest.mark.slow
def test_evaluate_with_no_permission_to_create_out(monkeypatch, capsys, tmp_path, reference_run):
    out = tmp_path / "evaluation"
    fail_mkdir(monkeypatch, EACCES, lambda path: path == out)
    monkeypatch.chdir(tmp_path)
    before, run_before = tree_state(tmp_path), tree_state(reference_run)
    outcome = run_main(monkeypatch, capsys, "evaluate", reference_run, "--out", out)
    assert_os_error(outcome, out, EACCES)
    assert tree_state(tmp_path) == before
    assert tree_state(reference_run) == run_before


@pytest.mark.slow
def test_evaluate_out_of_space(monkeypatch, capsys, tmp_path, reference_run):
    out = tmp_path / "evaluation"
    report = out / "evaluation-test.json"
    fail_mkstemp(monkeypatch, ENOSPC, lambda path: path == report)
    monkeypatch.chdir(tmp_path)
    outcome = run_main(monkeypatch, capsys, "evaluate", reference_run, "--out", out)
    assert_os_error(outcome, report, ENOSPC)
    assert not report.exists() and temporary_files(out) == []


# --- letters -------------------------------------------------------------------------------


def test_letters_with_no_permission_to_create_the_folder(monkeypatch, capsys, tmp_path):
    out = tmp_path / "data" / "letters"
    fail_mkdir(monkeypatch, EACCES, lambda path: path == out.parent)
    monkeypatch.chdir(tmp_path)
    before = tree_state(tmp_path)
    outcome = run_main(monkeypatch, capsys, "letters", out, "--per-class", 2)
    assert_os_error(outcome, out.parent, EACCES)
    assert tree_state(tmp_path) == before


def test_letters_out_of_space_keeps_the_earlier_letters(monkeypatch, capsys, tmp_path):
    out = tmp_path / "letters"
    monkeypatch.chdir(tmp_path)
    assert run_main(monkeypatch, capsys, "letters", out, "--per-class", 2).returncode == 0
    before = tree_state(tmp_path)
    # The new letters' marker, written into the staging folder beside `out`.
    fail_mkstemp(monkeypatch, ENOSPC, lambda path: path.name == ".netspec" and path.parent != out)
    outcome = run_main(monkeypatch, capsys, "letters", out, "--per-class", 3, "--seed", 1)
    line = assert_error(outcome, code=1)
    staged = Path(line.removeprefix("error: ").split(": ")[0])
    assert staged.parent.parent == tmp_path and staged.parent.name.startswith(".letters.tmp-")
    assert line.endswith(f": {os.strerror(ENOSPC)}")
    assert tree_state(tmp_path) == before


# --- init --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "inject, code",
    [(fail_mkstemp, EACCES), (fail_mkstemp, ENOSPC), (fail_replace, ENOSPC)],
    ids=["mkstemp-EACCES", "mkstemp-ENOSPC", "replace-ENOSPC"],
)
def test_init_cannot_write(monkeypatch, capsys, tmp_path, inject, code):
    target = tmp_path / "mine.yaml"
    inject(monkeypatch, code, lambda path: path == target)
    monkeypatch.chdir(tmp_path)
    outcome = run_main(monkeypatch, capsys, "init", "mlp", "-o", target)
    assert_os_error(outcome, target, code)
    assert list(tmp_path.iterdir()) == []  # no spec, no temporary file


def test_init_replacing_a_spec_keeps_it_on_a_full_disk(monkeypatch, capsys, tmp_path):
    target = tmp_path / "mine.yaml"
    target.write_text("# my own work\n")
    fail_replace(monkeypatch, ENOSPC, lambda path: path == target)
    monkeypatch.chdir(tmp_path)
    outcome = run_main(monkeypatch, capsys, "init", "mlp", "-o", target, "--force")
    assert_os_error(outcome, target, ENOSPC)
    assert target.read_text() == "# my own work\n"
    assert [p.name for p in tmp_path.iterdir()] == ["mine.yaml"]
