"""GlobalBatchDropout (netspec.layers.dropout): on one device it is Keras's Dropout bit for bit
(runs trained with `fit` resume on it), and a replica holding rows [offset, offset + n) of a
global batch drops exactly those rows of the global batch's mask
(netspec.compile.global_batch)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from netspec.compile import global_batch
from netspec.compile.precision import dtype_policy
from netspec.layers.dropout import _layer_class

RATE = 0.4
SEED = 11
BATCH = 24
DRAWS = 5


def inputs(batch: int = BATCH, seed: int = 0) -> np.ndarray:
    """Values in [1, 2): a zero in the output is a dropped unit."""
    return 1 + np.random.default_rng(seed).random((batch, 6, 5), np.float32)


def ours(rate: float = RATE, seed: int = SEED):
    layer = _layer_class()(rate, seed=seed)
    layer.build((None, 6, 5))
    return layer


def step(layer, x, **kwargs):
    """One training step's call, then the seed state's advance (the training loop's)."""
    out = layer(x, training=True, **kwargs)
    layer.seed_generator.state.assign_add(tf.constant([0, 1], layer.seed_generator.state.dtype))
    return np.asarray(out)


def test_is_a_keras_dropout_layer():
    assert issubclass(_layer_class(), keras.layers.Dropout)


def test_equals_keras_dropout_bit_for_bit():
    mine, keras_layer = ours(), keras.layers.Dropout(RATE, seed=SEED)
    np.testing.assert_array_equal(
        mine.seed_generator.state.numpy(), keras_layer.seed_generator.state.numpy()
    )
    masks = []
    for draw in range(DRAWS):
        x = inputs(seed=draw)
        expected = np.asarray(keras_layer(x, training=True))  # advances its own state
        got = step(mine, x)
        assert got.dtype == expected.dtype == np.float32
        np.testing.assert_array_equal(got, expected, err_msg=f"draw {draw}")
        masks.append(got == 0)
    np.testing.assert_array_equal(
        mine.seed_generator.state.numpy(), keras_layer.seed_generator.state.numpy()
    )
    assert 0.3 < np.mean(masks) < 0.5  # it does drop, about RATE of the units
    assert not np.array_equal(masks[0], masks[1])  # and the mask changes every step


def test_equals_keras_dropout_in_a_tf_function():
    mine, keras_layer = ours(), keras.layers.Dropout(RATE, seed=SEED)
    x = tf.constant(inputs())
    got = tf.function(lambda x: mine(x, training=True))(x)
    np.testing.assert_array_equal(got, keras_layer(x, training=True))


def test_seed_state_alone_decides_the_mask():
    """Without the training loop's advance, a layer draws the same mask again (the state is
    the loop's to move), and another seed draws another mask."""
    layer, x = ours(), inputs()
    first = np.asarray(layer(x, training=True))
    np.testing.assert_array_equal(layer(x, training=True), first)
    assert not np.array_equal(np.asarray(ours(seed=SEED + 1)(x, training=True)) == 0, first == 0)


@pytest.mark.parametrize("training", [False, None])
def test_identity_when_not_training(training):
    layer, x = ours(), inputs()
    np.testing.assert_array_equal(layer(x, training=training), x)
    np.testing.assert_array_equal(layer(x), x)


def test_rate_zero_is_the_identity():
    x = inputs()
    np.testing.assert_array_equal(ours(rate=0.0)(x, training=True), x)


# offset, size: the parts of a 24-row global batch that 1, 2, 3 and 5 replicas hold
PARTS = [(0, 24), (0, 12), (12, 12), (0, 8), (8, 8), (16, 8), (0, 4), (4, 5), (19, 5), (7, 0)]


@pytest.mark.parametrize(("offset", "size"), PARTS)
def test_a_replica_keeps_its_rows_of_the_global_mask(offset, size):
    x = inputs()
    whole = np.asarray(ours()(x, training=True))
    with global_batch.rows(offset, BATCH):
        part = np.asarray(ours()(x[offset : offset + size], training=True))
    np.testing.assert_array_equal(part, whole[offset : offset + size])


def test_replicas_together_compute_the_global_batch():
    """Three replicas' outputs, concatenated, are the single device's output, step after step
    (the seed state advancing between steps)."""
    x = inputs()
    single, replicas = ours(), ours()
    bounds = [0, 8, 16, 24]
    for draw in range(DRAWS):
        whole = np.asarray(single(x, training=True))
        parts = []
        for start, end in zip(bounds, bounds[1:]):
            with global_batch.rows(start, BATCH):
                parts.append(np.asarray(replicas(x[start:end], training=True)))
        np.testing.assert_array_equal(np.concatenate(parts), whole, err_msg=f"draw {draw}")
        for layer in (single, replicas):
            layer.seed_generator.state.assign_add(tf.constant([0, 1], tf.int64))


def test_rows_given_as_tensors_in_a_tf_function():
    """As the training loop gives them: int32 scalars read while the replica's step traces."""
    x = tf.constant(inputs())
    whole = np.asarray(ours()(x, training=True))
    layer = ours()

    @tf.function
    def replica(part, offset, total):
        with global_batch.rows(offset, total):
            return layer(part, training=True)

    for start, end in ((0, 10), (10, 24), (24, 24)):
        part = replica(x[start:end], tf.constant(start), tf.constant(BATCH))
        np.testing.assert_array_equal(part, whole[start:end])
    assert global_batch.current() is None  # the block leaves nothing behind


def test_a_per_replica_draw_would_differ():
    """The check above can fail: a replica that drew its own mask for its rows alone
    (global_batch.rows(0, n)) drops other units than the global mask does there."""
    x = inputs()
    whole = np.asarray(ours()(x, training=True))
    with global_batch.rows(0, 12):
        naive = np.asarray(ours()(x[12:], training=True))
    assert not np.array_equal(naive == 0, whole[12:] == 0)


def test_rows_nest_and_restore():
    assert global_batch.current() is None
    with global_batch.rows(4, 16):
        assert global_batch.current() == (4, 16)
        with global_batch.rows(8, 16):
            assert global_batch.current() == (8, 16)
        assert global_batch.current() == (4, 16)
    assert global_batch.current() is None


@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_drops_the_same_units(precision):
    """The noise is drawn in float32 under every policy: a mixed run drops the units a float32
    run drops (Keras's own Dropout draws in the compute dtype, and would not)."""
    compute = precision.removeprefix("mixed_")
    full = ours()
    with dtype_policy(precision):
        mixed = ours()
    assert mixed.compute_dtype == compute
    for draw in range(DRAWS):
        x = inputs(seed=draw)
        expected = step(full, x)
        got = step(mixed, x)
        assert str(got.dtype) == compute
        np.testing.assert_array_equal(got == 0, expected == 0, err_msg=f"draw {draw}")
        kept = expected != 0
        np.testing.assert_allclose(
            got[kept].astype(np.float32), expected[kept], rtol=2**-5, err_msg=f"draw {draw}"
        )


def test_keras_dropout_would_drop_other_units_under_mixed_precision():
    """Why the noise is float32: Keras's Dropout draws it in bfloat16 under mixed_bfloat16, and
    a mixed run would then drop other units than the float32 run (the check above can fail)."""
    x = inputs()
    expected = np.asarray(keras.layers.Dropout(RATE, seed=SEED)(x, training=True)) == 0
    with dtype_policy("mixed_bfloat16"):
        mixed = keras.layers.Dropout(RATE, seed=SEED)
    assert not np.array_equal(np.asarray(mixed(x, training=True)) == 0, expected)


def test_mixed_precision_rows_of_the_global_mask():
    x = inputs()
    with dtype_policy("mixed_bfloat16"):
        whole, layer = ours(), ours()
    expected = np.asarray(whole(x, training=True)) == 0
    with global_batch.rows(9, BATCH):
        got = np.asarray(layer(x[9:20], training=True)) == 0
    np.testing.assert_array_equal(got, expected[9:20])
