"""Compute precision (`train.precision`): which Keras dtype policy a model is built under.

Keras keeps its dtype policy in (thread-local) global state, read when each layer is made. The
layer builders take no dtype, so `build_model` sets the policy for the duration of one build
and restores the previous one afterwards: a mixed model never leaves a mixed policy behind.
Variables are float32 under every policy, so checkpoints and exports are float32 whatever the
run trained with.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from netspec.errors import UserError
from netspec.spec.sections import PRECISIONS

FLOAT32 = "float32"


def resolve(spec, precision: str | None) -> str:
    """`precision`, or (None) the one the spec trains with."""
    chosen = spec.train["precision"] if precision is None else precision
    if chosen not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {chosen!r}")
    return chosen


def compute_dtype(precision: str) -> str:
    """The dtype the spec's layers compute in: float32, bfloat16 or float16."""
    return precision.removeprefix("mixed_")


def precision_of(model) -> str:
    """The precision a model was built with (build_model gives the model its policy)."""
    return model.dtype_policy.name


@contextmanager
def dtype_policy(precision: str) -> Iterator[None]:
    """Keras's global dtype policy set to `precision` inside, and restored on the way out."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def check_supported(precision: str) -> None:
    """UserError when this host cannot train in `precision`. Training calls it; evaluating or
    exporting a mixed_float16 run elsewhere needs no GPU (the weights are float32)."""
    if precision != "mixed_float16":
        return
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        raise UserError(
            "train.precision mixed_float16 needs a GPU; this host has none",
            hint="use mixed_bfloat16 on CPU, or float32",
        )
