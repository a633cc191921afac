"""`netspec evaluate`: loss, accuracy, per-class accuracy, confusion matrix."""

from __future__ import annotations

import json
import shutil
import struct

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from netspec.cli.app import app
from netspec.data.sources.synthetic import generate
from netspec.errors import UsageError, UserError
from netspec.runs.directory import NOT_A_RUN_HINT
from netspec.train.evaluation import evaluate_run, from_logits

runner = CliRunner()


def test_from_logits_counts_and_cross_entropy():
    logits = np.array([[2.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    y = np.array([0, 1, 1, 0])
    result = from_logits(logits, y, ["a", "b", "c"])
    assert result.confusion.tolist() == [[2, 0, 0], [0, 1, 1], [0, 0, 0]]
    assert result.accuracy == 0.75 and result.count == 4
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert result.loss == pytest.approx(-np.log(probs[np.arange(4), y]).mean(), rel=1e-12)
    assert result.per_class() == [
        {"class": "a", "examples": 2, "correct": 2, "accuracy": 1.0},
        {"class": "b", "examples": 2, "correct": 1, "accuracy": 0.5},
        {"class": "c", "examples": 0, "correct": 0, "accuracy": None},
    ]


def test_from_logits_is_stable_for_huge_logits():
    result = from_logits(np.array([[1000.0, -1000.0]]), np.array([1]), ["a", "b"])
    assert result.loss == pytest.approx(2000.0)


@pytest.mark.slow
def test_evaluates_the_test_split_into_the_run_directory(reference_run, tmp_path):
    run = shutil.copytree(reference_run, tmp_path / "run")  # others read the reference as is
    report = evaluate_run(run)
    metrics = json.loads((run / "metrics.json").read_text())
    assert report["examples"] == 200
    assert report["accuracy"] == metrics["test"]["accuracy"]
    assert report["loss"] == pytest.approx(metrics["test"]["loss"], rel=1e-6)
    assert sum(row["examples"] for row in report["per_class"]) == 200
    assert np.array(report["confusion_matrix"]).sum() == 200
    assert json.loads((run / "evaluation-test.json").read_text()) == report
    with Image.open(run / "confusion-test.png") as image:
        image.verify()
        assert image.format == "PNG"


@pytest.mark.slow
def test_cli_json_on_another_source_with_its_own_test_files(reference_run, tmp_path):
    folder = tmp_path / "idx"
    folder.mkdir()
    x, y = generate((8, 8, 1), 3, 90)
    write_idx(folder / "train-images-idx3-ubyte", x[:60, :, :, 0])
    write_idx(folder / "train-labels-idx1-ubyte", y[:60].astype(np.uint8))
    write_idx(folder / "t10k-images-idx3-ubyte", x[60:, :, :, 0])
    write_idx(folder / "t10k-labels-idx1-ubyte", y[60:].astype(np.uint8))

    result = runner.invoke(
        app,
        [
            "evaluate",
            str(reference_run),
            "--data",
            "idx",
            "--path",
            str(folder),
            "--out",
            str(tmp_path / "out"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["examples"] == 30 and "t10k" in report["data"]
    assert report["warnings"] == []
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        ".netspec",
        "confusion-idx.png",
        "evaluation-idx.json",
    ]


@pytest.mark.slow
def test_cli_text_report(reference_run, tmp_path):
    result = runner.invoke(
        app, ["evaluate", str(reference_run), "--split", "validation", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert f"{reference_run} on its validation split (200 examples)" in result.stdout
    assert f"confusion matrix: {tmp_path / 'confusion-validation.png'}" in result.stdout


def test_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(UsageError, match="is not a run directory"):
        evaluate_run(tmp_path)


def test_a_run_that_did_not_complete(tmp_path):
    (tmp_path / "manifest.json").write_text(
        json.dumps({"spec": {"name": "x"}, "status": "interrupted"})
    )
    with pytest.raises(UserError, match="has no trained weights yet") as err:
        evaluate_run(tmp_path)
    assert err.value.hint == f"finish it: netspec train --resume {tmp_path}"


def test_cli_errors_are_one_line(netspec_process, tmp_path):
    result = netspec_process("evaluate", tmp_path / "missing")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'missing'}: no such run directory",
        f"  hint: {NOT_A_RUN_HINT}",
    ]


def write_idx(path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())
