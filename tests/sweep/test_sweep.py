"""`netspec sweep` end to end: real trial processes, a real SIGKILL, a real failing trial.

One 6-trial sweep (`reference`, 2 trials at a time) serves as the uninterrupted sweep the
others are compared with: with the seeded random sampler, trial n's parameters follow from
(seed, n) alone and each trial trains bit for bit the same, so any sweep of the same spec must
end with the same trials.csv (less the seconds).
"""

from __future__ import annotations

import json
import signal
import time

import numpy as np
import pytest
import yaml

from tests.helpers import write_spec
from tests.sweep import helpers

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("reference")
    spec = helpers.sweep_spec(cwd)
    started = time.monotonic()
    child = helpers.start_sweep(spec, cwd=cwd)
    stdout, stderr = child.communicate(timeout=600)
    assert child.returncode == 0, stderr
    folder = helpers.only_sweep(cwd)
    return {"folder": folder, "stdout": stdout, "seconds": time.monotonic() - started}


def test_every_trial_is_a_run_and_the_best_is_the_studys(reference, netspec_process, tmp_path):
    folder = reference["folder"]
    rows = helpers.trials(folder)
    assert [row["number"] for row in rows] == [str(n) for n in range(6)]
    assert {row["state"] for row in rows} == {"complete"}
    for row in rows:
        run = folder / row["run"]
        assert helpers.manifest(run)["status"] == "completed"
        doc = yaml.safe_load((run / "spec.yaml").read_text())
        assert doc["sweep"] is None  # a trial is an ordinary run of the spec
        assert doc["layers"][1]["units"] == int(row["layers.hidden.units"])
        assert doc["train"]["learning_rate"]["value"] == float(row["train.learning_rate"])
        metrics = json.loads((run / "metrics.json").read_text())
        assert float(row["val_accuracy"]) == metrics["validation"]["accuracy"]

    study = helpers.study(folder)
    best = max(rows, key=lambda row: float(row["val_accuracy"]))
    assert study.best_trial.number == int(best["number"])
    assert study.best_value == float(best["val_accuracy"])
    assert f"best: trial {best['number']}, val_accuracy" in reference["stdout"]
    assert (folder / "report.png").read_bytes().startswith(b"\x89PNG")

    best_yaml = folder / "best.yaml"
    assert "sweep" not in yaml.safe_load(best_yaml.read_text())
    assert netspec_process("validate", best_yaml).returncode == 0
    result = netspec_process("train", best_yaml, "--out", tmp_path / "again", "--quiet")
    assert result.returncode == 0, result.stderr
    again = json.loads((tmp_path / "again" / "metrics.json").read_text())
    assert again["validation"]["accuracy"] == study.best_value  # the same run, bit for bit


def test_parallel_trials_overlap_and_the_study_is_consistent(reference):
    folder = reference["folder"]
    study = helpers.study(folder)
    trials = study.get_trials()
    assert [t.number for t in trials] == list(range(6))
    assert all(t.state.name == "COMPLETE" for t in trials)
    first, second = trials[0], trials[1]
    assert second.datetime_start < first.datetime_complete  # both ran at once
    assert first.datetime_start < second.datetime_complete
    runs = [helpers.manifest(folder / f"trial-00{n}") for n in (0, 1)]  # trained at once
    assert runs[1]["started_at"] <= runs[0]["finished_at"]
    assert runs[0]["started_at"] <= runs[1]["finished_at"]
    for trial, row in zip(trials, helpers.trials(folder)):
        assert trial.params == {
            "train.learning_rate": float(row["train.learning_rate"]),
            "layers.hidden.units": int(row["layers.hidden.units"]),
        }
        history = (folder / row["run"] / "history.csv").read_text().splitlines()
        val_accuracy = float(history[1].split(",")[history[0].split(",").index("val_accuracy")])
        assert trial.intermediate_values == {1: val_accuracy}  # reported per epoch


def test_kill_9_mid_trial_then_resume_ends_as_an_uninterrupted_sweep(
    reference, tmp_path, netspec_process
):
    spec = helpers.sweep_spec(tmp_path)
    child = helpers.start_sweep(spec, cwd=tmp_path)
    for line in child.stdout:
        if line.startswith("trial 2 started"):
            break
    else:
        pytest.fail(f"no third trial: {child.stderr.read()}")
    folder = helpers.only_sweep(tmp_path)
    deadline = time.monotonic() + 60
    while not (folder / "trial-002" / "manifest.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()

    deadline = time.monotonic() + 10  # the trials die with the sweep (PR_SET_PDEATHSIG)
    while helpers.processes_mentioning(str(folder)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert helpers.processes_mentioning(str(folder)) == []
    states = [t.state.name for t in helpers.study(folder).get_trials()]
    assert "RUNNING" in states

    result = netspec_process("sweep", "--resume", folder, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "trial 2 resumed" in result.stdout
    assert helpers.trials(folder) == helpers.trials(reference["folder"])
    assert [t.state.name for t in helpers.study(folder).get_trials()] == ["COMPLETE"] * 6
    assert helpers.processes_mentioning(str(folder)) == []


def test_a_failing_trial_is_recorded_with_its_reason_and_the_sweep_goes_on(
    tmp_path, netspec_process
):
    rng = np.random.default_rng(0)  # 3 classes: a statically unknown count (npz)
    y = np.arange(300) % 3
    x = (rng.random((300, 8, 8, 1)) * 40 + y[:, None, None, None] * 70).astype(np.uint8)
    np.savez(tmp_path / "three.npz", x=x, y=y)
    doc = {
        **helpers.SPEC,
        "input": {"shape": [8, 8, 1]},
        "data": {
            "source": "npz",
            "path": "three.npz",
            "split": {"train": 0.6, "validation": 0.2, "test": 0.2},
        },
        "sweep": {
            "metric": "val_loss",
            "sampler": "grid",
            "parallel": 2,
            "parameters": {"layers.logits.units": {"type": "choice", "values": [3, 2]}},
        },
    }
    spec = write_spec(tmp_path, doc, "tiny")
    assert netspec_process("validate", spec).returncode == 0
    result = netspec_process("sweep", spec, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = helpers.only_sweep(tmp_path)
    rows = {row["layers.logits.units"]: row for row in helpers.trials(folder)}
    assert rows["3"]["state"] == "complete" and rows["3"]["error"] == ""
    failed = rows["2"]
    assert failed["state"] == "failed" and failed["val_loss"] == ""
    assert "the data has 3 classes" in failed["error"] and "gives 2 outputs" in failed["error"]
    assert "\n" not in failed["error"]
    log = folder / "logs" / f"trial-{int(failed['number']):03d}.log"
    assert failed["error"] in log.read_text()
    assert f"trial {failed['number']} failed: the data has 3 classes" in result.stdout


def test_ctrl_c_stops_the_trials_and_says_how_to_resume(tmp_path):
    spec = helpers.sweep_spec(tmp_path, sweep={**helpers.SPEC["sweep"], "parallel": 1})
    child = helpers.start_sweep(spec, cwd=tmp_path)
    for line in child.stdout:
        if line.startswith("trial 0 started"):
            break
    folder = helpers.only_sweep(tmp_path)
    deadline = time.monotonic() + 60
    while not (folder / "trial-000" / "manifest.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 130, stderr
    assert f"resume with: netspec sweep --resume {folder.relative_to(tmp_path)}" in stderr
    assert "Traceback" not in stderr
    run = folder / "trial-000"
    assert helpers.manifest(run)["status"] in ("interrupted", "completed")
    assert helpers.processes_mentioning(str(folder)) == []
    assert [t.state.name for t in helpers.study(folder).get_trials()][:1] in (
        ["RUNNING"],
        ["COMPLETE"],
    )
