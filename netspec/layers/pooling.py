"""max_pool and avg_pool: 2-D pooling windows (one rule, two reductions)."""

import math

from netspec.fields import Field, int_or_pair, pair
from netspec.layers.base import BuildContext, LayerType, ShapeError, elements, require_rank


def normalize(layer):
    layer["size"] = pair(layer["size"])
    layer["stride"] = pair(layer["stride"] if layer["stride"] is not None else layer["size"])
    return layer


def infer(layer, shape):
    require_rank(shape, 3, layer["type"])
    out = []
    for axis, dim in enumerate(("height", "width")):
        size, k, s = shape[axis], layer["size"][axis], layer["stride"][axis]
        if layer["padding"] == "same":
            out.append(math.ceil(size / s))
        elif k > size:
            raise ShapeError(
                f"pool {dim} {k} is larger than the input {dim} {size}",
                field="size",
                hint="use padding: same, or a smaller size",
            )
        else:
            out.append((size - k) // s + 1)
    return (out[0], out[1], shape[2])


def flops(layer, inp, out):
    return elements(out) * layer["size"][0] * layer["size"][1]


def _pool_type(name: str, keras_class: str, what: str) -> LayerType:
    def build(layer, x, ctx: BuildContext):
        from keras import layers

        pool = getattr(layers, keras_class)
        return pool(layer["size"], layer["stride"], layer["padding"], name=layer["name"])(x)

    return LayerType(
        name=name,
        doc=f"2-D {what} pooling.",
        fields={
            "size": Field(int_or_pair(1), "Window size: int or [height, width].", 2, (2,)),
            "stride": Field(
                int_or_pair(1), "Stride: int or [height, width]. Default: size.", None, (2,)
            ),
            "padding": Field({"enum": ["same", "valid"]}, "`same` or `valid`.", "same"),
        },
        infer=infer,
        flops=flops,
        build=build,
        normalize=normalize,
        example={"size": 2, "stride": 2},
    )


MAX_POOL = _pool_type("max_pool", "MaxPooling2D", "max")
AVG_POOL = _pool_type("avg_pool", "AveragePooling2D", "average")
