"""`netspec diff A B [--init-from] [--format json]`: spec files and run directories in any mix,
one-line errors, and no TensorFlow."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import yaml

from netspec.spec import load
from tests.cli.helpers import run_main
from tests.helpers import write_spec
from tests.spec.test_diff import CNN


def wide_doc() -> dict:
    doc = json.loads(json.dumps(CNN))
    doc["name"] = "small_wide"
    doc["layers"][3]["units"] = 32
    return doc


def completed_run(folder, doc, status="completed", weights=True):
    """A run directory as `netspec train` leaves it, as far as diff reads one: the resolved
    spec, a manifest, final weights (their values are never read by diff)."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = load(write_spec(folder, doc, "source"))
    run = folder / "runs" / spec.name / "20260101-120000"
    (run / "checkpoints").mkdir(parents=True)
    (run / "spec.yaml").write_text(yaml.safe_dump(spec.doc, sort_keys=False))
    manifest = {"status": status, "spec": {"hash": spec.hash}}
    (run / "manifest.json").write_text(json.dumps(manifest))
    if weights:
        np.savez(run / "checkpoints" / "final.npz", **{"logits/bias": np.zeros(3, "float32")})
    return run


def test_text_diff_of_two_specs(monkeypatch, capsys, tmp_path):
    a, b = write_spec(tmp_path, CNN, "a"), write_spec(tmp_path, wide_doc(), "b")
    result = run_main(monkeypatch, capsys, "diff", a, b)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == [f"A: {a}", f"B: {b}"]
    assert (
        "  ~ hidden (dense): units 16 → 32; "
        "variables kernel [256, 16] → [256, 32], bias [16] → [32]" in lines
    )
    assert "  name small → small_wide" in lines
    assert "warm start of B from A: 7 of 10 variables load (59 of 8,379 values)" in lines
    assert any(line.split() == ["load", "logits/bias", "[3]"] for line in lines)


def test_a_run_and_a_spec_in_json(monkeypatch, capsys, tmp_path):
    run = completed_run(tmp_path, CNN)
    b = write_spec(tmp_path, wide_doc(), "b")
    result = run_main(monkeypatch, capsys, "diff", run, b, "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["a"], doc["b"], doc["same"]) == (str(run), str(b), False)
    fresh = [s["variable"] for s in doc["plan"] if not s["transfer"]]
    assert fresh == ["hidden/kernel", "hidden/bias", "logits/kernel"]


def test_init_from_prints_a_section_that_validates_in_b(monkeypatch, capsys, tmp_path):
    run = completed_run(tmp_path, CNN)
    b = write_spec(tmp_path, wide_doc(), "b")
    result = run_main(monkeypatch, capsys, "diff", run, b, "--init-from")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"# from {run}: 7 of 10 variables load")
    section = yaml.safe_load(result.stdout)["init_from"]
    assert section == {
        "run": "runs/small/20260101-120000",  # relative to B's folder
        "layers": ["conv1", "bn1", "logits/bias"],
        "freeze": False,
    }
    b.write_text(b.read_text() + result.stdout)
    assert load(b).init_from["layers"] == ["conv1", "bn1", "logits/bias"]


def test_bad_input_is_one_line(monkeypatch, capsys, tmp_path):
    a, b = write_spec(tmp_path, CNN, "a"), write_spec(tmp_path, wide_doc(), "b")
    cases = [
        (
            ("diff", tmp_path / "nothing.yaml", b),
            2,
            f"error: {tmp_path / 'nothing.yaml'}: no such file",
        ),
        (
            ("diff", a, b, "--init-from"),
            2,
            f"error: --init-from needs A to be a run directory, got {a}",
        ),
        (
            ("diff", completed_run(tmp_path / "r1", CNN, status="running"), b, "--init-from"),
            1,
            "has no trained weights yet (status: running)",
        ),
        (
            ("diff", completed_run(tmp_path / "r2", CNN, weights=False), b, "--init-from"),
            1,
            "final.npz is missing",
        ),
        (("diff", a, b, "--format", "xml"), 2, "error: --format must be text or json, got 'xml'"),
    ]
    for args, code, message in cases:
        result = run_main(monkeypatch, capsys, *args)
        assert result.returncode == code, (args, result.stderr)
        assert message in result.stderr.splitlines()[0], result.stderr
        assert "Traceback" not in result.stderr


def test_nothing_that_fits_is_an_error_for_init_from(monkeypatch, capsys, tmp_path):
    other = {
        **CNN,
        "input": {"shape": [6, 6, 2]},
        "layers": [{"type": "flatten"}, {"type": "dense", "name": "out", "units": 3}],
    }
    run = completed_run(tmp_path, CNN)
    result = run_main(
        monkeypatch, capsys, "diff", run, write_spec(tmp_path, other, "b"), "--init-from"
    )
    assert result.returncode == 1
    assert "fits" in result.stderr and "nothing to load" in result.stderr


SCRIPT = """
import sys
from typer.testing import CliRunner
from netspec.cli.app import app

a, b = sys.argv[1:3]
for command in (["diff", a, b], ["diff", a, b, "--format", "json"], ["diff", a, b, "--init-from"]):
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
print(sorted(name for name in ("tensorflow", "keras") if name in sys.modules))
"""


def test_diff_never_imports_tensorflow(tmp_path):
    run = completed_run(tmp_path, CNN)
    b = write_spec(tmp_path, wide_doc(), "b")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(run), str(b)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_train_init_from_does_not_go_with_resume(monkeypatch, capsys, tmp_path):
    run = completed_run(tmp_path, CNN)
    result = run_main(monkeypatch, capsys, "train", run, "--resume", "--init-from", run)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "error: --init-from cannot be combined with --resume: a run continues with the "
        "weights it has"
    )
