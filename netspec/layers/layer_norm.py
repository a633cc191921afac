"""layer_norm: normalize each position over its last (channel) axis, per example.

Unlike batch_norm it keeps no moving statistics (variables only `gamma` and `beta`, both
trained), so it behaves the same in training and inference and for any batch size.
FLOPs per value: 5 for the statistics (mean: 1 add; deviation: 1 subtract; variance: 1
multiply-add; normalize: 1 multiply by 1/σ) plus batch_norm's 2 for the affine step, whether
or not center/scale are on (as batch_norm counts); the per-position 1/σ is not counted.
"""

from netspec.layers.base import BuildContext, LayerType, elements
from netspec.layers.batch_norm import AFFINE, affine_variables

FLOPS_PER_VALUE = 7


def variables(layer, inp, out):
    return affine_variables(layer, inp[-1])


def build(layer, x, ctx: BuildContext):
    from keras import layers

    return layers.LayerNormalization(
        axis=-1,
        epsilon=layer["epsilon"],
        center=layer["center"],
        scale=layer["scale"],
        name=layer["name"],
    )(x)


LAYER_NORM = LayerType(
    name="layer_norm",
    doc="Layer normalization over the last (channel) axis, with each example's own statistics.",
    fields=AFFINE,
    infer=lambda layer, shape: shape,
    variables=variables,
    flops=lambda layer, inp, out: FLOPS_PER_VALUE * elements(out),
    build=build,
    example={"name": "ln1"},
)
