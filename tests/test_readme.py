"""README.md is a contract: its commands are the ones CI and users run."""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def shell_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [
        line.strip()
        for block in re.findall(r"```sh\n(.*?)```", text, re.S)
        for line in block.splitlines()
        if line.strip()
    ]


def test_ci_runs_exactly_the_readme_test_command():
    test_command = next(line for line in shell_blocks() if "pytest" in line)
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_the_readme_setup_command_installs_the_test_extras_it_relies_on():
    setup = shell_blocks()[0]
    assert "pip install -e '.[test]'" in setup and "netspec train specs/cnn.yaml" in setup


@pytest.fixture
def project(tmp_path):
    """A working folder laid out like the repository: specs/ beside the commands' cwd."""
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    return tmp_path


@pytest.mark.slow
def test_main_job_then_export_evaluate_summary_predict(netspec_process, project):
    trained = netspec_process("train", "specs/cnn.yaml", "--set", "train.epochs=1", cwd=project)
    assert trained.returncode == 0, trained.stderr
    assert "test accuracy" in trained.stdout
    run = next((project / "runs" / "cnn").iterdir())
    assert {
        "spec.yaml",
        "manifest.json",
        "metrics.json",
        "history.csv",
        "curves.png",
        "checkpoints",
    } <= {p.name for p in run.iterdir()}

    exported = netspec_process("export", "--onnx", cwd=project)
    assert exported.returncode == 0, exported.stderr
    assert "verification passed" in exported.stdout
    onnx_file = run / "export" / "model.onnx"
    names = json.loads((run / "export" / "names.json").read_text())
    assert "conv1/kernel" in {p["name"] for p in names["parameters"]}

    evaluated = netspec_process("evaluate", run, "--format", "json", cwd=project)
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["examples"] == 1000

    summary = netspec_process("summary", run, cwd=project)
    assert summary.returncode == 0 and "244,076" in summary.stdout

    batch = project / "batch.npz"
    np.savez(batch, x=np.zeros((2, 28, 28, 1), np.float32))
    predicted = netspec_process("predict", onnx_file, batch, "--format", "json", cwd=project)
    assert predicted.returncode == 0, predicted.stderr
    assert len(json.loads(predicted.stdout)) == 2


@pytest.mark.slow
def test_notmnist_offline_recipe(netspec_process, project):
    made = netspec_process("letters", "notmnist_letters", "--per-class", "40", cwd=project)
    assert made.returncode == 0, made.stderr
    trained = netspec_process(
        "train", "specs/notmnist.yaml", "--set", "train.epochs=1", "--quiet", cwd=project
    )
    assert trained.returncode == 0, trained.stderr
    manifest = json.loads(
        (Path(project / trained.stdout.strip().splitlines()[-1]) / "manifest.json").read_text()
    )
    assert manifest["class_names"] == list("ABCDEFGHIJ")
