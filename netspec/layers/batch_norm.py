"""batch_norm: batch normalization over the last axis (variables gamma, beta, moving_*)."""

from netspec.fields import BOOL, FRACTION, POS_NUMBER, Field
from netspec.layers.base import BuildContext, LayerType, elements

MOVING = ("moving_mean", "moving_variance")  # updated by the forward pass, not by gradient
# The normalization fields batch_norm and layer_norm share, and their learned variables.
AFFINE = {
    "epsilon": Field(POS_NUMBER, "Added to the variance for stability.", 0.001),
    "center": Field(BOOL, "Learn an offset (beta).", True),
    "scale": Field(BOOL, "Learn a scale (gamma).", True),
}


def affine_variables(layer, channels: int) -> dict[str, tuple]:
    """gamma and beta, as far as `scale` and `center` ask for them (Keras's order)."""
    on = (("gamma", layer["scale"]), ("beta", layer["center"]))
    return {name: (channels,) for name, wanted in on if wanted}


def variables(layer, inp, out):
    return {**affine_variables(layer, inp[-1]), **{name: (inp[-1],) for name in MOVING}}


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
        **AFFINE,
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
    variables=variables,
    state=MOVING,
    flops=lambda layer, inp, out: 2 * elements(out),
    build=build,
    example={"name": "bn1"},
)
