"""The data section's schema is keyed on `source`: an editor completes (and the schema accepts)
a source's own fields only where that source is chosen."""

import pytest
from jsonschema import Draft202012Validator

from netspec.data.sources import DEFAULT, SOURCES
from netspec.spec.schema import json_schema

COMMON = {"source", "split", "seed", "augment", "cache"}
OWN = {
    "mnist_5k": set(),
    "digits": set(),
    "mnist": set(),
    "idx": {"path", "test_path"},
    "image_folder": {"path", "test_path", "per_class", "resize"},
    "npz": {"path"},
    "tfrecord": {"path", "features", "shuffle_buffer", "resize"},
    "synthetic": {"classes", "examples"},
}


def completions(data: dict) -> set[str]:
    """The keys a schema-driven editor offers inside `data:`: the properties of every branch
    whose `if` holds for what is written so far (yaml-language-server evaluates if/then)."""
    section = json_schema()["properties"]["data"]
    keys = set(section["properties"])
    for branch in section["allOf"]:
        if Draft202012Validator(branch["if"]).is_valid(data):
            keys |= set(branch["then"]["properties"])
    return keys


def test_every_source_is_described():
    assert set(OWN) == set(SOURCES)


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_a_source_completes_its_own_fields_only(source):
    expected = COMMON | OWN[source]
    if SOURCES[source].own_splits:
        expected -= {"split"}
    assert completions({"source": source}) == expected


def test_without_a_source_the_default_sources_fields_apply():
    assert completions({}) == completions({"source": DEFAULT}) == COMMON


def validator():
    return Draft202012Validator(json_schema()["properties"]["data"])


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"source": "digits", "cache": "none"},
        {"source": "image_folder", "path": "photos", "per_class": 10, "resize": "crop"},
        {"source": "tfrecord", "path": "shards", "features": {"label": "label"}},
        {"source": "synthetic", "classes": 3, "examples": 30},
    ],
)
def test_the_schema_accepts_fields_where_they_belong(data):
    assert list(validator().iter_errors(data)) == []


@pytest.mark.parametrize(
    "data",
    [
        {"source": "digits", "path": "x"},
        {"path": "x"},  # the default source reads no files
        {"source": "idx"},  # path is required
        {"source": "mnist_5k", "per_class": 3},
        {"source": "tfrecord", "path": "shards", "split": {"train": 0.5}},
        {"source": "image_folder", "path": "p", "shuffle_buffer": 10},
        {"source": "digits", "cache": True},
    ],
)
def test_the_schema_refuses_fields_of_other_sources(data):
    assert list(validator().iter_errors(data))
