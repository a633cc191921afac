"""What a diagram shows at a given depth: boxes, the groups around them and the edges between.

A block instance nested deeper than `depth` disappears into the box of its enclosing instance
at level `depth`: edges to or from its nodes end at that box, edges inside it vanish, and the
edges that collapsing makes equal are drawn once.
"""

from __future__ import annotations

from dataclasses import dataclass

from netspec.spec.graph import Graph, Instance


@dataclass(frozen=True)
class Box:
    """A layer, the model's input, or a collapsed block instance."""

    name: str
    lines: tuple[str, str, str]  # name, type (`block <block>` when collapsed), shape
    kind: str  # "input", "layer" or "block"
    output: bool  # the model's output is this box (or inside it)


@dataclass(frozen=True)
class Group:
    """An expanded block instance, drawn as a cluster around its members."""

    name: str
    label: str
    members: tuple[Box | Group, ...]


@dataclass(frozen=True)
class View:
    items: tuple[Box | Group, ...]  # the top level, in spec order
    edges: tuple[tuple[str, str], ...]  # (source box, target box), each once
    chains: dict[str, tuple[str, ...]]  # box name -> the groups around it, outermost first


def view(graph: Graph, shapes: dict, input_shape, depth: int | None = None) -> View:
    """What to draw of `graph`: instances nested `depth` deep (0: the top-level ones) are boxes,
    those above them clusters; None expands every instance. `shapes` maps node names to
    output shapes (without the batch)."""
    nodes = {node.name: node for node in graph.nodes()}

    def shown_as(name: str) -> str:
        scope = nodes[name].scope if name in nodes else ()
        return scope[depth] if depth is not None and len(scope) > depth else name

    output = shown_as(graph.output)
    chains: dict[str, tuple[str, ...]] = {graph.input: ()}

    def build(items, chain: tuple[str, ...]):
        for item in items:
            if isinstance(item, Instance) and (depth is None or len(item.scope) < depth):
                inner = tuple(build(item.members, chain + (item.name,)))
                yield Group(item.name, f"{item.name} (block {item.block})", inner)
                continue
            chains[item.name] = chain
            if isinstance(item, Instance):
                lines = (item.name, f"block {item.block}", shape_text(shapes[item.output]))
                yield Box(item.name, lines, "block", item.name == output)
            else:
                lines = (item.name, item.type, shape_text(shapes[item.name]))
                yield Box(item.name, lines, "layer", item.name == output)

    source = Box(graph.input, (graph.input, "input", shape_text(input_shape)), "input", False)
    items = (source, *build(graph.items, ()))
    pairs = (
        (shown_as(name), shown_as(node.name)) for node in graph.nodes() for name in node.inputs
    )
    edges = tuple(pair for pair in dict.fromkeys(pairs) if pair[0] != pair[1])
    return View(items, edges, chains)


def shape_text(shape) -> str:
    """`[32, 32, 64]`, as `netspec summary` prints shapes."""
    return "[" + ", ".join(str(size) for size in shape) + "]"


def boxes(items) -> list[Box]:
    """Every box under `items`, in spec order."""
    return [
        box
        for item in items
        for box in (boxes(item.members) if isinstance(item, Group) else [item])
    ]


def groups(items) -> list[Group]:
    """Every group under `items`, outer ones before those inside them."""
    found = []
    for item in items:
        if isinstance(item, Group):
            found += [item, *groups(item.members)]
    return found
