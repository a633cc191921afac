"""A stand-in for the resolved spec: `netspec.data` reads only .data, .input and .train."""

from types import SimpleNamespace

import pytest

from netspec.fields import with_defaults
from netspec.spec.sections import DATA, SPLIT

# The resolved spec's own defaults (small synthetic sets for speed), so they cannot drift.
DATA_DEFAULTS = {
    **with_defaults({}, DATA),
    "split": with_defaults({}, SPLIT),
    "classes": 4,
    "examples": 400,
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
