"""The JSON Schema of specs, generated from the layer registry and the section declarations,
and the schema check that turns jsonschema's errors into located, readable diagnostics."""

from __future__ import annotations

import json
from functools import lru_cache

from netspec import __version__
from netspec.fields import NAME, NAME_RULE, REQUIRED, Field, object_schema
from netspec.layers import LAYER_TYPES
from netspec.spec.blocks import BLOCK, BLOCK_LAYER, BLOCKS, LAYER_KINDS, REFERENCE
from netspec.spec.diagnostics import Diagnostic, did_you_mean
from netspec.spec.migrate import FORMAT
from netspec.spec.sections import CACHE_HINT, SECTIONS, data_schema, retired_hint
from netspec.spec.sweep import schema_field as sweep_field
from netspec.spec.yamlpos import Document

SCHEMA_ID = "https://netspec.dev/schema/netspec.schema.json"


LAYER_UNION = {
    "type": "object",
    "description": "A layer: `type` selects the kind, the other keys are its fields.",
    "required": ["type"],
    "properties": {"type": {"enum": LAYER_KINDS}},
    "allOf": [
        {
            "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
            "then": {"$ref": f"#/$defs/layer_{name}"},
        }
        for name in LAYER_KINDS
    ],
}


def top_fields() -> dict[str, Field]:
    fields = {
        "name": Field(
            NAME, f"Model name ({NAME_RULE}); runs go to runs/<name>/. Default: the file name."
        ),
        "description": Field({"type": "string"}, "Free text."),
        "extends": Field(
            {"type": "string"},
            "A base spec (path relative to this file) that "
            "this one deep-merges onto: mappings merge, lists and values replace.",
        ),
        "blocks": BLOCKS,
        "layers": Field(
            {"type": "array", "minItems": 1, "items": LAYER_UNION},
            "The layers, input to logits. Each reads the layer before it unless its `inputs` "
            "say otherwise; the output (the logits) is the last layer's unless `output` names "
            "another.",
            REQUIRED,
        ),
        "output": Field(
            {**NAME, "type": ["string", "null"]},
            "The layer (or block instance) whose output are the logits.",
        ),
    }
    for name, (section, doc) in SECTIONS.items():
        schema = data_schema() if name == "data" else object_schema(section, doc)
        if name != "input":  # an absent or null section takes every default
            schema["type"] = ["object", "null"]
        fields[name] = Field(schema, doc, REQUIRED if name == "input" else None)
    fields["sweep"] = sweep_field()
    fields["format"] = Field(
        {"type": "integer", "minimum": 1, "maximum": FORMAT},
        "Version of the spec language a resolved spec (a run's spec.yaml) is written in; "
        "netspec writes it. Older versions are migrated when read.",
    )
    order = [
        "format",
        "name",
        "description",
        "extends",
        "input",
        "blocks",
        "layers",
        "output",
        "train",
        "data",
        "export",
        "init_from",
        "limits",
        "sweep",
    ]
    return {key: fields[key] for key in order}


@lru_cache(maxsize=1)
def json_schema() -> dict:
    schema = object_schema(
        top_fields(),
        "A netspec model spec: input, layers, training, data and export, in one YAML file.",
    )
    schema["$defs"] = {f"layer_{name}": t.json_schema() for name, t in LAYER_TYPES.items()}
    schema["$defs"][f"layer_{BLOCK}"] = object_schema(
        BLOCK_LAYER, "Places a block (see `blocks`).", examples=[{"type": BLOCK, "block": "x"}]
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"netspec model spec (netspec {__version__})",
        **schema,
    }


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


@lru_cache(maxsize=1)
def _validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json_schema())


@lru_cache(maxsize=1)
def _layer_validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator({**LAYER_UNION, "$defs": json_schema()["$defs"]})


def check(doc: Document):
    """Yield a Diagnostic for every schema violation in `doc`."""
    for error in _validator().iter_errors(doc.data):
        yield from _diagnose(error, doc)


def check_layer(layer, at: tuple, doc: Document):
    """Diagnostics of one layer found at path `at` (a block's layer, once its `${param}`
    values are in)."""
    for error in _layer_validator().iter_errors(layer):
        yield from _diagnose(error, doc, at)


def _diagnose(error, doc: Document, at: tuple = ()):
    # if/then failures surface as the `then` branch's own errors; a tagged union's branches
    # report in `context` only for anyOf/oneOf, which the schema avoids.
    path = at + tuple(error.absolute_path)
    kind, value, expected = error.validator, error.instance, error.validator_value
    hint = None
    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        for key in sorted(set(value) - set(allowed)):
            hint = (
                retired_hint(path, key, value)
                or did_you_mean(key, allowed)
                or f"allowed keys: {', '.join(allowed)}"
            )
            yield Diagnostic(
                path + (key,),
                f"unknown key '{key}'",
                "E-UNKNOWN-KEY",
                doc.where(path + (key,), key=True),
                hint,
            )
        return
    if kind == "required":
        missing = [k for k in expected if isinstance(value, dict) and k not in value]
        for key in missing:
            described = error.schema.get("properties", {}).get(key, {}).get("description")
            yield Diagnostic(
                path + (key,), "required key is missing", "E-REQUIRED", doc.where(path), described
            )
        return
    message = _message(kind, value, expected, error)
    if kind == "enum":
        hint = did_you_mean(value, expected) or f"one of: {', '.join(map(str, expected))}"
        if path == ("data", "cache") and isinstance(value, bool):
            hint = CACHE_HINT
    if kind == "pattern":
        hint = f"names use {NAME_RULE}" if expected == NAME["pattern"] else None
    if isinstance(value, str) and REFERENCE.search(value) and path[:1] != ("blocks",):
        hint = "a `${param}` value takes a block's parameter: it works inside `blocks:` only"
    yield Diagnostic(path, message, f"E-{kind.upper()}", doc.where(path), hint)


def _message(kind, value, expected, error) -> str:
    got = _show(value)
    return {
        "type": lambda: f"must be {_types(expected)}, got {_type_of(value)} {got}",
        "minimum": lambda: f"must be >= {expected}, got {got}",
        "maximum": lambda: f"must be <= {expected}, got {got}",
        "exclusiveMinimum": lambda: f"must be > {expected}, got {got}",
        "exclusiveMaximum": lambda: f"must be < {expected}, got {got}",
        "enum": lambda: f"must be one of {', '.join(map(str, expected))}; got {got}",
        "const": lambda: f"must be {expected!r}, got {got}",
        "minItems": lambda: f"needs at least {expected} item(s), got {len(value)}",
        "maxItems": lambda: f"takes at most {expected} item(s), got {len(value)}",
        "uniqueItems": lambda: f"items must be unique, got {got}",
        "pattern": lambda: f"{got} is not a valid name",
        "not": lambda: f"{got} is not allowed here",
    }.get(kind, lambda: error.message)()


def _show(value) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_of(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "list", dict: "mapping", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _types(expected) -> str:
    names = {
        "integer": "an integer",
        "number": "a number",
        "string": "a string",
        "array": "a list",
        "object": "a mapping",
        "boolean": "true or false",
        "null": "null",
    }
    items = expected if isinstance(expected, list) else [expected]
    return " or ".join(names.get(t, t) for t in items)
