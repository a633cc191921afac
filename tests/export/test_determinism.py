"""Same run, same names and bytes: across exports, across specs in one process, across processes."""

import json
import subprocess
import sys
from pathlib import Path

import onnx
import pytest

from tests.export import helpers

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
OTHER_PARAMS = [
    "hidden/kernel",
    "hidden/bias",
    "norm/gamma",
    "norm/beta",
    "norm/moving_mean",
    "norm/moving_variance",
    "logits/kernel",
    "logits/bias",
]


def param_names(out_dir: Path) -> list[str]:
    names = json.loads((out_dir / "names.json").read_text())["parameters"]
    return [p["name"] for p in names]


def test_two_specs_in_one_process_then_the_first_again(tmp_path, exported, small_spec):
    other = helpers.export(helpers.write_spec(tmp_path, helpers.OTHER, "other"), tmp_path / "other")
    assert param_names(other.out_dir) == OTHER_PARAMS
    graph = onnx.load(other.out_dir / "model.onnx").graph
    assert [i.name for i in graph.initializer][: len(OTHER_PARAMS)] == OTHER_PARAMS
    assert [i.name for i in graph.input] == ["pixels"]

    again = helpers.export(small_spec, tmp_path / "again")
    assert param_names(again.out_dir) == helpers.SMALL_PARAMS
    assert (again.out_dir / "names.json").read_bytes() == (
        exported.out_dir / "names.json"
    ).read_bytes()
    assert (again.out_dir / "model.onnx").read_bytes() == (
        exported.out_dir / "model.onnx"
    ).read_bytes()


def test_another_process_writes_the_same_onnx_bytes(tmp_path, exported, small_spec):
    subprocess.run(
        [sys.executable, "-m", "tests.export.helpers", str(small_spec), str(tmp_path / "child")],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    assert (tmp_path / "child" / "model.onnx").read_bytes() == (
        exported.out_dir / "model.onnx"
    ).read_bytes()
    assert (tmp_path / "child" / "names.json").read_bytes() == (
        exported.out_dir / "names.json"
    ).read_bytes()
