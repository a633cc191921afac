"""The published JSON Schema: up to date, valid draft 2020-12, accepting the shipped specs, and
documenting every layer type."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from netspec.layers import LAYER_TYPES
from netspec.spec.schema import json_schema, schema_text
from netspec.spec.yamlpos import load as load_yaml
from tests.specs.spec_corpus import SHIPPED, VALID

COMMITTED = Path(__file__).resolve().parents[2] / "schema" / "netspec.schema.json"
TEMPLATES = sorted(
    p
    for p in resources.files("netspec").joinpath("templates").iterdir()
    if p.name.endswith(".yaml")
)
STANDALONE = SHIPPED + TEMPLATES + [p for p in VALID if "extends:" not in p.read_text()]


def test_the_committed_schema_is_up_to_date():
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), (
        "schema/netspec.schema.json is stale: run `netspec schema -o schema/netspec.schema.json`"
    )


def test_the_schema_is_a_valid_draft_2020_12_schema():
    schema = json.loads(schema_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", STANDALONE, ids=lambda p: f"{Path(p).parent.name}/{p.name}")
def test_specs_validate_against_the_json_schema_alone(path):
    data = load_yaml(path.read_text(encoding="utf-8"), path.name).data
    errors = [e.message for e in Draft202012Validator(json_schema()).iter_errors(data)]
    assert errors == []


@pytest.mark.parametrize("name", LAYER_TYPES)
def test_every_layer_type_has_a_description_and_a_valid_example(name):
    definition = json_schema()["$defs"][f"layer_{name}"]
    assert definition["description"]
    assert all(field["description"] for field in definition["properties"].values())
    [example] = definition["examples"]
    assert example["type"] == name
    assert (
        list(
            Draft202012Validator(json_schema()).iter_errors(
                {"input": {"shape": [28, 28, 1]}, "layers": [example]}
            )
        )
        == []
    )


def test_the_schema_rejects_what_the_language_rejects():
    validator = Draft202012Validator(json_schema())
    bad = {
        "input": {"shape": [28, 28, 1]},
        "layers": [
            {"type": "conv2d", "filters": 6, "kernel": 5, "stride": 0},
            {"type": "dense", "units": 10, "activaton": "relu"},
        ],
        "train": {"optimizer": "adma"},
    }
    assert sorted(".".join(map(str, e.absolute_path)) for e in validator.iter_errors(bad)) == [
        "layers.0.stride",
        "layers.1",
        "train.optimizer",
    ]
