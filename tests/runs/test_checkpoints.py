"""Checkpoint files: stable keys, exact values, clear errors for damaged or mismatched ones."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from netspec.errors import UserError
from netspec.runs import checkpoints


def small_model(units=3):
    inputs = keras.Input((4,))
    x = keras.layers.Dense(units, name="fc1")(inputs)
    x = keras.layers.Dropout(0.5, seed=1, name="drop")(x)
    return keras.Model(inputs, keras.layers.Dense(2, name="logits")(x))


def test_round_trip_by_stable_names(tmp_path):
    model = small_model()
    state = checkpoints.model_state(model)
    assert sorted(state) == [
        "drop/seed_generator_state",
        "fc1/bias",
        "fc1/kernel",
        "logits/bias",
        "logits/kernel",
    ]
    checkpoints.save(tmp_path / "c.npz", state, {"epochs_completed": 2})

    other = small_model()
    arrays, meta = checkpoints.load(tmp_path / "c.npz")
    checkpoints.assign(checkpoints.model_state(other), arrays, tmp_path / "c.npz")
    assert meta == {"epochs_completed": 2}
    for key, variable in checkpoints.model_state(other).items():
        np.testing.assert_array_equal(np.asarray(variable), np.asarray(state[key]))


def test_optimizer_keys_do_not_depend_on_how_many_optimizers_the_process_made():
    first, second = keras.optimizers.Adam(), keras.optimizers.Adam()
    for optimizer in (first, second):
        optimizer.build(small_model().trainable_variables)
    assert first.name != second.name
    assert sorted(checkpoints.optimizer_state(first)) == sorted(checkpoints.optimizer_state(second))
    assert "@optimizer/fc1_kernel_momentum" in checkpoints.optimizer_state(first)


def test_a_damaged_file_is_a_user_error(tmp_path):
    (tmp_path / "c.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(UserError, match="not a readable checkpoint"):
        checkpoints.load(tmp_path / "c.npz")
    with pytest.raises(UserError, match="no such checkpoint"):
        checkpoints.load(tmp_path / "missing.npz")


def test_assign_names_the_variable_whose_shape_differs(tmp_path):
    checkpoints.save(tmp_path / "c.npz", checkpoints.model_weights(small_model(units=3)))
    arrays, _ = checkpoints.load(tmp_path / "c.npz")
    with pytest.raises(
        UserError,
        match=r"fc1/kernel has shape \(4, 3\) in the checkpoint "
        r"but \(4, 5\) in the model",
    ):
        checkpoints.assign(
            checkpoints.model_weights(small_model(units=5)), arrays, tmp_path / "c.npz"
        )
