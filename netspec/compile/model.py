"""Resolved spec -> Keras functional model that outputs logits, with stable variable names."""

from __future__ import annotations

import keras

from netspec.layers import LAYER_TYPES, BuildContext
from netspec.spec import Spec
from netspec.spec.seeds import layer_seed


def build_model(spec: Spec) -> keras.Model:
    """Every Keras layer carries its spec layer's name, so variables are `<layer>/<param>`
    however many models this process built before."""
    spec_input = spec.input
    inputs = keras.Input(
        tuple(spec_input["shape"]), dtype=spec_input["dtype"], name=spec_input["name"]
    )
    x = inputs
    if spec_input["dtype"] != "float32":
        x = keras.layers.Identity(dtype="float32", name=f"{spec_input['name']}_cast")(x)
    if spec_input["scale"]:
        scale, offset = rescaling(spec_input["scale"])
        x = keras.layers.Rescaling(scale, offset, name=f"{spec_input['name']}_scale")(x)
    shape = tuple(spec_input["shape"])
    for layer, info in zip(spec.layers, spec.layer_infos()):
        kind = LAYER_TYPES[layer["type"]]
        l2 = layer.get("l2")
        ctx = BuildContext(
            seed=layer_seed(spec.train["seed"], layer["name"]),
            l2=spec.train["l2"] if l2 is None else l2,
            input_shape=shape,
        )
        x = kind.build(layer, x, ctx)
        shape = info.output_shape
    return keras.Model(inputs, x, name=spec.name)


def rescaling(scale: dict) -> tuple[float, float]:
    """(factor, offset) mapping the raw range `from` linearly onto `to`."""
    (lo, hi), (new_lo, new_hi) = scale["from"], scale["to"]
    factor = (new_hi - new_lo) / (hi - lo)
    return factor, new_lo - lo * factor
