"""One harness for every registered layer type: a new type cannot skip it.

Each type's schema example, placed in a small network, must pass the schema and the static
checks, and the Keras model built from it must agree with the type's own rules: output shape,
its variables exactly (names `<name>/<variable>`, shapes, Keras's creation order, which ones
train; the parameter counts derive from them) and the helper steps it declares. (FLOPs have no
Keras counterpart to compare with; tests/spec/test_layers.py checks them by hand.)
"""

from __future__ import annotations

import numpy as np
import pytest

from netspec.compile import build_model
from netspec.errors import UserError
from netspec.layers import LAYER_TYPES
from netspec.spec import load
from tests.helpers import write_spec

INPUTS = ([28, 28, 1], [784])  # the first a type's example accepts is used


def spec_with(kind, tmp_path):
    """The example of `kind` between an input it accepts and a logits layer (a merge
    merges the input with itself)."""
    layer = {**kind.example, "type": kind.name, "name": "probe"}
    if kind.merge:
        layer["inputs"] = ["image", "image"]
    for shape in INPUTS:
        doc = {
            "name": "harness",
            "input": {"shape": shape},
            "layers": [layer, {"type": "flatten"}, {"type": "dense", "name": "logits", "units": 3}],
            "data": {"source": "synthetic", "classes": 3, "examples": 30},
        }
        try:
            return load(write_spec(tmp_path, doc, f"harness-{len(shape)}"))
        except UserError:
            continue
    raise AssertionError(f"the example of {kind.name} fits none of the inputs {INPUTS}")


@pytest.fixture(params=sorted(LAYER_TYPES))
def case(request, tmp_path):
    kind = LAYER_TYPES[request.param]
    spec = spec_with(kind, tmp_path)
    model = build_model(spec)
    info = spec.layer_infos()[0]
    return kind, spec, model, info


def test_the_example_passes_the_schema_and_the_checks(case):
    kind, spec, _, info = case
    assert spec.layers[0]["type"] == kind.name and info.name == "probe"


def test_keras_output_shape_equals_the_shape_rule(case):
    _, _, model, info = case
    assert tuple(model.get_layer("probe").output.shape[1:]) == tuple(info.output_shape)


def assert_declared_variables(layer, info) -> None:
    """Keras's variables of `layer` are exactly the declared ones, in order; those that
    train are the declared ones but the state."""
    keras_variables = [(w.path, tuple(w.shape)) for w in layer.weights]
    declared = [(f"{info.name}/{name}", shape) for name, shape in info.variables.items()]
    assert keras_variables == declared
    assert [w.path for w in layer.trainable_weights] == [
        f"{info.name}/{name}" for name in info.variables if name not in info.state
    ]
    trainable = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
    assert (sum(int(np.prod(w.shape)) for w in layer.weights), trainable) == (
        info.params,
        info.trainable,
    )


def test_keras_variables_are_the_declared_ones(case):
    kind, _, model, info = case
    assert_declared_variables(model.get_layer("probe"), info)
    helpers = [model.get_layer("probe" + s) for s, _ in kind.helpers if _has(model, "probe" + s)]
    assert all(not layer.weights for layer in helpers)  # helper steps hold no variables


def _has(model, name: str) -> bool:
    return any(layer.name == name for layer in model.layers)


VARIANTS = [
    ("batch_norm", {"center": False}),
    ("batch_norm", {"scale": False}),
    ("layer_norm", {"center": False}),
    ("conv2d", {"padding": "reflect"}),
    ("conv2d", {"use_bias": False}),
    ("dense", {"use_bias": False}),
    ("depthwise_conv2d", {"use_bias": False}),
    ("separable_conv2d", {"use_bias": False, "depth_multiplier": 3}),
]


@pytest.mark.parametrize("type_, fields", VARIANTS)
def test_variants_the_examples_do_not_show(type_, fields, tmp_path):
    """batch_norm without beta or gamma (its moving statistics are never trained), layers
    without a bias and conv2d's padding step: declared as Keras makes them, whatever the
    example shows."""
    kind = LAYER_TYPES[type_]
    probe = {**kind.example, **fields, "type": kind.name, "name": "probe"}
    doc = {
        "name": "variant",
        "input": {"shape": [8, 8, 2]},
        "layers": [probe, {"type": "flatten"}, {"type": "dense", "name": "logits", "units": 3}],
        "data": {"source": "synthetic", "classes": 3, "examples": 30},
    }
    if type_ == "dense":
        doc["input"]["shape"] = [12]
    spec = load(write_spec(tmp_path, doc, "variant"))
    model, info = build_model(spec), spec.layer_infos()[0]
    assert_declared_variables(model.get_layer("probe"), info)
    if "padding" in fields:
        assert _has(model, "probe_pad") and not model.get_layer("probe_pad").weights


@pytest.mark.slow
def test_the_exports_pass_the_three_engine_gate(case, tmp_path):
    """SavedModel and ONNX of the network agree with Keras, and name the layer's parameters
    as the checkpoints do."""
    from netspec.export import export_run

    _, spec, model, _ = case
    result = export_run(spec.path, out=tmp_path / "export")
    assert result.report["passed"]
    exported = {parameter["name"] for parameter in result.names["parameters"]}
    assert {w.path for w in model.get_layer("probe").weights} <= exported
