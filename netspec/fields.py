"""Building blocks for declaring spec fields once: JSON Schema fragment, default, description.

Each section and each layer type declares its fields with `Field`; the JSON Schema, the
defaults filled in by the loader and the documentation all come from those declarations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REQUIRED = object()  # default marker: the user must give the field


@dataclass(frozen=True)
class Field:
    schema: dict
    doc: str
    default: Any = None
    examples: tuple = ()

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def json_schema(self) -> dict:
        out = dict(self.schema)
        out["description"] = self.doc
        if not self.required and self.default is not None:
            out["default"] = self.default
        if self.examples:
            out["examples"] = list(self.examples)
        return out


def object_schema(fields: dict[str, Field], doc: str, **extra) -> dict:
    return {
        "type": "object",
        "description": doc,
        "properties": {name: f.json_schema() for name, f in fields.items()},
        "required": [name for name, f in fields.items() if f.required],
        "additionalProperties": False,
        **extra,
    }


def with_defaults(given: dict, fields: dict[str, Field]) -> dict:
    """`given` with every missing optional field set to its default (in declaration order)."""
    out = {name: given.get(name, None if f.required else f.default) for name, f in fields.items()}
    return {name: _copy(value) for name, value in out.items()}


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def tagged_union(tag: str, variants: dict[str, dict], doc: str, shorthand: dict | None = None):
    """A mapping whose `tag` key selects one of `variants` (each an object schema).

    Uses if/then per variant rather than oneOf, so an error points at the offending field of
    the chosen variant instead of "not valid under any of the given schemas". `shorthand`, if
    given, is the schema of a non-object form (e.g. a bare name) accepted as well.
    """
    types = ["object"] + ([shorthand["type"]] if shorthand else [])
    schema = {
        "type": types if len(types) > 1 else "object",
        "description": doc,
        "required": [tag],
        "properties": {tag: {"enum": sorted(variants)}},
        "allOf": [
            {
                "if": {"type": "object", "properties": {tag: {"const": name}}, "required": [tag]},
                "then": variant,
            }
            for name, variant in variants.items()
        ],
    }
    if shorthand:
        schema["if"] = {"type": shorthand["type"]}
        schema["then"] = shorthand
    return schema


# Common fragments.
POS_INT = {"type": "integer", "minimum": 1}
NON_NEG_INT = {"type": "integer", "minimum": 0}
POS_NUMBER = {"type": "number", "exclusiveMinimum": 0}
NON_NEG_NUMBER = {"type": "number", "minimum": 0}
FRACTION = {"type": "number", "minimum": 0, "maximum": 1}
BOOL = {"type": "boolean"}
NAME_LENGTH = 63
NAME = {"type": "string", "pattern": f"^[a-z][a-z0-9_]{{0,{NAME_LENGTH - 1}}}$"}
NAME_RULE = (
    f"lowercase letters, digits and '_', starting with a letter, at most {NAME_LENGTH} characters"
)


def int_or_pair(minimum: int) -> dict:
    """An int, or a [height, width] pair of ints, each >= minimum."""
    item = {"type": "integer", "minimum": minimum}
    return {
        "type": ["integer", "array"],
        "minimum": minimum,
        "items": item,
        "minItems": 2,
        "maxItems": 2,
    }


def pair(value) -> list[int]:
    return list(value) if isinstance(value, list) else [value, value]
