"""Static shape inference, variables, parameter and FLOP counts through the whole network
(no TF)."""

from __future__ import annotations

from dataclasses import dataclass, field

from netspec.layers import LAYER_TYPES, ShapeError
from netspec.layers.base import count
from netspec.spec.graph import Graph, Node

BYTES_PER_VALUE = 4  # float32 activations


@dataclass(frozen=True)
class LayerInfo:
    name: str  # full name (netspec.spec.graph)
    type: str
    inputs: tuple[str, ...]  # full names of what it reads
    input_shape: tuple  # a merge layer's: the tuple of its inputs' shapes
    output_shape: tuple
    # Each Keras variable's name and shape in creation order: `<name>/<variable>` in
    # checkpoints and exports (LayerType.variables).
    variables: dict[str, tuple[int, ...]] = field(hash=False)
    flops: int  # multiply-adds count as 2
    where: tuple  # document path of the layer as written
    scope: tuple[str, ...] = ()  # the block instances it sits in
    state: tuple[str, ...] = ()  # the variables training does not update by gradient

    @property
    def params(self) -> int:
        return count(self.variables)

    @property
    def trainable(self) -> int:
        """Of params."""
        return count(self.variables, self.state)

    @property
    def activation_bytes(self) -> int:
        count = 1
        for d in self.output_shape:
            count *= d
        return count * BYTES_PER_VALUE


def infer(graph: Graph, input_shape) -> tuple[list[LayerInfo], tuple[Node, ShapeError] | None]:
    """Walk the graph; returns the layers' infos and, if a layer rejects its input,
    (node, ShapeError) of the first one that does (later shapes are then unknown)."""
    shapes = {graph.input: tuple(input_shape)}
    infos = []
    for node in graph.nodes():
        kind = LAYER_TYPES[node.type]
        given = tuple(shapes[name] for name in node.inputs)
        shape = given if kind.merge else given[0]
        try:
            out = tuple(kind.infer(node.layer, shape))
        except ShapeError as err:
            if kind.merge:
                named = ", ".join(f"'{name}'" for name in node.inputs)
                err = ShapeError(f"{err.message} (from {named})", err.field, err.hint)
            return infos, (node, err)
        if any(d < 1 for d in out):
            return infos, (
                node,
                ShapeError(
                    f"output shape {list(out)} has a zero-size dimension",
                    hint="the input is too small for this many strides/pools",
                ),
            )
        variables = {
            name: tuple(dims) for name, dims in kind.variables(node.layer, shape, out).items()
        }
        infos.append(
            LayerInfo(
                node.name,
                node.type,
                node.inputs,
                shape,
                out,
                variables,
                kind.flops(node.layer, shape, out),
                node.where,
                node.scope,
                tuple(name for name in kind.state if name in variables),
            )
        )
        shapes[node.name] = out
    return infos, None
