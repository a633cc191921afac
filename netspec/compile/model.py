"""Resolved spec -> Keras functional model that outputs logits, with stable variable names."""

from __future__ import annotations

import keras

from netspec.compile.precision import FLOAT32, dtype_policy, resolve
from netspec.layers import LAYER_TYPES, BuildContext
from netspec.spec import Spec
from netspec.spec.graph import Instance
from netspec.spec.sections import CAST, SCALE
from netspec.spec.seeds import layer_seed

# The last layer of a mixed-precision model: casts the logits to float32, holds no variables.
# Spec layer names are lowercase letters, digits and '_', so this one never clashes.
FLOAT32_LOGITS = "float32-logits"


def build_model(spec: Spec, precision: str | None = None) -> keras.Model:
    """Every Keras layer carries its spec layer's name, so variables are `<layer>/<param>`
    however many models this process built before.

    `precision`: float32, mixed_bfloat16 or mixed_float16; None: the spec's train.precision.
    Under a mixed policy the spec's layers compute in bfloat16/float16 on float32 variables;
    the raw input is cast and scaled in float32 (one rounding, after scaling), and a
    variable-free last layer casts the logits to float32. Variables, their names and their
    dtypes are the same in every precision, so weights move between them unchanged.
    """
    precision = resolve(spec, precision)
    with dtype_policy(precision):
        return _build(spec, mixed=precision != FLOAT32)


def _build(spec: Spec, mixed: bool) -> keras.Model:
    spec_input = spec.input
    inputs = keras.Input(
        tuple(spec_input["shape"]), dtype=spec_input["dtype"], name=spec_input["name"]
    )
    x = inputs
    if spec_input["dtype"] != "float32":
        x = keras.layers.Identity(dtype="float32", name=spec_input["name"] + CAST)(x)
    if spec_input["scale"]:
        scale, offset = rescaling(spec_input["scale"])
        x = keras.layers.Rescaling(scale, offset, dtype="float32", name=spec_input["name"] + SCALE)(
            x
        )
    infos = {info.name: info for info in spec.layer_infos()}
    tensors = {spec.graph.input: x}
    _build_items(spec.graph.items, tensors, spec, infos)
    x = tensors[spec.graph.output]
    if mixed:
        x = keras.layers.Activation("linear", dtype="float32", name=FLOAT32_LOGITS)(x)
    return keras.Model(inputs, x, name=spec.name)


def _build_items(items, tensors: dict, spec: Spec, infos: dict) -> None:
    """Call each node's layer on the tensors it reads, adding its output to `tensors`. A block
    instance becomes a nested model built in a name scope of its own, so its variables are
    `<instance>/<layer>/<param>` while each Keras layer keeps its short spec name."""
    for item in items:
        if isinstance(item, Instance):
            tensors[item.output] = _instance(item, spec, infos)(tensors[item.input])
            continue
        kind = LAYER_TYPES[item.type]
        l2 = item.layer.get("l2")
        ctx = BuildContext(
            seed=layer_seed(spec.train["seed"], item.name),
            l2=spec.train["l2"] if l2 is None else l2,
            input_shape=infos[item.name].input_shape,
        )
        given = [tensors[name] for name in item.inputs]
        tensors[item.name] = kind.build(item.layer, given if kind.merge else given[0], ctx)


def _instance(instance: Instance, spec: Spec, infos: dict) -> keras.Model:
    short = instance.name.rsplit("/", 1)[-1]
    shape = infos[instance.input].output_shape if instance.input in infos else spec.input["shape"]
    with keras.name_scope(short):
        inputs = keras.Input(tuple(shape), dtype=keras.config.dtype_policy().compute_dtype)
        tensors = {instance.input: inputs}
        _build_items(instance.members, tensors, spec, infos)
        return keras.Model(inputs, tensors[instance.output], name=short)


def spec_layers(model: keras.Model) -> dict[str, keras.Layer]:
    """Every Keras layer of the model by its full name (`conv1`, `stage2_1/conv_a`,
    `conv1_pad`): the nested models of block instances are walked, not listed."""
    found = {}

    def walk(container, prefix: str) -> None:
        for layer in container.layers:
            if isinstance(layer, keras.Model):
                walk(layer, f"{prefix}{layer.name}/")
            else:
                found[prefix + layer.name] = layer

    walk(model, "")
    return found


def rescaling(scale: dict) -> tuple[float, float]:
    """(factor, offset) mapping the raw range `from` linearly onto `to`."""
    (lo, hi), (new_lo, new_hi) = scale["from"], scale["to"]
    factor = (new_hi - new_lo) / (hi - lo)
    return factor, new_lo - lo * factor
