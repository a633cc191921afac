"""Python tags in any YAML netspec reads are reported, never constructed.

`!!python/object/apply:os.system [...]` runs a shell command when constructed, and
`!!python/name:module.attr` imports a module (here `touch_on_import.py` in the working
folder, which `python -m netspec` puts on sys.path). Both would touch a marker file; the
control test proves they do under an unsafe loader. Every place a spec comes from is tried:
the spec file (validate, summary, train, export), a base reached through `extends:`, a `--set`
value, and a run's spec.yaml (train --resume, evaluate, export, summary).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import tree_state, write_spec
from tests.security.helpers import assert_refused, copy_run

VALID = {
    "name": "tagged",
    "input": {"shape": [8, 8, 1]},
    "layers": [{"type": "flatten"}, {"type": "dense", "name": "logits", "units": 3}],
    "train": {"epochs": 1},
    "data": {"source": "synthetic", "classes": 3, "examples": 60},
}
TAGS = {
    "object/apply": ('!!python/object/apply:os.system ["touch {marker}"]', "python/object/apply"),
    "name": ("!!python/name:touch_on_import.anything", "python/name:touch_on_import"),
}
REFUSED = "is not allowed: specs are plain data"
HINT = "hint: remove the tag; specs never construct Python objects"


@pytest.fixture
def project(tmp_path) -> Path:
    """The working folder, holding a module that touches the marker when imported."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "touch_on_import.py").write_text(
        f"import pathlib\npathlib.Path({str(marker_of(tmp_path))!r}).touch()\nanything = 1\n"
    )
    return folder


def marker_of(tmp_path: Path) -> Path:
    return tmp_path / "TAG-RAN"


def tagged(tag: str, tmp_path: Path) -> str:
    """The YAML text of a tagged value that would touch the marker."""
    return TAGS[tag][0].format(marker=marker_of(tmp_path))


def spec_text(description: str) -> str:
    return yaml.safe_dump(VALID, sort_keys=False) + f"description: {description}\n"


def assert_tag_refused(result, tmp_path: Path, tag: str, *where: str) -> None:
    first = assert_refused(result, f"tag 'tag:yaml.org,2002:{TAGS[tag][1]}", REFUSED, *where)
    assert HINT in result.stderr, result.stderr
    assert "description" in first or first.startswith("--set")
    assert not marker_of(tmp_path).exists()


@pytest.mark.parametrize("tag", TAGS)
def test_the_tags_run_code_under_an_unsafe_loader(tmp_path, project, tag):
    """The control: PyYAML's unsafe loader does run them."""
    spec = write_spec(project, spec_text(tagged(tag, tmp_path)), "spec")
    code = "import sys, yaml; yaml.unsafe_load(open(sys.argv[1]))"
    subprocess.run([sys.executable, "-c", code, spec], cwd=project, check=True)
    assert marker_of(tmp_path).exists()


@pytest.mark.parametrize("command", ["validate", "summary", "train", "export"])
@pytest.mark.parametrize("tag", TAGS)
def test_tags_in_the_spec_file(netspec_process, tmp_path, project, tag, command):
    spec = write_spec(project, spec_text(tagged(tag, tmp_path)), "spec")
    before = tree_state(tmp_path)
    result = netspec_process(command, spec, cwd=project)
    assert_tag_refused(result, tmp_path, tag, f"{spec}:")
    assert tree_state(tmp_path) == before  # no runs/, no export/


@pytest.mark.parametrize("command", ["validate", "train"])
@pytest.mark.parametrize("tag", TAGS)
def test_tags_in_a_base_spec(netspec_process, tmp_path, project, tag, command):
    base = write_spec(project, spec_text(tagged(tag, tmp_path)), "base")
    child = write_spec(project, "extends: base.yaml\ntrain: {epochs: 2}\n", "child")
    before = tree_state(tmp_path)
    result = netspec_process(command, child, cwd=project)
    assert_tag_refused(result, tmp_path, tag, f"{base}:")
    assert tree_state(tmp_path) == before


@pytest.mark.parametrize("command", ["validate", "summary", "train"])
@pytest.mark.parametrize("tag", TAGS)
def test_tags_in_a_set_value(netspec_process, tmp_path, project, tag, command):
    spec = write_spec(project, VALID, "spec")
    setting = f"description={tagged(tag, tmp_path)}"
    before = tree_state(tmp_path)
    result = netspec_process(command, spec, "--set", setting, cwd=project)
    assert_tag_refused(result, tmp_path, tag, f"--set {setting}:")
    assert tree_state(tmp_path) == before


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [("train", "--resume"), ("evaluate",), ("export",), ("summary",)],
    ids=lambda command: " ".join(command),
)
@pytest.mark.parametrize("tag", TAGS)
def test_tags_in_a_runs_spec_yaml(netspec_process, tmp_path, project, reference_run, tag, command):
    status = "interrupted" if command[0] == "train" else "completed"
    run = copy_run(reference_run, tmp_path / "run", status=status)
    spec = run / "spec.yaml"
    text, edits = re.subn(
        r"^description: .*$", f"description: {tagged(tag, tmp_path)}", spec.read_text(), flags=re.M
    )
    assert edits == 1
    spec.write_text(text)
    before = tree_state(tmp_path)
    result = netspec_process(*command, run, cwd=project)
    assert_tag_refused(result, tmp_path, tag, f"{spec}:")
    assert tree_state(tmp_path) == before  # manifest, checkpoints: as they were; no export/
