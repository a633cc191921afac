"""A spec's layers and blocks -> the Graph of the network, with every problem found on the way.

References are resolved scope by scope: the top level reads the input and the layers above;
a block's layers read `input` (the block's input) and the layers above them in the block.
Only earlier layers can be read, so a graph never has a cycle. A block instance's layers are
its definition's with the parameters put in, then checked and resolved like top-level ones;
a problem in them is reported at the definition's line, saying in which instance(s).
"""

from __future__ import annotations

import json
from dataclasses import replace

from netspec.layers import LAYER_TYPES, ShapeError
from netspec.spec import normalize, schema
from netspec.spec.blocks import BLOCK, BLOCK_INPUT, PARAM_TYPES, REFERENCE, instance_name
from netspec.spec.diagnostics import Diagnostic, did_you_mean
from netspec.spec.graph import Graph, Instance, Node
from netspec.spec.names import layer_names
from netspec.spec.yamlpos import Document

MAX_NODES = 10_000  # a spec that expands further is a mistake (or a bomb)
WRONG = object()  # what a wrong `${param}` reference substitutes to
FIXED = ("type", "name", "inputs")  # the same in every instance: never parameters


def expand(
    layers: list[dict],
    blocks: dict,
    input_name: str,
    output: str | None,
    doc: Document,
    complete: bool = True,
) -> tuple[Graph | None, list[Diagnostic]]:
    """`layers`: the resolved top-level layers; `blocks`: the resolved definitions. The graph
    is None if there are errors; warnings (unused outputs) come either way. With `complete`
    false, `layers` are those above the first broken one: their graph ends with the last,
    for the checks that a partial network allows."""
    expansion = _Expansion(blocks, doc)
    top = [(layer, ("layers", i)) for i, layer in enumerate(layers)]
    scope = expansion.scope(top, input_name, input_name, "", (), ())
    graph = None
    if scope is not None:
        items, names = scope
        graph = expansion.graph(items, names, input_name, output if complete else None)
    if graph is not None and complete:
        expansion.unused(graph)
    problems = expansion.diagnostics()
    errors = any(d.severity == "error" for d in problems)
    return (None if errors else graph), problems


def _last_output(item) -> str:
    return item.output if isinstance(item, Instance) else item.name


class _Expansion:
    def __init__(self, blocks: dict, doc: Document):
        self.blocks, self.doc = blocks, doc
        self.found: dict[tuple, tuple[Diagnostic, list]] = {}
        self.count = 0

    def report(self, path, message, code, hint=None, instance=None, severity="error"):
        """One diagnostic per (path, problem), however many instances share it."""
        key = (path, code, message)
        if key not in self.found:
            self.found[key] = (
                Diagnostic(path, message, code, self.doc.where(path), hint, severity),
                [],
            )
        if instance:
            self.found[key][1].append(instance)

    def diagnostics(self) -> list[Diagnostic]:
        out = []
        for diagnostic, instances in self.found.values():
            if instances and diagnostic.path[:1] == ("blocks",):
                more = f" and {len(instances) - 1} more" if len(instances) > 1 else ""
                diagnostic = replace(
                    diagnostic, message=f"{diagnostic.message} (in {instances[0]}{more})"
                )
            out.append(diagnostic)
        return out

    def scope(self, layers, entry: str, alias: str, prefix: str, scope: tuple, stack: tuple):
        """Expand one scope's `layers` ((resolved layer, document path) pairs) reading `entry`
        (full name) as `alias`. Returns (items, names: what this scope can read -> full name
        of that output), or None after an error that stops the expansion."""
        instance = scope[-1] if scope else None
        position = {layer["name"]: i for i, (layer, _) in enumerate(layers)}
        names, items, previous, ok = {alias: entry}, [], entry, True
        for i, (layer, where) in enumerate(layers):
            inputs = self.inputs(layer, where, i, names, position, previous, instance)
            ok = ok and inputs is not None
            full = prefix + layer["name"]
            if layer["type"] != BLOCK:
                items.append(Node(full, layer, tuple(inputs or ()), where, scope))
                names[layer["name"]] = previous = full
                self.count += 1
                continue
            placed = self.place(layer, where, (inputs or [previous])[0], prefix, scope, stack)
            if placed is None:
                return None
            for made in placed:
                items.append(made)
                names[made.name[len(prefix) :]] = made.output
            names[layer["name"]] = previous = placed[-1].output
        return (items, names) if ok else None

    def inputs(self, layer, where, i, names, position, previous, instance) -> list[str] | None:
        refs = layer["inputs"]
        if refs is None:
            if layer["type"] != BLOCK and LAYER_TYPES[layer["type"]].merge:
                self.report(
                    where,
                    f"{layer['type']} merges two or more inputs, and none are given",
                    "E-GRAPH",
                    "name them: `inputs: [a, b]`",
                    instance,
                )
                return None
            return [previous]
        resolved = []
        for k, ref in enumerate(refs):
            path = where + ("inputs", k)
            if ref in names:
                resolved.append(names[ref])
            elif ref == layer["name"]:
                self.report(path, f"'{ref}' reads itself", "E-GRAPH", None, instance)
            elif position.get(ref, -1) > i:
                self.report(
                    path,
                    f"reads '{ref}', which comes later",
                    "E-GRAPH",
                    f"a layer reads only the input and the layers above it (so the graph has no "
                    f"cycle): move '{ref}' above '{layer['name']}'",
                    instance,
                )
            else:
                self.report(
                    path,
                    f"no layer, block instance or input named '{ref}' here",
                    "E-UNKNOWN-INPUT",
                    did_you_mean(ref, names) or f"known here: {', '.join(names)}",
                    instance,
                )
        return resolved if len(resolved) == len(refs) else None

    def place(self, layer, where, source: str, prefix: str, scope: tuple, stack: tuple):
        """The instances a `type: block` layer makes, each reading the one before."""
        instance = scope[-1] if scope else None
        name = layer["block"]
        definition = self.blocks.get(name)
        if definition is None:
            known = list(self.blocks)
            self.report(
                where + ("block",),
                f"no block named '{name}'",
                "E-BLOCK",
                did_you_mean(name, known)
                or (f"blocks: {', '.join(known)}" if known else "define it under `blocks:`"),
                instance,
            )
            return None
        if name in stack:
            chain = " -> ".join((*stack[stack.index(name) :], name))
            self.report(
                where + ("block",),
                f"block '{name}' uses itself ({chain})",
                "E-BLOCK",
                "a block cannot contain itself, directly or through another block",
                instance,
            )
            return None
        made = []
        for k in range(layer["repeat"]):
            # at least this many more layers: stop before expanding what cannot fit
            if self.count + len(definition["layers"]) * (layer["repeat"] - k) > MAX_NODES:
                self.report(
                    where,
                    f"the network expands to more than {MAX_NODES:,} layers",
                    "E-BLOCK",
                    "check repeat counts (blocks inside blocks multiply them)",
                    instance,
                )
                return None
            full = prefix + instance_name(layer["name"], k + 1, layer["repeat"])
            values = self.arguments(layer, where, definition, k == 0, instance)
            inner = None if values is None else self.instance_layers(name, definition, values, full)
            if inner is None:
                return None
            expanded = self.scope(
                inner,
                source,
                BLOCK_INPUT,
                full + "/",
                (*scope, full),
                (
                    *stack,
                    name,
                ),
            )
            if expanded is None:
                return None
            members, inner_names = expanded
            output = self.block_output(name, definition, inner_names, inner, full)
            if output is None:
                return None
            made.append(Instance(full, name, source, output, tuple(members), where, scope))
            source = output
        return made

    def arguments(self, layer, where, definition, first: bool, instance) -> dict | None:
        """The parameter values of one instance, or None if some are wrong."""
        block, params, ok = layer["block"], definition["params"], True
        for key in ("with", "first"):
            for param, value in layer[key].items():
                path = where + (key, param)
                if param not in params:
                    ok = False
                    self.report(
                        path,
                        f"block '{block}' has no parameter '{param}'",
                        "E-BLOCK-PARAM",
                        did_you_mean(param, params)
                        or (
                            f"its parameters: {', '.join(params)}"
                            if params
                            else "it takes no parameters"
                        ),
                        instance,
                    )
                elif not PARAM_TYPES[params[param]["type"]](value):
                    ok = False
                    self.report(
                        path,
                        f"parameter '{param}' of block '{block}' is {params[param]['type']}, "
                        f"got {value!r}",
                        "E-BLOCK-PARAM",
                        None,
                        instance,
                    )
        given = {**layer["with"], **(layer["first"] if first else {})}
        values = {}
        for param, declared in params.items():
            if param in given:
                values[param] = given[param]
            elif "default" in declared:
                values[param] = declared["default"]
                ok = ok and PARAM_TYPES[declared["type"]](declared["default"])  # reported
            else:
                ok = False
                only_first = param in layer["first"]
                self.report(
                    where,
                    f"parameter '{param}' of block '{block}' is missing"
                    + (" for the instances after the first" if only_first else ""),
                    "E-BLOCK-PARAM",
                    f"give it in `with: {{{param}: ...}}`"
                    + (" (`first` sets the first instance only)" if only_first else ""),
                    instance,
                )
        return values if ok else None

    def instance_layers(self, block: str, definition: dict, values: dict, instance: str):
        """The definition's layers with `values` put in, checked and resolved; None if any
        is wrong (each problem reported)."""
        out, ok = [], True
        raw = definition["layers"]
        for j, (layer, name) in enumerate(zip(raw, layer_names(raw))):
            where = ("blocks", block, "layers", j)
            fixed = [key for key in FIXED if REFERENCE.search(json.dumps(layer.get(key)))]
            for key in fixed:
                self.report(
                    (*where, key),
                    f"a layer's {key} cannot be a parameter",
                    "E-BLOCK-PARAM",
                    "every instance of a block has the same layers, named and wired alike",
                    instance,
                )
            if fixed:
                ok = False
                continue
            layer = self.substitute(layer, values, where, block, instance)
            problems = [] if layer is WRONG else list(schema.check_layer(layer, where, self.doc))
            for d in problems:
                self.report(d.path, d.message, d.code, d.hint, instance)
            if layer is WRONG or problems:
                ok = False
                continue
            try:
                out.append((normalize.normalize_layer(layer, name), where))
            except ShapeError as err:
                path = where + ((err.field,) if err.field else ())
                self.report(path, err.message, "E-LAYER", err.hint, instance)
                ok = False
        return out if ok else None

    def substitute(self, value, values: dict, path: tuple, block: str, instance: str):
        """`value` with each `"${param}"` replaced; WRONG if a reference is wrong."""
        if isinstance(value, dict):
            pairs = [
                (k, self.substitute(v, values, (*path, k), block, instance))
                for k, v in value.items()
            ]
            return WRONG if any(v is WRONG for _, v in pairs) else dict(pairs)
        if isinstance(value, list):
            items = [
                self.substitute(v, values, (*path, i), block, instance) for i, v in enumerate(value)
            ]
            return WRONG if any(v is WRONG for v in items) else items
        if not isinstance(value, str) or not REFERENCE.search(value):
            return value
        whole = REFERENCE.fullmatch(value)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        if not whole:
            self.report(
                path,
                f"{value!r}: a `${{param}}` reference must be the whole value",
                "E-BLOCK-PARAM",
                "parameters replace whole values; names and types cannot be parameters",
                instance,
            )
        else:
            known = list(self.blocks[block]["params"])
            self.report(
                path,
                f"'{value}' names no parameter of block '{block}'",
                "E-BLOCK-PARAM",
                did_you_mean(whole.group(1), known)
                or (f"its parameters: {', '.join(known)}" if known else "declare it in `params`"),
                instance,
            )
        return WRONG

    def block_output(self, block, definition, names, inner, instance) -> str | None:
        given = definition["output"]
        if given is None:
            return names[inner[-1][0]["name"]]
        if given in names and given != BLOCK_INPUT:
            return names[given]
        self.report(
            ("blocks", block, "output"),
            "the block's output is its input: a block needs a layer as output"
            if given == BLOCK_INPUT
            else f"no layer named '{given}' in block '{block}'",
            "E-BLOCK",
            did_you_mean(given, [n for n in names if n != BLOCK_INPUT]),
            instance,
        )
        return None

    def graph(self, items, names, input_name: str, output: str | None) -> Graph | None:
        if not items:
            return None
        aliases = {name: full for name, full in names.items() if name != full}
        if output is None:
            return Graph(input_name, tuple(items), _last_output(items[-1]), aliases)
        if output in names and output != input_name:
            return Graph(input_name, tuple(items), names[output], aliases)
        self.report(
            ("output",),
            f"'{output}' is the input: the output must be a layer"
            if output == input_name
            else f"no layer or block instance named '{output}'",
            "E-UNKNOWN-INPUT",
            did_you_mean(output, [n for n in names if n != input_name]),
        )
        return None

    def unused(self, graph: Graph) -> None:
        read = {name for node in graph.nodes() for name in node.inputs} | {graph.output}
        for node in graph.nodes():
            if node.name not in read:
                self.report(
                    node.where,
                    f"the output of '{node.layer['name']}' is not used",
                    "W-UNUSED",
                    "read it in a later layer's `inputs`, make it the `output`, or remove it",
                    node.instance,
                    severity="warning",
                )
