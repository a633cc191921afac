"""What changed between two specs, and which variables of the first can start the second.

Layers pair by full name (`fc1`, `stage2_1/conv_a`), as checkpoints and `init_from` pair
them, so the diff shows exactly what a warm start would see: layers added, removed or
changed (resolved fields, `inputs`, variable shapes), the other sections as dotted paths,
and the warm-start plan: for every variable of B, whether A's variable of the same name and
shape can initialise it, or why not. Widening `hidden` changes `hidden/*` and
`logits/kernel`, yet `logits/bias` still fits; so the `init_from` section this module writes
(`SpecDiff.init_from`) lists layers whole where all their variables fit and single variables
otherwise.

Name-based pairing has two traps, and the diff says so rather than guess silently:
- a renamed layer is a removed one and an added one (its weights start fresh); when their type
  and variable shapes match, a note says so;
- automatic names (`dense_2`: the 2nd unnamed dense of its scope) shift when an unnamed layer is
  inserted before others of its type, so `dense_2` of B may be `dense_1` of A. A layer with an
  automatic name whose fields or inputs differ gets a note; when another layer of A matches it
  (type and fields), its variables are left out of the plan.

TensorFlow-free: variable names and shapes come from the layer types (LayerType.variables).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from netspec.spec.graph import Instance, Node
from netspec.spec.loader import Spec
from netspec.spec.names import layer_names
from netspec.spec.shapes import LayerInfo

# Sections compared as flattened key paths; `layers` and `blocks` are compared through the
# expanded graph instead, `format` is the same for every loaded spec.
NOT_SECTIONS = ("format", "layers", "blocks")
SKIPPED_FIELDS = ("name", "inputs")  # a layer's name pairs it; its inputs compare by full name


class _Absent:
    """A key or variable that one side lacks."""

    def __repr__(self) -> str:
        return "(none)"


ABSENT = _Absent()


@dataclass(frozen=True)
class Change:
    """One value that differs: `path` (dotted) is `a` in A and `b` in B (ABSENT: missing)."""

    path: str
    a: object
    b: object

    def to_json(self) -> dict:
        return {
            "path": self.path,
            **({} if self.a is ABSENT else {"a": self.a}),
            **({} if self.b is ABSENT else {"b": self.b}),
        }

    def render(self) -> str:
        return f"{self.path} {_value(self.a)} → {_value(self.b)}"


@dataclass(frozen=True)
class Layer:
    """A layer only one side has."""

    name: str  # full name
    type: str
    variables: dict[str, tuple[int, ...]] = field(hash=False)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "type": self.type,
            "variables": {name: list(shape) for name, shape in self.variables.items()},
        }


@dataclass(frozen=True)
class LayerChange:
    """A layer both sides have (by full name) that differs."""

    name: str
    type: str  # in B
    fields: tuple[Change, ...]  # resolved fields (and `inputs`, by full name)
    variables: tuple[Change, ...]  # shapes as lists; ABSENT where one side lacks it

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "type": self.type,
            "fields": [c.to_json() for c in self.fields],
            "variables": [c.to_json() for c in self.variables],
        }


@dataclass(frozen=True)
class Step:
    """One variable of B in the warm-start plan."""

    name: str  # `<layer full name>/<variable>`
    shape: tuple[int, ...]  # in B
    source: tuple[int, ...] | None  # A's variable of that name: its shape (None: no such)
    reason: str | None = None  # why A's variable cannot initialise it; None: it can

    @property
    def transfer(self) -> bool:
        return self.reason is None

    def to_json(self) -> dict:
        return {
            "variable": self.name,
            "shape": list(self.shape),
            "in_a": None if self.source is None else list(self.source),
            "transfer": self.transfer,
            **({"reason": self.reason} if self.reason else {}),
        }


@dataclass(frozen=True)
class Note:
    """Something the name-based pairing may get wrong: `kind` is `renamed` or
    `automatic-name`."""

    kind: str
    layers: tuple[str, ...]
    message: str
    hint: str

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "layers": list(self.layers),
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class SpecDiff:
    a: str  # what A and B are, for messages (paths)
    b: str
    removed: list[Layer]  # in A's order
    added: list[Layer]  # in B's order
    changed: list[LayerChange]  # in B's order
    sections: list[Change]  # everything but the network: train.epochs, input.shape ...
    plan: list[Step]  # every variable of B, in B's order
    unused: list[str]  # variables of A that no variable of B takes
    notes: list[Note]
    # the `init_from.layers` entries that load exactly the variables that transfer
    init_from_layers: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list, repr=False)  # B's layers and placements

    @property
    def same(self) -> bool:
        """No difference in the network or the settings."""
        return not (self.removed or self.added or self.changed or self.sections)

    @property
    def transfers(self) -> list[Step]:
        return [step for step in self.plan if step.transfer]

    def init_from(self, run: str, freeze: bool = False) -> dict:
        """B's `init_from` section loading from `run` everything that transfers."""
        return {"run": run, "layers": list(self.init_from_layers), "freeze": freeze}

    def to_json(self) -> dict:
        return {
            "a": self.a,
            "b": self.b,
            "same": self.same,
            "layers": {
                "removed": [layer.to_json() for layer in self.removed],
                "added": [layer.to_json() for layer in self.added],
                "changed": [change.to_json() for change in self.changed],
            },
            "sections": [change.to_json() for change in self.sections],
            "plan": [step.to_json() for step in self.plan],
            "transfer": {
                "variables": len(self.transfers),
                "of": len(self.plan),
                "values": sum(math.prod(s.shape) for s in self.transfers),
                "of_values": sum(math.prod(s.shape) for s in self.plan),
            },
            "unused": self.unused,
            "init_from_layers": self.init_from_layers,
            "notes": [note.to_json() for note in self.notes],
        }


def diff(a: Spec, b: Spec, labels: tuple[str, str] | None = None) -> SpecDiff:
    """The structural diff of two loaded specs and the plan to warm-start B from A."""
    label_a, label_b = labels or (str(a.path), str(b.path))
    nodes_a = {node.name: node for node in a.graph.nodes()}
    nodes_b = {node.name: node for node in b.graph.nodes()}
    infos_a = {info.name: info for info in a.layer_infos()}
    infos_b = {info.name: info for info in b.layer_infos()}
    removed = [_layer(infos_a[name]) for name in nodes_a if name not in nodes_b]
    added = [_layer(infos_b[name]) for name in nodes_b if name not in nodes_a]
    changed = [
        change
        for name in nodes_b
        if name in nodes_a
        for change in [_layer_change(nodes_a[name], nodes_b[name], infos_a[name], infos_b[name])]
        if change
    ]
    changed = _placements(a, b) + changed
    renamed = _renamed(removed, added, nodes_a, nodes_b)
    shifted, auto_notes = _automatic_names(a, b, nodes_a, nodes_b)
    notes = [
        Note(
            "renamed",
            (old, new),
            f"'{old}' of A and '{new}' of B: renamed? layers match by name, so '{new}' "
            "starts fresh",
            f"to load the weights of A's '{old}', name the layer '{old}' in B",
        )
        for old, new in renamed.items()
    ] + auto_notes
    plan = _plan(infos_a, infos_b, {new: old for old, new in renamed.items()}, shifted)
    taken = {step.name for step in plan}
    unused = [
        f"{info.name}/{var}"
        for info in infos_a.values()
        for var in info.variables
        if f"{info.name}/{var}" not in taken
    ]
    return SpecDiff(
        label_a,
        label_b,
        removed,
        added,
        changed,
        _changes(_sections(a.doc), _sections(b.doc)),
        plan,
        unused,
        notes,
        _entries(b.graph.items, plan, infos_a, infos_b),
        [layer["name"] for layer in b.layers if layer["type"] == "block"] + list(nodes_b),
    )


def _entries(items, plan: list[Step], infos_a: dict, infos_b: dict) -> list[str]:
    """The `init_from.layers` entries that load exactly the variables that transfer, in B's
    order: a block instance whose layers all load whole; else a layer whose variables all
    transfer and are all of A's layer (finetune checks a whole layer strictly); else single
    variables (`logits/bias`)."""
    steps: dict[str, list[Step]] = {}
    for step in plan:
        steps.setdefault(step.name.rpartition("/")[0], []).append(step)

    def whole(name: str) -> bool:
        theirs = infos_a.get(name)
        return (
            all(step.transfer for step in steps[name])
            and theirs is not None
            and list(theirs.variables) == list(infos_b[name].variables)
        )

    out = []
    for item in items:
        if isinstance(item, Instance):
            held = [node.name for node in item.nodes() if node.name in steps]
            if held and all(whole(name) for name in held):
                out.append(item.name)
            else:
                out += _entries(item.members, plan, infos_a, infos_b)
        elif item.name in steps:
            if whole(item.name):
                out.append(item.name)
            else:
                out += [step.name for step in steps[item.name] if step.transfer]
    return out


def _layer(info: LayerInfo) -> Layer:
    return Layer(info.name, info.type, dict(info.variables))


def _fields(node: Node) -> dict:
    return _flatten({k: v for k, v in node.layer.items() if k not in SKIPPED_FIELDS})


def _layer_change(a: Node, b: Node, info_a: LayerInfo, info_b: LayerInfo) -> LayerChange | None:
    fields = _changes(_fields(a), _fields(b))
    if a.inputs != b.inputs:
        fields.append(Change("inputs", list(a.inputs), list(b.inputs)))
    shapes = _changes(
        {k: list(v) for k, v in info_a.variables.items()},
        {k: list(v) for k, v in info_b.variables.items()},
    )
    if not fields and not shapes:
        return None
    return LayerChange(b.name, b.type, tuple(fields), tuple(shapes))


def _placements(a: Spec, b: Spec) -> list[LayerChange]:
    """`type: block` layers both specs place under one name, whose fields (block, repeat,
    with, first, inputs) differ: `stage2 repeat 2 → 3`. Their instances' layers show as
    added, removed or changed on their own."""
    placed_a = {layer["name"]: layer for layer in a.layers if layer["type"] == "block"}
    changes = []
    for layer in b.layers:
        if layer["type"] != "block" or layer["name"] not in placed_a:
            continue
        before = _flatten({k: v for k, v in placed_a[layer["name"]].items() if k != "name"})
        fields = _changes(before, _flatten({k: v for k, v in layer.items() if k != "name"}))
        if fields:
            changes.append(LayerChange(layer["name"], "block", tuple(fields), ()))
    return changes


def _sections(doc: dict) -> dict:
    return _flatten({k: v for k, v in doc.items() if k not in NOT_SECTIONS})


def _flatten(value, prefix: str = "") -> dict:
    """Nested mappings as {dotted path: value}; lists and scalars are values."""
    if isinstance(value, dict) and value:
        out = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def _changes(a: dict, b: dict) -> list[Change]:
    paths = list(a) + [path for path in b if path not in a]
    return [
        Change(path, a.get(path, ABSENT), b.get(path, ABSENT))
        for path in paths
        if a.get(path, ABSENT) != b.get(path, ABSENT)
    ]


def _renamed(removed: list[Layer], added: list[Layer], nodes_a, nodes_b) -> dict[str, str]:
    """{A's name: B's name} of removed and added layers of one type with the same variable
    shapes (and, for layers without variables, the same fields), paired in order."""
    pairs, free = {}, list(added)
    for old in removed:
        for new in free:
            if (
                old.type == new.type
                and old.variables == new.variables
                and (old.variables or _fields(nodes_a[old.name]) == _fields(nodes_b[new.name]))
            ):
                pairs[old.name] = new.name
                free.remove(new)
                break
    return pairs


def _automatic(spec: Spec) -> set[tuple]:
    """The document paths (`where`) of the layers whose name is automatic: not given, or
    given as exactly the name netspec would have made (a run's resolved spec has every
    name filled in, so the two cannot be told apart there)."""
    scopes = {("layers",): spec.layers}
    scopes.update(
        (("blocks", name, "layers"), block["layers"]) for name, block in spec.blocks.items()
    )
    auto = set()
    for at, layers in scopes.items():
        made = layer_names([{"type": layer.get("type")} for layer in layers])
        for i, (layer, name) in enumerate(zip(layers, made)):
            if layer.get("name") in (None, name):
                auto.add((*at, i))
    return auto


def _automatic_names(a: Spec, b: Spec, nodes_a, nodes_b) -> tuple[dict[str, str], list[Note]]:
    """Layers of B with an automatic name that likely pair with a different layer of A.

    Returns ({B's layer: the layer of A it likely is}, notes). A layer of B with an automatic
    name is suspect when A's layer of that name differs (fields or inputs), or A has none;
    another layer of A with its type and fields (in the same block instance) is then likely
    the one it was, the nearest in automatic number if several."""
    auto_a, auto_b = _automatic(a), _automatic(b)
    likely, notes = {}, []
    for name, node in nodes_b.items():
        if node.where not in auto_b:
            continue
        same = nodes_a.get(name)
        if same is not None and _fields(same) == _fields(node) and same.inputs == node.inputs:
            continue
        if same is None and not any(n.where in auto_a for n in nodes_a.values()):
            continue  # A has no automatic names to shift
        other = _counterpart(node, nodes_a, nodes_b, auto_a)
        if other is not None:
            likely[name] = other
            paired = (
                f"by name it pairs with A's '{name}', a different layer"
                if same is not None
                else f"A has no '{name}'"
            )
            notes.append(
                Note(
                    "automatic-name",
                    (name, other),
                    f"B's '{name}' (automatic name) looks like A's '{other}' (same type and "
                    f"fields); {paired}: an unnamed {node.type} was likely inserted or removed "
                    "before it" + (". Its variables start fresh" if same is not None else ""),
                    f"name the {node.type} layers in B (`name: ...`); a layer loads A's "
                    f"weights only under A's name ('{other}')",
                )
            )
        elif same is not None:
            first = (_changes(_fields(same), _fields(node)) or [None])[0]
            what = first.render() if first else f"inputs {list(same.inputs)} → {list(node.inputs)}"
            notes.append(
                Note(
                    "automatic-name",
                    (name,),
                    f"'{name}' (automatic name) differs between A and B ({what}): if an "
                    f"unnamed {node.type} was inserted or removed before it, automatic names "
                    "pair different layers",
                    f"name the {node.type} layers in B (`name: ...`) so that names pair the "
                    "same layers",
                )
            )
    return likely, notes


def _counterpart(node: Node, nodes_a: dict, nodes_b: dict, auto_a: set) -> str | None:
    """The layer of A with an automatic name that `node` of B likely is: same type, fields
    and scope, and not itself kept unchanged in B under its own name."""
    scope = node.name.rpartition("/")[0]
    fields = _fields(node)

    def kept(other: Node) -> bool:
        same = nodes_b.get(other.name)
        return same is not None and _fields(same) == _fields(other) and same.inputs == other.inputs

    candidates = [
        other
        for other in nodes_a.values()
        if other.name != node.name
        and other.where in auto_a
        and other.type == node.type
        and other.name.rpartition("/")[0] == scope
        and _fields(other) == fields
        and not kept(other)
    ]
    if not candidates:
        return None
    number = _number(node.name)
    return min(candidates, key=lambda other: abs(_number(other.name) - number)).name


def _number(name: str) -> int:
    """k of an automatic name `<type>_<k>`."""
    tail = name.rpartition("/")[2].rpartition("_")[2]
    return int(tail) if tail.isdigit() else 0


def _plan(infos_a: dict, infos_b: dict, renamed: dict, shifted: dict) -> list[Step]:
    steps = []
    for name, info in infos_b.items():
        theirs = infos_a.get(name)
        for var, shape in info.variables.items():
            key, shape = f"{name}/{var}", tuple(shape)
            source = None if theirs is None else theirs.variables.get(var)
            source = None if source is None else tuple(source)
            if source is None:
                reason = "not in A" + (
                    f" (renamed from '{renamed[name]}'?)" if name in renamed else ""
                )
            elif theirs.type != info.type:
                reason = f"layer type {theirs.type} in A, {info.type} in B"
            elif source != shape:
                reason = f"shape {list(source)} in A, {list(shape)} in B"
            elif name in shifted:
                reason = f"'{name}' of B is likely '{shifted[name]}' of A (automatic names shifted)"
            else:
                reason = None
            steps.append(Step(key, shape, source, reason))
    return steps


def relative_run(run: Path, spec_path: Path) -> str:
    """`run` as `init_from.run` of the spec at `spec_path` best writes it: relative to the
    spec's folder (tried first, from any working directory), else absolute."""
    run, folder = Path(run).resolve(), Path(spec_path).resolve().parent
    try:
        return os.path.relpath(run, folder)
    except ValueError:  # another drive
        return str(run)


def init_from_yaml(section: dict, summary: str | None = None) -> str:
    """`init_from:` as YAML to paste into a spec, after a comment line `summary`."""
    import yaml

    text = yaml.safe_dump({"init_from": section}, sort_keys=False, default_flow_style=False)
    return (f"# {summary}\n" if summary else "") + text


def transfer_summary(d: SpecDiff) -> str:
    """`3 of 4 variables load (650 of 101,770 values); fresh: hidden/kernel, ...`."""
    moved = d.transfers
    fresh = [step.name for step in d.plan if not step.transfer]
    values = sum(math.prod(s.shape) for s in moved)
    total = sum(math.prod(s.shape) for s in d.plan)
    text = f"{len(moved)} of {len(d.plan)} variables load ({values:,} of {total:,} values)"
    if fresh:
        shown = ", ".join(fresh[:4]) + (f" and {len(fresh) - 4} more" if len(fresh) > 4 else "")
        text += f"; fresh: {shown}"
    return text


def render_text(d: SpecDiff) -> str:
    """The diff as plain lines: layers (+ added, - removed, ~ changed), settings, the plan,
    notes."""
    lines = [f"A: {d.a}", f"B: {d.b}", ""]
    if d.same:
        lines.append("no differences in the network or the settings")
    if d.removed or d.added or d.changed:
        lines.append("layers (+ added, - removed, ~ changed: A → B):")
        rows = {
            layer.name: f"  + {layer.name} ({layer.type})" + _shapes(layer.variables)
            for layer in d.added
        }
        for change in d.changed:
            parts = [c.render() for c in change.fields]
            if change.variables:
                shapes = (f"{c.path} {_shape(c.a)} → {_shape(c.b)}" for c in change.variables)
                parts.append("variables " + ", ".join(shapes))
            rows[change.name] = f"  ~ {change.name} ({change.type}): " + "; ".join(parts)
        lines += [rows[name] for name in d.order if name in rows]
        lines += [f"  - {layer.name} ({layer.type})" for layer in d.removed]
    if d.sections:
        lines.append("settings (A → B):")
        lines += [f"  {change.render()}" for change in d.sections]
    lines += ["", f"warm start of B from A: {transfer_summary(d).split(';')[0]}"]
    width = max((len(step.name) for step in d.plan), default=0)
    shapes = max((len(str(list(step.shape))) for step in d.plan), default=0)
    for step in d.plan:
        mark = "load " if step.transfer else "fresh"
        row = f"  {mark}  {step.name:<{width}}  {list(step.shape)!s:<{shapes}}"
        lines.append((row + f"  ({step.reason})" if step.reason else row).rstrip())
    if d.unused:
        lines.append(f"  unused from A: {', '.join(d.unused)}")
    for note in d.notes:
        lines += ["", f"warning: {note.message}", f"  hint: {note.hint}"]
    return "\n".join(lines)


def _shapes(variables: dict) -> str:
    if not variables:
        return ""
    return ": variables " + ", ".join(f"{name} {list(shape)}" for name, shape in variables.items())


def _shape(value) -> str:
    return "(none)" if value is ABSENT else str(list(value))


def _value(value) -> str:
    if value is ABSENT:
        return "(none)"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    return str(value)
