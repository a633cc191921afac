"""`netspec letters DIR`: render a notMNIST-like image folder (A-J) for offline runs."""

from __future__ import annotations

from pathlib import Path

import typer


def letters(
    out: Path = typer.Argument(..., help="Folder to create (one sub-folder per letter)."),
    per_class: int = typer.Option(300, "--per-class", min=1, help="Images per letter."),
    size: int = typer.Option(28, "--size", min=8, help="Image height and width."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same images."),
):
    """Write letters A-J drawn at random sizes, shifts and rotations, as PNG files."""
    from netspec.data.letters import write_letters

    write_letters(out, per_class=per_class, size=size, seed=seed)
    typer.echo(f"wrote {10 * per_class} images to {out}/A..J")
