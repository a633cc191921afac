"""`netspec schema`: print (or write) the JSON Schema of specs, for editors and tools."""

from __future__ import annotations

from pathlib import Path

import typer

from netspec.spec.schema import schema_text


def schema(
    out: Path | None = typer.Option(
        None, "-o", "--output", help="Write to this file instead of stdout."
    ),
):
    """Print the JSON Schema (draft 2020-12) that specs follow."""
    if out is None:
        typer.echo(schema_text(), nl=False)
    else:
        out.write_text(schema_text(), encoding="utf-8")
