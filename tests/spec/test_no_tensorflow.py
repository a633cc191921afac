"""Validating, summarizing and drawing (SVG, Mermaid) never import TensorFlow or Keras
(checked in a fresh process)."""

from __future__ import annotations

import subprocess
import sys

from tests.specs.spec_corpus import HERE, SPECS, comments

CHECKED = (SPECS / "cnn.yaml", HERE / "valid" / "with_overrides.yaml", SPECS / "resnet.yaml")
SCRIPT = """
import sys
import tempfile
from typer.testing import CliRunner
from netspec.cli.app import app
from netspec.spec import load
from netspec.spec.summary import summarize

path, overrides = sys.argv[1], sys.argv[2:]
summarize(load(path, overrides))
options = [arg for override in overrides for arg in ("--set", override)]
drawing = tempfile.mkdtemp() + "/net.svg"
for command in (["validate", path], ["summary", path], ["summary", "--format", "json", path],
                ["graph", path], ["graph", path, "--depth", "0", "-o", drawing]):
    result = CliRunner().invoke(app, command + options)
    assert result.exit_code == 0, result.output
print(sorted(name for name in ("tensorflow", "keras", "tf2onnx", "onnxruntime", "matplotlib")
             if name in sys.modules))
"""


def test_validate_and_summary_leave_tensorflow_unimported():
    for path in CHECKED:
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(path), *comments(path, "set")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[-1] == "[]", path
