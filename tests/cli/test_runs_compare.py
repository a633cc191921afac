"""`netspec runs` and `netspec compare` on runs trained here: two tiny runs that differ in
epochs and in a layer's width."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from netspec import runs
from netspec.spec import load
from netspec.train import train
from netspec.train.figures import COMPARE_SIGNATURE
from tests.cli.helpers import run_main
from tests.helpers import assert_error
from tests.train.helpers import tiny_spec

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SMALL = {"examples": 400, "split": {"train": 320, "validation": 40, "test": 40}}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """runs/tiny/a (1 epoch) and, started after it, runs/tiny/b (2 epochs, fc1 of 32 units)."""
    folder = tmp_path_factory.mktemp("compare")
    spec = tiny_spec(folder, train={"epochs": 1}, data=SMALL)
    root = folder / "runs"
    first = train(load(spec), out=root / "tiny" / "a", quiet=True)
    wider = load(spec, ["train.epochs=2", "layers.fc1.units=32"])
    second = train(wider, out=root / "tiny" / "b", quiet=True)
    return root, first, second


def manifest(run):
    return json.loads((run / "manifest.json").read_text())


@pytest.mark.slow
def test_runs_lists_trained_runs_newest_first(two_runs, monkeypatch, capsys):
    root, first, second = two_runs
    result = run_main(monkeypatch, capsys, "runs", "--format", "json", root)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["runs"]
    assert [row["path"] for row in rows] == [str(second), str(first)]
    for row, run, epochs in zip(rows, (second, first), (2, 1)):
        metrics = json.loads((run / "metrics.json").read_text())
        assert (row["name"], row["id"], row["sweep"]) == ("tiny", run.name, None)
        assert (row["status"], row["epochs_completed"], row["epochs"]) == (
            "completed",
            epochs,
            epochs,
        )
        assert row["spec_hash"] == manifest(run)["spec"]["hash"]
        for split in ("train", "validation", "test"):
            assert row["final"][split] == {
                key: pytest.approx(metrics[split][key]) for key in ("loss", "accuracy")
            }
        assert 1 <= row["best_val_accuracy"]["epoch"] <= epochs and row["seconds"] > 0
        assert row["problems"] == []
    assert rows[0]["spec_hash"] != rows[1]["spec_hash"]
    text = run_main(monkeypatch, capsys, "runs", root).stdout.splitlines()
    assert [line.split()[:4] for line in text[1:]] == [
        ["tiny", str(second), "2/2", f"{rows[0]['best_val_accuracy']['value']:.4f}"],
        ["tiny", str(first), "1/1", f"{rows[1]['best_val_accuracy']['value']:.4f}"],
    ]


@pytest.mark.slow
def test_trials_are_hidden_unless_asked_and_a_damaged_run_is_a_row(
    two_runs, tmp_path, monkeypatch, capsys
):
    root = shutil.copytree(two_runs[0], tmp_path / "runs")
    first, second = root / "tiny" / "a", root / "tiny" / "b"
    trial = shutil.copytree(first, root / "tiny" / "sweeps" / "s1" / "trial-000")
    started = manifest(trial)
    started["started_at"] = "2999-01-01T00:00:00+00:00"  # the newest run there is
    (trial / "manifest.json").write_text(json.dumps(started))
    assert runs.latest_run(root).path == second
    listed = json.loads(run_main(monkeypatch, capsys, "runs", "--format", "json", root).stdout)
    assert [row["path"] for row in listed["runs"]] == [str(second), str(first)]
    every = run_main(monkeypatch, capsys, "runs", "--all", "--format", "json", root).stdout
    rows = json.loads(every)["runs"]
    assert [(row["path"], row["sweep"]) for row in rows] == [
        (str(trial), "s1"),
        (str(second), None),
        (str(first), None),
    ]
    (second / "manifest.json").write_text('{"spec": ')
    result = run_main(monkeypatch, capsys, "runs", root)
    assert result.returncode == 0 and result.stderr == ""
    broken = next(line for line in result.stdout.splitlines() if str(second) in line)
    assert "unreadable: manifest.json: unreadable manifest (" in broken
    assert runs.latest_run(root).path == first


@pytest.mark.slow
def test_compare_shows_metrics_spec_changes_and_draws_curves(
    two_runs, tmp_path, monkeypatch, capsys
):
    _, first, second = two_runs
    out = tmp_path / "both.png"
    result = run_main(monkeypatch, capsys, "compare", first, second, "-o", out)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"[1] {first}  (tiny, completed)")
    assert lines[1].startswith(f"[2] {second}  (tiny, completed)")
    table = {line[:20].strip(): line[20:].split() for line in lines[3:14]}
    assert table["epochs"] == ["1/1", "2/2"]
    for split in ("train", "validation", "test"):
        for key in ("loss", "accuracy"):
            assert table[f"{split} {key}"] == [
                f"{json.loads((run / 'metrics.json').read_text())[split][key]:.4f}"
                for run in (first, second)
            ]
    changes = lines[lines.index("spec differences ([1] → [2]):") + 1 :]
    assert "  layers.fc1.units: 16 → 32" in changes and "  train.epochs: 1 → 2" in changes
    assert lines[-1] == f"wrote {out}"
    png = out.read_bytes()
    assert png.startswith(PNG_MAGIC) and len(png) > 20_000
    assert COMPARE_SIGNATURE.encode() in png[:4096]
    again = run_main(monkeypatch, capsys, "compare", second, first, "-o", out)  # its own file
    assert again.returncode == 0 and out.read_bytes() != png


@pytest.mark.slow
def test_compare_writes_compare_png_here_but_never_over_a_foreign_file(
    two_runs, tmp_path, monkeypatch, capsys
):
    _, first, second = two_runs
    monkeypatch.chdir(tmp_path)
    assert run_main(monkeypatch, capsys, "compare", first, second).returncode == 0
    assert (tmp_path / "compare.png").read_bytes().startswith(PNG_MAGIC)
    mine = tmp_path / "mine.png"
    mine.write_bytes(PNG_MAGIC + b"a picture of my cat")
    result = run_main(monkeypatch, capsys, "compare", first, second, "-o", mine)
    assert_error(result, "mine.png exists and is not a picture netspec drew", code=1)
    assert result.stdout == "" and mine.read_bytes() == PNG_MAGIC + b"a picture of my cat"
    (tmp_path / "link.png").symlink_to(tmp_path / "compare.png")
    result = run_main(monkeypatch, capsys, "compare", first, second, "-o", "link.png")
    assert_error(result, "link.png exists", code=1)


def test_compare_usage_errors(tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "manifest.json").write_text('{"spec": {"name": "x"}, "status": "completed"}')
    for args, words in (
        ([run], "two or more runs"),
        ([run, tmp_path / "missing"], "missing: no such run directory"),
        ([run, tmp_path], "is not a run directory"),
        ([run, run, "-o", tmp_path / "c.svg"], "compare draws a PNG"),
    ):
        assert_error(run_main(monkeypatch, capsys, "compare", *args), *words, code=2)


NO_TF = """
import sys
from typer.testing import CliRunner
from netspec.cli.app import app

result = CliRunner().invoke(app, ["compare", *sys.argv[1:]])
assert result.exit_code == 0, result.output
print(sorted(name for name in ("tensorflow", "keras") if name in sys.modules))
"""


@pytest.mark.slow
def test_compare_never_imports_tensorflow(two_runs, tmp_path):
    _, first, second = two_runs
    args = [str(first), str(second), "-o", str(tmp_path / "c.png")]
    done = subprocess.run(
        [sys.executable, "-c", NO_TF, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
