"""Runs made by earlier netspec versions keep working: tests/fixtures/run_v1 is a run that
netspec 0.1.0 made (format 1: before the spec had a version) and stopped after epoch 2 of 3,
with the weights the same run reached uninterrupted. It must still resume, evaluate, export
and initialise a new run by name, after this change and every later one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from netspec.errors import UserError
from netspec.runs import open_run
from netspec.spec import load, load_resolved
from netspec.spec.loader import document_hash
from netspec.spec.migrate import FORMAT
from tests.cli.helpers import run_main
from tests.helpers import write_spec

FIXTURE = Path(__file__).parents[1] / "fixtures" / "run_v1"


def fixture_spec() -> dict:
    """The fixture's spec in today's language (it set two fields that were removed)."""
    doc = yaml.safe_load((FIXTURE / "fixture.yaml").read_text())
    del doc["data"]["shuffle_buffer"], doc["data"]["cache"]
    return doc


@pytest.fixture
def old_run(tmp_path) -> Path:
    run = tmp_path / "old_run"
    shutil.copytree(FIXTURE / "run", run)
    return run


def test_the_fixture_is_a_format_1_run():
    text = (FIXTURE / "run" / "spec.yaml").read_text()
    assert "format" not in yaml.safe_load(text)
    assert "shuffle_buffer" in text  # a field that no longer exists


def test_an_old_spec_is_migrated_and_keeps_the_hash_it_was_made_with(old_run):
    run = open_run(old_run)
    spec = run.spec()
    assert spec.hash == run.manifest()["spec"]["hash"]
    assert spec.hash == document_hash(yaml.safe_load(run.spec_file.read_text()))
    assert spec.doc["format"] == FORMAT
    assert spec.data["cache"] == "memory"  # what netspec 0.1 did
    assert "shuffle_buffer" not in spec.data and "per_class" not in spec.data


def test_an_edited_old_spec_is_still_caught(old_run):
    spec_file = old_run / "spec.yaml"
    spec_file.write_text(spec_file.read_text().replace("epochs: 3", "epochs: 4"))
    assert open_run(old_run).spec().hash != open_run(old_run).manifest()["spec"]["hash"]


def test_a_spec_from_a_newer_netspec_is_refused(tmp_path):
    doc = yaml.safe_load((FIXTURE / "run" / "spec.yaml").read_text())
    with pytest.raises(UserError, match="newer netspec"):
        load_resolved({**doc, "format": FORMAT + 1}, tmp_path / "netspec.json")


def test_a_new_runs_spec_reloads_to_itself(tmp_path):
    spec = load(write_spec(tmp_path, fixture_spec(), "again"))
    written = tmp_path / "spec.yaml"
    written.write_text(yaml.safe_dump(spec.doc, sort_keys=False))
    assert load(written, resolved=True).hash == spec.hash == document_hash(spec.doc)


@pytest.mark.slow
def test_an_old_run_resumes_evaluates_exports_and_initialises_a_new_one(
    old_run, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    resumed = run_main(monkeypatch, capsys, "train", "--resume", old_run, "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    manifest = json.loads((old_run / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["epochs_completed"] == 3
    with (
        np.load(old_run / "checkpoints" / "final.npz") as final,
        np.load(FIXTURE / "uninterrupted_final.npz") as expected,
    ):
        assert sorted(final.files) == sorted(expected.files)
        for key in expected.files:  # bit for bit: the same batches, the same arithmetic
            np.testing.assert_array_equal(final[key], expected[key], err_msg=key)

    evaluated = run_main(monkeypatch, capsys, "evaluate", old_run, "--format", "json")
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    assert report["examples"] == 200 and report["accuracy"] > 0.5
    assert report["warnings"] == []  # the data fingerprint still matches

    exported = run_main(monkeypatch, capsys, "export", old_run, "--out", tmp_path / "export")
    assert exported.returncode == 0, exported.stderr
    names = json.loads((tmp_path / "export" / "names.json").read_text())
    assert "conv1/kernel" in json.dumps(names)

    new_spec = write_spec(
        tmp_path,
        fixture_spec(),
        "finetuned",
        train={"epochs": 1, "batch_size": 64, "seed": 9},
        init_from={"run": str(old_run), "layers": ["conv1", "bn1"], "freeze": True},
    )
    finetuned = run_main(monkeypatch, capsys, "train", new_spec, "--quiet")
    assert finetuned.returncode == 0, finetuned.stderr
    new_run = Path(finetuned.stdout.strip().splitlines()[-1])
    new_manifest = json.loads((new_run / "manifest.json").read_text())
    assert new_manifest["init_from"]["spec_hash"] == manifest["spec"]["hash"]
    with (
        np.load(new_run / "checkpoints" / "final.npz") as weights,
        np.load(old_run / "checkpoints" / "final.npz") as loaded,
    ):
        np.testing.assert_array_equal(weights["conv1/kernel"], loaded["conv1/kernel"])
