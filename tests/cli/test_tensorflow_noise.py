"""TensorFlow's start-up lines stay off stderr (unless --verbose), and commands that fail on a
spec or a run directory fail before TensorFlow is even imported (`python -X importtime`)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from netspec.data.sources.synthetic import generate
from tests.cli.helpers import Outcome, python_process
from tests.helpers import TF_NOISE, assert_error, write_spec

# absl's log line prefix, as TensorFlow's C++ code prints it: `I0000 00:00:1796.. 1234 file.cc:31] `
ABSL_LINE = re.compile(r"[IWEF]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] ")
IMPORT_TIME = "import time:"

TOO_FEW_UNITS = {
    "name": "too_few",
    "input": {"shape": [8, 8, 1], "scale": "unit"},
    "layers": [{"type": "flatten"}, {"type": "dense", "name": "logits", "units": 2}],
    "data": {"source": "npz", "path": "data.npz", "split": {"train": 0.8, "test": 0.2}},
}
ERROR = "error: the data has 3 classes (0, 1, 2), but the output layer 'logits' gives 2 outputs"
HINT = "  hint: set units: 3 on layer 'logits' (--set layers.logits.units=3)"

BROKEN = """\
name: broken
input: {shape: [28, 28, 1]}
layers:
  - {type: conv2d, filters: 4, kernel: 3, strde: 2}
  - {type: flatten}
  - {type: dense, units: 10}
"""


@pytest.fixture
def too_few_units(tmp_path):
    """A spec whose logits are too few for its data, found only once TensorFlow is loaded and
    the data read (the npz source's classes are not in the spec)."""
    np.savez(tmp_path / "data.npz", **dict(zip("xy", generate((8, 8, 1), 3, 30))))
    return write_spec(tmp_path, TOO_FEW_UNITS)


def imported_modules(stderr: str) -> set[str]:
    """The modules `-X importtime` reported (its lines end in `| module.name`)."""
    return {
        line.rsplit("|", 1)[-1].strip()
        for line in stderr.splitlines()
        if line.startswith(IMPORT_TIME)
    }


def without_import_times(result: Outcome) -> Outcome:
    kept = "".join(
        line for line in result.stderr.splitlines(True) if not line.startswith(IMPORT_TIME)
    )
    return Outcome(result.returncode, result.stdout, kept)


def imports_tensorflow(stderr: str) -> bool:
    return any(name.split(".")[0] == "tensorflow" for name in imported_modules(stderr))


@pytest.mark.slow
def test_a_failure_after_tensorflow_loaded_prints_only_the_error(too_few_units, tmp_path):
    result = python_process(
        "-X", "importtime", "-m", "netspec", "train", too_few_units, cwd=tmp_path
    )
    assert imports_tensorflow(result.stderr)  # the failure came after TensorFlow's start-up
    result = without_import_times(result)
    assert_error(result, code=1)
    assert result.stderr == f"{ERROR}\n{HINT}\n"
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_verbose_shows_tensorflow_start_up_lines(netspec_process, too_few_units, tmp_path):
    result = netspec_process("--verbose", "train", too_few_units, cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[-2:] == [ERROR, HINT]
    startup = [
        line for line in lines[:-2] if ABSL_LINE.match(line) or any(n in line for n in TF_NOISE)
    ]
    if not startup:
        pytest.skip("TensorFlow printed no start-up lines on this machine")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "command, code, first",
    [
        ("train", 1, "error: layers[0].strde: unknown key 'strde'"),
        ("export", 1, "error: layers[0].strde: unknown key 'strde'"),
        ("evaluate", 2, "error: {folder} is not a run directory (no manifest.json)"),
    ],
)
def test_a_bad_spec_or_run_fails_before_tensorflow(tmp_path, command, code, first):
    broken = write_spec(tmp_path, BROKEN, "broken")
    folder = tmp_path / "not_a_run"
    folder.mkdir()
    target = folder if command == "evaluate" else broken
    result = python_process("-X", "importtime", "-m", "netspec", command, target, cwd=tmp_path)
    assert imported_modules(result.stderr)  # -X importtime did report
    assert not imports_tensorflow(result.stderr)
    result = without_import_times(result)
    line = assert_error(result, code=code)
    if command == "evaluate":
        assert line == first.format(folder=folder)
    else:
        assert re.fullmatch(rf"{re.escape(str(broken))}:4:\d+: {re.escape(first)}", line), line
        assert result.stderr.splitlines()[1] == "  hint: did you mean 'stride'?"
    assert not (tmp_path / "runs").exists() and not (tmp_path / "export").exists()
