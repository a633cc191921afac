"""Reading runs back without TensorFlow (netspec.runs.listing, `netspec runs`), sweep trials
kept away from "the latest run", and the spec differences `netspec compare` shows (from
netspec.spec.diff, of each run against the first). The runs
here are written by hand (manifests, metrics, history); tests/cli/test_runs_compare.py uses
trained ones."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from netspec import runs
from netspec.cli.app import app
from netspec.errors import UserError
from netspec.runs import Run
from netspec.runs.listing import ABSENT, Change, list_runs, spec_changes
from tests.cli.helpers import run_main
from tests.helpers import assert_error, load_spec
from tests.train.helpers import TINY

runner = CliRunner()
HISTORY = "epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds\n"


def make_run(path, status="completed", hour=10, epochs=2, history=True, **fields):
    """A run directory as training leaves it: manifest, metrics (if completed), history."""
    path.mkdir(parents=True)
    manifest = {
        "spec": {
            "name": path.parts[-2] if "sweeps" not in path.parts else "cnn",
            "hash": "ab" * 32,
        },
        "status": status,
        "epochs": epochs,
        "epochs_completed": epochs if status == "completed" else 1,
        "started_at": f"2025-01-01T{hour:02d}:00:00+00:00",
        **fields,
    }
    (path / "manifest.json").write_text(json.dumps(manifest))
    if status == "completed":
        splits = {"train": (0.5, 0.9), "validation": (0.6, 0.8), "test": (0.7, 0.75)}
        (path / "metrics.json").write_text(
            json.dumps({s: {"loss": lo, "accuracy": ac} for s, (lo, ac) in splits.items()})
        )
    if history:
        (path / "history.csv").write_text(
            HISTORY + "1,1.0,0.5,1.1,0.6,0.01,1.5\n2,0.5,0.9,0.9,0.7,0.01,2.0\n"
        )
    return path


@pytest.fixture
def tree(tmp_path):
    """Two runs of cnn, one of mlp, and a newer sweep of cnn (two trials)."""
    root = tmp_path / "runs"
    make_run(root / "cnn" / "20250101-080000", hour=8)
    make_run(root / "mlp" / "20250101-090000", status="interrupted", hour=9)
    make_run(root / "cnn" / "20250101-100000", status="interrupted", hour=10)
    sweep = root / "cnn" / "sweeps" / "s1"
    make_run(sweep / "trial-000", hour=11)
    make_run(sweep / "trial-001", status="interrupted", hour=12)
    return root


def test_the_latest_run_and_resume_never_pick_a_sweep_trial(tree):
    assert runs.latest_run(tree).path == tree / "cnn" / "20250101-080000"
    assert runs.latest_unfinished_run("cnn", tree).path == tree / "cnn" / "20250101-100000"
    assert [r.path.name for r in runs.find_runs(tree)] == [
        "20250101-080000",
        "20250101-090000",
        "20250101-100000",
    ]
    every = [r.path.name for r in runs.find_runs(tree, trials=True)]
    assert every[-2:] == ["trial-000", "trial-001"]
    # asked for the sweep itself, its trials are what there is
    assert runs.latest_run(tree / "cnn" / "sweeps" / "s1").path.name == "trial-000"
    assert len(runs.find_runs(tree / "cnn" / "sweeps")) == 2


def test_a_spec_named_sweeps_is_not_a_sweep(tmp_path):
    run = make_run(tmp_path / "sweeps" / "20250101-100000")
    assert runs.latest_run(tmp_path).path == run
    assert list_runs(tmp_path)[0]["sweep"] is None


def test_runs_are_listed_newest_first_with_trials_only_when_asked(tree):
    rows = list_runs(tree)
    assert [row["path"] for row in rows] == [
        str(tree / "cnn" / "20250101-100000"),
        str(tree / "mlp" / "20250101-090000"),
        str(tree / "cnn" / "20250101-080000"),
    ]
    oldest = rows[-1]
    assert oldest["name"] == "cnn" and oldest["id"] == "20250101-080000"
    assert oldest["status"] == "completed" and oldest["sweep"] is None
    assert (oldest["epochs_completed"], oldest["epochs"]) == (2, 2)
    assert oldest["final"]["test"] == {"loss": 0.7, "accuracy": 0.75}
    assert oldest["best_val_accuracy"] == {"value": 0.7, "epoch": 2}
    assert oldest["best_val_loss"] == {"value": 0.9, "epoch": 2}
    assert oldest["seconds"] == 3.5 and oldest["spec_hash"] == "ab" * 32
    assert rows[0]["final"]["test"] is None  # interrupted: no metrics.json
    every = list_runs(tree, trials=True)
    assert [row["id"] for row in every[:2]] == ["trial-001", "trial-000"]
    assert {row["sweep"] for row in every[:2]} == {"s1"}


def test_a_damaged_run_is_a_row_not_an_error(tmp_path):
    make_run(tmp_path / "cnn" / "good")
    (tmp_path / "cnn" / "broken").mkdir()
    (tmp_path / "cnn" / "broken" / "manifest.json").write_text("{not json")
    (tmp_path / "cnn" / "odd").mkdir()
    (tmp_path / "cnn" / "odd" / "manifest.json").write_text('["a list"]')
    weird = make_run(tmp_path / "cnn" / "weird", epochs="many", started_at=5, status=None)
    (weird / "metrics.json").write_text("{half")
    (weird / "history.csv").write_text(HISTORY + "1,0.5,0.9,0.4,0.8,0.01,1.0\nbad,row\n")
    rows = {row["id"]: row for row in list_runs(tmp_path)}
    assert rows["broken"]["status"].startswith("unreadable: manifest.json: unreadable manifest")
    assert "\n" not in rows["broken"]["status"]
    assert rows["odd"]["status"] == "unreadable: manifest.json: not a netspec manifest"
    assert rows["good"]["status"] == "completed"
    odd = rows["weird"]
    assert odd["status"] == "unknown" and odd["epochs"] is None and odd["started_at"] is None
    assert odd["best_val_accuracy"] == {"value": 0.8, "epoch": 1}  # the rows before the damage
    assert [p.split(":")[0] for p in odd["problems"]] == ["metrics.json", "history.csv"]
    result = runner.invoke(app, ["runs", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "unreadable: manifest.json: not a netspec manifest" in result.output
    assert f"note: {odd['path']}: metrics.json:" in result.output
    result = runner.invoke(app, ["runs", "--format", "json", str(tmp_path)])
    assert result.exit_code == 0 and len(json.loads(result.output)["runs"]) == 4


def test_a_running_run_without_its_process_is_killed(tmp_path):
    run = Run(make_run(tmp_path / "cnn" / "a", status="running"))
    assert list_runs(tmp_path)[0]["status"] == "killed"
    with run.lock():
        assert list_runs(tmp_path)[0]["status"] == "running"


def test_runs_command_text_hides_trials_and_says_so(tree):
    result = runner.invoke(app, ["runs", str(tree)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["NAME", "RUN", "EPOCHS"] and "SWEEP" not in lines[0]
    assert [line.split()[1] for line in lines[1:4]] == [
        str(tree / "cnn" / "20250101-100000"),
        str(tree / "mlp" / "20250101-090000"),
        str(tree / "cnn" / "20250101-080000"),
    ]
    assert lines[3].split()[2:] == [
        "2/2",
        "0.7000",
        "(e2)",
        "0.7500",
        "0.7000",
        "3.5s",
        "abababab",
        "completed",
    ]
    assert lines[-1] == "(2 sweep trials not shown: --all shows them)"
    result = runner.invoke(app, ["runs", "--all", str(tree)])
    assert "SWEEP" in result.output.splitlines()[0] and "trial-001" in result.output
    assert "not shown" not in result.output


def test_runs_command_usage(tmp_path, monkeypatch, capsys):
    result = run_main(monkeypatch, capsys, "runs", tmp_path / "missing")
    assert_error(result, "missing: no such folder", code=2)
    monkeypatch.chdir(tmp_path)  # no runs/ here: nothing to list, not an error
    result = runner.invoke(app, ["runs"])
    assert result.exit_code == 0 and "no runs under runs" in result.output
    result = runner.invoke(app, ["runs", "--format", "json"])
    assert json.loads(result.output) == {"root": "runs", "runs": []}


NO_TF = """
import sys
from typer.testing import CliRunner
from netspec.cli.app import app

for args in (["runs", sys.argv[1]], ["runs", "--all", "--format", "json", sys.argv[1]]):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
print(sorted(name for name in ("tensorflow", "keras", "matplotlib") if name in sys.modules))
"""


def test_listing_runs_never_imports_tensorflow(tree):
    done = subprocess.run(
        [sys.executable, "-c", NO_TF, str(tree)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def with_layers(folder, name, *changes, **sections):
    """TINY (tests/train/helpers.py) loaded, after `changes`: (index, layer) inserts a layer,
    (name, fields) changes one, (name, None) removes one."""
    layers = [dict(layer) for layer in TINY["layers"]]
    for where, what in changes:
        if isinstance(where, int):
            layers.insert(where, what)
            continue
        at = next(i for i, layer in enumerate(layers) if layer.get("name") == where)
        if what is None:
            del layers[at]
        else:
            layers[at].update(what)
    return load_spec(folder, TINY, name, layers=layers, **sections)


FC2 = {"type": "dense", "name": "fc2", "units": 16, "activation": "relu"}


def test_spec_changes_are_key_paths_with_layers_by_name(tmp_path):
    a = with_layers(tmp_path, "a", train={"epochs": 1})
    b = with_layers(tmp_path, "b", ("fc1", {"units": 32}), (4, FC2), train={"epochs": 2})
    assert [c.render() for c in spec_changes([a, b])] == [
        "layers.fc2: (absent) → dense",
        "layers.fc1.units: 16 → 32",
        'layers.dropout_1.inputs: ["fc1"] → ["fc2"]',
        "train.epochs: 1 → 2",
    ]
    assert spec_changes([a, with_layers(tmp_path, "same", train={"epochs": 1})]) == []


def test_spec_changes_of_three_runs_each_against_the_first(tmp_path):
    first = with_layers(tmp_path, "a", (4, FC2))
    narrower = with_layers(tmp_path, "b", (4, {**FC2, "units": 8}))
    without = with_layers(tmp_path, "c", train={"seed": 9})
    changes = {c.path: c.values for c in spec_changes([first, narrower, without])}
    assert changes == {
        "layers.fc2": ("dense", "dense", ABSENT),
        "layers.fc2.units": (16, 8, ABSENT),
        "layers.dropout_1.inputs": (["fc2"], ["fc2"], ["fc1"]),
        "train.seed": (7, 7, 9),
        "data.seed": (7, 7, 9),
    }
    assert Change("train.seed", (7, 7, 9)).render() == "train.seed: 7 → 7 → 9"


def test_latest_run_error_is_unchanged_when_only_trials_completed(tmp_path):
    make_run(tmp_path / "cnn" / "sweeps" / "s1" / "trial-000")
    with pytest.raises(UserError, match="no completed run under"):
        runs.latest_run(tmp_path)
