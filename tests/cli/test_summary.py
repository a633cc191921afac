"""`netspec summary`: per-layer shapes, parameters and FLOPs, as a table or JSON."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from netspec.cli.app import app
from netspec.errors import UsageError
from tests.specs.spec_corpus import HERE, SPECS

runner = CliRunner()
CNN = SPECS / "cnn.yaml"


def test_json_report_of_the_cnn():
    result = runner.invoke(app, ["summary", "--format", "json", str(CNN)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [(x["name"], x["output_shape"], x["params"]) for x in report["layers"]] == [
        ("conv1", [28, 28, 6], 6 * 6 * 6 + 6),
        ("conv2", [14, 14, 12], 5 * 5 * 6 * 12 + 12),
        ("conv3", [7, 7, 24], 4 * 4 * 12 * 24 + 24),
        ("flatten_1", [1176], 0),
        ("fc1", [200], 1176 * 200 + 200),
        ("dropout_1", [200], 0),
        ("logits", [10], 2010),
    ]
    assert report["params"] == report["trainable_params"] == 244_076
    assert report["flops_per_example"] == sum(x["flops"] for x in report["layers"])
    assert report["input"] == {"name": "image", "shape": [28, 28, 1]}


def test_table_lists_every_layer_and_the_totals():
    result = runner.invoke(app, ["summary", str(CNN)], terminal_width=120)
    assert result.exit_code == 0, result.output
    for name in ("conv1", "conv2", "conv3", "flatten_1", "fc1", "dropout_1", "logits", "total"):
        assert name in result.stdout
    assert "244,076" in result.stdout and "trainable parameters: 244,076" in result.stdout


def test_batch_norm_statistics_are_not_trainable():
    spec = HERE / "valid" / "all_layers.yaml"
    report = json.loads(runner.invoke(app, ["summary", "--format", "json", str(spec)]).stdout)
    bn = next(x for x in report["layers"] if x["name"] == "bn1")
    assert bn["params"] == 4 * 8
    assert report["trainable_params"] == report["params"] - 2 * 8


def test_overrides_and_run_directories(tmp_path):
    run = tmp_path / "runs" / "cnn" / "20260101-000000"
    run.mkdir(parents=True)
    shutil.copy(CNN, run / "spec.yaml")
    (run / "manifest.json").write_text("{}")  # what makes a folder a run directory
    result = runner.invoke(
        app, ["summary", "--format", "json", str(run), "--set", "layers.fc1.units=100"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["layers"][4]["params"] == 1176 * 100 + 100
    folder = runner.invoke(app, ["summary", str(tmp_path)])  # a folder, not a run
    assert isinstance(folder.exception, UsageError) and folder.exception.exit_code == 2


def test_invalid_specs_and_usage_errors(netspec_process, tmp_path):
    invalid = netspec_process("summary", HERE / "invalid" / "out_of_range.yaml")
    assert (invalid.returncode, invalid.stdout) == (1, "")
    lines = invalid.stderr.splitlines()  # every problem, as `validate` shows them
    assert len(lines) == 4 and all(": error: " in line for line in lines)
    assert lines[0].endswith("out_of_range.yaml:9:64: error: layers[0].stride: must be >= 1, got 0")
    assert netspec_process("summary", tmp_path / "missing.yaml").returncode == 2
    assert netspec_process("summary", "--format", "yaml", CNN).returncode == 2


def test_a_graph_shows_inputs_and_depth_collapses_instances(tmp_path):
    from tests.export.helpers import RESIDUAL
    from tests.helpers import write_spec

    spec = str(write_spec(tmp_path, RESIDUAL, "residual"))
    full = json.loads(runner.invoke(app, ["summary", "--format", "json", spec]).stdout)
    rows = {row["name"]: row for row in full["layers"]}
    assert rows["stage2_1/sum"]["inputs"] == ["stage1/sum", "stage2_1/norm"]
    assert rows["both"]["inputs"] == ["stage2_2/sum", "side"] and full["output"] == "logits"

    collapsed = json.loads(
        runner.invoke(app, ["summary", "--format", "json", "--depth", "0", spec]).stdout
    )
    assert [row["name"] for row in collapsed["layers"]] == [
        "stem", "stage1", "stage2_1", "stage2_2", "side", "both", "up", "gap", "logits",
    ]  # fmt: skip
    stage1 = next(row for row in collapsed["layers"] if row["name"] == "stage1")
    assert stage1["type"] == "block down" and stage1["output_shape"] == [6, 6, 8]
    assert stage1["params"] == sum(p for n, p in _params(full) if n.startswith("stage1/"))
    assert collapsed["params"] == full["params"]

    table = runner.invoke(app, ["summary", spec], env={"COLUMNS": "200"}).stdout
    assert "inputs" in table and "stage2_1/norm" in table


def _params(report):
    return [(row["name"], row["params"]) for row in report["layers"]]
