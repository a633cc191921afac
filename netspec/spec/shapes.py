"""Static shape inference, parameter and FLOP counts through the whole network (no TF)."""

from __future__ import annotations

from dataclasses import dataclass

from netspec.layers import LAYER_TYPES, ShapeError

BYTES_PER_VALUE = 4  # float32 activations


@dataclass(frozen=True)
class LayerInfo:
    index: int
    name: str
    type: str
    input_shape: tuple
    output_shape: tuple
    params: int
    flops: int  # multiply-adds count as 2
    trainable: int  # of params

    @property
    def activation_bytes(self) -> int:
        count = 1
        for d in self.output_shape:
            count *= d
        return count * BYTES_PER_VALUE


def infer(layers: list[dict], input_shape) -> tuple[list[LayerInfo], tuple | None]:
    """Walk the layers; returns their infos and, if a layer rejects its input,
    (index, ShapeError) of the first one that does (later shapes are then unknown)."""
    shape = tuple(input_shape)
    infos = []
    for i, layer in enumerate(layers):
        kind = LAYER_TYPES[layer["type"]]
        try:
            out = tuple(kind.infer(layer, shape))
        except ShapeError as err:
            return infos, (i, err)
        if any(d < 1 for d in out):
            return infos, (
                i,
                ShapeError(
                    f"output shape {list(out)} has a zero-size dimension",
                    hint="the input is too small for this many strides/pools",
                ),
            )
        params = kind.params(layer, shape, out)
        trainable = params if kind.trainable is None else kind.trainable(layer, shape, out)
        infos.append(
            LayerInfo(
                i,
                layer["name"],
                layer["type"],
                shape,
                out,
                params,
                kind.flops(layer, shape, out),
                trainable,
            )
        )
        shape = out
    return infos, None
