"""Static checks on a resolved spec: names, shapes, the logits layer, data, schedules, budget.

Each check is a generator of Diagnostics; `netspec.spec.loader` runs them all.
"""

from __future__ import annotations

from pathlib import Path

from netspec.data.sources import SOURCES
from netspec.layers import LAYER_TYPES
from netspec.spec.diagnostics import Diagnostic, dotted
from netspec.spec.names import layer_names
from netspec.spec.sections import INPUT_STEPS
from netspec.spec.shapes import infer
from netspec.spec.yamlpos import Document

PROBABILITY_ACTIVATIONS = ("softmax", "sigmoid")


def check_names(doc: Document, layers: list, input_name: str):
    """Unique layer names (given or automatic), counting the helper steps the model adds: the
    input's (sections.INPUT_STEPS) and those a layer type declares (LayerType.helpers)."""
    seen = {input_name: "input.name"}
    seen.update((input_name + suffix, what) for suffix, what in INPUT_STEPS)
    for i, (layer, name) in enumerate(zip(layers, layer_names(layers))):
        if not isinstance(layer, dict) or not isinstance(name, str):
            continue
        kind = LAYER_TYPES.get(layer["type"]) if isinstance(layer.get("type"), str) else None
        helpers = [(name + suffix, what) for suffix, what in (kind.helpers if kind else ())]
        for taken in (name, *(helper for helper, _ in helpers)):
            if taken in seen:
                auto = "name" not in layer
                hint = (
                    f"this layer is unnamed and its automatic name '{name}' is taken: give "
                    "it a name"
                    if auto
                    else "layer names must be unique"
                )
                yield Diagnostic(
                    ("layers", i, "name"),
                    f"name '{taken}' is already used by {seen[taken]}",
                    "E-DUPLICATE-NAME",
                    doc.where(("layers", i, "name")),
                    hint,
                )
                break
        seen[name] = dotted(("layers", i))
        for helper, what in helpers:
            seen.setdefault(helper, f"{what} of {dotted(('layers', i))}")


def check_shapes(
    doc: Document,
    spec_input: dict,
    layers: list[dict],
    data: dict | None,
    limits: dict,
    complete: bool,
):
    """Shapes through `layers`; the checks of the logits layer only when they are all there."""
    infos, failure = infer(layers, spec_input["shape"])
    if failure:
        i, err = failure
        path = ("layers", i) + ((err.field,) if err.field else ())
        yield Diagnostic(path, err.message, "E-SHAPE", doc.where(path), err.hint)
        return
    total = sum(info.params for info in infos)
    if infos and total > limits["params"]:
        biggest = max(infos, key=lambda info: info.params)
        path = ("layers", biggest.index)
        yield Diagnostic(
            path,
            f"the network has {total:,} parameters, over the budget of "
            f"{limits['params']:,} ({biggest.name} alone has {biggest.params:,})",
            "E-BUDGET",
            doc.where(path),
            "check for a typo in units/filters, or raise limits.params",
        )
    if not complete:
        return
    last, last_layer = infos[-1], layers[-1]
    where = ("layers", len(layers) - 1)
    if len(last.output_shape) != 1:
        yield Diagnostic(
            where,
            f"the last layer must output a flat vector of class logits, got "
            f"shape {list(last.output_shape)}",
            "E-LOGITS",
            doc.where(where),
            "end with flatten (or global_avg_pool) and a dense layer",
        )
    if last_layer.get("activation") in PROBABILITY_ACTIVATIONS:
        path = where + ("activation",)
        yield Diagnostic(
            path,
            f"the last layer outputs logits; a {last_layer['activation']} "
            "here would be applied twice",
            "E-LOGITS",
            doc.where(path),
            "remove it: the loss applies softmax, and exports add probabilities",
        )
    if data is not None:
        yield from _check_classes(doc, data, last, where)


def _check_classes(doc, data, last, where):
    classes = SOURCES[data["source"]].classes(data)
    if classes and len(last.output_shape) == 1 and last.output_shape[0] != classes:
        path = where + ("units",)
        yield Diagnostic(
            path,
            f"the last layer gives {last.output_shape[0]} logits but the data "
            f"source '{data['source']}' has {classes} classes",
            "E-CLASSES",
            doc.where(path),
            f"set units: {classes}",
        )


def check_input(doc: Document, spec_input: dict, data: dict | None):
    if data is None:
        return
    known = SOURCES[data["source"]].shape
    if known and tuple(spec_input["shape"]) != known:
        yield Diagnostic(
            ("input", "shape"),
            f"the data source '{data['source']}' gives "
            f"examples of shape {list(known)}, but the input is "
            f"{spec_input['shape']}",
            "E-INPUT-SHAPE",
            doc.where(("input", "shape")),
            f"set input.shape: {list(known)}",
        )
    if spec_input["scale"] and spec_input["scale"]["from"][0] >= spec_input["scale"]["from"][1]:
        yield Diagnostic(
            ("input", "scale", "from"),
            f"the range must be [low, high] with low < high, got {spec_input['scale']['from']}",
            "E-RANGE",
            doc.where(("input", "scale")),
        )


def check_data(doc: Document, data: dict, train: dict | None, spec_input: dict | None):
    source = SOURCES[data["source"]]
    for key in source.path_fields:
        if data[key] and not Path(data[key]).exists():
            yield Diagnostic(
                ("data", key),
                f"{data[key]} does not exist",
                "W-PATH",
                doc.where(("data", key)),
                severity="warning",
            )
    for problem in source.check(data, spec_input):
        yield Diagnostic(
            problem.path,
            problem.message,
            "E-DATA" if problem.severity == "error" else "W-DATA",
            doc.where(problem.path),
            problem.hint,
            severity=problem.severity,
        )
    if "split" in data:
        yield from _check_split(doc, data, source, train)


def _check_split(doc: Document, data: dict, source, train: dict | None):
    split = data["split"]
    fractions = {k: v for k, v in split.items() if isinstance(v, float)}
    for key, value in fractions.items():
        if value > 1:
            yield Diagnostic(
                ("data", "split", key),
                f"a fraction must be <= 1, got {value}",
                "E-SPLIT",
                doc.where(("data", "split", key)),
                "counts are whole numbers (4000), fractions have a point (0.8)",
            )
    if sum(fractions.values()) > 1 + 1e-9:
        yield Diagnostic(
            ("data", "split"),
            f"fractions add up to {sum(fractions.values()):g}, more than 1",
            "E-SPLIT",
            doc.where(("data", "split")),
        )
    counts = {k: v for k, v in split.items() if isinstance(v, int)}
    available = source.pool(data)
    if available and sum(counts.values()) > available:
        yield Diagnostic(
            ("data", "split"),
            f"asks for {sum(counts.values()):,} examples "
            f"({', '.join(f'{k} {v:,}' for k, v in counts.items() if v)}) but "
            f"'{data['source']}' has {available:,}",
            "E-SPLIT",
            doc.where(("data", "split")),
            "lower the counts, or use fractions",
        )
    if split["train"] == 0:
        yield Diagnostic(
            ("data", "split", "train"),
            "the training split is empty",
            "E-SPLIT",
            doc.where(("data", "split")),
        )
    stop = (train or {}).get("early_stopping")
    if stop and stop["monitor"].startswith("val_") and split["validation"] == 0:
        path = ("train", "early_stopping", "monitor")
        yield Diagnostic(
            path,
            f"monitors {stop['monitor']} but data.split.validation is 0",
            "E-VALIDATION",
            doc.where(path),
            "give data.split.validation, or monitor loss",
        )


def check_train(doc: Document, train: dict):
    lr = train["learning_rate"]
    where = ("train", "learning_rate")
    if lr["schedule"] == "piecewise":
        bounds, values = lr["boundaries"], lr["values"]
        if len(values) != len(bounds) + 1:
            yield Diagnostic(
                where + ("values",),
                f"needs {len(bounds) + 1} values for {len(bounds)} boundaries, got {len(values)}",
                "E-SCHEDULE",
                doc.where(where + ("values",)),
            )
        if any(later <= earlier for earlier, later in zip(bounds, bounds[1:])):
            yield Diagnostic(
                where + ("boundaries",),
                f"must increase, got {bounds}",
                "E-SCHEDULE",
                doc.where(where + ("boundaries",)),
            )
    if lr["schedule"] in ("decay_to_floor", "cosine") and lr["floor"] >= lr["initial"]:
        yield Diagnostic(
            where + ("floor",),
            f"floor {lr['floor']} must be below initial {lr['initial']}",
            "E-SCHEDULE",
            doc.where(where + ("floor",)),
        )
    loss = train["loss"]
    if loss["label_smoothing"] and loss["labels"] == "sparse":
        path = ("train", "loss", "label_smoothing")
        yield Diagnostic(
            path,
            "label smoothing needs one-hot labels",
            "E-LOSS",
            doc.where(path),
            "set train.loss.labels: one_hot",
        )


def check_init_from(doc: Document, init_from: dict, layers: list[dict]):
    names = [layer["name"] for layer in layers]
    for i, name in enumerate(init_from["layers"] or []):
        if name not in names:
            path = ("init_from", "layers", i)
            yield Diagnostic(
                path,
                f"no layer named '{name}' in this spec",
                "E-INIT-FROM",
                doc.where(path),
                f"layers: {', '.join(names)}",
            )
