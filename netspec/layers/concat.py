"""concat: join two or more inputs along one axis (by default channels).

`axis` indexes the shape as the spec writes it, without the batch dimension: 0 .. rank-1, or
negative from the end; the default -1 is the channels of [height, width, channels] and the
features of [features]. Every other dimension must match. Copies only: 0 FLOPs.
"""

from netspec.fields import Field
from netspec.layers.base import BuildContext, LayerType, ShapeError
from netspec.layers.elementwise import listing, require_inputs


def infer(layer, shapes):
    require_inputs(shapes, "concat")
    rank, axis = len(shapes[0]), layer["axis"]
    if any(len(shape) != rank for shape in shapes):
        raise ShapeError(f"concat needs inputs of equal rank, got {listing(shapes)}")
    if not -rank <= axis < rank:
        raise ShapeError(
            f"axis {axis} is out of range for {rank}-D inputs (without batch)",
            field="axis",
            hint=f"use 0..{rank - 1}, or -{rank}..-1 from the end",
        )
    axis %= rank
    rest = lambda shape: [d for i, d in enumerate(shape) if i != axis]  # noqa: E731
    if any(rest(shape) != rest(shapes[0]) for shape in shapes):
        raise ShapeError(
            f"concat needs inputs that match except on axis {layer['axis']}, got {listing(shapes)}",
            hint="match height and width with pooling/upsample, or concatenate on another axis",
        )
    out = list(shapes[0])
    out[axis] = sum(shape[axis] for shape in shapes)
    return tuple(out)


def keras_axis(axis: int) -> int:
    """The Keras axis (the batch dimension counted) of a spec axis (without it)."""
    return axis + 1 if axis >= 0 else axis


def build(layer, xs, ctx: BuildContext):
    from keras import layers

    return layers.Concatenate(axis=keras_axis(layer["axis"]), name=layer["name"])(list(xs))


CONCAT = LayerType(
    name="concat",
    doc="Concatenate two or more inputs along one axis (no variables).",
    fields={
        "axis": Field(
            {"type": "integer"},
            "Axis to join along, counted without the batch dimension: 0 .. rank-1, or "
            "negative from the end. -1: channels (or features). The other dimensions must "
            "match.",
            -1,
            (-1, 0),
        ),
    },
    infer=infer,
    build=build,
    example={"name": "cat1", "inputs": ["conv1", "conv2"], "axis": -1},
    merge=True,
)
