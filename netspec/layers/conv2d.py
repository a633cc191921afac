"""conv2d: 2-D convolution with strides, dilation and TF-style or mirrored padding.

`same` and `valid` are Keras's own. `reflect`, `symmetric` and explicit amounts pad first
(a layer named `<name>_pad`, no variables) and then convolve with `valid`; the mirrored modes
pad exactly as much as `same` would, so the output shape equals `same`'s.
"""

import math

from netspec.fields import NON_NEG_INT, POS_INT, REQUIRED, Field, int_or_pair, pair
from netspec.layers.base import (
    BuildContext,
    LayerType,
    ShapeError,
    activation_flops,
    kernel_fields,
    kernel_kwargs,
    normalize_kernel_layer,
    require_rank,
)

MIRROR_MODES = ("reflect", "symmetric")
PAD = "_pad"  # suffix of the padding step's name

PADDING = Field(
    {
        "type": ["string", "integer", "array"],
        "if": {"type": "string"},
        "then": {"enum": ["same", "valid", *MIRROR_MODES]},
        "else": {
            "if": {"type": "integer"},
            "then": NON_NEG_INT,
            "else": {
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
                "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": NON_NEG_INT},
            },
        },
    },
    "`same` (output = ceil(input/stride)), `valid` (no padding), `reflect` / `symmetric` "
    "(mirror the input by as much as `same` would pad with zeros), or explicit zero padding: "
    "an int for every side, or [[top, bottom], [left, right]].",
    "same",
    ("same", "valid", "reflect", [[1, 1], [2, 2]]),
)


def normalize(layer):
    for key in ("kernel", "stride", "dilation"):
        layer[key] = pair(layer[key])
    if isinstance(layer["padding"], int):
        layer["padding"] = [[layer["padding"]] * 2] * 2
    return normalize_kernel_layer(layer)


def same_pads(size: int, kernel: int, stride: int) -> list[int]:
    """[before, after] zero padding that TF's `same` uses (the extra pixel goes after)."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return [total // 2, total - total // 2]


def pads(layer, shape) -> list[list[int]] | None:
    """Explicit [[top, bottom], [left, right]] padding, or None for Keras's own modes."""
    padding = layer["padding"]
    if isinstance(padding, list):
        return padding
    if padding in MIRROR_MODES:
        return [same_pads(shape[i], effective_kernel(layer, i), layer["stride"][i]) for i in (0, 1)]
    return None


def effective_kernel(layer, axis: int) -> int:
    return (layer["kernel"][axis] - 1) * layer["dilation"][axis] + 1


def infer(layer, shape):
    require_rank(shape, 3, "conv2d", hint="set input.shape to [height, width, channels]")
    if max(layer["stride"]) > 1 and max(layer["dilation"]) > 1:
        raise ShapeError("stride > 1 cannot be combined with dilation > 1", field="dilation")
    explicit = pads(layer, shape)
    out = []
    for axis, dim in enumerate(("height", "width")):
        size, k, s = shape[axis], effective_kernel(layer, axis), layer["stride"][axis]
        if layer["padding"] == "same":
            out.append(math.ceil(size / s))
            continue
        if explicit:
            before, after = explicit[axis]
            needed = max(before, after) + (layer["padding"] == "reflect")
            if layer["padding"] in MIRROR_MODES and size < needed:
                raise ShapeError(
                    f"{layer['padding']} padding of {max(before, after)} needs an "
                    f"input {dim} of at least {needed}, got {size}",
                    field="padding",
                    hint="use `same` padding for small inputs",
                )
            size += before + after
        if k > size:
            raise ShapeError(
                f"kernel {dim} {k} is larger than the (padded) input {dim} {size}",
                field="kernel",
                hint="use padding: same, or a smaller kernel",
            )
        out.append((size - k) // s + 1)
    return (out[0], out[1], layer["filters"])


def params(layer, inp, out):
    kh, kw = layer["kernel"]
    return kh * kw * inp[2] * layer["filters"] + (layer["filters"] if layer["use_bias"] else 0)


def flops(layer, inp, out):
    kh, kw = layer["kernel"]
    return 2 * out[0] * out[1] * out[2] * kh * kw * inp[2] + activation_flops(layer, out)


def build(layer, x, ctx: BuildContext):
    from keras import layers

    explicit = pads(layer, ctx.input_shape)
    if explicit and layer["padding"] in MIRROR_MODES:
        from netspec.layers.mirror_pad import MirrorPad

        x = MirrorPad(explicit, layer["padding"], name=layer["name"] + PAD)(x)
    elif explicit:
        x = layers.ZeroPadding2D(explicit, name=layer["name"] + PAD)(x)
    return layers.Conv2D(
        layer["filters"],
        layer["kernel"],
        strides=layer["stride"],
        padding="same" if layer["padding"] == "same" else "valid",
        dilation_rate=layer["dilation"],
        **kernel_kwargs(layer, ctx),
    )(x)


CONV2D = LayerType(
    name="conv2d",
    doc="2-D convolution over [height, width, channels] inputs.",
    fields={
        "filters": Field(POS_INT, "Number of output channels.", REQUIRED, (6, 32)),
        "kernel": Field(
            int_or_pair(1), "Kernel size: int or [height, width].", REQUIRED, (5, [3, 3])
        ),
        "stride": Field(int_or_pair(1), "Stride: int or [height, width].", 1, (1, 2)),
        "padding": PADDING,
        "dilation": Field(int_or_pair(1), "Dilation rate: int or [height, width].", 1),
        **kernel_fields(),
    },
    infer=infer,
    params=params,
    flops=flops,
    build=build,
    normalize=normalize,
    example={"name": "conv1", "filters": 6, "kernel": 6, "stride": 1, "activation": "relu"},
    helpers=((PAD, "the padding step"),),
)
