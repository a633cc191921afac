"""Diagrams drawn from hand-built graphs: the edges each format shows (expanded and collapsed),
boxes that never overlap, clusters around exactly their members, and byte-identical reruns."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from netspec import diagram
from netspec.diagram.view import boxes
from netspec.errors import UserError
from netspec.spec.graph import Graph, Instance, Node

SVG = "{http://www.w3.org/2000/svg}"


def node(name: str, kind: str, *inputs: str, scope: tuple = ()) -> Node:
    return Node(name, {"name": name.rsplit("/", 1)[-1], "type": kind}, inputs, ("layers",), scope)


def output(item: Node | Instance) -> str:
    return item.output if isinstance(item, Instance) else item.name


def instance(name: str, block: str, members: list, scope: tuple = ()) -> Instance:
    first = members[0]
    reads = first.input if isinstance(first, Instance) else first.inputs[0]
    return Instance(name, block, reads, output(members[-1]), tuple(members), ("layers",), scope)


def graph(*items) -> Graph:
    return Graph("image", items, output(items[-1]), {})


def shapes_of(g: Graph) -> dict:
    return {n.name: (8, 8, 4 + i) for i, n in enumerate(g.nodes())}


def residual(name: str, reads: str, projection: bool, scope: tuple = ()) -> Instance:
    """conv_a, bn_a, relu_a, conv_b, bn_b, add, relu; a projection conv + bn on the shortcut."""
    inside = scope + (name,)

    def n(short, kind, *inputs):
        return node(f"{name}/{short}", kind, *(f"{name}/{i}" for i in inputs), scope=inside)

    members = [
        node(f"{name}/conv_a", "conv2d", reads, scope=inside),
        n("bn_a", "batch_norm", "conv_a"),
        n("relu_a", "relu", "bn_a"),
        n("conv_b", "conv2d", "relu_a"),
        n("bn_b", "batch_norm", "conv_b"),
    ]
    shortcut = reads
    if projection:
        members += [node(f"{name}/proj", "conv2d", reads, scope=inside), n("proj_bn", "bn", "proj")]
        shortcut = f"{name}/proj_bn"
    members += [
        node(f"{name}/add", "add", f"{name}/bn_b", shortcut, scope=inside),
        n("relu", "relu", "add"),
    ]
    return instance(name, "basic", members, scope)


def resnet() -> Graph:
    """Stem, four stages of five residual blocks (each stage an instance of its own, the first
    block of stages 2-4 with a projection shortcut), pooling and a dense head."""
    items = [
        node("conv1", "conv2d", "image"),
        node("bn1", "bn", "conv1"),
        node("relu1", "relu", "bn1"),
    ]
    reads = "relu1"
    for s in range(1, 5):
        stage, blocks = f"stage{s}", []
        for b in range(1, 6):
            blocks.append(residual(f"{stage}/b{b}", reads, s > 1 and b == 1, (stage,)))
            reads = blocks[-1].output
        items.append(instance(stage, "stage", blocks))
    items += [node("pool", "global_avg_pool", reads), node("dense", "dense", "pool")]
    return graph(*items)


def branching() -> Graph:
    return graph(
        node("stem", "conv2d", "image"),
        node("left", "conv2d", "stem"),
        node("mid", "conv2d", "stem"),
        node("right", "max_pool", "stem"),
        node("cat", "concat", "left", "mid", "right"),
        node("sum", "add", "cat", "stem"),
        node("head", "dense", "sum"),
    )


def cells() -> Graph:
    """A block (`cell`) whose members are a layer, an instance of another block and a merge
    reading both; two cells in a row."""

    def cell(name, reads):
        inner = f"{name}/unit"
        unit = instance(
            inner,
            "unit",
            [
                node(f"{inner}/conv", "conv2d", f"{name}/pre", scope=(name, inner)),
                node(f"{inner}/relu", "relu", f"{inner}/conv", scope=(name, inner)),
            ],
            (name,),
        )
        pre = node(f"{name}/pre", "conv2d", reads, scope=(name,))
        merge = node(f"{name}/cat", "concat", f"{name}/pre", unit.output, scope=(name,))
        return instance(name, "cell", [pre, unit, merge])

    first = cell("cell1", "image")
    second = cell("cell2", first.output)
    return graph(first, second, node("out", "dense", second.output))


def expected_edges(g: Graph, depth: int | None = None) -> set:
    """Every input reference, each end replaced by the box it is drawn in at `depth`."""
    scopes = {n.name: n.scope for n in g.nodes()}

    def shown(name):
        scope = scopes.get(name, ())
        return scope[depth] if depth is not None and len(scope) > depth else name

    pairs = {(shown(i), shown(n.name)) for n in g.nodes() for i in n.inputs}
    return {(a, b) for a, b in pairs if a != b}


def dot_edges(text: str) -> set:
    quoted = r'"((?:[^"\\]|\\.)*)"'
    return {(a, b) for a, b in re.findall(rf"^\s*{quoted} -> {quoted};$", text, flags=re.MULTILINE)}


def mermaid_edges(text: str) -> set:
    names = {
        id_: label.split("<br/>")[0]
        for id_, label in re.findall(r'^\s*(n\d+)\["(.*)"\]$', text, flags=re.MULTILINE)
    }
    edges = re.findall(r"^\s*(\w+) --> (\w+)$", text, flags=re.MULTILINE)
    return {(names[a], names[b]) for a, b in edges}


def render(g: Graph, depth=None):
    return diagram.layout(g, shapes_of(g), (32, 32, 3), depth)


def svg_rects(text: str, kind: str) -> dict:
    root = ET.fromstring(text)
    return {
        r.get("data-name"): tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))
        for r in root.iter(f"{SVG}rect")
        if r.get("class") == kind
    }


def overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def inside(a, b) -> bool:
    return (
        b[0] <= a[0] and b[1] <= a[1] and a[0] + a[2] <= b[0] + b[2] and a[1] + a[3] <= b[1] + b[3]
    )


def stack() -> Graph:
    return graph(node("a", "dense", "image"), node("b", "relu", "a"))


GRAPHS = {"stack": stack, "branching": branching, "resnet": resnet, "cells": cells}


@pytest.mark.parametrize("depth", [None, 0, 1, 2])
@pytest.mark.parametrize("name", GRAPHS)
def test_dot_and_mermaid_draw_each_visible_edge_once(name, depth):
    g = GRAPHS[name]()
    d = render(g, depth)
    expected = expected_edges(g, depth)
    dot, mermaid = diagram.to_dot(d), diagram.to_mermaid(d)
    assert dot_edges(dot) == expected
    assert len(re.findall(" -> ", dot)) == len(expected)
    assert mermaid_edges(mermaid) == expected
    assert len(re.findall(" --> ", mermaid)) == len(expected)
    assert set(d.paths) == expected


def test_stack_edges_and_labels():
    d = diagram.layout(stack(), {"a": (10,), "b": (10,)}, (4,))
    dot = diagram.to_dot(d)
    assert dot_edges(dot) == {("image", "a"), ("a", "b")}
    assert '"a" [label="a\\ndense\\n[10]"' in dot
    assert '"image" [label="image\\ninput\\n[4]"' in dot
    assert re.search(r'"b" \[.*penwidth', dot)  # the output stands out
    assert 'n2["b<br/>relu<br/>[10]"]' in diagram.to_mermaid(d)


def test_branching_edges():
    assert dot_edges(diagram.to_dot(render(branching()))) == {
        ("image", "stem"),
        ("stem", "left"),
        ("stem", "mid"),
        ("stem", "right"),
        ("stem", "sum"),
        ("left", "cat"),
        ("mid", "cat"),
        ("right", "cat"),
        ("cat", "sum"),
        ("sum", "head"),
    }


def test_collapsed_instances_are_boxes_with_merged_edges():
    g = resnet()
    dot = diagram.to_dot(render(g, depth=0))
    assert dot_edges(dot) == {
        ("image", "conv1"),
        ("conv1", "bn1"),
        ("bn1", "relu1"),
        ("relu1", "stage1"),
        ("stage1", "stage2"),
        ("stage2", "stage3"),
        ("stage3", "stage4"),
        ("stage4", "pool"),
        ("pool", "dense"),
    }
    assert '"stage2" [label="stage2\\nblock stage\\n[' in dot
    assert "subgraph" not in dot

    depth1 = diagram.to_dot(render(g, depth=1))
    assert ("stage2/b1", "stage2/b2") in dot_edges(depth1)
    assert ("stage1/b5", "stage2/b1") in dot_edges(depth1)
    assert '"stage2/b1" [label="stage2/b1\\nblock basic\\n[' in depth1
    assert 'subgraph "cluster_stage2" {' in depth1
    assert "cluster_stage2/b1" not in depth1

    mermaid = diagram.to_mermaid(render(g, depth=0))
    assert "subgraph" not in mermaid
    assert ("stage3", "stage4") in mermaid_edges(mermaid)


def test_collapsed_output_is_marked():
    g = cells()
    g = Graph(g.input, g.items[:2], "cell2/cat", {})
    d = render(g, depth=0)
    assert [b.name for b in boxes(d.view.items) if b.output] == ["cell2"]


def test_nested_clusters_in_dot_and_mermaid():
    d = render(cells())
    dot = diagram.to_dot(d)
    outer, inner = dot.index('subgraph "cluster_cell1" {'), dot.index('"cluster_cell1/unit"')
    assert outer < inner < dot.index('"cell1/unit/conv" [')
    assert 'label="cell1/unit (block unit)"' in dot
    mermaid = diagram.to_mermaid(d)
    assert re.search(r'subgraph g0 \["cell1 \(block cell\)"\]\n\s+n1\["cell1/pre', mermaid)
    assert re.search(r"\n    subgraph g1 .*\n(      n.*\n)+    end\n    n4\[.*\n  end\n", mermaid)
    ids = re.findall(r"^\s*(?:subgraph )?([^\s\[]+) ?\[", mermaid, flags=re.MULTILINE)
    assert len(ids) == 14 and all(re.fullmatch(r"[gn]\d+", id_) for id_ in ids)


@pytest.mark.parametrize("depth", [None, 1])
@pytest.mark.parametrize("name", GRAPHS)
def test_svg_boxes_never_overlap_and_clusters_hold_exactly_their_members(name, depth):
    g = GRAPHS[name]()
    d = render(g, depth)
    text = diagram.to_svg(d)
    nodes, clusters = svg_rects(text, "node"), svg_rects(text, "cluster")
    assert set(nodes) == {b.name for b in boxes(d.view.items)}
    names = list(nodes.values())
    for i, a in enumerate(names):
        assert not any(overlap(a, b) for b in names[i + 1 :])
    for box, chain in d.view.chains.items():
        for cluster in clusters:
            assert inside(nodes[box], clusters[cluster]) == (cluster in chain), (box, cluster)
    for a, outer in clusters.items():  # clusters are nested or apart
        for b, inner in clusters.items():
            if b.startswith(f"{a}/"):
                assert inside(inner, outer)
            elif not a.startswith(f"{b}/") and a != b:
                assert not overlap(inner, outer), (a, b)
    texts = {t.text for t in ET.fromstring(text).iter(f"{SVG}text")}
    assert set(nodes) <= texts


def test_svg_of_the_resnet_is_readable():
    """One box per layer, skip edges beside the blocks, not through them."""
    g = resnet()
    d = render(g)
    text = diagram.to_svg(d)
    root = ET.fromstring(text)
    nodes = svg_rects(text, "node")
    assert len(nodes) == len(g.nodes()) + 1
    assert len(svg_rects(text, "cluster")) == 24
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "conv2d" in texts and "[8, 8, 4]" in texts and "stage2/b1 (block basic)" in texts
    paths = {
        (p.get("data-source"), p.get("data-target")): p.get("d") for p in root.iter(f"{SVG}path")
    }
    assert set(paths) - {(None, None)} == expected_edges(g)
    for (source, target), points in d.paths.items():
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            assert x0 == x1 or y0 == y1  # vertical and horizontal segments only
            for name, r in nodes.items():
                if name not in (source, target):
                    segment = (min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0))
                    assert not overlap(segment, r), (source, target, name)
        assert points[-1] == (d.rects[target].x + d.rects[target].w / 2, d.rects[target].y)
    assert d.height > d.width  # top-down


def test_svg_escapes_markup():
    g = Graph("in<&>", (node("a", 'say "hi" & <b>', "in<&>"),), "a", {})
    text = diagram.to_svg(diagram.layout(g, {"a": (1,)}, (1,)))
    texts = {t.text for t in ET.fromstring(text).iter(f"{SVG}text")}
    assert {"in<&>", 'say "hi" & <b>'} <= texts
    dot = diagram.to_dot(diagram.layout(g, {"a": (1,)}, (1,)))
    assert '[label="a\\nsay \\"hi\\" & <b>\\n[1]"' in dot
    assert dot_edges(dot) == {("in<&>", "a")}
    mermaid = diagram.to_mermaid(diagram.layout(g, {"a": (1,)}, (1,)))
    assert "#quot;hi#quot; #amp; #lt;b#gt;" in mermaid


def test_write_picks_the_format_by_suffix(tmp_path):
    g = resnet()
    for suffix in (".svg", ".dot", ".mmd", ".mermaid", ".png"):
        diagram.write(g, shapes_of(g), (32, 32, 3), tmp_path / f"net{suffix}")
    assert (tmp_path / "net.svg").read_text().splitlines()[1].startswith("<svg ")
    assert (tmp_path / "net.dot").read_text().splitlines()[1].startswith("digraph ")
    assert (tmp_path / "net.mmd").read_text() == (tmp_path / "net.mermaid").read_text()
    png = (tmp_path / "net.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000
    import matplotlib.image

    pixels = matplotlib.image.imread(tmp_path / "net.png")
    assert pixels.shape[0] > pixels.shape[1] > 200
    left = sorted(p.name for p in tmp_path.iterdir())  # and no temporary files
    assert left == ["net.dot", "net.mermaid", "net.mmd", "net.png", "net.svg"]


def test_output_is_byte_identical_on_every_run(tmp_path):
    g = cells()
    for suffix in (".svg", ".png", ".dot", ".mmd"):
        diagram.write(g, shapes_of(g), (32, 32, 3), tmp_path / f"a{suffix}", depth=1)
        diagram.write(cells(), shapes_of(g), (32, 32, 3), tmp_path / f"b{suffix}", depth=1)
        assert (tmp_path / f"a{suffix}").read_bytes() == (tmp_path / f"b{suffix}").read_bytes()


def test_write_replaces_only_its_own_drawings(tmp_path):
    """A drawing is redrawn in place; a file (or a link) netspec did not draw is refused and
    left as it was, whatever its suffix."""
    g = branching()
    for suffix in (".svg", ".png", ".dot", ".mmd"):
        target = tmp_path / f"net{suffix}"
        diagram.write(cells(), shapes_of(cells()), (32, 32, 3), target)
        diagram.write(g, shapes_of(g), (32, 32, 3), target)  # ours: replaced
        assert target.read_bytes() == _drawn(g, suffix, tmp_path)
    victim = tmp_path / "victim.svg"
    victim.write_text("<svg>mine</svg>")
    (tmp_path / "link.svg").symlink_to(victim)
    for target in (victim, tmp_path / "link.svg"):
        with pytest.raises(UserError, match="is not a drawing of netspec's"):
            diagram.write(g, shapes_of(g), (32, 32, 3), target)
    assert victim.read_text() == "<svg>mine</svg>" and (tmp_path / "link.svg").is_symlink()


def _drawn(g, suffix, tmp_path) -> bytes:
    fresh = tmp_path / "fresh" / f"net{suffix}"
    fresh.parent.mkdir(exist_ok=True)
    diagram.write(g, shapes_of(g), (32, 32, 3), fresh)
    return fresh.read_bytes()


@pytest.mark.parametrize("file", ["net.jpg", "net"])
def test_unknown_suffix_is_a_one_line_user_error(tmp_path, file):
    g = branching()
    with pytest.raises(UserError, match="use one of .svg, .png, .dot, .mmd, .mermaid") as caught:
        diagram.write(g, shapes_of(g), (32, 32, 3), tmp_path / file)
    assert "\n" not in caught.value.message
    assert list(tmp_path.iterdir()) == []


def test_drawing_text_formats_leaves_tensorflow_and_matplotlib_unimported():
    script = (
        "import sys\n"
        "from tests.diagram.test_diagram import render, resnet\n"
        "from netspec import diagram\n"
        "d = render(resnet())\n"
        "diagram.to_svg(d), diagram.to_dot(d), diagram.to_mermaid(d)\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules))\n"
    )
    root = Path(__file__).parents[2]
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=root
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
