"""Blocks: reusable sub-graphs with parameters, declared once and placed by `type: block` layers.

```yaml
blocks:
  residual:
    params: {filters: int, stride: {type: int, default: 1}}
    layers:                       # inside a block, `input` is the block's input
      - {type: conv2d, name: conv_a, filters: "${filters}", kernel: 3, stride: "${stride}"}
      - ...
      - {type: add, name: sum, inputs: [shortcut, bn_b]}
layers:
  - {type: block, block: residual, name: stage2, repeat: 3, with: {filters: 32}, first: {stride: 2}}
```
A `"${param}"` value takes the instance's value of the parameter (`first` overrides `with`
for the first instance, `with` overrides the default); names and types are never
parameters, so every instance has the same layers. `repeat: 3` makes the instances
`stage2_1`, `stage2_2`, `stage2_3`, each reading the one before; the layers of an instance
are named `<instance>/<layer>` (netspec.spec.graph). netspec.spec.expand does the expansion.
"""

from __future__ import annotations

import re

from netspec.fields import NAME, POS_INT, REQUIRED, Field, object_schema
from netspec.layers import LAYER_TYPES

BLOCK = "block"  # the layer type that places a block
BLOCK_INPUT = "input"  # inside a block, the name of the block's input
LAYER_KINDS = [*LAYER_TYPES, BLOCK]  # what a layer's `type` may be
REFERENCE = re.compile(r"\$\{([^}]*)\}")

PARAM_TYPES = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
    "list": lambda v: isinstance(v, list),
}

_PARAM_OBJECT = {
    "type": Field({"enum": list(PARAM_TYPES)}, "The parameter's type.", REQUIRED),
    "default": Field({}, "Its value where an instance gives none."),
    "description": Field({"type": "string"}, "Free text."),
}
PARAM = {
    "type": ["string", "object"],
    "if": {"type": "string"},
    "then": {"enum": list(PARAM_TYPES)},
    "else": object_schema(_PARAM_OBJECT, "A parameter with a type and a default."),
}

BLOCK_LAYER = {
    "type": Field({"const": BLOCK}, "Places a block.", REQUIRED),
    "name": Field(
        NAME,
        "Name of the instance (with repeat: n, instances `<name>_1` ... `<name>_n`; the name "
        "alone then reads as the last one's output). Default: `block_<k>`.",
    ),
    "block": Field(NAME, "The block to place: a key of `blocks`.", REQUIRED, ("residual",)),
    "inputs": Field(
        {"type": ["array", "null"], "items": NAME, "minItems": 1, "maxItems": 1},
        "What the first instance reads (one name). Default: the layer before it.",
    ),
    "repeat": Field(POS_INT, "Number of instances, in a chain.", 1, (3,)),
    "with": Field(
        {"type": "object", "propertyNames": NAME},
        "The block's parameters for every instance: `{filters: 32}`.",
        {},
    ),
    "first": Field(
        {"type": "object", "propertyNames": NAME},
        "Parameters for the first instance only, over `with` (a downsampling first block: "
        "`{stride: 2}`).",
        {},
    ),
}

_LAYER_ITEM = {
    "type": "object",
    "description": "A layer; its `${param}` values are checked when the block is placed.",
    "required": ["type"],
    "properties": {"type": {"enum": LAYER_KINDS}},
}
DEFINITION = {
    "description": Field({"type": "string"}, "Free text.", ""),
    "params": Field(
        {"type": "object", "propertyNames": NAME, "additionalProperties": PARAM},
        "Parameters, by name: a type (`int`, `float`, `bool`, `str`, `list`) or "
        "`{type: int, default: 1}`.",
        {},
        ({"filters": "int", "stride": {"type": "int", "default": 1}},),
    ),
    "layers": Field(
        {"type": "array", "minItems": 1, "items": _LAYER_ITEM},
        "The block's layers. `input` is the block's input; `\"${param}\"` takes a parameter.",
        REQUIRED,
    ),
    "output": Field(
        {**NAME, "type": ["string", "null"]},
        "The layer whose output is the block's output. Default: the last.",
    ),
}
BLOCKS = Field(
    {
        "type": ["object", "null"],
        "propertyNames": NAME,
        "additionalProperties": object_schema(DEFINITION, "A block: a reusable sub-graph."),
    },
    "Reusable sub-graphs with parameters, placed by `{type: block, block: <name>}` layers.",
    {},
)


def normalize_definition(definition: dict) -> dict:
    params = {
        name: {"type": p} if isinstance(p, str) else dict(p)
        for name, p in (definition.get("params") or {}).items()
    }
    return {
        "description": definition.get("description", ""),
        "params": params,
        "layers": definition["layers"],
        "output": definition.get("output"),
    }


def instance_name(name: str, k: int, repeat: int) -> str:
    """The name of the k-th (from 1) of `repeat` instances a block layer `name` places."""
    return name if repeat == 1 else f"{name}_{k}"
