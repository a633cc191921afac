"""flatten: [h, w, c] -> [h·w·c], as the tutorials' tf.reshape(x, [-1, n])."""

from netspec.layers.base import BuildContext, LayerType, elements


def build(layer, x, ctx: BuildContext):
    from keras import layers

    return layers.Flatten(name=layer["name"])(x)


FLATTEN = LayerType(
    name="flatten",
    doc="Flatten everything but the batch axis.",
    fields={},
    infer=lambda layer, shape: (elements(shape),),
    build=build,
)
