"""upsample: repeat (nearest) or interpolate (bilinear) rows and columns by an integer factor.

FLOPs: nearest copies values, 0. Bilinear counts each output value as a weighted sum of its 4
nearest inputs, 4 multiply-adds = 8 FLOPs (the weights depend only on the position).
"""

from netspec.fields import Field, int_or_pair, pair
from netspec.layers.base import BuildContext, LayerType, elements, require_rank

BILINEAR_FLOPS = 8  # per output value: 4 multiply-adds


def normalize(layer):
    layer["size"] = pair(layer["size"])
    return layer


def infer(layer, shape):
    require_rank(shape, 3, "upsample", hint="upsample scales [height, width, channels] inputs")
    return (shape[0] * layer["size"][0], shape[1] * layer["size"][1], shape[2])


def flops(layer, inp, out):
    return BILINEAR_FLOPS * elements(out) if layer["interpolation"] == "bilinear" else 0


def build(layer, x, ctx: BuildContext):
    from keras import layers

    return layers.UpSampling2D(
        layer["size"], interpolation=layer["interpolation"], name=layer["name"]
    )(x)


UPSAMPLE = LayerType(
    name="upsample",
    doc="Scale height and width up by integer factors (no variables).",
    fields={
        "size": Field(
            int_or_pair(1), "Factor: int or [height, width]; output = input × size.", 2, (2,)
        ),
        "interpolation": Field(
            {"enum": ["nearest", "bilinear"]},
            "`nearest` repeats each value; `bilinear` interpolates between neighbours.",
            "nearest",
        ),
    },
    infer=infer,
    flops=flops,
    build=build,
    normalize=normalize,
    example={"name": "up1", "size": 2, "interpolation": "bilinear"},
)
