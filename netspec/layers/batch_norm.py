"""batch_norm: batch normalization over the last axis (variables gamma, beta, moving_*)."""

from netspec.fields import BOOL, FRACTION, POS_NUMBER, Field
from netspec.layers.base import BuildContext, LayerType, elements


def params(layer, inp, out):
    channels = inp[-1]
    return channels * (2 + int(layer["center"]) + int(layer["scale"]))


def build(layer, x, ctx: BuildContext):
    from keras import layers

    return layers.BatchNormalization(
        momentum=layer["momentum"],
        epsilon=layer["epsilon"],
        center=layer["center"],
        scale=layer["scale"],
        synchronized=layer["sync"],
        name=layer["name"],
    )(x)


BATCH_NORM = LayerType(
    name="batch_norm",
    doc="Batch normalization over the last (channel) axis.",
    fields={
        "momentum": Field(FRACTION, "Momentum of the moving mean/variance.", 0.99),
        "epsilon": Field(POS_NUMBER, "Added to the variance for stability.", 0.001),
        "center": Field(BOOL, "Learn an offset (beta).", True),
        "scale": Field(BOOL, "Learn a scale (gamma).", True),
        "sync": Field(
            BOOL,
            "Under data-parallel training, normalize with the statistics of the whole global "
            "batch (all-reduced across replicas), so 1 or N devices compute the same function. "
            "false: each replica uses its own share of the batch (cheaper, batch-size "
            "dependent). Runs of spec format < 3 read as false (what they trained with).",
            True,
        ),
    },
    infer=lambda layer, shape: shape,
    params=params,
    flops=lambda layer, inp, out: 2 * elements(out),
    trainable=lambda layer, inp, out: inp[-1] * (int(layer["center"]) + int(layer["scale"])),
    build=build,
    example={"name": "bn1"},
)
