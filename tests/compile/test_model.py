"""The compiler: stable names, padding, L2, initial weights and input scaling."""

import keras
import numpy as np
import pytest

from netspec.compile import build_model
from tests.helpers import load_spec as spec_from

pytestmark = pytest.mark.slow  # imports TensorFlow

CNN = """
input: {shape: [12, 12, 1], scale: unit}
layers:
  - {type: conv2d, name: conv1, filters: 4, kernel: 3, activation: relu}
  - {type: batch_norm, name: bn1}
  - {type: max_pool, size: 2}
  - {type: flatten}
  - {type: dropout, rate: 0.5}
  - {type: dense, name: logits, units: 10}
train: {seed: 3}
data: {source: synthetic}
"""


def weights(model):
    return {v.path: v.numpy() for v in model.weights}


def test_variable_paths_do_not_depend_on_models_built_before(tmp_path):
    spec = spec_from(tmp_path, CNN)
    first = build_model(spec)
    build_model(spec_from(tmp_path, CNN.replace("conv1", "other"), "other.yaml"))
    second = build_model(spec)
    expected = [
        "conv1/kernel",
        "conv1/bias",
        "bn1/gamma",
        "bn1/beta",
        "bn1/moving_mean",
        "bn1/moving_variance",
        "logits/kernel",
        "logits/bias",
    ]
    assert [v.path for v in first.weights] == expected
    assert [v.path for v in second.weights] == expected


def test_same_seed_gives_identical_initial_weights(tmp_path):
    a, b = (weights(build_model(spec_from(tmp_path, CNN))) for _ in range(2))
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])


def test_inserting_a_layer_keeps_the_other_layers_initial_weights(tmp_path):
    base = weights(build_model(spec_from(tmp_path, CNN)))
    bigger = CNN.replace(
        "  - {type: flatten}",
        "  - {type: conv2d, name: extra, filters: 4, kernel: 3}\n  - {type: flatten}",
    )
    grown = weights(build_model(spec_from(tmp_path, bigger, "grown.yaml")))
    np.testing.assert_array_equal(base["conv1/kernel"], grown["conv1/kernel"])
    assert "extra/kernel" in grown


def test_another_seed_changes_initial_weights(tmp_path):
    a = weights(build_model(spec_from(tmp_path, CNN)))
    b = weights(build_model(spec_from(tmp_path, CNN.replace("seed: 3", "seed: 4"), "s4.yaml")))
    assert not np.array_equal(a["conv1/kernel"], b["conv1/kernel"])


@pytest.mark.parametrize("mode", ["reflect", "symmetric"])
def test_mirror_padding_pads_like_tf_pad_then_valid_conv(tmp_path, mode):
    import tensorflow as tf

    text = f"""
input: {{shape: [7, 9, 2], scale: none}}
layers:
  - {{type: conv2d, name: conv1, filters: 3, kernel: [4, 3], stride: 2, padding: {mode}}}
  - {{type: flatten}}
  - {{type: dense, name: logits, units: 10}}
data: {{source: synthetic}}
"""
    spec = spec_from(tmp_path, text)
    model = build_model(spec)
    x = np.random.default_rng(0).normal(size=(2, 7, 9, 2)).astype("float32")
    conv_out = keras.Model(model.input, model.get_layer("conv1").output)(x)
    # TF 'same' padding for size 7, kernel 4, stride 2: total 3 -> (1, 2); width 9, k 3: 2 -> (1, 1)
    padded = tf.pad(x, [[0, 0], [1, 2], [1, 1], [0, 0]], mode=mode.upper())
    kernel = model.get_layer("conv1").kernel
    expected = (
        tf.nn.conv2d(padded, kernel, strides=2, padding="VALID") + model.get_layer("conv1").bias
    )
    np.testing.assert_allclose(conv_out, expected, atol=1e-5)
    assert tuple(conv_out.shape[1:]) == spec.layer_infos()[0].output_shape == (4, 5, 3)


def test_l2_means_half_lambda_sum_of_squares(tmp_path):
    text = CNN.replace("units: 10}", "units: 10, l2: 0.5}").replace(
        "train: {seed: 3}", "train: {seed: 3, l2: 0.1}"
    )
    model = build_model(spec_from(tmp_path, text))
    model(np.zeros((1, 12, 12, 1), "float32"))
    w = weights(model)
    expected = 0.1 * np.sum(w["conv1/kernel"] ** 2) / 2 + 0.5 * np.sum(w["logits/kernel"] ** 2) / 2
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-5)


def test_scaling_lives_in_the_model(tmp_path):
    text = """
input: {shape: [4], scale: centered}
layers:
  - {type: dense, name: logits, units: 3, kernel_init: ones, bias_init: zeros}
data: {source: synthetic, classes: 3}
"""
    model = build_model(spec_from(tmp_path, text))
    raw = np.array([[0, 255, 127.5, 255]], "float32")
    # [-0.5, 0.5, 0, 0.5] summed by each unit
    np.testing.assert_allclose(model(raw), [[0.5, 0.5, 0.5]], atol=1e-6)


def test_initializers_follow_the_spec(tmp_path):
    text = """
input: {shape: [50]}
layers:
  - {type: dense, name: logits, units: 400, kernel_init: {type: truncated_normal, stddev: 0.1},
     bias_init: {type: constant, value: 0.1}}
data: {source: synthetic, classes: 400}
"""
    w = weights(build_model(spec_from(tmp_path, text)))
    assert np.all(w["logits/bias"] == np.float32(0.1))
    kernel = w["logits/kernel"]
    assert np.abs(kernel).max() <= 0.2 + 1e-6  # truncated at 2 stddev
    assert 0.07 < kernel.std() < 0.1
