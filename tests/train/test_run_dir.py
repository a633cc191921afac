"""What a completed run directory holds."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from tensorflow.core.util import event_pb2

import netspec
from netspec.spec import load
from tests.train import helpers

pytestmark = pytest.mark.slow
EPOCHS = helpers.TINY["train"]["epochs"]


def test_run_directory_files(reference_run):
    names = {
        p.relative_to(reference_run).as_posix()
        for p in reference_run.rglob("*")
        if p.is_file() and "tb/" not in p.as_posix()
    }
    assert names == {
        ".lock",
        "spec.yaml",
        "graph.svg",
        "manifest.json",
        "metrics.json",
        "history.csv",
        "curves.png",
        "checkpoints/last.npz",
        "checkpoints/final.npz",
    }


def test_manifest_records_what_ran(reference_run):
    manifest = helpers.manifest(reference_run)
    spec = load(reference_run / "spec.yaml")
    assert manifest["spec"]["name"] == "tiny" and manifest["spec"]["hash"] == spec.hash
    assert manifest["seed"] == 7
    assert manifest["status"] == "completed" and manifest["epochs_completed"] == EPOCHS
    assert manifest["started_at"] <= manifest["finished_at"]
    assert manifest["class_names"] == ["0", "1", "2"]
    assert manifest["data"]["source"] == "synthetic"
    assert manifest["data"]["sizes"] == {"train": 1600, "validation": 200, "test": 200}
    assert len(manifest["data"]["fingerprint"]) == 64
    versions = manifest["environment"]["versions"]
    assert versions["netspec"] == netspec.__version__ and versions["tensorflow"] == tf.__version__
    assert set(versions) == {"netspec", "tensorflow", "keras", "numpy", "python"}
    assert manifest["environment"]["devices"] == ["CPU:0"]
    assert manifest["environment"]["op_determinism"] is False
    assert manifest["environment"]["platform"]
    [session] = manifest["sessions"]
    assert session["command"] and session["started_at"] == manifest["started_at"]


def test_spec_yaml_is_the_resolved_spec(reference_run, tmp_path):
    original = load(helpers.tiny_spec(tmp_path))
    assert load(reference_run / "spec.yaml").doc == original.doc  # defaults filled in
    assert "keep_prob" not in (reference_run / "spec.yaml").read_text()  # as rate: 0.25


def test_history_has_a_row_per_epoch(reference_run):
    with open(reference_run / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == list(range(1, EPOCHS + 1))
    assert list(rows[0]) == [
        "epoch",
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
        "learning_rate",
        "seconds",
    ]
    rates = [float(r["learning_rate"]) for r in rows]
    assert rates == sorted(rates, reverse=True) and 0.001 < rates[-1] < rates[0] < 0.01


def test_metrics_hold_final_loss_and_accuracy_per_split(reference_run):
    metrics = json.loads((reference_run / "metrics.json").read_text())
    assert metrics["epochs_completed"] == EPOCHS
    for split, size in (("train", 1600), ("validation", 200), ("test", 200)):
        assert metrics[split]["examples"] == size
        assert 0 <= metrics[split]["loss"] < 1 and 0.9 <= metrics[split]["accuracy"] <= 1


def test_curves_png_is_a_valid_image(reference_run):
    with Image.open(reference_run / "curves.png") as image:
        image.verify()
        assert image.format == "PNG" and image.size == (1000, 400)


def test_checkpoints_are_keyed_by_stable_names(reference_run):
    with np.load(reference_run / "checkpoints" / "final.npz") as final:
        assert sorted(final.files) == sorted(helpers.PARAMS)
    with np.load(reference_run / "checkpoints" / "last.npz") as last:
        assert set(helpers.PARAMS) | {
            "dropout_1/seed_generator_state",
            "@meta",
            "@optimizer/iteration",
        } <= set(last.files)
        assert "@optimizer/fc1_kernel_momentum" in last.files
        assert int(last["@optimizer/iteration"]) == EPOCHS * 100


def test_tensorboard_logs_have_a_scalar_per_epoch(reference_run):
    for split, tags in (
        ("train", {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"}),
        ("validation", {"epoch_loss", "epoch_accuracy"}),
    ):
        [events] = (reference_run / "tb" / split).iterdir()
        steps = {}
        for record in tf.data.TFRecordDataset(str(events)):
            event = event_pb2.Event.FromString(record.numpy())
            for value in event.summary.value:
                assert value.metadata.plugin_data.plugin_name == "scalars"
                steps.setdefault(value.tag, []).append(event.step)
        assert set(steps) == tags
        assert all(s == list(range(1, EPOCHS + 1)) for s in steps.values())
