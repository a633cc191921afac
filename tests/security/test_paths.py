"""Names that try to escape, and output folders that are not netspec's.

A spec's name becomes a folder (runs/<name>/) and layer names become variable and file-like
names (`conv1/kernel`): both are refused unless plain names, before anything is created. An
output folder (`export --out`, `evaluate --out`, `letters DIR`) is written only when it is
new, empty or netspec's own; anything else is refused before a byte is written. Each test
snapshots the whole temporary tree (hashes of every file, hidden ones included) before and
after the command: nothing may change.

The commands run in tmp/work/project, beside tmp/home, a user's folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import tree_state, write_spec
from tests.security.helpers import assert_refused, copy_run

VALID = {
    "name": "plain",
    "input": {"shape": [8, 8, 1]},
    "layers": [
        {"type": "flatten"},
        {"type": "dense", "name": "hidden", "units": 4},
        {"type": "dense", "name": "logits", "units": 3},
    ],
    "train": {"epochs": 1},
    "data": {"source": "synthetic", "classes": 3, "examples": 60},
}
# "{tmp}" stands for the test's temporary folder: an absolute name would make runs/<name> that.
ESCAPING = ["../../escape", "../escape", "a/b", "{tmp}/escape", "..", ".", "a\\b", "ok/../../up"]
NAME_HINT = "hint: names use lowercase letters, digits and '_'"


def not_a_name(name: str) -> str:
    """How a diagnostic shows a bad name (its repr, cut at 60 characters)."""
    shown = repr(name) if len(repr(name)) <= 60 else repr(name)[:57] + "..."
    return f"{shown} is not a valid name"


@pytest.fixture
def home(tmp_path) -> Path:
    """A user's folder: files of theirs, one hidden, one in a sub-folder."""
    folder = tmp_path / "home"
    (folder / "docs").mkdir(parents=True)
    (folder / ".bashrc").write_text("export PATH=$HOME/bin:$PATH\n")
    (folder / "notes.txt").write_text("do not delete\n")
    (folder / "docs" / "thesis.tex").write_text("\\documentclass{article}\n")
    return folder


@pytest.fixture
def project(tmp_path, home) -> Path:
    """The working folder (the user's too: it holds a file of theirs)."""
    folder = tmp_path / "work" / "project"
    folder.mkdir(parents=True)
    (folder / "data.csv").write_text("1,2,3\n")
    return folder


@pytest.fixture
def spec(project) -> Path:
    return write_spec(project, VALID, "plain")


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ESCAPING)
def test_validate_refuses_a_spec_name_that_is_a_path(netspec_process, tmp_path, project, name):
    name = name.format(tmp=tmp_path)
    spec = write_spec(project, {**VALID, "name": name}, "escaping")
    before = tree_state(tmp_path)
    result = netspec_process("validate", spec, cwd=project)
    assert_refused(result, f"{spec}:", "name:", not_a_name(name), code=1)
    assert NAME_HINT in result.stderr
    assert tree_state(tmp_path) == before


@pytest.mark.parametrize("name", ["../../escape", "a/b", "{tmp}/escape"])
def test_train_creates_no_folder_for_a_spec_name_that_is_a_path(
    netspec_process, tmp_path, project, name
):
    name = name.format(tmp=tmp_path)
    spec = write_spec(project, {**VALID, "name": name}, "escaping")
    before = tree_state(tmp_path)
    result = netspec_process("train", spec, "--quiet", cwd=project)
    assert_refused(result, not_a_name(name), code=1)
    assert tree_state(tmp_path) == before  # no runs/ here, no escape/ anywhere


@pytest.mark.parametrize("command", ["validate", "train"])
def test_a_set_name_that_is_a_path_is_refused(netspec_process, tmp_path, spec, project, command):
    before = tree_state(tmp_path)
    result = netspec_process(command, spec, "--set", "name=../../escape", cwd=project)
    assert_refused(result, "--set name=../../escape:", not_a_name("../../escape"))
    assert tree_state(tmp_path) == before


@pytest.mark.parametrize("name", ["fc/1", "..", "../fc", "fc1/kernel", "/abs", "fc.1"])
@pytest.mark.parametrize("command", ["validate", "train"])
def test_layer_names_that_are_paths_are_refused(netspec_process, tmp_path, project, name, command):
    layers = [dict(layer) for layer in VALID["layers"]]
    layers[1]["name"] = name
    spec = write_spec(project, {**VALID, "layers": layers}, "layers")
    before = tree_state(tmp_path)
    result = netspec_process(command, spec, cwd=project)
    assert_refused(result, "layers[1].name:", not_a_name(name), code=1)
    assert tree_state(tmp_path) == before


# --- output folders ---------------------------------------------------------------------------


def test_export_refuses_a_folder_of_the_users(netspec_process, tmp_path, home, spec, project):
    before = tree_state(tmp_path)
    result = netspec_process("export", spec, "--out", home, cwd=project)
    assert_refused(
        result,
        f"{home} holds files netspec did not write (.bashrc, docs, notes.txt)",
        "not a netspec export folder, so nothing was changed",
        code=1,
    )
    assert "hint: choose a new or empty folder" in result.stderr
    assert tree_state(tmp_path) == before


@pytest.mark.parametrize("out", [".", "..", "../project", "../.."])
def test_export_refuses_the_current_folder_and_its_parents(
    netspec_process, tmp_path, spec, project, out
):
    before = tree_state(tmp_path)
    result = netspec_process("export", spec, "--out", out, cwd=project)
    assert_refused(result, f"{out} is the current folder (or holds it)", code=1)
    assert tree_state(tmp_path) == before


def test_export_refuses_an_empty_current_folder(netspec_process, tmp_path, spec):
    """Empty folders may be claimed, but not the one the user stands in."""
    empty = tmp_path / "empty"
    empty.mkdir()
    before = tree_state(tmp_path)
    result = netspec_process("export", spec, "--out", ".", cwd=empty)
    assert_refused(result, ". is the current folder (or holds it)", code=1)
    assert tree_state(tmp_path) == before


def test_export_refuses_a_link_to_a_folder_of_the_users(
    netspec_process, tmp_path, home, spec, project
):
    os.symlink(home / "docs", project / "out")
    before = tree_state(tmp_path)
    result = netspec_process("export", spec, "--out", "out", cwd=project)
    assert_refused(result, "out exists and is not a folder; netspec will not replace it", code=1)
    assert tree_state(tmp_path) == before


def test_letters_refuses_a_folder_of_the_users(netspec_process, tmp_path, home, project):
    before = tree_state(tmp_path)
    result = netspec_process("letters", home / "docs", "--per-class", "1", cwd=project)
    assert_refused(result, "holds files netspec did not write (thesis.tex)", "letters", code=1)
    assert tree_state(tmp_path) == before


@pytest.mark.slow
@pytest.mark.parametrize(
    "source, out",
    [("run", "run"), ("spec", "run"), ("run", "run/checkpoints"), ("run", "other-run")],
)
def test_export_refuses_a_run_directory(
    netspec_process, tmp_path, reference_run, spec, project, source, out
):
    copy_run(reference_run, project / "run")
    copy_run(reference_run, project / "other-run")
    before = tree_state(tmp_path)
    target = {"run": "run", "spec": spec}[source]
    result = netspec_process("export", target, "--out", out, cwd=project)
    assert_refused(
        result, f"{out} holds files netspec did not write", "not a netspec export folder", code=1
    )
    assert tree_state(tmp_path) == before


@pytest.mark.slow
def test_train_refuses_a_folder_of_the_users(netspec_process, tmp_path, home, spec, project):
    before = tree_state(tmp_path)
    result = netspec_process("train", spec, "--out", home, "--quiet", cwd=project)
    assert_refused(result, f"{home} already exists and is not an empty folder", code=2)
    assert tree_state(tmp_path) == before


@pytest.mark.slow
def test_evaluate_refuses_a_folder_of_the_users(
    netspec_process, tmp_path, reference_run, home, project
):
    copy_run(reference_run, project / "run")
    before = tree_state(tmp_path)
    result = netspec_process("evaluate", "run", "--out", home, cwd=project)
    assert_refused(
        result, f"{home} holds files netspec did not write", "not a netspec evaluation folder"
    )
    assert tree_state(tmp_path) == before
