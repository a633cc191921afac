"""conv2d: 2-D convolution with strides, dilation and TF-style or mirrored padding.

The window (kernel, stride, padding, dilation, the `<name>_pad` step) is netspec.layers.spatial's,
shared with depthwise_conv2d and separable_conv2d.
"""

from netspec.fields import POS_INT, REQUIRED, Field
from netspec.layers.base import (
    BuildContext,
    LayerType,
    activation_flops,
    kernel_fields,
    kernel_kwargs,
    normalize_kernel_layer,
    with_bias,
)
from netspec.layers.spatial import (
    HELPERS,
    normalize_window,
    pad_step,
    window_fields,
    window_infer,
    window_kwargs,
)
from netspec.layers.spatial import same_pads as same_pads  # re-exported: tests and older code


def normalize(layer):
    return normalize_kernel_layer(normalize_window(layer))


def infer(layer, shape):
    return (*window_infer(layer, shape, "conv2d"), layer["filters"])


def variables(layer, inp, out):
    kh, kw = layer["kernel"]
    return with_bias({"kernel": (kh, kw, inp[2], layer["filters"])}, layer["filters"], layer)


def flops(layer, inp, out):
    kh, kw = layer["kernel"]
    return 2 * out[0] * out[1] * out[2] * kh * kw * inp[2] + activation_flops(layer, out)


def build(layer, x, ctx: BuildContext):
    from keras import layers

    x = pad_step(layer, x, ctx.input_shape)
    return layers.Conv2D(layer["filters"], **window_kwargs(layer), **kernel_kwargs(layer, ctx))(x)


CONV2D = LayerType(
    name="conv2d",
    doc="2-D convolution over [height, width, channels] inputs.",
    fields={
        "filters": Field(POS_INT, "Number of output channels.", REQUIRED, (6, 32)),
        **window_fields(),
        **kernel_fields(),
    },
    infer=infer,
    variables=variables,
    flops=flops,
    build=build,
    normalize=normalize,
    example={"name": "conv1", "filters": 6, "kernel": 6, "stride": 1, "activation": "relu"},
    helpers=HELPERS,
)
