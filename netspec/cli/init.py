"""`netspec init [TEMPLATE] [-o FILE]`: start a new spec from a commented template."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer

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
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
):
    """Write a new, commented spec that validates as written."""
    available = templates()
    if template not in available:
        raise UsageError(
            f"unknown template '{template}'", hint=f"templates: {', '.join(sorted(available))}"
        )
    target = out or Path(f"{template}.yaml")
    if target.exists() and not force:
        raise UsageError(f"{target} exists; not overwriting it", hint="pass --force to replace")
    target.write_text(available[template], encoding="utf-8")
    typer.echo(f"wrote {target}; next: netspec validate {target}")
