"""The SVG's picture as a PNG, drawn with matplotlib's Agg renderer (no display, no Graphviz).

One layout unit is one pixel at 100 dpi; a picture taller or wider than Agg allows is drawn at
a lower dpi. Matplotlib is imported only here, when a PNG is asked for.
"""

from __future__ import annotations

import io

from netspec.diagram import style
from netspec.diagram.layout import Diagram
from netspec.diagram.svg import ARROW
from netspec.diagram.view import boxes, groups

DPI = 100
MAX_PX = 30000  # Agg refuses images of 2**16 pixels or more in either direction
PT = 72 / DPI  # points per layout unit


def to_png(diagram: Diagram) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch, Polygon

    width, height = diagram.width, diagram.height
    figure = Figure(figsize=(width / DPI, height / DPI))
    FigureCanvasAgg(figure)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    text = {"family": "monospace", "fontsize": style.FONT_PX * PT}

    def rounded(r, radius, **options):
        shape = f"round,pad=0,rounding_size={radius}"
        ax.add_patch(FancyBboxPatch((r.x, r.y), r.w, r.h, boxstyle=shape, **options))

    items, rects = diagram.view.items, diagram.rects
    for group in groups(items):
        r, (lx, ly) = rects[group.name], diagram.labels[group.name]
        fill = (*_rgb(style.CLUSTER), style.CLUSTER_OPACITY)
        rounded(r, 2 * style.ROUND, facecolor=fill, edgecolor=style.CLUSTER, linestyle="--")
        ax.text(lx, ly, group.label, va="baseline", fontstyle="italic", **text)
    for points in diagram.paths.values():
        xs, ys = zip(*points)
        ax.plot(xs, ys, color=style.EDGE, linewidth=PT, solid_joinstyle="miter")
        ax.add_patch(Polygon(_arrowhead(points), closed=True, color=style.EDGE, linewidth=0))
    for box in boxes(items):
        r = rects[box.name]
        stroke = style.OUTPUT_STROKE_W if box.output else style.STROKE_W
        rounded(
            r,
            style.ROUND,
            facecolor=style.FILL[box.kind],
            edgecolor=style.STROKE,
            linewidth=stroke * PT,
        )
        for i, line in enumerate(box.lines):
            weight = "bold" if i == 0 else "normal"
            ax.text(
                r.x + r.w / 2,
                style.baseline(r.y, i),
                line,
                ha="center",
                va="baseline",
                fontweight=weight,
                **text,
            )
    buffer = io.BytesIO()
    figure.savefig(
        buffer,
        format="png",
        dpi=DPI * min(1.0, MAX_PX / max(width, height)),
        metadata={"Software": style.SIGNATURE},
    )
    return buffer.getvalue()


def _arrowhead(points) -> list[tuple[float, float]]:
    """The triangle the SVG marker draws: tip on the last point, along the last segment."""
    (x0, y0), (x1, y1) = points[-2], points[-1]
    length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
    dx, dy = (x1 - x0) / length, (y1 - y0) / length
    bx, by = x1 - ARROW * dx, y1 - ARROW * dy
    half = ARROW / 2
    return [(x1, y1), (bx - half * dy, by + half * dx), (bx + half * dy, by - half * dx)]


def _rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
