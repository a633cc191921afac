"""separable_conv2d: a depthwise convolution followed by a 1×1 (pointwise) convolution.

Far fewer parameters than conv2d for the same window: kh·kw·C·m + C·m·filters instead of
kh·kw·C·filters. The window is conv2d's (netspec.layers.spatial). Keras 3's SeparableConv2D
names its variables `depthwise_kernel` ([kh, kw, C, m]), `pointwise_kernel`
([1, 1, C·m, filters]) and `bias` ([filters]). `l2` regularizes both kernels, each with λ·Σw²/2.
"""

from netspec.fields import POS_INT, REQUIRED, Field
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
from netspec.layers.depthwise_conv2d import DEPTH_MULTIPLIER
from netspec.layers.spatial import (
    HELPERS,
    normalize_window,
    pad_step,
    window_fields,
    window_infer,
    window_kwargs,
)

INITS = ("depthwise_init", "pointwise_init", "bias_init")


def normalize(layer):
    for key in INITS:
        layer[key] = normalize_initializer(layer[key])
    return normalize_window(layer)


def infer(layer, shape):
    return (*window_infer(layer, shape, "separable_conv2d"), layer["filters"])


def variables(layer, inp, out):
    kh, kw = layer["kernel"]
    middle = inp[2] * layer["depth_multiplier"]  # channels between the two steps
    kernels = {
        "depthwise_kernel": (kh, kw, inp[2], layer["depth_multiplier"]),
        "pointwise_kernel": (1, 1, middle, layer["filters"]),
    }
    return with_bias(kernels, layer["filters"], layer)


def flops(layer, inp, out):
    kh, kw = layer["kernel"]
    middle = inp[2] * layer["depth_multiplier"]
    depthwise = out[0] * out[1] * middle * kh * kw
    pointwise = out[0] * out[1] * middle * layer["filters"]
    return 2 * (depthwise + pointwise) + activation_flops(layer, out)


def build(layer, x, ctx: BuildContext):
    from keras import layers

    x = pad_step(layer, x, ctx.input_shape)
    return layers.SeparableConv2D(
        layer["filters"],
        **window_kwargs(layer),
        depth_multiplier=layer["depth_multiplier"],
        activation=activation_fn(layer["activation"], layer["alpha"]),
        use_bias=layer["use_bias"],
        depthwise_initializer=keras_initializer(layer["depthwise_init"], ctx.seed),
        bias_initializer=keras_initializer(layer["bias_init"], ctx.seed + 1),
        pointwise_initializer=keras_initializer(layer["pointwise_init"], ctx.seed + 2),
        depthwise_regularizer=keras_l2(ctx.l2),
        pointwise_regularizer=keras_l2(ctx.l2),
        name=layer["name"],
    )(x)


SEPARABLE_CONV2D = LayerType(
    name="separable_conv2d",
    doc="Depthwise-separable 2-D convolution: a depthwise step, then a 1×1 convolution to "
    "`filters` channels (variables `depthwise_kernel`, `pointwise_kernel`, `bias`).",
    fields={
        "filters": Field(POS_INT, "Number of output channels.", REQUIRED, (16, 64)),
        **window_fields(),
        "depth_multiplier": DEPTH_MULTIPLIER,
        "activation": ACTIVATION,
        "alpha": ALPHA,
        "use_bias": USE_BIAS,
        "l2": Field(
            L2.schema,
            "L2 factor λ for both kernels, depthwise and pointwise: adds λ·Σw²/2 of each to "
            "the loss (TF1's λ·tf.nn.l2_loss(w); Keras L2(λ/2)). Biases are not regularized. "
            "Default: train.l2.",
        ),
        "depthwise_init": initializer_field("glorot_uniform", "depthwise kernel"),
        "pointwise_init": initializer_field("glorot_uniform", "pointwise kernel"),
        "bias_init": initializer_field("zeros", "bias"),
    },
    infer=infer,
    variables=variables,
    flops=flops,
    build=build,
    normalize=normalize,
    example={"name": "sep1", "filters": 8, "kernel": 3, "activation": "relu"},
    helpers=HELPERS,
)
