"""`netspec schema`: prints or writes the JSON Schema."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from netspec.cli.app import app
from netspec.spec.schema import schema_text

runner = CliRunner()


def test_schema_prints_the_json_schema():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert result.stdout == schema_text()
    assert json.loads(result.stdout)["title"].startswith("netspec model spec")


def test_schema_writes_a_file(tmp_path):
    target = tmp_path / "netspec.schema.json"
    result = runner.invoke(app, ["schema", "-o", str(target)])
    assert result.exit_code == 0 and result.stdout == ""
    assert target.read_text(encoding="utf-8") == schema_text()
