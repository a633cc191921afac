"""Diagrams of a network's graph: SVG, PNG, Graphviz DOT and Mermaid.

One layout of our own (netspec.diagram.layout) for SVG and PNG, so no Graphviz is needed and
the same graph always gives byte-identical files. Never imports TensorFlow; matplotlib only for
PNG.
"""

from __future__ import annotations

from pathlib import Path

from netspec import files
from netspec.diagram.dot import to_dot
from netspec.diagram.layout import Diagram, layout
from netspec.diagram.mermaid import to_mermaid
from netspec.diagram.png import to_png
from netspec.diagram.svg import to_svg
from netspec.errors import UserError
from netspec.spec.graph import Graph

TEXT = {".svg": to_svg, ".dot": to_dot, ".mmd": to_mermaid, ".mermaid": to_mermaid}
SUFFIXES = (".svg", ".png", ".dot", ".mmd", ".mermaid")

__all__ = ["Diagram", "layout", "to_dot", "to_mermaid", "to_png", "to_svg", "write"]


def write(graph: Graph, shapes: dict, input_shape, path, depth: int | None = None) -> None:
    """Draw `graph` to `path` (atomically), in the format its suffix names.

    `shapes` maps full node names to output shapes without the batch; `depth` None expands
    every block instance, 0 draws each top-level instance as one box, 1 expands those but not
    the instances inside them, and so on.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UserError(
            f"{path}: unknown diagram format {suffix or '(no suffix)'}; "
            f"use one of {', '.join(SUFFIXES)}"
        )
    diagram = layout(graph, shapes, input_shape, depth)
    if suffix == ".png":
        to_png(diagram, path)
    else:
        files.write_text(path, TEXT[suffix](diagram))
