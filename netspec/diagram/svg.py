"""A self-contained SVG of the layout: opens in any browser, scales without blurring.

Every node's `<rect>` carries `class="node"` and `data-name`, every cluster's `class="cluster"`,
so the picture can be checked (or styled) by name.
"""

from __future__ import annotations

from html import escape

from netspec.diagram import style
from netspec.diagram.layout import Diagram
from netspec.diagram.view import boxes, groups

ARROW = 8  # arrowhead length


def to_svg(diagram: Diagram) -> str:
    items, rects = diagram.view.items, diagram.rects
    out = [
        f"<!-- {style.SIGNATURE} -->",
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(diagram.width)}" '
        f'height="{_n(diagram.height)}" viewBox="0 0 {_n(diagram.width)} {_n(diagram.height)}" '
        f'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="{style.FONT_PX}">',
        "<defs>",
        f'<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="{ARROW}" '
        f'markerHeight="{ARROW}" markerUnits="userSpaceOnUse" orient="auto">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{style.EDGE}"/></marker>',
        "</defs>",
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    for group in groups(items):
        r, (lx, ly) = rects[group.name], diagram.labels[group.name]
        out.append(
            f'<rect class="cluster" data-name="{escape(group.name)}" {_xywh(r)} '
            f'rx="{2 * style.ROUND}" fill="{style.CLUSTER}" fill-opacity="{style.CLUSTER_OPACITY}" '
            f'stroke="{style.CLUSTER}" stroke-dasharray="4 3"/>'
        )
        out.append(
            f'<text x="{_n(lx)}" y="{_n(ly)}" font-style="italic">{escape(group.label)}</text>'
        )
    for (source, target), points in diagram.paths.items():
        d = " ".join(f"{'M' if i == 0 else 'L'}{_n(x)},{_n(y)}" for i, (x, y) in enumerate(points))
        out.append(
            f'<path data-source="{escape(source)}" data-target="{escape(target)}" d="{d}" '
            f'fill="none" stroke="{style.EDGE}" marker-end="url(#arrow)"/>'
        )
    for box in boxes(items):
        r = rects[box.name]
        width = style.OUTPUT_STROKE_W if box.output else style.STROKE_W
        out.append(
            f'<rect class="node" data-name="{escape(box.name)}" {_xywh(r)} rx="{style.ROUND}" '
            f'fill="{style.FILL[box.kind]}" stroke="{style.STROKE}" stroke-width="{width}"/>'
        )
        for i, line in enumerate(box.lines):
            weight = ' font-weight="bold"' if i == 0 else ""
            x, y = _n(r.x + r.w / 2), _n(style.baseline(r.y, i))
            out.append(f'<text x="{x}" y="{y}" text-anchor="middle"{weight}>{escape(line)}</text>')
    return "\n".join(out + ["</svg>", ""])


def _xywh(r) -> str:
    return f'x="{_n(r.x)}" y="{_n(r.y)}" width="{_n(r.w)}" height="{_n(r.h)}"'


def _n(value: float) -> str:
    """A coordinate, short and the same on every platform."""
    return f"{value:.1f}".removesuffix(".0")
