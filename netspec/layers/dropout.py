"""dropout: zero a random fraction of activations during training.

Give either `rate` (fraction dropped, Keras) or `keep_prob` (fraction kept, TF1), never both.
"""

from netspec.fields import Field
from netspec.layers.base import BuildContext, LayerType, ShapeError

_OPEN_FRACTION = {"type": "number", "minimum": 0, "exclusiveMaximum": 1}


def normalize(layer):
    keep = layer.pop("keep_prob")
    if keep is not None and layer["rate"] is not None:
        raise ShapeError(
            "give either rate or keep_prob, not both",
            field="keep_prob",
            hint=f"rate = 1 - keep_prob; keep only `rate: {layer['rate']}`",
        )
    if keep is None and layer["rate"] is None:
        raise ShapeError(
            "dropout needs `rate` (fraction dropped) or `keep_prob` (kept)", hint="e.g. `rate: 0.5`"
        )
    if layer["rate"] is None:
        layer["rate"] = round(1.0 - keep, 12)
    return layer


def build(layer, x, ctx: BuildContext):
    from keras import layers

    return layers.Dropout(layer["rate"], seed=ctx.seed, name=layer["name"])(x)


DROPOUT = LayerType(
    name="dropout",
    doc="Dropout during training; identity at inference. Give `rate` or `keep_prob`.",
    fields={
        "rate": Field(
            _OPEN_FRACTION, "Fraction of units dropped (Keras). 0 <= rate < 1.", None, (0.25, 0.5)
        ),
        "keep_prob": Field(
            {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "Fraction of units kept (TF1's keep_prob = 1 - rate).",
            None,
            (0.75,),
        ),
    },
    infer=lambda layer, shape: shape,
    build=build,
    normalize=normalize,
    example={"keep_prob": 0.75},
)
