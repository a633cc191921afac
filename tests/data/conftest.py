"""A stand-in for the resolved spec: `netspec.data` reads only .data, .input and .train."""

from types import SimpleNamespace

import pytest

DATA_DEFAULTS = {
    "path": None,
    "test_path": None,
    "split": {"train": 0.8, "validation": 0.1, "test": 0.1},
    "per_class": None,
    "classes": 4,
    "examples": 400,
    "augment": None,
    "shuffle_buffer": 1000,
    "cache": True,
}


def stand_in_spec(source, shape=(28, 28, 1), labels="sparse", batch_size=32, train_seed=1, **data):
    """`data` overrides DATA_DEFAULTS; data.seed defaults to the train seed, as when resolved."""
    return SimpleNamespace(
        data={**DATA_DEFAULTS, "source": source, "seed": train_seed, **data},
        input={"name": "image", "shape": list(shape), "dtype": "float32", "scale": None},
        train={"seed": train_seed, "batch_size": batch_size, "loss": {"labels": labels}},
    )


@pytest.fixture
def make_spec():
    return stand_in_spec
