"""activation: an activation function as a layer of its own."""

from netspec.fields import REQUIRED, Field
from netspec.layers.base import ACTIVATION, ALPHA, BuildContext, LayerType, activation_fn, elements


def build(layer, x, ctx: BuildContext):
    from keras import layers

    fn = activation_fn(layer["activation"], layer["alpha"]) or "linear"
    return layers.Activation(fn, name=layer["name"])(x)


ACTIVATION_LAYER = LayerType(
    name="activation",
    doc="Apply an activation function.",
    fields={
        "activation": Field(ACTIVATION.schema, ACTIVATION.doc, REQUIRED, ("relu",)),
        "alpha": ALPHA,
    },
    infer=lambda layer, shape: shape,
    flops=lambda layer, inp, out: elements(out),
    build=build,
    example={"activation": "leaky_relu", "alpha": 0.1},
)
