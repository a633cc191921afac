"""train.precision in the compiler: a mixed model computes in bfloat16/float16 on the same
float32 variables, under the same names, and gives float32 logits."""

import keras
import numpy as np
import pytest

import netspec.compile.precision as precision
from netspec.compile import build_model
from netspec.compile.model import FLOAT32_LOGITS
from netspec.errors import UserError
from netspec.runs.checkpoints import model_state, model_weights
from tests.helpers import load_spec

# Every kind of layer and state: uint8 input (cast), scaling, padding, batch norm, a dropout
# RNG, pooling, reshape, an activation layer.
SPEC = """
name: mixed
input: {shape: [12, 12, 1], dtype: uint8, scale: unit}
layers:
  - {type: conv2d, name: conv1, filters: 4, kernel: 3, padding: reflect, activation: relu}
  - {type: batch_norm, name: bn1}
  - {type: max_pool, size: 2}
  - {type: conv2d, name: conv2, filters: 6, kernel: 3, stride: 2}
  - {type: activation, activation: tanh}
  - {type: global_avg_pool}
  - {type: reshape, shape: [6]}
  - {type: dense, name: fc1, units: 16, activation: relu}
  - {type: dropout, rate: 0.25}
  - {type: dense, name: logits, units: 4}
train: {seed: 3, precision: mixed_bfloat16}
data: {source: synthetic, classes: 4}
"""
MIXED = ("mixed_bfloat16", "mixed_float16")


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    return load_spec(tmp_path_factory.mktemp("spec"), SPEC)


@pytest.fixture(scope="module")
def raw():
    return np.random.default_rng(0).integers(0, 256, (8, 12, 12, 1)).astype("uint8")


def spec_layer_names(spec):
    return {layer["name"] for layer in spec.layers}


@pytest.mark.parametrize("chosen", MIXED)
def test_mixed_model_has_the_float32_models_variables(spec, chosen):
    full, mixed = build_model(spec, "float32"), build_model(spec, chosen)
    assert list(model_state(mixed)) == list(model_state(full))
    assert list(model_weights(mixed)) == list(model_weights(full))
    assert "dropout_1/seed_generator_state" in model_state(mixed)
    assert [v.path for v in mixed.weights] == [v.path for v in full.weights]
    assert {v.dtype for v in mixed.weights} == {"float32"}
    for key, variable in model_weights(mixed).items():  # same initial values, too
        np.testing.assert_array_equal(variable.numpy(), model_weights(full)[key].numpy())


@pytest.mark.parametrize("chosen", MIXED)
def test_mixed_layers_compute_in_half_precision_and_logits_are_float32(spec, raw, chosen):
    model = build_model(spec, chosen)
    half = precision.compute_dtype(chosen)
    for layer in model.layers:
        if layer.name in spec_layer_names(spec):
            assert (layer.compute_dtype, layer.variable_dtype) == (half, "float32"), layer.name
    assert model.get_layer("logits").output.dtype == half
    assert model.layers[-1].name == FLOAT32_LOGITS and not model.layers[-1].weights
    assert model.output.dtype == "float32"
    assert model(raw, training=False).dtype == "float32"
    assert precision.precision_of(model) == chosen


def test_precision_defaults_to_the_specs(spec):
    assert precision.precision_of(build_model(spec)) == "mixed_bfloat16"


def test_float32_build_of_a_mixed_spec_computes_only_in_float32(spec, raw):
    model = build_model(spec, "float32")
    assert precision.precision_of(model) == "float32"
    assert {layer.compute_dtype for layer in model.layers} <= {"float32", "uint8"}
    assert FLOAT32_LOGITS not in [layer.name for layer in model.layers]
    assert model(raw, training=False).dtype == "float32"


def test_the_same_weights_give_nearly_the_same_logits(spec, raw):
    full, mixed = build_model(spec, "float32"), build_model(spec, "mixed_bfloat16")
    rng = np.random.default_rng(1)
    for key, variable in model_weights(full).items():
        value = rng.uniform(-0.5, 0.5, variable.shape) + key.endswith("variance")
        variable.assign(value.astype("float32"))
        model_weights(mixed)[key].assign(variable)
    a = np.asarray(full(raw, training=False))
    b = np.asarray(mixed(raw, training=False))
    assert not np.array_equal(a, b)  # really computed in bfloat16
    np.testing.assert_allclose(b, a, atol=0.05 * max(1.0, np.abs(a).max()))


def test_building_never_leaves_a_mixed_policy_behind(spec):
    build_model(spec, "mixed_float16")
    build_model(spec)
    assert keras.config.dtype_policy().name == "float32"
    dense = keras.layers.Dense(2)
    assert dense.compute_dtype == "float32"


def test_the_policy_is_restored_when_a_build_fails(spec, monkeypatch):
    from netspec.compile import model as compiled

    def broken(spec, mixed):
        assert keras.config.dtype_policy().name == "mixed_bfloat16"
        raise RuntimeError("boom")

    monkeypatch.setattr(compiled, "_build", broken)
    with pytest.raises(RuntimeError, match="boom"):
        build_model(spec)
    assert keras.config.dtype_policy().name == "float32"


def test_an_unknown_precision_is_a_bug(spec):
    with pytest.raises(ValueError, match="float64"):
        build_model(spec, "float64")


def test_mixed_float16_needs_a_gpu():
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this host has a GPU")
    with pytest.raises(UserError) as refused:
        precision.check_supported("mixed_float16")
    assert refused.value.message == "train.precision mixed_float16 needs a GPU; this host has none"
    assert refused.value.hint == "use mixed_bfloat16 on CPU, or float32"
    precision.check_supported("mixed_bfloat16")
    precision.check_supported("float32")
