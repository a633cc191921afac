"""Layer types: shape rules, parameter and FLOP counts, worked out by hand."""

from __future__ import annotations

import pytest

from netspec.fields import with_defaults
from netspec.layers import LAYER_TYPES, ShapeError
from netspec.layers.conv2d import same_pads
from netspec.spec.graph import Graph, Node
from netspec.spec.shapes import infer


def layer(type_: str, **fields) -> dict:
    """A resolved layer: defaults filled and normalized, as the loader does."""
    kind = LAYER_TYPES[type_]
    return kind.normalize(with_defaults({"type": type_, "name": "x", **fields}, kind.all_fields()))


def stack(layers: list[dict], input_shape):
    """shapes.infer over `layers` as a stack, each reading the one before (names x1, x2...)."""
    nodes, previous = [], "image"
    for i, item in enumerate(layers, 1):
        item = {**item, "name": f"x{i}"}
        nodes.append(Node(item["name"], item, (previous,), ("layers", i - 1)))
        previous = item["name"]
    return infer(Graph("image", tuple(nodes), previous, {}), input_shape)


def shape(type_: str, input_shape, **fields) -> tuple:
    return tuple(LAYER_TYPES[type_].infer(layer(type_, **fields), tuple(input_shape)))


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"kernel": 5}, (28, 28, 8)),  # same: ceil(28 / 1)
        ({"kernel": 5, "stride": 2}, (14, 14, 8)),
        ({"kernel": 4, "stride": 3}, (10, 10, 8)),  # ceil(28 / 3)
        ({"kernel": 5, "padding": "valid"}, (24, 24, 8)),
        ({"kernel": 5, "stride": 2, "padding": "valid"}, (12, 12, 8)),  # (28 - 5) // 2 + 1
        ({"kernel": [5, 3], "stride": [1, 2], "padding": "valid"}, (24, 13, 8)),
        ({"kernel": 3, "dilation": 2, "padding": "valid"}, (24, 24, 8)),  # effective kernel 5
        ({"kernel": 5, "stride": 2, "padding": "reflect"}, (14, 14, 8)),  # as same
        ({"kernel": 4, "padding": "symmetric"}, (28, 28, 8)),
        ({"kernel": 3, "padding": 2}, (30, 30, 8)),  # 28 + 4 - 3 + 1
        ({"kernel": 3, "padding": [[1, 0], [2, 2]]}, (27, 30, 8)),
    ],
)
def test_conv2d_output_shapes(fields, expected):
    assert shape("conv2d", (28, 28, 1), filters=8, **fields) == expected


@pytest.mark.parametrize(
    "size, kernel, stride, pads",
    [
        (28, 5, 1, [2, 2]),
        (28, 4, 1, [1, 2]),
        (28, 5, 2, [1, 2]),
        (7, 3, 3, [1, 1]),
        (5, 1, 2, [0, 0]),
    ],
)
def test_same_padding_puts_the_odd_pixel_after(size, kernel, stride, pads):
    assert same_pads(size, kernel, stride) == pads


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
            {"kernel": [1, 9], "padding": "valid"},
            (8, 8, 1),
            "kernel",
            "kernel width 9 is larger than the (padded) input width 8",
        ),
        (
            {"kernel": 9, "padding": "reflect"},
            (4, 4, 1),
            "padding",
            "reflect padding of 4 needs an input height of at least 5, got 4",
        ),
        (
            {"kernel": 11, "padding": "symmetric"},
            (4, 4, 1),
            "padding",
            "symmetric padding of 5 needs an input height of at least 5, got 4",
        ),
        (
            {"kernel": 3, "stride": 2, "dilation": 2},
            (28, 28, 1),
            "dilation",
            "stride > 1 cannot be combined with dilation > 1",
        ),
        ({"kernel": 3}, (784,), None, "conv2d needs a 3-D input (without batch), got shape [784]"),
    ],
)
def test_conv2d_rejects_inputs_it_cannot_take(fields, input_shape, field, message):
    with pytest.raises(ShapeError) as caught:
        shape("conv2d", input_shape, filters=4, **fields)
    assert (caught.value.field, caught.value.message) == (field, message)


def test_mirror_padding_accepts_the_largest_pad_its_mode_allows():
    assert shape("conv2d", (4, 4, 1), filters=1, kernel=7, padding="reflect") == (4, 4, 1)
    assert shape("conv2d", (4, 4, 1), filters=1, kernel=9, padding="symmetric") == (4, 4, 1)


@pytest.mark.parametrize("type_", ["max_pool", "avg_pool"])
@pytest.mark.parametrize(
    "fields, expected",
    [
        ({}, (14, 14, 3)),  # size 2, stride = size, same
        ({"size": 3}, (10, 10, 3)),  # ceil(28 / 3)
        ({"size": 3, "padding": "valid"}, (9, 9, 3)),  # (28 - 3) // 3 + 1
        ({"size": 3, "stride": 1, "padding": "valid"}, (26, 26, 3)),
        ({"size": [2, 1], "padding": "valid"}, (14, 28, 3)),
    ],
)
def test_pool_output_shapes(type_, fields, expected):
    assert shape(type_, (28, 28, 3), **fields) == expected


def test_pool_larger_than_its_input_under_valid_padding():
    with pytest.raises(ShapeError, match="pool height 3 is larger than the input height 2"):
        shape("max_pool", (2, 2, 1), size=3, padding="valid")


@pytest.mark.parametrize(
    "target, expected",
    [
        ([28, 28, 1], (28, 28, 1)),
        ([-1], (784,)),
        ([7, -1, 4], (7, 28, 4)),
        ([-1, 1], (784, 1)),
    ],
)
def test_reshape(target, expected):
    assert shape("reshape", (28, 28, 1), shape=target) == expected


@pytest.mark.parametrize(
    "target, message",
    [
        ([27, 27, 1], "cannot reshape 784 elements ([28, 28, 1]) into [27, 27, 1] (729 elements)"),
        ([5, -1], "cannot reshape 784 elements ([28, 28, 1]) into [5, -1]"),
        ([-1, -1], "at most one dimension may be -1"),
    ],
)
def test_reshape_mismatches(target, message):
    with pytest.raises(ShapeError) as caught:
        shape("reshape", (28, 28, 1), shape=target)
    assert (caught.value.field, caught.value.message) == ("shape", message)


@pytest.mark.parametrize(
    "type_, fields, input_shape, expected",
    [
        ("flatten", {}, (7, 7, 24), (1176,)),
        ("global_avg_pool", {}, (7, 7, 24), (24,)),
        ("dense", {"units": 10}, (200,), (10,)),
        ("dropout", {"rate": 0.5}, (7, 7, 24), (7, 7, 24)),
        ("activation", {"activation": "relu"}, (7, 7, 24), (7, 7, 24)),
        ("batch_norm", {}, (7, 7, 24), (7, 7, 24)),
    ],
)
def test_shape_rules_of_the_other_layers(type_, fields, input_shape, expected):
    assert shape(type_, input_shape, **fields) == expected


def test_dense_needs_a_flat_input():
    with pytest.raises(ShapeError, match=r"dense needs a flat input, got shape \[7, 7, 24\]"):
        shape("dense", (7, 7, 24), units=10)


def test_conv_parameters_and_flops_by_hand():
    # Görner's conv2: 12 filters of 5x5 over 6 channels, stride 2, same, relu: 28x28 -> 14x14.
    conv = layer("conv2d", filters=12, kernel=5, stride=2, activation="relu")
    [info], failure = stack([conv], (28, 28, 6))
    assert failure is None and info.output_shape == (14, 14, 12)
    assert info.params == 5 * 5 * 6 * 12 + 12 == 1812
    multiply_adds = 14 * 14 * 12 * (5 * 5 * 6)
    assert info.flops == 2 * multiply_adds + 14 * 14 * 12 == 707_952  # + one op per relu


@pytest.mark.parametrize(
    "type_, fields, input_shape, params, flops",
    [
        (
            "conv2d",
            {"filters": 4, "kernel": 3, "use_bias": False},
            (8, 8, 2),
            72,
            2 * 8 * 8 * 4 * 9 * 2,
        ),
        ("dense", {"units": 10}, (200,), 2010, 2 * 200 * 10),
        (
            "dense",
            {"units": 10, "use_bias": False, "activation": "tanh"},
            (200,),
            2000,
            2 * 200 * 10 + 10,
        ),
        ("batch_norm", {}, (7, 7, 24), 4 * 24, 2 * 7 * 7 * 24),
        ("batch_norm", {"center": False, "scale": False}, (7, 7, 24), 2 * 24, 2 * 7 * 7 * 24),
        ("max_pool", {"size": 2}, (28, 28, 6), 0, 14 * 14 * 6 * 4),
        ("global_avg_pool", {}, (7, 7, 24), 0, 7 * 7 * 24),
        ("flatten", {}, (7, 7, 24), 0, 0),
    ],
)
def test_parameter_and_flop_counts(type_, fields, input_shape, params, flops):
    [info], failure = stack([layer(type_, **fields)], input_shape)
    assert failure is None and (info.params, info.flops) == (params, flops)


def test_infer_stops_at_the_first_layer_that_rejects_its_input():
    layers = [
        layer("flatten"),
        layer("dense", units=8),
        layer("conv2d", filters=2, kernel=3),
        layer("dense", units=2),
    ]
    infos, (node, error) = stack(layers, (4, 4, 1))
    assert [info.output_shape for info in infos] == [(16,), (8,)]
    assert (
        node.name == "x3"
        and node.where == ("layers", 2)
        and "conv2d needs a 3-D input" in error.message
    )


def test_dropout_keep_prob_becomes_rate():
    assert layer("dropout", keep_prob=0.75)["rate"] == 0.25
    assert "keep_prob" not in layer("dropout", rate=0.5)
