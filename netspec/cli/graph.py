"""`netspec graph SPEC|RUN [-o FILE]`: the network as a picture (SVG, PNG) or as text (DOT,
Mermaid), with the spec's names, layer types and output shapes; no Graphviz needed."""

from __future__ import annotations

from pathlib import Path

import typer

from netspec.cli.common import Overrides, SetOption
from netspec.runs import resolve_spec_arg
from netspec.spec import load


def graph(
    spec: Path = typer.Argument(..., help="A spec file or a run directory."),
    out: Path | None = typer.Option(
        None,
        "-o",
        "--output",
        help="Write to this file: .svg, .png, .dot or .mmd/.mermaid (Mermaid). Default: "
        "Mermaid text on stdout.",
    ),
    depth: int | None = typer.Option(
        None, "--depth", min=0, help="Draw block instances deeper than this as one box each."
    ),
    overrides: Overrides = SetOption,
) -> None:
    """Draw the network: layers, their inputs, and block instances as clusters."""
    from netspec import diagram

    loaded = load(resolve_spec_arg(spec), overrides or (), resolved=spec.is_dir())
    if out is None:
        shapes = {info.name: info.output_shape for info in loaded.layer_infos()}
        layout = diagram.layout(loaded.graph, shapes, loaded.input["shape"], depth)
        typer.echo(diagram.to_mermaid(layout), nl=False)
        return
    diagram.write_spec(loaded, out, depth)
    typer.echo(f"wrote {out}")
