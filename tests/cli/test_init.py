"""`netspec init`: every template validates as written; existing files are kept."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from netspec.cli.app import app
from netspec.cli.init import templates
from netspec.spec import load

runner = CliRunner()


@pytest.mark.parametrize("template", sorted(templates()))
def test_every_template_validates_as_written(template, tmp_path):
    target = tmp_path / f"{template}.yaml"
    result = runner.invoke(app, ["init", template, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {target}; next: netspec validate {target}\n"
    assert target.read_text(encoding="utf-8") == templates()[template]
    spec = load(target)
    assert spec.warnings == [] and spec.name == f"my_{template}"


def test_the_default_template_and_file_name(netspec_process, tmp_path):
    result = netspec_process("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cnn.yaml").read_text(encoding="utf-8") == templates()["cnn"]


def test_init_refuses_to_overwrite_without_force(netspec_process, tmp_path):
    target = tmp_path / "mine.yaml"
    target.write_text("# my own work\n")
    result = netspec_process("init", "mlp", "-o", target)
    assert result.returncode == 2
    assert (
        result.stderr == f"error: {target} exists; not overwriting it\n  hint: pass --force "
        "to replace\n"
    )
    assert target.read_text() == "# my own work\n"
    assert netspec_process("init", "mlp", "-o", target, "--force").returncode == 0
    assert target.read_text(encoding="utf-8") == templates()["mlp"]


def test_unknown_template_lists_the_templates(netspec_process, tmp_path):
    result = netspec_process("init", "resnet", "-o", tmp_path / "x.yaml")
    assert result.returncode == 2
    assert "unknown template 'resnet'" in result.stderr and "templates: cnn, mlp" in result.stderr
    assert not (tmp_path / "x.yaml").exists()
