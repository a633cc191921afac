"""`netspec init [TEMPLATE] [-o FILE]`: start a new spec from a commented template."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer

from netspec import files
from netspec.errors import UsageError


def templates() -> dict[str, str]:
    folder = resources.files("netspec") / "templates"
    return {
        p.name.removesuffix(".yaml"): p.read_text(encoding="utf-8")
        for p in folder.iterdir()
        if p.name.endswith(".yaml")
    }


def init(
    template: str = typer.Argument("cnn", help="Template: mlp or cnn."),
    out: Path | None = typer.Option(
        None, "-o", "--output", help="File to write. Default: <template>.yaml"
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing spec file."),
):
    """Write a new, commented spec that validates as written."""
    available = templates()
    if template not in available:
        raise UsageError(
            f"unknown template '{template}'", hint=f"templates: {', '.join(sorted(available))}"
        )
    target = out or Path(f"{template}.yaml")
    if not target.parent.is_dir():
        raise UsageError(
            f"cannot write {target}: folder {target.parent} does not exist",
            hint=f"create it first: mkdir -p {target.parent}",
        )
    if target.is_dir():
        raise UsageError(
            f"{target} is a folder; netspec init writes a spec file",
            hint=f"give a file name, e.g. -o {target / (template + '.yaml')}",
        )
    if target.exists() and not force:
        raise UsageError(f"{target} exists; not overwriting it", hint="pass --force to replace")
    if target.exists() and not target.is_file():
        raise UsageError(f"{target} is not a regular file; not replacing it")
    files.write_text(target, available[template])  # whole or not at all
    typer.echo(f"wrote {target}; next: netspec validate {target}")
