"""Positions for a view: a top-down layered layout, computed here (no Graphviz, deterministic).

Each group (an expanded block instance) is laid out on its own and then placed in its parent
as one opaque box, so a cluster's rectangle holds its members' boxes and nothing else.

Within a level, a box starts GAP below the lowest box it reads (the longest path from the
input, in pixels rather than ranks, since groups are taller than boxes). Boxes are placed top
down in spec order, each at its first input's x or, if boxes beside it are in the way, the
nearest free spot to the right of that. An edge that a straight drop would run through a box
(the skip connection of a residual block) gets a lane of its own on the right of the boxes it
passes. Edges enter a group at the top of its rectangle and leave at the bottom, continuing
on the group's own routes: every edge is a chain of vertical and horizontal segments.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from netspec.diagram import style
from netspec.diagram.view import Box, Group, View, view
from netspec.spec.graph import Graph

GAP = 24  # vertical space between a box and the boxes reading it
BOX_MARGIN = 12  # half the horizontal space between boxes
LANE_MARGIN = 5  # half the horizontal space between a lane and its neighbours
MARGIN = 20  # around the whole picture
GROUP_PAD = 12  # between a cluster's border and its members, left, right and bottom
LABEL_H = 24  # a cluster's label, above its members
ENTRY, EXIT = "<entry>", "<exit>"  # where edges come into and leave a group
TOP = ""  # the level outside every group

Point = tuple[float, float]


class Rect(NamedTuple):
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass(frozen=True)
class Diagram:
    view: View
    width: float
    height: float
    rects: dict[str, Rect]  # every box and every group, by name
    labels: dict[str, Point]  # where each group's label starts (left end of its baseline)
    paths: dict[tuple[str, str], tuple[Point, ...]]  # each edge, arrowhead at the last point


@dataclass
class _Level:
    """One group (or the top) laid out in its own coordinates, its rectangle at (0, 0)."""

    width: float
    height: float
    places: dict[str, Point]  # member -> top-left
    entry_x: float
    exit_x: float
    label: Point
    routes: dict[tuple[str, str], list[Point]]  # member, ENTRY or EXIT -> member or EXIT
    inner: dict[str, _Level]


def layout(graph: Graph, shapes: dict, input_shape, depth: int | None = None) -> Diagram:
    """`graph` positioned for drawing, instances nested `depth` deep collapsed (see `view`)."""
    seen = view(graph, shapes, input_shape, depth)
    steps = {edge: _steps(edge, seen.chains) for edge in seen.edges}
    local: dict[str, dict] = defaultdict(dict)  # level -> its edges, in order, once each
    for edge_steps in steps.values():
        for level, edge in edge_steps:
            local[level][edge] = None
    top = _arrange(seen.items, local, TOP, None)

    rects: dict[str, Rect] = {}
    labels: dict[str, Point] = {}
    origins: dict[str, Point] = {TOP: (0.0, 0.0)}
    levels = {TOP: top}

    def place(level: _Level, name: str, items) -> None:
        ox, oy = origins[name]
        for item in items:
            x, y = level.places[item.name]
            x, y = x + ox, y + oy
            if isinstance(item, Group):
                levels[item.name] = inner = level.inner[item.name]
                rects[item.name] = Rect(x, y, inner.width, inner.height)
                labels[item.name] = (x + inner.label[0], y + inner.label[1])
                origins[item.name] = (x, y)
                place(inner, item.name, item.members)
            else:
                rects[item.name] = Rect(x, y, *_box_size(item))

    place(top, TOP, seen.items)
    paths = {}
    for edge, edge_steps in steps.items():
        points = []
        for level, part in edge_steps:
            ox, oy = origins[level]
            points += [(x + ox, y + oy) for x, y in levels[level].routes[part]]
        paths[edge] = tuple(_simplify(points))
    return Diagram(seen, top.width, top.height, rects, labels, paths)


def _steps(edge: tuple[str, str], chains: dict) -> list[tuple[str, tuple[str, str]]]:
    """The per-level edges an edge is drawn as: out of the groups around its source (innermost
    first), across the innermost level holding both ends, into the groups around its target."""
    source, target = edge
    up, down = chains[source], chains[target]
    shared = 0
    while shared < min(len(up), len(down)) and up[shared] == down[shared]:
        shared += 1

    def level(chain, k):
        return chain[k - 1] if k else TOP

    def item(chain, k, name):
        return chain[k] if k < len(chain) else name

    out = [(up[k - 1], (item(up, k, source), EXIT)) for k in range(len(up), shared, -1)]
    across = [(level(up, shared), (item(up, shared, source), item(down, shared, target)))]
    into = [(down[k - 1], (ENTRY, item(down, k, target))) for k in range(shared + 1, len(down) + 1)]
    return out + across + into


def _box_size(box: Box) -> tuple[float, float]:
    longest = max(style.text_width(line) for line in box.lines)
    return math.ceil(longest) + 2 * style.TEXT_PAD_X, style.BOX_H


def _arrange(items, local: dict, name: str, label: str | None) -> _Level:
    """Lay out one level: `items` and the edges `local[name]` between them."""
    edges = list(local[name])
    size, in_dx, out_dx, inner = {}, {}, {}, {}
    for item in items:
        if isinstance(item, Group):
            inner[item.name] = sub = _arrange(item.members, local, item.name, item.label)
            size[item.name] = (sub.width, sub.height)
            in_dx[item.name], out_dx[item.name] = sub.entry_x, sub.exit_x
        else:
            size[item.name] = _box_size(item)
            in_dx[item.name] = out_dx[item.name] = size[item.name][0] / 2
    names = [item.name for item in items]
    order = {n: i for i, n in enumerate(names)}
    reads = defaultdict(list)
    for u, v in edges:
        if u != ENTRY and v != EXIT:
            reads[v].append(u)

    top: dict[str, float] = {}
    for n in names:  # spec order: every item after the items it reads
        top[n] = max((top[u] + size[u][1] + GAP for u in reads[n]), default=0.0)
    left: dict[str, float] = {}
    taken: list[tuple[float, float, float, float, float]] = []  # left, right, top, bottom, margin
    for n in sorted(names, key=lambda n: (top[n], order[n])):
        want = left[reads[n][0]] + out_dx[reads[n][0]] if reads[n] else 0.0
        left[n] = _free(want - in_dx[n], size[n][0], top[n], top[n] + size[n][1], BOX_MARGIN, taken)
        taken.append((left[n], left[n] + size[n][0], top[n], top[n] + size[n][1], BOX_MARGIN))

    rects = {n: Rect(left[n], top[n], *size[n]) for n in names}
    lowest = max(r.bottom for r in rects.values())
    entry_x = next((left[v] + in_dx[v] for u, v in edges if u == ENTRY), 0.0)
    exit_x = next((left[u] + out_dx[u] for u, v in edges if v == EXIT), entry_x)

    def ends(u: str, v: str) -> tuple[Point, Point]:
        start = (entry_x, -GAP) if u == ENTRY else (left[u] + out_dx[u], rects[u].bottom)
        end = (exit_x, lowest + GAP) if v == EXIT else (left[v] + in_dx[v], top[v])
        return start, end

    routes, blocked = {}, []
    for i, (u, v) in enumerate(edges):
        (sx, sy), (ex, ey) = ends(u, v)
        path = [(sx, sy), (sx, ey - GAP / 2), (ex, ey - GAP / 2), (ex, ey)]
        others = [r for n, r in rects.items() if n not in (u, v)]
        if any(_crosses(a, b, r) for a, b in zip(path, path[1:]) for r in others):
            blocked.append((ey - sy, i, u, v))  # shortest first: they take the inner lanes
        else:
            routes[(u, v)] = path
    lanes = []
    for _, _, u, v in sorted(blocked):
        (sx, sy), (ex, ey) = ends(u, v)
        y1, y2 = sy + GAP / 2, ey - GAP / 2
        x = _free(sx, 0.0, y1, y2, LANE_MARGIN, taken)
        taken.append((x, x, y1, y2, LANE_MARGIN))
        lanes.append(x)
        routes[(u, v)] = [(sx, sy), (sx, y1), (x, y1), (x, y2), (ex, y2), (ex, ey)]

    xs = [left[n] for n in names] + [r.right for r in rects.values()] + lanes
    if label is None:  # the top level
        x0, y0 = min(xs) - MARGIN, -MARGIN
        x1, y1 = max(xs) + MARGIN, lowest + MARGIN
        label_at = (0.0, 0.0)
    else:  # a group: its label right of where edges come in, so they never cross it
        xs += [entry_x, exit_x]
        x0, y0 = min(xs) - GROUP_PAD, -(LABEL_H + GAP / 2)
        label_at = (entry_x + 8, y0 + LABEL_H - 9)
        x1 = max(max(xs) + GROUP_PAD, label_at[0] + style.text_width(label) + GROUP_PAD)
        y1 = lowest + GAP
    for (u, _), path in routes.items():
        if u == ENTRY:  # start on the group's border
            path[0] = (path[0][0], y0)
    return _Level(
        width=x1 - x0,
        height=y1 - y0,
        places={n: (left[n] - x0, top[n] - y0) for n in names},
        entry_x=entry_x - x0,
        exit_x=exit_x - x0,
        label=(label_at[0] - x0, label_at[1] - y0),
        routes={e: [(x - x0, y - y0) for x, y in path] for e, path in routes.items()},
        inner=inner,
    )


def _free(want: float, width: float, top: float, bottom: float, margin: float, taken) -> float:
    """The left edge nearest `want`, never left of it (so siblings keep their spec order, left to
    right, and lanes all pass on the right), at which a `width` wide thing spanning `top`..`bottom`
    keeps its margin from everything `taken` in those rows."""
    near = [t for t in taken if t[2] < bottom and t[3] > top]

    def fits(spot: float) -> bool:
        return all(
            spot + width + margin <= lft - m + 1e-6 or spot - margin >= right + m - 1e-6
            for lft, right, _, _, m in near
        )

    spots = [want] + [right + m + margin for _, right, _, _, m in near]
    return min(spot for spot in spots if spot >= want and fits(spot))


def _crosses(a: Point, b: Point, r: Rect, clearance: float = 2.0) -> bool:
    """Whether the axis-parallel segment a-b passes through `r` (or within `clearance`)."""
    (x0, x1), (y0, y1) = sorted((a[0], b[0])), sorted((a[1], b[1]))
    return (
        x0 < r.right + clearance
        and x1 > r.x - clearance
        and y0 < r.bottom + clearance
        and y1 > r.y - clearance
    )


def _simplify(points: list[Point]) -> list[Point]:
    """`points` without repeats and without points in the middle of a straight run."""
    kept: list[Point] = []
    for p in points:
        if kept and p == kept[-1]:
            continue
        if len(kept) >= 2 and (
            kept[-2][0] == kept[-1][0] == p[0] or kept[-2][1] == kept[-1][1] == p[1]
        ):
            kept[-1] = p
        else:
            kept.append(p)
    return kept
