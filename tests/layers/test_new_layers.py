"""depthwise_conv2d, separable_conv2d, upsample, layer_norm, add, multiply and concat.

Each configuration is built through the type's own builder on `keras.Input`s and must agree
with the type's rules: output shape, its declared variables (names, shapes, order) and the
parameter and trainable counts derived from them. FLOPs
and the shape errors are worked out by hand.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from netspec.fields import with_defaults
from netspec.layers import LAYER_TYPES, BuildContext, ShapeError

NAME = "probe"


def resolved(type_: str, **fields) -> dict:
    """A layer as the loader leaves it: defaults filled in, normalized."""
    kind = LAYER_TYPES[type_]
    given = {"type": type_, "name": NAME, **fields}
    return kind.normalize(with_defaults(given, kind.all_fields()))


def infer(type_: str, input_shape, **fields) -> tuple:
    return tuple(LAYER_TYPES[type_].infer(resolved(type_, **fields), input_shape))


def build(type_: str, input_shape, l2: float = 0.0, **fields):
    """(layer, Keras model, expected output shape): one input shape, or a tuple of them for a
    merge."""
    kind = LAYER_TYPES[type_]
    layer = resolved(type_, **fields)
    shapes = tuple(tuple(s) for s in input_shape) if kind.merge else tuple(input_shape)
    out_shape = tuple(kind.infer(layer, shapes))
    inputs = [keras.Input(s) for s in shapes] if kind.merge else keras.Input(shapes)
    ctx = BuildContext(seed=1, l2=l2, input_shape=shapes)
    out = kind.build(layer, inputs, ctx)
    return layer, keras.Model(inputs, out), shapes, out_shape


def count(weights) -> int:
    return sum(int(np.prod(w.shape)) for w in weights)


def assert_agrees_with_keras(type_: str, input_shape, **fields) -> keras.Model:
    kind = LAYER_TYPES[type_]
    layer, model, shapes, out_shape = build(type_, input_shape, **fields)
    assert tuple(model.output.shape[1:]) == out_shape
    probe = model.get_layer(NAME)
    helpers = [model.get_layer(NAME + s) for s, _ in kind.helpers if _has(model, NAME + s)]
    assert all(not h.weights for h in helpers)  # helper steps hold no variables
    declared = kind.variables(layer, shapes, out_shape)
    assert [(w.path, tuple(w.shape)) for w in probe.weights] == [
        (f"{NAME}/{name}", shape) for name, shape in declared.items()
    ]
    assert count(probe.weights) == kind.params(layer, shapes, out_shape)
    assert count(probe.trainable_weights) == kind.trainable(layer, shapes, out_shape)
    return model


def _has(model, name: str) -> bool:
    return any(layer.name == name for layer in model.layers)


def paths(model) -> set[str]:
    return {w.path for w in model.get_layer(NAME).weights}


# --- depthwise_conv2d ----------------------------------------------------------------------

WINDOWS = [
    ((8, 8, 3), {"kernel": 3}, (8, 8)),
    ((9, 9, 3), {"kernel": 3, "stride": 2, "padding": "valid"}, (4, 4)),
    ((9, 10, 2), {"kernel": [3, 5], "stride": [2, 1]}, (5, 10)),
    ((10, 10, 2), {"kernel": 3, "dilation": 2, "padding": "valid"}, (6, 6)),  # effective 5
    ((10, 10, 2), {"kernel": 3, "dilation": [2, 1]}, (10, 10)),
    ((9, 9, 2), {"kernel": 4, "stride": 2, "padding": "reflect"}, (5, 5)),  # as same
    ((6, 6, 2), {"kernel": 3, "padding": "symmetric"}, (6, 6)),
    ((6, 6, 2), {"kernel": 3, "padding": [[1, 0], [2, 2]]}, (5, 8)),
    ((6, 6, 2), {"kernel": 3, "padding": 2}, (8, 8)),
]


@pytest.mark.parametrize("multiplier", [1, 3])
@pytest.mark.parametrize("input_shape, fields, spatial", WINDOWS)
def test_depthwise_conv2d_agrees_with_keras(input_shape, fields, spatial, multiplier):
    model = assert_agrees_with_keras(
        "depthwise_conv2d", input_shape, depth_multiplier=multiplier, **fields
    )
    assert tuple(model.output.shape[1:]) == (*spatial, input_shape[2] * multiplier)
    assert paths(model) == {"probe/kernel", "probe/bias"}
    assert _has(model, "probe_pad") == (fields.get("padding", "same") not in ("same", "valid"))


def test_depthwise_conv2d_without_bias_has_only_a_kernel():
    model = assert_agrees_with_keras("depthwise_conv2d", (6, 6, 4), kernel=3, use_bias=False)
    assert paths(model) == {"probe/kernel"}
    assert tuple(model.get_layer(NAME).weights[0].shape) == (3, 3, 4, 1)


def test_depthwise_conv2d_reflect_pads_like_np_pad_then_sums_each_channel_alone():
    _, model, _, _ = build(
        "depthwise_conv2d",
        (5, 5, 2),
        kernel=3,
        padding="reflect",
        use_bias=False,
        depthwise_init={"type": "constant", "value": 1.0},
    )
    x = np.arange(50, dtype="float32").reshape(1, 5, 5, 2)
    padded = np.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="reflect")
    expected = sum(padded[:, i : i + 5, j : j + 5, :] for i in range(3) for j in range(3))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)


def test_depthwise_conv2d_counts_by_hand():
    # 8x8x3, 3x3, two filters per channel, stride 2, relu: 4x4x6.
    layer = resolved("depthwise_conv2d", kernel=3, depth_multiplier=2, stride=2, activation="relu")
    kind = LAYER_TYPES["depthwise_conv2d"]
    out = kind.infer(layer, (8, 8, 3))
    assert out == (4, 4, 6)
    assert kind.params(layer, (8, 8, 3), out) == 3 * 3 * 6 + 6 == 60
    assert kind.flops(layer, (8, 8, 3), out) == 2 * (4 * 4 * 6 * 9) + 4 * 4 * 6 == 1824


def test_depthwise_conv2d_l2_regularizes_its_kernel():
    _, model, _, _ = build("depthwise_conv2d", (6, 6, 2), l2=0.1, kernel=3)
    probe = model.get_layer(NAME)
    kernel = probe.weights[0].numpy()
    [loss] = probe.losses
    np.testing.assert_allclose(float(loss), 0.1 * (kernel**2).sum() / 2, rtol=1e-5)


# --- separable_conv2d ----------------------------------------------------------------------


@pytest.mark.parametrize("multiplier", [1, 2])
@pytest.mark.parametrize("input_shape, fields, spatial", WINDOWS)
def test_separable_conv2d_agrees_with_keras(input_shape, fields, spatial, multiplier):
    model = assert_agrees_with_keras(
        "separable_conv2d", input_shape, filters=5, depth_multiplier=multiplier, **fields
    )
    assert tuple(model.output.shape[1:]) == (*spatial, 5)
    assert paths(model) == {"probe/depthwise_kernel", "probe/pointwise_kernel", "probe/bias"}


def test_separable_conv2d_counts_by_hand():
    # 8x8x3, 3x3, 2 per channel (6 in between), then 1x1 to 4 channels, same: 8x8x4.
    layer = resolved("separable_conv2d", filters=4, kernel=3, depth_multiplier=2)
    kind = LAYER_TYPES["separable_conv2d"]
    out = kind.infer(layer, (8, 8, 3))
    assert out == (8, 8, 4)
    assert kind.params(layer, (8, 8, 3), out) == 3 * 3 * 6 + 6 * 4 + 4 == 82
    assert kind.flops(layer, (8, 8, 3), out) == 2 * (8 * 8 * 6 * 9 + 8 * 8 * 6 * 4) == 9984


def test_separable_conv2d_l2_regularizes_both_kernels_but_not_the_bias():
    _, model, _, _ = build(
        "separable_conv2d", (6, 6, 2), l2=0.1, filters=3, kernel=3, bias_init="ones"
    )
    probe = model.get_layer(NAME)
    kernels = [w.numpy() for w in probe.weights if "kernel" in w.path]
    assert len(kernels) == 2 and len(probe.losses) == 2
    expected = sum(0.1 * (k**2).sum() / 2 for k in kernels)
    np.testing.assert_allclose(float(sum(probe.losses)), expected, rtol=1e-5)


def test_separable_conv2d_kernels_get_different_seeds():
    _, model, _, _ = build(
        "separable_conv2d",
        (4, 4, 1),
        filters=1,
        kernel=1,
        depthwise_init="random_normal",
        pointwise_init="random_normal",
    )
    depthwise, pointwise = (w.numpy().ravel() for w in model.get_layer(NAME).weights[:2])
    assert depthwise[0] != pointwise[0]


@pytest.mark.parametrize("input_shape, fields, _", WINDOWS)
def test_the_convolutions_share_one_window_rule(input_shape, fields, _):
    conv = infer("conv2d", input_shape, filters=1, **fields)
    depthwise = infer("depthwise_conv2d", input_shape, **fields)
    separable = infer("separable_conv2d", input_shape, filters=1, **fields)
    assert conv[:2] == depthwise[:2] == separable[:2]


@pytest.mark.parametrize("type_", ["depthwise_conv2d", "separable_conv2d"])
@pytest.mark.parametrize(
    "fields, input_shape, field, message",
    [
        (
            {"kernel": 9, "padding": "valid"},
            (8, 8, 1),
            "kernel",
            "kernel height 9 is larger than the (padded) input height 8",
        ),
        (
            {"kernel": [1, 5], "padding": [[0, 0], [1, 1]]},
            (8, 2, 1),
            "kernel",
            "kernel width 5 is larger than the (padded) input width 4",
        ),
        (
            {"kernel": 9, "padding": "reflect"},
            (4, 4, 1),
            "padding",
            "reflect padding of 4 needs an input height of at least 5, got 4",
        ),
        (
            {"kernel": 3, "stride": 2, "dilation": 2},
            (28, 28, 1),
            "dilation",
            "stride > 1 cannot be combined with dilation > 1",
        ),
    ],
)
def test_the_convolutions_reject_inputs_they_cannot_take(
    type_, fields, input_shape, field, message
):
    with pytest.raises(ShapeError) as caught:
        infer(type_, input_shape, filters=2, **fields)
    assert (caught.value.field, caught.value.message) == (field, message)


@pytest.mark.parametrize("type_", ["depthwise_conv2d", "separable_conv2d"])
def test_the_convolutions_need_a_3d_input(type_):
    with pytest.raises(ShapeError) as caught:
        infer(type_, (784,), filters=2, kernel=3)
    assert caught.value.message == f"{type_} needs a 3-D input (without batch), got shape [784]"


# --- upsample ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "input_shape, fields, expected",
    [
        ((4, 5, 3), {}, (8, 10, 3)),
        ((4, 5, 3), {"size": 3, "interpolation": "bilinear"}, (12, 15, 3)),
        ((4, 5, 3), {"size": [2, 1]}, (8, 5, 3)),
        ((4, 5, 3), {"size": [1, 3], "interpolation": "bilinear"}, (4, 15, 3)),
    ],
)
def test_upsample_agrees_with_keras(input_shape, fields, expected):
    model = assert_agrees_with_keras("upsample", input_shape, **fields)
    assert tuple(model.output.shape[1:]) == expected
    assert paths(model) == set()


def test_upsample_nearest_repeats_each_value():
    _, model, _, _ = build("upsample", (2, 2, 1), size=[2, 3])
    x = np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32").reshape(1, 2, 2, 1)
    expected = np.repeat(np.repeat(x, 2, axis=1), 3, axis=2)
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)


def test_upsample_flops_by_hand():
    kind = LAYER_TYPES["upsample"]
    nearest, bilinear = resolved("upsample"), resolved("upsample", interpolation="bilinear")
    assert kind.flops(nearest, (4, 4, 3), (8, 8, 3)) == 0
    assert kind.flops(bilinear, (4, 4, 3), (8, 8, 3)) == 8 * 8 * 8 * 3 == 1536


def test_upsample_needs_a_3d_input():
    with pytest.raises(ShapeError, match=r"upsample needs a 3-D input .* got shape \[10\]"):
        infer("upsample", (10,))


# --- layer_norm ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "input_shape, fields, variables",
    [
        ((7, 7, 5), {}, {"probe/gamma", "probe/beta"}),
        ((7, 7, 5), {"center": False}, {"probe/gamma"}),
        ((7, 7, 5), {"scale": False}, {"probe/beta"}),
        ((7, 7, 5), {"center": False, "scale": False}, set()),
        ((12,), {"epsilon": 1e-5}, {"probe/gamma", "probe/beta"}),
    ],
)
def test_layer_norm_agrees_with_keras(input_shape, fields, variables):
    model = assert_agrees_with_keras("layer_norm", input_shape, **fields)
    assert tuple(model.output.shape[1:]) == input_shape
    assert paths(model) == variables


def test_layer_norm_normalizes_each_position_over_the_channels():
    _, model, _, _ = build("layer_norm", (2, 2, 4), epsilon=1e-6)
    x = np.random.default_rng(0).normal(3.0, 2.0, (2, 2, 2, 4)).astype("float32")
    y = model.predict(x, verbose=0)
    np.testing.assert_allclose(y.mean(axis=-1), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=-1), 1.0, rtol=1e-3)


def test_layer_norm_counts_by_hand():
    kind = LAYER_TYPES["layer_norm"]
    layer = resolved("layer_norm", center=False)
    assert kind.params(layer, (7, 7, 24), (7, 7, 24)) == 24
    assert kind.flops(layer, (7, 7, 24), (7, 7, 24)) == 7 * 7 * 7 * 24 == 8232


# --- add, multiply, concat -----------------------------------------------------------------


@pytest.mark.parametrize("type_", ["add", "multiply"])
@pytest.mark.parametrize(
    "shapes",
    [
        ((4, 4, 2), (4, 4, 2)),
        ((4, 4, 2), (4, 4, 2), (4, 4, 2)),
        ((10,), (10,)),
    ],
)
def test_elementwise_merges_agree_with_keras(type_, shapes):
    model = assert_agrees_with_keras(type_, shapes)
    assert tuple(model.output.shape[1:]) == shapes[0]
    assert paths(model) == set()


@pytest.mark.parametrize("type_, combine", [("add", np.add), ("multiply", np.multiply)])
def test_elementwise_merges_combine_every_input(type_, combine):
    _, model, _, _ = build(type_, ((3,), (3,), (3,)))
    xs = [np.array([[1.0, 2.0, 3.0]]) * k for k in (1, 2, 5)]
    np.testing.assert_allclose(model.predict(xs, verbose=0), combine(combine(*xs[:2]), xs[2]))


@pytest.mark.parametrize("type_", ["add", "multiply"])
@pytest.mark.parametrize(
    "shapes, listed",
    [
        (((14, 14, 32), (7, 7, 64)), "[14, 14, 32] and [7, 7, 64]"),
        (((4, 4, 2), (4, 4, 2), (4, 4, 3)), "[4, 4, 2], [4, 4, 2] and [4, 4, 3]"),
        (((4, 4, 2), (32,)), "[4, 4, 2] and [32]"),
    ],
)
def test_elementwise_merges_need_equal_shapes(type_, shapes, listed):
    with pytest.raises(ShapeError) as caught:
        infer(type_, shapes)
    assert caught.value.message == f"{type_} needs inputs of equal shape, got {listed}"


def test_elementwise_flops_by_hand():
    three, two = ((4, 4, 2),) * 3, ((4, 4, 2),) * 2
    assert LAYER_TYPES["add"].flops(resolved("add"), three, (4, 4, 2)) == 2 * 32 == 64
    assert LAYER_TYPES["multiply"].flops(resolved("multiply"), two, (4, 4, 2)) == 32


@pytest.mark.parametrize(
    "shapes, axis, expected",
    [
        (((4, 4, 2), (4, 4, 3)), -1, (4, 4, 5)),
        (((4, 4, 2), (4, 4, 3), (4, 4, 1)), -1, (4, 4, 6)),
        (((2, 4, 3), (5, 4, 3)), 0, (7, 4, 3)),
        (((4, 2, 3), (4, 6, 3)), 1, (4, 8, 3)),
        (((2, 4, 3), (5, 4, 3)), -3, (7, 4, 3)),
        (((4, 4, 2), (4, 4, 3)), 2, (4, 4, 5)),
        (((10,), (6,)), 0, (16,)),
    ],
)
def test_concat_agrees_with_keras(shapes, axis, expected):
    model = assert_agrees_with_keras("concat", shapes, axis=axis)
    assert tuple(model.output.shape[1:]) == expected
    assert paths(model) == set()


def test_concat_axis_counts_without_the_batch_dimension():
    _, model, _, _ = build("concat", ((1, 2), (2, 2)), axis=0)
    a, b = np.zeros((3, 1, 2)), np.ones((3, 2, 2))
    np.testing.assert_array_equal(model.predict([a, b], verbose=0), np.concatenate([a, b], 1))


@pytest.mark.parametrize(
    "shapes, axis, field, message",
    [
        (
            ((14, 14, 32), (7, 7, 64)),
            -1,
            None,
            "concat needs inputs that match except on axis -1, got [14, 14, 32] and [7, 7, 64]",
        ),
        (
            ((4, 4, 2), (4, 4, 2), (4, 5, 2)),
            2,
            None,
            "concat needs inputs that match except on axis 2, "
            "got [4, 4, 2], [4, 4, 2] and [4, 5, 2]",
        ),
        (
            ((4, 4, 2), (32,)),
            -1,
            None,
            "concat needs inputs of equal rank, got [4, 4, 2] and [32]",
        ),
        (
            ((4, 4, 2), (4, 4, 2)),
            3,
            "axis",
            "axis 3 is out of range for 3-D inputs (without batch)",
        ),
        (
            ((4, 4, 2), (4, 4, 2)),
            -4,
            "axis",
            "axis -4 is out of range for 3-D inputs (without batch)",
        ),
    ],
)
def test_concat_rejects_inputs_it_cannot_join(shapes, axis, field, message):
    with pytest.raises(ShapeError) as caught:
        infer("concat", shapes, axis=axis)
    assert (caught.value.field, caught.value.message) == (field, message)


def test_concat_costs_nothing():
    shapes = ((4, 4, 2), (4, 4, 3))
    assert LAYER_TYPES["concat"].flops(resolved("concat"), shapes, (4, 4, 5)) == 0
    assert LAYER_TYPES["concat"].params(resolved("concat"), shapes, (4, 4, 5)) == 0


def test_merge_types_are_flagged_and_their_examples_name_inputs():
    merges = {name for name, kind in LAYER_TYPES.items() if kind.merge}
    assert {"add", "multiply", "concat"} <= merges
    for name in ("add", "multiply", "concat"):
        assert len(LAYER_TYPES[name].example["inputs"]) >= 2
    for name in ("depthwise_conv2d", "separable_conv2d", "upsample", "layer_norm"):
        assert not LAYER_TYPES[name].merge
