"""reshape: to any shape with the same number of elements (one -1 allowed)."""

from netspec.fields import REQUIRED, Field
from netspec.layers.base import BuildContext, LayerType, ShapeError, elements

_DIM = {"type": "integer", "minimum": -1, "not": {"const": 0}}


def infer(layer, shape):
    target = layer["shape"]
    if target.count(-1) > 1:
        raise ShapeError("at most one dimension may be -1", field="shape")
    known = elements([d for d in target if d != -1])
    total = elements(shape)
    if -1 in target:
        if total % known:
            raise ShapeError(
                f"cannot reshape {total} elements ({list(shape)}) into {target}", field="shape"
            )
        return tuple(total // known if d == -1 else d for d in target)
    if known != total:
        raise ShapeError(
            f"cannot reshape {total} elements ({list(shape)}) into {target} ({known} elements)",
            field="shape",
        )
    return tuple(target)


def build(layer, x, ctx: BuildContext):
    from keras import layers

    return layers.Reshape(layer["shape"], name=layer["name"])(x)


RESHAPE = LayerType(
    name="reshape",
    doc="Reshape (batch axis excluded).",
    fields={
        "shape": Field(
            {"type": "array", "items": _DIM, "minItems": 1},
            "Target shape without the batch axis; one entry may be -1.",
            REQUIRED,
            ([28, 28, 1],),
        )
    },
    infer=infer,
    build=build,
    example={"shape": [28, 28, 1]},
)
