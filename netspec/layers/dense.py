"""dense: a fully connected layer, `y = activation(x·W + b)`."""

from netspec.fields import POS_INT, REQUIRED, Field
from netspec.layers.base import (
    BuildContext,
    LayerType,
    ShapeError,
    activation_flops,
    kernel_fields,
    kernel_kwargs,
    normalize_kernel_layer,
    with_bias,
)


def infer(layer, shape):
    if len(shape) != 1:
        raise ShapeError(
            f"dense needs a flat input, got shape {list(shape)}",
            hint="insert `- {type: flatten}` before this layer",
        )
    return (layer["units"],)


def variables(layer, inp, out):
    return with_bias({"kernel": (inp[0], layer["units"])}, layer["units"], layer)


def flops(layer, inp, out):
    return 2 * inp[0] * layer["units"] + activation_flops(layer, out)


def build(layer, x, ctx: BuildContext):
    from keras import layers

    return layers.Dense(layer["units"], **kernel_kwargs(layer, ctx))(x)


DENSE = LayerType(
    name="dense",
    doc="Fully connected layer: activation(x·W + b). Needs a flat input (use flatten first).",
    fields={
        "units": Field(POS_INT, "Number of output units.", REQUIRED, (200, 10)),
        **kernel_fields(),
    },
    infer=infer,
    variables=variables,
    flops=flops,
    build=build,
    normalize=normalize_kernel_layer,
    example={"name": "fc1", "units": 200, "activation": "relu"},
)
