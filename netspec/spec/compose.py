"""Spec composition: `extends:` (deep merge onto a base file) and `--set path=value` overrides.

Locations follow the values: a value taken from a base file points into the base file, and a
value set on the command line points at its `--set` option.
"""

from __future__ import annotations

from pathlib import Path

from netspec.spec import yamlpos
from netspec.spec.diagnostics import Diagnostic, Location, SpecError
from netspec.spec.names import layer_names
from netspec.spec.yamlpos import Document

MAX_DEPTH = 16


def load_composed(path: Path, overrides=()) -> Document:
    doc = _load_extending(Path(path), chain=())
    for text in overrides:
        apply_override(doc, text)
    return doc


def _load_extending(path: Path, chain: tuple) -> Document:
    doc = yamlpos.load(yamlpos.read_text(path), str(path))
    base_ref = doc.data.pop("extends", None)
    if base_ref is None:
        return doc
    where = doc.where(("extends",))
    if not isinstance(base_ref, str):
        raise SpecError([Diagnostic(("extends",), "must be a file path", "E-EXTENDS", where)])
    base_path = (path.parent / base_ref).resolve()
    chain += (path.resolve(),)
    if base_path in chain:
        cycle = chain[chain.index(base_path) :] + (base_path,)
        raise SpecError(
            [
                Diagnostic(
                    ("extends",),
                    "extends cycle: " + " -> ".join(p.name for p in cycle),
                    "E-EXTENDS",
                    where,
                    "a spec cannot extend itself, directly or not",
                )
            ]
        )
    if len(chain) > MAX_DEPTH:
        raise SpecError(
            [
                Diagnostic(
                    ("extends",), f"more than {MAX_DEPTH} levels of extends", "E-EXTENDS", where
                )
            ]
        )
    if not base_path.is_file():
        raise SpecError(
            [
                Diagnostic(
                    ("extends",),
                    f"base spec '{base_ref}' not found (looked for {base_path})",
                    "E-EXTENDS",
                    where,
                    "paths are relative to the extending file",
                )
            ]
        )
    base = _load_extending(base_path, chain)
    _merge(base, doc, ())
    return base


def _merge(base: Document, child: Document, path: tuple) -> None:
    """Merge child into base in place: mappings recursively, anything else replaces."""
    target = _get(base.data, path)
    for key, value in _get(child.data, path).items():
        here = path + (key,)
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            base.values[here] = child.values[here]
            base.keys[here] = child.keys[here]
            _merge(base, child, here)
            continue
        target[key] = value
        for table in (base.values, base.keys):
            for p in [p for p in table if p[: len(here)] == here]:
                del table[p]
        for src, dst in ((child.values, base.values), (child.keys, base.keys)):
            dst.update({p: loc for p, loc in src.items() if p[: len(here)] == here})


def _get(data, path):
    for part in path:
        data = data[part]
    return data


def apply_override(doc: Document, text: str) -> None:
    """Apply one `dotted.path=value` override to doc in place."""
    where = Location(f"--set {text}")
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise SpecError(
            [
                Diagnostic(
                    (),
                    f"override '{text}' is not of the form path=value",
                    "E-OVERRIDE",
                    where,
                    "e.g. --set train.epochs=3",
                )
            ]
        )
    if key.strip() == "extends":
        raise SpecError(
            [
                Diagnostic(
                    ("extends",),
                    "extends cannot be set from the command line",
                    "E-OVERRIDE",
                    where,
                    "write `extends:` in the spec file",
                )
            ]
        )
    try:
        value = yamlpos.load(f"value: {raw}\n", where.file).data["value"]
    except SpecError as err:  # its line:col would point into the "value: ..." wrapper
        raise SpecError(
            [Diagnostic((), d.message, d.code, where, d.hint) for d in err.diagnostics]
        ) from None
    parts = key.strip().split(".")
    container, path = doc.data, ()
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(container, list):
            index = _list_index(container, part, path, where)
            path += (index,)
            if last:
                container[index] = value
            else:
                container = container[index]
            continue
        if not isinstance(container, dict):
            raise SpecError(
                [
                    Diagnostic(
                        path,
                        f"cannot set '{part}': the value here is {container!r}, not a mapping",
                        "E-OVERRIDE",
                        where,
                    )
                ]
            )
        path += (part,)
        if last:
            container[part] = value
        else:
            container = container.setdefault(part, {})
    for table in (doc.values, doc.keys):
        for p in [p for p in table if p[: len(path)] == path]:
            del table[p]
        table[path] = where
        for n in range(1, len(path)):  # so are the mappings it created on the way
            if isinstance(path[n - 1], str):
                table.setdefault(path[:n], where)


def _list_index(items: list, part: str, path: tuple, where: Location) -> int:
    if part.lstrip("-").isdigit():
        index = int(part)
        if -len(items) <= index < len(items):
            return index % len(items)
        raise SpecError(
            [
                Diagnostic(
                    path, f"index {index} is out of range ({len(items)} items)", "E-OVERRIDE", where
                )
            ]
        )
    names = layer_names(items)
    if part in names:
        return names.index(part)
    known = ", ".join(n for n in names if n)
    raise SpecError(
        [
            Diagnostic(
                path,
                f"no item named '{part}'",
                "E-OVERRIDE",
                where,
                f"names here: {known}" if known else None,
            )
        ]
    )
