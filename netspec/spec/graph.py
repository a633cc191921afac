"""The network as a graph: nodes that read named inputs, and block instances that group them.

A spec's `layers` (with `inputs:`, `output:` and `type: block` layers) expands into a `Graph`
(netspec.spec.blocks). Every node has a full name: a layer of the top level keeps its own
(`conv1`), a layer inside a block instance is `<instance>/<layer>` (`stage2_1/conv_a`), TF1
name-scope style; its variables are `<full name>/<param>` (`stage2_1/conv_a/kernel`)
everywhere: checkpoints, exports, names.json, summary, init_from.

A reference to a block instance (`stage2_1`) or to a repeated block layer (`stage2`, its last
instance) means its output node; `Graph.output_of` resolves those.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class Node:
    """One layer of the network."""

    name: str  # full name, `stage2_1/conv_a`
    layer: dict  # the resolved layer; layer["name"] is the last part of `name`
    inputs: tuple[str, ...]  # full names of the nodes it reads (the model's input by its name)
    where: tuple  # document path of the layer as written (in a block: in its definition)
    scope: tuple[str, ...] = ()  # full names of the instances it sits in, outermost first

    @property
    def type(self) -> str:
        return self.layer["type"]

    @property
    def instance(self) -> str | None:
        return self.scope[-1] if self.scope else None


@dataclass(frozen=True)
class Instance:
    """One instance of a block: a sub-graph with one input and one output."""

    name: str  # full name, `stage2_1`
    block: str  # the block it instantiates
    input: str  # full name of the node it reads
    output: str  # full name of its output node
    members: tuple[Node | Instance, ...]
    where: tuple  # document path of the `type: block` layer that made it
    scope: tuple[str, ...] = ()  # the instances it sits in (blocks may use blocks)

    def nodes(self) -> Iterator[Node]:
        yield from _nodes(self.members)


@dataclass(frozen=True)
class Graph:
    input: str  # the input's name
    items: tuple[Node | Instance, ...]  # the top level, in spec order
    output: str  # full name of the output node
    aliases: dict  # instance or block-layer name -> full name of its output node

    def nodes(self) -> list[Node]:
        """Every layer, each after the nodes it reads (spec order, blocks expanded in place)."""
        return list(_nodes(self.items))

    def instances(self) -> list[Instance]:
        """Every block instance, outer ones before the instances inside them."""
        return list(_instances(self.items))

    def output_of(self, name: str) -> str:
        return self.aliases.get(name, name)


def _nodes(items) -> Iterator[Node]:
    for item in items:
        if isinstance(item, Instance):
            yield from item.nodes()
        else:
            yield item


def _instances(items) -> Iterator[Instance]:
    for item in items:
        if isinstance(item, Instance):
            yield item
            yield from _instances(item.members)


def selects(pattern: str, name: str) -> bool:
    """Whether `pattern` (a layer or instance name, an inner path `stage2_1/conv_a`, or a
    glob `stage1_*`) selects the layer or instance `name`: it matches the name itself or an
    instance the layer sits in."""
    parts = name.split("/")
    return any(fnmatchcase("/".join(parts[:k]), pattern) for k in range(1, len(parts) + 1))
