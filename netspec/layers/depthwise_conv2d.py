"""depthwise_conv2d: one k×k filter (or `depth_multiplier` of them) per input channel.

No mixing across channels: out channels = in channels × depth_multiplier. The window is
conv2d's (netspec.layers.spatial). Keras 3's DepthwiseConv2D names its variables `kernel`
([kh, kw, in_channels, depth_multiplier]) and `bias` ([in_channels × depth_multiplier]).
"""

from netspec.fields import POS_INT, Field
from netspec.layers.base import (
    ACTIVATION,
    ALPHA,
    L2,
    USE_BIAS,
    BuildContext,
    LayerType,
    activation_flops,
    activation_fn,
    initializer_field,
    keras_initializer,
    keras_l2,
    normalize_initializer,
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

DEPTH_MULTIPLIER = Field(
    POS_INT, "Filters per input channel: output channels = input channels × this.", 1, (1, 2)
)


def normalize(layer):
    layer["depthwise_init"] = normalize_initializer(layer["depthwise_init"])
    layer["bias_init"] = normalize_initializer(layer["bias_init"])
    return normalize_window(layer)


def infer(layer, shape):
    height, width = window_infer(layer, shape, "depthwise_conv2d")
    return (height, width, shape[2] * layer["depth_multiplier"])


def variables(layer, inp, out):
    kh, kw = layer["kernel"]
    return with_bias({"kernel": (kh, kw, inp[2], layer["depth_multiplier"])}, out[2], layer)


def flops(layer, inp, out):
    kh, kw = layer["kernel"]
    return 2 * out[0] * out[1] * out[2] * kh * kw + activation_flops(layer, out)


def build(layer, x, ctx: BuildContext):
    from keras import layers

    x = pad_step(layer, x, ctx.input_shape)
    return layers.DepthwiseConv2D(
        **window_kwargs(layer),
        depth_multiplier=layer["depth_multiplier"],
        activation=activation_fn(layer["activation"], layer["alpha"]),
        use_bias=layer["use_bias"],
        depthwise_initializer=keras_initializer(layer["depthwise_init"], ctx.seed),
        bias_initializer=keras_initializer(layer["bias_init"], ctx.seed + 1),
        depthwise_regularizer=keras_l2(ctx.l2),
        name=layer["name"],
    )(x)


DEPTHWISE_CONV2D = LayerType(
    name="depthwise_conv2d",
    doc="Depthwise 2-D convolution: each input channel convolved on its own "
    "(variables `kernel` [kh, kw, in, depth_multiplier] and `bias`).",
    fields={
        **window_fields(),
        "depth_multiplier": DEPTH_MULTIPLIER,
        "activation": ACTIVATION,
        "alpha": ALPHA,
        "use_bias": USE_BIAS,
        "l2": L2,
        "depthwise_init": initializer_field("glorot_uniform", "depthwise kernel"),
        "bias_init": initializer_field("zeros", "bias"),
    },
    infer=infer,
    variables=variables,
    flops=flops,
    build=build,
    normalize=normalize,
    example={"name": "dw1", "kernel": 3, "depth_multiplier": 2, "activation": "relu"},
    helpers=HELPERS,
)
