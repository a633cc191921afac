"""Static checks on a resolved spec: names, shapes, the logits layer, data, schedules, budget.

Each check is a generator of Diagnostics; `netspec.spec.loader` runs them all.
"""

from __future__ import annotations

from pathlib import Path

from netspec.data.sources import SOURCES
from netspec.fields import NAME_LENGTH
from netspec.layers import LAYER_TYPES
from netspec.spec.blocks import BLOCK, BLOCK_INPUT, PARAM_TYPES, instance_name
from netspec.spec.diagnostics import Diagnostic, did_you_mean, dotted
from netspec.spec.expand import MAX_NODES
from netspec.spec.graph import Graph, selects
from netspec.spec.names import layer_names
from netspec.spec.sections import INPUT_STEPS
from netspec.spec.shapes import infer
from netspec.spec.yamlpos import Document

PROBABILITY_ACTIVATIONS = ("softmax", "sigmoid")


def check_names(doc: Document, layers: list, input_name: str, at: tuple = ("layers",)):
    """Unique layer names (given or automatic) in one scope: the top level (`at`
    ("layers",)) or a block's layers. Counted too: the helper steps the model adds (the
    input's, sections.INPUT_STEPS, and those a layer type declares, LayerType.helpers), the
    instances a block layer makes (`stage2_1` ...), and in a block its input, `input`."""
    top = at == ("layers",)
    seen = {input_name: "input.name" if top else "the block's input"}
    if top:
        seen.update((input_name + suffix, what) for suffix, what in INPUT_STEPS)
    for i, (layer, name) in enumerate(zip(layers, layer_names(layers))):
        if not isinstance(layer, dict) or not isinstance(name, str):
            continue
        where = (*at, i)
        taken = _taken_names(layer, name, dotted(where))
        for other, _ in taken:
            if other in seen:
                auto = "name" not in layer
                hint = (
                    f"this layer is unnamed and its automatic name '{name}' is taken: give "
                    "it a name"
                    if auto
                    else "layer names must be unique"
                )
                yield Diagnostic(
                    (*where, "name"),
                    f"name '{other}' is already used by {seen[other]}",
                    "E-DUPLICATE-NAME",
                    doc.where((*where, "name")),
                    hint,
                )
                break
        for other, what in taken:
            seen.setdefault(other, what)
        longest = max((other for other, _ in taken), key=len)
        if len(longest) > NAME_LENGTH:
            yield Diagnostic(
                (*where, "name"),
                f"instance name '{longest}' is longer than {NAME_LENGTH} characters",
                "E-NAME",
                doc.where((*where, "name")),
                "shorten the block layer's name",
            )


def _taken_names(layer: dict, name: str, where: str) -> list[tuple[str, str]]:
    """The names a layer takes in its scope, each with what takes it."""
    if layer.get("type") == BLOCK:
        repeat = layer.get("repeat", 1)
        repeat = repeat if isinstance(repeat, int) and 1 < repeat <= MAX_NODES else 1
        return [(name, where)] + [
            (n, f"instance {k} of {where}")
            for k, n in ((k, instance_name(name, k, repeat)) for k in range(1, repeat + 1))
            if n != name
        ]
    kind = LAYER_TYPES.get(layer["type"]) if isinstance(layer.get("type"), str) else None
    return [(name, where)] + [
        (name + suffix, f"{what} of {where}") for suffix, what in (kind.helpers if kind else ())
    ]


def check_blocks(doc: Document, blocks: dict, layers: list):
    """Each definition on its own: unique names, defaults of the declared types; and a
    warning for a block no layer places."""
    for name, definition in blocks.items():
        yield from check_names(doc, definition["layers"], BLOCK_INPUT, ("blocks", name, "layers"))
        for param, declared in definition["params"].items():
            if "default" in declared and not PARAM_TYPES[declared["type"]](declared["default"]):
                path = ("blocks", name, "params", param, "default")
                yield Diagnostic(
                    path,
                    f"the default of '{param}' must be {declared['type']}, got "
                    f"{declared['default']!r}",
                    "E-BLOCK-PARAM",
                    doc.where(path),
                )
    placing = [
        layer.get("block")
        for items in (layers, *(d["layers"] for d in blocks.values()))
        for layer in items
        if isinstance(layer, dict) and layer.get("type") == BLOCK
    ]
    if not all(isinstance(name, str) for name in placing):
        return  # a broken `block:` (a schema error) might name any of them
    for name in blocks:
        if name not in placing:
            yield Diagnostic(
                ("blocks", name),
                f"block '{name}' is never placed",
                "W-UNUSED",
                doc.where(("blocks", name), key=True),
                f"place it with `- {{type: block, block: {name}}}`, or remove it",
                severity="warning",
            )


def check_shapes(doc: Document, graph: Graph, spec_input: dict, data, limits, complete):
    """Shapes through the graph; the checks of the logits layer only when it is complete."""
    infos, failure = infer(graph, spec_input["shape"])
    if failure:
        node, err = failure
        path = node.where + ((err.field,) if err.field else ())
        yield Diagnostic(path, in_instance(err.message, node), "E-SHAPE", doc.where(path), err.hint)
        return
    total = sum(info.params for info in infos)
    if infos and total > limits["params"]:
        biggest = max(infos, key=lambda info: info.params)
        yield Diagnostic(
            biggest.where,
            f"the network has {total:,} parameters, over the budget of "
            f"{limits['params']:,} ({biggest.name} alone has {biggest.params:,})",
            "E-BUDGET",
            doc.where(biggest.where),
            "check for a typo in units/filters, or raise limits.params",
        )
    if not complete:
        return
    # the last of that name: with a duplicate name (reported) the later layer wins
    last = [info for info in infos if info.name == graph.output][-1]
    output = [node for node in graph.nodes() if node.name == graph.output][-1]
    where = output.where
    if len(last.output_shape) != 1:
        yield Diagnostic(
            where,
            f"the output layer must output a flat vector of class logits, got "
            f"shape {list(last.output_shape)}",
            "E-LOGITS",
            doc.where(where),
            "end with flatten (or global_avg_pool) and a dense layer",
        )
    if output.layer.get("activation") in PROBABILITY_ACTIVATIONS:
        path = where + ("activation",)
        yield Diagnostic(
            path,
            f"the output layer gives logits; a {output.layer['activation']} "
            "here would be applied twice",
            "E-LOGITS",
            doc.where(path),
            "remove it: the loss applies softmax, and exports add probabilities",
        )
    if data is not None:
        yield from _check_classes(doc, data, last, where)


def in_instance(message: str, node) -> str:
    """A problem of a block's layer happens in one instance: say which."""
    return f"{message} (in {node.instance})" if node.where[:1] == ("blocks",) else message


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


def check_init_from(doc: Document, init_from: dict, graph: Graph):
    """Each entry of init_from.layers names (or as a glob, matches) a layer, an instance or
    a variable (`logits/bias`: the variables come from shape inference, shapes.infer)."""
    names = [node.name for node in graph.nodes()] + [i.name for i in graph.instances()]
    infos, failure = infer(graph, (doc.data.get("input") or {}).get("shape") or ())
    variables = {info.name: list(info.variables) for info in infos}
    for i, pattern in enumerate(init_from["layers"] or []):
        if any(selects(pattern, name) for name in names):
            continue
        if any(selects(pattern, f"{layer}/{v}") for layer, vs in variables.items() for v in vs):
            continue
        glob = any(char in pattern for char in "*?[")
        layer, _, variable = pattern.rpartition("/")
        if failure and (glob or (layer in names and layer not in variables)):
            continue  # the variables of layers past a shape error are unknown (reported)
        path = ("init_from", "layers", i)
        if layer in variables and not glob:
            known = variables[layer]
            yield Diagnostic(
                path,
                f"layer '{layer}' has no variable '{variable}'",
                "E-INIT-FROM",
                doc.where(path),
                " ".join(
                    filter(
                        None,
                        [
                            did_you_mean(variable, known),
                            f"its variables: {', '.join(known)}" if known else "it has none",
                        ],
                    )
                ),
            )
            continue
        top = [item.name for item in graph.items]
        yield Diagnostic(
            path,
            f"no layer or block instance {'matches' if glob else 'named'} '{pattern}' in this spec",
            "E-INIT-FROM",
            doc.where(path),
            " ".join(filter(None, [did_you_mean(pattern, names), f"layers: {', '.join(top)}"])),
        )
