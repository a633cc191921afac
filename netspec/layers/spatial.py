"""The sliding-window rule shared by conv2d, depthwise_conv2d and separable_conv2d.

Their kernel, stride, padding and dilation mean the same thing, so the fields, the spatial
shape rule (with its errors) and the padding step live here once. `same` and `valid` are
Keras's own. `reflect`, `symmetric` and explicit amounts pad first (a variable-free layer
named `<name>_pad`) and then slide the window with `valid`; the mirrored modes pad exactly as
much as `same` would pad with zeros, so their output shape equals `same`'s.
"""

import math

from netspec.fields import NON_NEG_INT, REQUIRED, Field, int_or_pair, pair
from netspec.layers.base import Shape, ShapeError, require_rank

MIRROR_MODES = ("reflect", "symmetric")
PAD = "_pad"  # suffix of the padding step's name
HELPERS = ((PAD, "the padding step"),)

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


def window_fields() -> dict[str, Field]:
    """kernel, stride, padding and dilation, in that order."""
    return {
        "kernel": Field(
            int_or_pair(1), "Kernel size: int or [height, width].", REQUIRED, (5, [3, 3])
        ),
        "stride": Field(int_or_pair(1), "Stride: int or [height, width].", 1, (1, 2)),
        "padding": PADDING,
        "dilation": Field(int_or_pair(1), "Dilation rate: int or [height, width].", 1),
    }


def normalize_window(layer: dict) -> dict:
    for key in ("kernel", "stride", "dilation"):
        layer[key] = pair(layer[key])
    if isinstance(layer["padding"], int):
        layer["padding"] = [[layer["padding"]] * 2] * 2
    return layer


def same_pads(size: int, kernel: int, stride: int) -> list[int]:
    """[before, after] zero padding that TF's `same` uses (the extra pixel goes after)."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return [total // 2, total - total // 2]


def effective_kernel(layer: dict, axis: int) -> int:
    return (layer["kernel"][axis] - 1) * layer["dilation"][axis] + 1


def pads(layer: dict, shape: Shape) -> list[list[int]] | None:
    """Explicit [[top, bottom], [left, right]] padding, or None for Keras's own modes."""
    padding = layer["padding"]
    if isinstance(padding, list):
        return padding
    if padding in MIRROR_MODES:
        return [same_pads(shape[i], effective_kernel(layer, i), layer["stride"][i]) for i in (0, 1)]
    return None


def window_infer(layer: dict, shape: Shape, what: str) -> tuple[int, int]:
    """Output (height, width) of the window slid over a [height, width, channels] input."""
    require_rank(shape, 3, what, hint="set input.shape to [height, width, channels]")
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
    return out[0], out[1]


def pad_step(layer: dict, x, input_shape: Shape):
    """`x` through the `<name>_pad` step if the padding needs one, else `x` itself."""
    explicit = pads(layer, input_shape)
    if not explicit:
        return x
    if layer["padding"] in MIRROR_MODES:
        from netspec.layers.mirror_pad import MirrorPad

        return MirrorPad(explicit, layer["padding"], name=layer["name"] + PAD)(x)
    from keras import layers

    return layers.ZeroPadding2D(explicit, name=layer["name"] + PAD)(x)


def window_kwargs(layer: dict) -> dict:
    """Keras keyword arguments of the window, for the input after `pad_step`."""
    return dict(
        kernel_size=layer["kernel"],
        strides=layer["stride"],
        padding="same" if layer["padding"] == "same" else "valid",
        dilation_rate=layer["dilation"],
    )
