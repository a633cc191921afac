"""`netspec validate`: exit codes, text and JSON output, overrides."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from netspec.cli.app import app
from tests.specs.spec_corpus import HERE, INVALID, SHIPPED, SPECS, VALID, comments

runner = CliRunner()
CNN = SPECS / "cnn.yaml"
BROKEN = HERE / "invalid" / "out_of_range.yaml"


def test_the_shipped_specs_validate(netspec_process):
    result = netspec_process("validate", *SHIPPED)
    assert result.returncode == 0 and result.stderr == "", result.stderr  # not even a warning
    oks = [line.split(": ok (")[0] for line in result.stdout.splitlines() if ": ok (" in line]
    assert oks == [str(path) for path in SHIPPED]


def test_valid_corpus_validates_with_its_overrides():
    for path in VALID:
        options = [arg for override in comments(path, "set") for arg in ("--set", override)]
        result = runner.invoke(app, ["validate", str(path), *options])
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"{path}: ok (")


def test_ok_line_counts_layers_and_parameters():
    result = runner.invoke(app, ["validate", str(CNN)])
    assert result.stdout == f"{CNN}: ok (7 layers, 244,076 parameters)\n"


def test_overrides_change_what_is_validated():
    result = runner.invoke(
        app, ["validate", str(CNN), "--set", "layers.conv1.filters=12", "--set", "train.epochs=3"]
    )
    # 6 more filters: conv1 gains 6 * (6*6 + 1) = 222 parameters; conv2, 6 more input
    # channels, gains 5*5*6 * 12 = 1,800
    assert result.stdout == f"{CNN}: ok (7 layers, 246,098 parameters)\n"
    result = runner.invoke(app, ["validate", str(CNN), "--set", "train.epochs=0"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "--set train.epochs=0: error: train.epochs: must be >= 1, got 0",
        f"{CNN}: 1 error",
    ]


def test_every_error_of_every_file_is_reported_in_one_run():
    several = HERE / "invalid" / "several_errors.yaml"
    result = runner.invoke(app, ["validate", str(BROKEN), str(CNN), str(several)])
    assert result.exit_code == 1
    assert result.stdout == f"{CNN}: ok (7 layers, 244,076 parameters)\n"
    lines = result.stderr.splitlines()
    assert sum(": error: " in line for line in lines) == 4 + 8
    assert [line for line in lines if line.endswith(" errors")] == [
        f"{BROKEN}: 4 errors",
        f"{several}: 8 errors",
    ]


def test_json_records_every_file():
    warned = SPECS / "notmnist.yaml"
    result = runner.invoke(
        app, ["validate", "--format", "json", str(CNN), str(warned), str(BROKEN)]
    )
    assert result.exit_code == 1
    cnn, notmnist, broken = json.loads(result.stdout)
    assert cnn == {"file": str(CNN), "valid": True, "diagnostics": []}
    assert notmnist["valid"] and [d["severity"] for d in notmnist["diagnostics"]] == ["warning"]
    assert not broken["valid"] and broken["diagnostics"][0] == {
        "path": "layers[0].stride",
        "message": "must be >= 1, got 0",
        "code": "E-MINIMUM",
        "hint": None,
        "severity": "error",
        "file": str(BROKEN),
        "line": 9,
        "col": 64,
    }


def test_exit_codes(netspec_process, tmp_path):
    assert netspec_process("validate", CNN).returncode == 0
    assert netspec_process("validate", CNN, INVALID[0]).returncode == 1
    missing = netspec_process("validate", CNN, BROKEN, tmp_path / "missing.yaml")
    assert missing.returncode == 2
    assert f"error: {tmp_path / 'missing.yaml'}: no such file" in missing.stderr
    assert netspec_process("validate", tmp_path).returncode == 2
    bad_format = netspec_process("validate", "--format", "xml", CNN)
    assert (bad_format.returncode, bad_format.stderr) == (
        2,
        "error: --format must be text or json, got 'xml'\n",
    )
    assert netspec_process("validate").returncode == 2
    undecodable = netspec_process("validate", CNN, "--set", "name=\udcff")  # the byte 0xff
    assert undecodable.returncode == 1 and "Traceback" not in undecodable.stderr
    assert netspec_process("validate", "--bogus", CNN).returncode == 2


def test_json_reports_missing_files_as_usage_errors(tmp_path):
    result = runner.invoke(app, ["validate", "--format", "json", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2
    [record] = json.loads(result.stdout)
    assert record == {
        "file": str(tmp_path / "x.yaml"),
        "valid": False,
        "diagnostics": [],
        "error": f"{tmp_path / 'x.yaml'}: no such file",
    }
