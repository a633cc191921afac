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


def meta_file(tmp_path, meta, **arrays):
    arrays = {"fc1/kernel": np.zeros((2, 2), np.float32), **arrays}
    if meta is not None:
        arrays["@meta"] = np.array(meta)
    np.savez(tmp_path / "last.npz", **arrays)
    return tmp_path / "last.npz"


@pytest.mark.parametrize(
    "meta, message",
    [
        (None, "has no @meta entry"),
        ("{not json", "@meta entry is not a JSON object"),
        ('["a list"]', "@meta entry is not a JSON object"),
        ('{"history": []}', "lacks a valid epochs_completed"),
        ('{"epochs_completed": 2, "history": [{}]}', "lacks a valid epochs_completed"),
        ('{"epochs_completed": -1, "history": []}', "lacks a valid epochs_completed"),
        ('{"epochs_completed": 0, "history": [], "early_stopping": 3}', "early_stopping"),
    ],
)
def test_a_training_checkpoint_needs_complete_meta(tmp_path, meta, message):
    with pytest.raises(UserError, match=message):
        checkpoints.load(meta_file(tmp_path, meta), training=True)


def test_arrays_must_be_finite_numbers(tmp_path):
    with pytest.raises(UserError, match="fc1/bias holds <U5 values, not numbers"):
        checkpoints.load(meta_file(tmp_path, None, **{"fc1/bias": np.array(["hello"])}))
    nan = np.array([1.0, np.nan], np.float32)
    with pytest.raises(UserError, match="fc1/bias holds NaN or infinite values"):
        checkpoints.load(meta_file(tmp_path, None, **{"fc1/bias": nan}))


def test_meta_is_written_as_strict_json(tmp_path):
    checkpoints.save(
        tmp_path / "c.npz", {}, {"epochs_completed": 0, "history": [], "best": float("nan")}
    )
    with np.load(tmp_path / "c.npz") as npz:
        assert "NaN" not in str(npz["@meta"])
