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
from netspec.diagram.style import SIGNATURE
from netspec.diagram.svg import to_svg
from netspec.errors import UserError
from netspec.outputs import check_signed
from netspec.spec.graph import Graph

FORMATS = {
    ".svg": lambda d: to_svg(d).encode(),
    ".png": to_png,
    ".dot": lambda d: to_dot(d).encode(),
    ".mmd": lambda d: to_mermaid(d).encode(),
    ".mermaid": lambda d: to_mermaid(d).encode(),
}
SUFFIXES = tuple(FORMATS)

__all__ = ["Diagram", "layout", "to_dot", "to_mermaid", "to_png", "to_svg", "write", "write_spec"]


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
    through = path.exists() and not path.is_file()  # a pipe or device (/dev/stdout)
    if not through:
        check_signed(
            path, SIGNATURE, "a drawing of netspec's", "remove it, or choose another file name"
        )
    data = FORMATS[suffix](layout(graph, shapes, input_shape, depth))
    if through:
        path.write_bytes(data)
    else:
        files.write_bytes(path, data)


def write_spec(spec, path, depth: int | None = None) -> None:
    """Draw a loaded spec's network (netspec.spec.Spec)."""
    shapes = {info.name: info.output_shape for info in spec.layer_infos()}
    write(spec.graph, shapes, spec.input["shape"], path, depth)
