"""Graphviz DOT text, for those who render with `dot` or edit the graph in a Graphviz tool."""

from __future__ import annotations

from netspec.diagram import style
from netspec.diagram.layout import Diagram
from netspec.diagram.view import Box, Group


def to_dot(diagram: Diagram) -> str:
    lines = [
        f"// {style.SIGNATURE}",
        "digraph netspec {",
        '  graph [rankdir=TB, fontname="monospace", fontsize=10];',
        '  node [shape=box, style="rounded,filled", fontname="monospace", fontsize=10];',
        f'  edge [color="{style.EDGE}"];',
    ]
    _members(diagram.view.items, lines, "  ")
    lines += [f"  {quote(source)} -> {quote(target)};" for source, target in diagram.view.edges]
    return "\n".join(lines + ["}", ""])


def _members(items, lines: list[str], indent: str) -> None:
    for item in items:
        if isinstance(item, Group):
            lines.append(f"{indent}subgraph {quote('cluster_' + item.name)} {{")
            lines.append(f'{indent}  label={quote(item.label)}; style="rounded,dashed";')
            _members(item.members, lines, indent + "  ")
            lines.append(f"{indent}}}")
        else:
            lines.append(f"{indent}{quote(item.name)} [{_attributes(item)}];")


def _attributes(box: Box) -> str:
    label = "\\n".join(_escape(line) for line in box.lines)
    attributes = f'label="{label}", fillcolor="{style.FILL[box.kind]}"'
    return attributes + (f", penwidth={style.OUTPUT_STROKE_W}" if box.output else "")


def quote(text: str) -> str:
    """A DOT ID for any text: names hold `/`, which a bare ID may not."""
    return f'"{_escape(text)}"'


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
