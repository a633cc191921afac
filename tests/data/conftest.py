"""A stand-in for the resolved spec: `netspec.data` reads only .data, .input and .train."""

from types import SimpleNamespace

import pytest

from netspec.spec.normalize import normalize_data
from netspec.spec.sections import data_fields
from netspec.spec.yamlpos import Document

# Small synthetic sets for speed; every other value is the spec language's own default.
SMALL_SYNTHETIC = {"classes": 4, "examples": 400}


def resolved_data(source: str, train_seed: int = 1, **given) -> dict:
    """`given` resolved by the loader's own netspec.spec.normalize.normalize_data (relative
    paths against the working directory); fields the source does not take are refused."""
    unknown = sorted(set(given) - set(data_fields(source)))
    if unknown:
        raise TypeError(f"source '{source}' takes no data field(s) {', '.join(unknown)}")
    if source == "synthetic":
        given = {**SMALL_SYNTHETIC, **given}
    given = {**given, "source": source}
    return normalize_data(Document({"data": given}), given, train_seed)


def stand_in_spec(source, shape=(28, 28, 1), labels="sparse", batch_size=32, train_seed=1, **data):
    """`data` holds the data fields to set; data.seed defaults to the train seed, as when
    resolved."""
    return SimpleNamespace(
        data=resolved_data(source, train_seed, **data),
        input={"name": "image", "shape": list(shape), "dtype": "float32", "scale": None},
        train={"seed": train_seed, "batch_size": batch_size, "loss": {"labels": labels}},
    )


@pytest.fixture
def make_spec():
    return stand_in_spec
