"""`netspec schema`: print (or write) the JSON Schema of specs, for editors and tools."""

from __future__ import annotations

from pathlib import Path

import typer

from netspec import files
from netspec.spec.schema import schema_text


def schema(
    out: Path | None = typer.Option(
        None, "-o", "--output", help="Write to this file instead of stdout."
    ),
):
    """Print the JSON Schema (draft 2020-12) that specs follow."""
    if out is None:
        typer.echo(schema_text(), nl=False)
    elif out.exists() and not out.is_file():  # a pipe or device (/dev/stdout): write through
        out.write_text(schema_text(), encoding="utf-8")
    else:
        files.write_text(out, schema_text())  # whole or not at all; errors name the file
