"""Mermaid `flowchart` text: renders inside Markdown on GitHub and GitLab, no tool needed.

Mermaid ids may not hold `/`, so boxes are `n0`, `n1`, ... and groups `g0`, `g1`, ... in spec
order; the real names are in the labels.
"""

from __future__ import annotations

from netspec.diagram import style
from netspec.diagram.layout import Diagram
from netspec.diagram.view import Group, boxes, groups

ENTITIES = {"#": "#35;", '"': "#quot;", "&": "#amp;", "<": "#lt;", ">": "#gt;"}


def to_mermaid(diagram: Diagram) -> str:
    items = diagram.view.items
    ids = {box.name: f"n{i}" for i, box in enumerate(boxes(items))}
    ids |= {group.name: f"g{i}" for i, group in enumerate(groups(items))}
    lines = ["flowchart TD", f"  %% {style.SIGNATURE}"]
    _members(items, ids, lines, "  ")
    lines += [f"  {ids[source]} --> {ids[target]}" for source, target in diagram.view.edges]
    for kind, fill in style.FILL.items():
        lines.append(f"  classDef {kind} fill:{fill},stroke:{style.STROKE}")
        if named := [ids[box.name] for box in boxes(items) if box.kind == kind]:
            lines.append(f"  class {','.join(named)} {kind}")
    lines.append("  classDef output stroke-width:3px")
    lines += [f"  class {ids[box.name]} output" for box in boxes(items) if box.output]
    return "\n".join(lines + [""])


def _members(items, ids: dict, lines: list[str], indent: str) -> None:
    for item in items:
        if isinstance(item, Group):
            lines.append(f'{indent}subgraph {ids[item.name]} ["{escape(item.label)}"]')
            _members(item.members, ids, lines, indent + "  ")
            lines.append(f"{indent}end")
        else:
            label = "<br/>".join(escape(line) for line in item.lines)
            lines.append(f'{indent}{ids[item.name]}["{label}"]')


def escape(text: str) -> str:
    """`text` safe inside a quoted Mermaid label (Mermaid's own `#code;` entities)."""
    return "".join(ENTITIES.get(char, char) for char in text)
