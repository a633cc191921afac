"""A stand-in for the resolved spec: `netspec.data` reads only .data, .input and .train."""

from types import SimpleNamespace

import pytest

from netspec.data.sources import SOURCES
from netspec.fields import with_defaults
from netspec.spec.sections import AUGMENT, SPLIT, data_fields

# Small synthetic sets for speed; every other value is the spec language's own default.
SMALL_SYNTHETIC = {"classes": 4, "examples": 400}


def resolved_data(source: str, train_seed: int = 1, **given) -> dict:
    """`given` resolved as netspec.spec.normalize.normalize_data resolves a data section (paths
    are taken as given): the source's own fields with their defaults, a partial split filled
    with 0 (or the own-test-set split), data.seed defaulting to the train seed."""
    fields = data_fields(source)
    unknown = sorted(set(given) - set(fields))
    if unknown:
        raise TypeError(f"source '{source}' takes no data field(s) {', '.join(unknown)}")
    if source == "synthetic":
        given = {**SMALL_SYNTHETIC, **given}
    out = with_defaults({**given, "source": source}, fields)
    own = SOURCES[source]
    if not own.own_splits:
        if "split" in given:
            out["split"] = {k: given["split"].get(k, 0) for k in SPLIT}
        elif own.own_test(out):
            out["split"] = {"train": 0.9, "validation": 0.1, "test": 0}
    if out["seed"] is None:
        out["seed"] = train_seed
    if out["augment"] is not None:
        out["augment"] = with_defaults(out["augment"], AUGMENT)
    return own.normalize(out)


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
