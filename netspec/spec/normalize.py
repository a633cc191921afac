"""From a schema-valid document to the resolved spec: defaults filled, shorthands expanded,
names assigned, paths made absolute. See docs/design.md for the resolved form."""

from __future__ import annotations

import re
from pathlib import Path

from netspec.data.sources import DEFAULT, SOURCES
from netspec.fields import with_defaults
from netspec.layers import LAYER_TYPES, ShapeError
from netspec.spec.blocks import BLOCK, BLOCK_LAYER, normalize_definition
from netspec.spec.diagnostics import Diagnostic
from netspec.spec.names import layer_names
from netspec.spec.sections import (
    _LOSS_FIELDS,
    _OPTIMIZER_FIELDS,
    AUGMENT,
    EARLY_STOPPING,
    EXPORT,
    INIT_FROM,
    INPUT,
    LIMITS,
    SCALE_PRESETS,
    SPLIT,
    TRAIN,
    data_fields,
)
from netspec.spec.yamlpos import Document


def model_name(doc: Document, spec_path: Path) -> str:
    given = doc.data.get("name")
    if isinstance(given, str):
        return given
    stem = re.sub(r"[^a-z0-9_]", "_", spec_path.stem.lower())
    return stem if stem[:1].isalpha() else f"spec_{stem}"


def normalize_layers(
    doc: Document, layers: list, broken: set
) -> tuple[list[dict], list[Diagnostic]]:
    """Layers with names and defaults, up to the first one that cannot be normalized (listed
    in `broken`, or rejected by its own normalize); every rejection is reported."""
    out, problems, complete = [], [], True
    for i, (layer, name) in enumerate(zip(layers, layer_names(layers))):
        if i in broken:
            complete = False
            continue
        try:
            normalized = normalize_layer(layer, name)
        except ShapeError as err:
            path = ("layers", i) + ((err.field,) if err.field else ())
            problems.append(Diagnostic(path, err.message, "E-LAYER", doc.where(path), err.hint))
            complete = False
            continue
        if complete:
            out.append(normalized)
    return out, problems


def normalize_layer(layer: dict, name: str) -> dict:
    """A schema-valid layer with its name and defaults; raises ShapeError if its own
    normalize rejects it."""
    if layer["type"] == BLOCK:
        return with_defaults({**layer, "name": name}, BLOCK_LAYER)
    kind = LAYER_TYPES[layer["type"]]
    return kind.normalize(with_defaults({**layer, "name": name}, kind.all_fields()))


def normalize_blocks(given: dict | None) -> dict:
    return {name: normalize_definition(d) for name, d in (given or {}).items()}


def normalize_input(given: dict, data: dict) -> dict:
    """`data`: the resolved data section (the source's raw range is the default scale.from)."""
    out = with_defaults(given, INPUT)
    scale = out["scale"]
    if scale in (None, "none"):
        out["scale"] = None
    else:
        target = SCALE_PRESETS[scale] if isinstance(scale, str) else scale["to"]
        raw = scale.get("from") if isinstance(scale, dict) else None
        raw = raw or SOURCES[data["source"]].value_range(data)
        out["scale"] = {"from": list(raw), "to": list(target)}
    return out


def normalize_train(given: dict) -> dict:
    out = with_defaults(given, TRAIN)
    loss = out["loss"]
    out["loss"] = with_defaults({} if isinstance(loss, str) else loss, _LOSS_FIELDS)
    opt = out["optimizer"]
    opt = {"type": opt} if isinstance(opt, str) else opt
    out["optimizer"] = {"type": opt["type"], **with_defaults(opt, _OPTIMIZER_FIELDS[opt["type"]])}
    lr = out["learning_rate"]
    if isinstance(lr, (int, float)):
        out["learning_rate"] = {"schedule": "constant", "value": float(lr)}
    elif lr["schedule"] == "cosine":
        out["learning_rate"] = {"warmup_steps": 0, "floor": 0.0, **lr}
    elif lr["schedule"] == "exponential":
        out["learning_rate"] = {"staircase": False, **lr}
    if out["early_stopping"] is not None:
        out["early_stopping"] = with_defaults(out["early_stopping"], EARLY_STOPPING)
    return out


def normalize_data(doc: Document, given: dict, seed: int) -> dict:
    source = SOURCES[given.get("source", DEFAULT)]
    out = with_defaults(given, data_fields(source.name))
    for key in source.path_fields:
        out[key] = resolve_path(doc, ("data", key), out[key])
    if not source.own_splits:
        if "split" in given:
            out["split"] = {k: given["split"].get(k, 0) for k in SPLIT}
        elif source.own_test(out):  # its own test set is the test split
            out["split"] = {"train": 0.9, "validation": 0.1, "test": 0}
    if out["seed"] is None:
        out["seed"] = seed
    if out["augment"] is not None:
        out["augment"] = with_defaults(out["augment"], AUGMENT)
    return source.normalize(out)


def resolve_path(doc: Document, path: tuple, value: str | None) -> str | None:
    """A relative path is relative to the file that wrote it (the cwd for --set values)."""
    if value is None:
        return None
    loc = doc.where(path)
    written_in = Path(loc.file) if loc and not loc.file.startswith("--set") else None
    base = written_in.parent if written_in else Path.cwd()
    return str((base / value).resolve())


def normalize_sections(doc: Document) -> dict:
    data = doc.data
    return {
        "export": with_defaults(data.get("export") or {}, EXPORT),
        "init_from": with_defaults(data["init_from"], INIT_FROM) if data.get("init_from") else None,
        "limits": with_defaults(data.get("limits") or {}, LIMITS),
    }
