"""No command destroys what netspec did not write: output folders are replaced only when they
are netspec's own (new, empty, marked, or an export from before the marker), never the current
folder, a run, a regular file, or a folder of someone's files; each refusal is one line."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from concurrent.futures import ThreadPoolExecutor

import onnx
import pytest

from netspec.spec.schema import schema_text
from tests.helpers import assert_error, tree_state
from tests.train import helpers as train_helpers

THESIS = "precious\n"


@pytest.fixture
def victim(tmp_path):
    """A folder holding someone's work: `mkdir victim; echo precious > victim/thesis.txt`."""
    folder = tmp_path / "victim"
    folder.mkdir()
    (folder / "thesis.txt").write_text(THESIS)
    return folder


def assert_no_leftovers(folder):
    """No lock, staging or backup folder of netspec.outputs.replace_dir beside `folder`."""
    assert not [p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.")]


@pytest.mark.slow
def test_export_refuses_a_folder_of_foreign_files(netspec_process, reference_run, victim, tmp_path):
    before, run_before = tree_state(tmp_path), tree_state(reference_run)
    result = netspec_process("export", reference_run, "--onnx", "--out", victim, cwd=tmp_path)
    line = assert_error(result, code=1)
    assert str(victim) in line and "thesis.txt" in line and "nothing was changed" in line
    assert (victim / "thesis.txt").read_text() == THESIS
    assert tree_state(tmp_path) == before
    assert tree_state(reference_run) == run_before


@pytest.mark.slow
def test_export_refuses_to_replace_the_run_it_exports(netspec_process, run_copy):
    before = tree_state(run_copy)
    result = netspec_process("export", run_copy, "--out", run_copy, cwd=run_copy.parent)
    line = assert_error(result, code=1)
    assert str(run_copy) in line and "did not write" in line
    assert tree_state(run_copy) == before


@pytest.mark.slow
@pytest.mark.parametrize("contents", ["empty", "not empty"])
def test_export_refuses_the_current_folder(netspec_process, reference_run, tmp_path, contents):
    cwd = tmp_path / "here"
    cwd.mkdir()
    if contents == "not empty":
        (cwd / "notes.txt").write_text(THESIS)
    before = tree_state(tmp_path)
    result = netspec_process("export", reference_run, "--onnx", "--out", ".", cwd=cwd)
    line = assert_error(result, code=1)
    assert "is the current folder" in line
    assert tree_state(tmp_path) == before


@pytest.mark.slow
def test_exporting_twice_into_the_same_folder_replaces_it(netspec_process, reference_run, tmp_path):
    (tmp_path / "keep.txt").write_text(THESIS)
    out = tmp_path / "out"
    before = tree_state(tmp_path)
    first = netspec_process("export", reference_run, "--onnx", "--out", out, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    model = (out / "model.onnx").read_bytes()
    second = netspec_process("export", reference_run, "--onnx", "--out", out, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "Traceback" not in second.stderr
    assert json.loads((out / ".netspec").read_text())["kind"] == "export"
    assert (out / "model.onnx").read_bytes() == model  # the same run gives the same bytes
    assert tree_state(tmp_path, exclude=("out",)) == before
    assert_no_leftovers(out)


@pytest.mark.slow
def test_an_export_folder_from_before_the_marker_may_be_replaced(
    netspec_process, reference_run, tmp_path
):
    legacy = tmp_path / "legacy"
    (legacy / "saved_model" / "variables").mkdir(parents=True)
    (legacy / "saved_model" / "saved_model.pb").write_bytes(b"old graph")
    (legacy / "model.onnx").write_bytes(b"old onnx")
    (legacy / "names.json").write_text("{}\n")
    (legacy / "verification.json").write_text("{}\n")
    result = netspec_process("export", reference_run, "--onnx", "--out", legacy, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads((legacy / ".netspec").read_text())["kind"] == "export"
    assert not (legacy / "saved_model").exists()  # replaced whole: only what was asked for
    model = onnx.load(str(legacy / "model.onnx"))
    assert {"conv1/kernel", "logits/bias"} <= {init.name for init in model.graph.initializer}
    assert_no_leftovers(legacy)


@pytest.mark.slow
def test_evaluate_refuses_a_regular_file_as_out(netspec_process, reference_run, tmp_path):
    target = tmp_path / "results.txt"
    target.write_text(THESIS)
    before = tree_state(tmp_path)
    result = netspec_process("evaluate", reference_run, "--out", target, cwd=tmp_path)
    line = assert_error(result, code=1)
    assert f"{target} exists and is not a folder" in line
    assert target.read_text() == THESIS and tree_state(tmp_path) == before


@pytest.mark.slow
def test_evaluate_refuses_a_folder_of_foreign_files(
    netspec_process, reference_run, victim, tmp_path
):
    before, run_before = tree_state(tmp_path), tree_state(reference_run)
    result = netspec_process("evaluate", reference_run, "--out", victim, cwd=tmp_path)
    line = assert_error(result, code=1)
    assert str(victim) in line and "thesis.txt" in line
    assert tree_state(tmp_path) == before
    assert tree_state(reference_run) == run_before


def test_letters_refuses_a_regular_file(netspec_process, tmp_path):
    target = tmp_path / "letters"
    target.write_text(THESIS)
    before = tree_state(tmp_path)
    result = netspec_process("letters", target, "--per-class", 2, cwd=tmp_path)
    line = assert_error(result, code=1)
    assert f"{target} exists and is not a folder" in line
    assert tree_state(tmp_path) == before


def test_letters_refuses_a_folder_of_foreign_files(netspec_process, victim, tmp_path):
    before = tree_state(tmp_path)
    result = netspec_process("letters", victim, "--per-class", 2, cwd=tmp_path)
    line = assert_error(result, code=1)
    assert str(victim) in line and "thesis.txt" in line
    assert tree_state(tmp_path) == before


def test_letters_replaces_its_own_earlier_output(netspec_process, tmp_path):
    (tmp_path / "keep.txt").write_text(THESIS)
    out = tmp_path / "letters"
    before = tree_state(tmp_path)
    first = netspec_process("letters", out, "--per-class", 2, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    earlier = tree_state(out)
    second = netspec_process("letters", out, "--per-class", 3, "--seed", 1, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert tree_state(out) != earlier
    assert sorted(p.name for p in out.iterdir()) == [".netspec", *"ABCDEFGHIJ"]
    assert all(len(list((out / letter).iterdir())) == 3 for letter in "ABCDEFGHIJ")
    assert tree_state(tmp_path, exclude=("letters",)) == before
    assert_no_leftovers(out)


def test_init_into_a_missing_folder(netspec_process, tmp_path):
    before = tree_state(tmp_path)
    result = netspec_process("init", "-o", tmp_path / "missing_dir" / "x.yaml", cwd=tmp_path)
    line = assert_error(result, code=2)
    assert "missing_dir does not exist" in line
    assert tree_state(tmp_path) == before


def test_init_refuses_an_existing_folder(netspec_process, victim, tmp_path):
    before = tree_state(tmp_path)
    result = netspec_process("init", "-o", victim, cwd=tmp_path)
    line = assert_error(result, code=2)
    assert f"{victim} is a folder" in line
    assert tree_state(tmp_path) == before
    result = netspec_process("init", "-o", victim, "--force", cwd=tmp_path)
    assert_error(result, code=2)
    assert tree_state(tmp_path) == before


@pytest.mark.slow
def test_train_out_under_a_regular_file(netspec_process, tmp_path):
    spec = train_helpers.tiny_spec(
        tmp_path, train={"epochs": 1}, data={"examples": 90, "split": {"train": 60, "test": 30}}
    )
    blocker = tmp_path / "file"
    blocker.write_text(THESIS)
    before = tree_state(tmp_path)
    result = netspec_process("train", spec, "--out", blocker / "x", cwd=tmp_path)
    line = assert_error(result, code=1)
    assert str(blocker / "x") in line and "Not a directory" in line
    assert tree_state(tmp_path) == before  # no runs/, no run directory, the file as it was


def test_schema_writes_through_a_pipe(netspec_process, tmp_path):
    """`schema -o` replaces a regular file atomically, but a pipe or device (/dev/stdout) is
    written to, never replaced by a file."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    reader = subprocess.Popen(["cat", str(pipe)], stdout=subprocess.PIPE, text=True)
    try:  # read while netspec writes: the schema is larger than two pipe buffers
        with ThreadPoolExecutor(1) as pool:
            reading = pool.submit(reader.communicate, timeout=60)
            result = netspec_process("schema", "-o", pipe)
            read, _ = reading.result()
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()
    assert result.returncode == 0, result.stderr
    assert read == schema_text()
    assert stat.S_ISFIFO(pipe.lstat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]
