"""Safe YAML loading that remembers where every key and value came from.

Only plain data is accepted: strings, numbers, booleans, null, mappings and sequences. Tags such
as `!!python/object/apply` are reported, never constructed. Alias expansion is bounded, so a
"billion laughs" document is an error instead of an out-of-memory crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from netspec.spec.diagnostics import Diagnostic, Location, SpecError

MAX_BYTES = 1_000_000
MAX_NODES = 100_000

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",  # kept as its text: specs have no dates
}


@dataclass
class Document:
    """A loaded YAML mapping plus the source location of each value and each key, by key path."""

    data: dict
    values: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)

    def where(self, path: tuple, key: bool = False) -> Location | None:
        """The closest known location of `path` (walking up to a parent when needed)."""
        table = self.keys if key else self.values
        path = tuple(path)
        while path:
            if path in table:
                return table[path]
            path = path[:-1]
        return self.values.get(())


def read_text(path: Path) -> str:
    """Read a spec file as UTF-8 text, with one-line errors for the usual ways that goes wrong."""
    label = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            _fail(label, f"file is {size:,} bytes; specs are limited to {MAX_BYTES:,}", "E-FILE")
        raw = path.read_bytes()
    except OSError as err:
        _fail(label, f"cannot read file: {err.strerror or err}", "E-FILE")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        _fail(label, f"not UTF-8 text (invalid byte 0x{raw[err.start]:02x} at offset {err.start})",
              "E-ENCODING", hint="save the spec as UTF-8")


def load(text: str, label: str) -> Document:
    """Parse `text` (named `label` in messages) into a Document whose root is a mapping."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.composer.ComposerError as err:
        if "expected a single document" in str(err):
            _fail(label, "the file holds several YAML documents; a spec is one document",
                  "E-YAML", mark=err.problem_mark)
        _yaml_error(label, err)
    except yaml.YAMLError as err:
        _yaml_error(label, err)
    if root is None:
        _fail(label, "the spec is empty", "E-EMPTY", hint="run `netspec init` for a template")
    if not isinstance(root, yaml.MappingNode):
        _fail(label, f"the top level must be a mapping of sections, got {_kind(root)}", "E-ROOT",
              mark=root.start_mark, hint="start with `input:` and `layers:`")
    doc = Document(data={})
    builder = _Builder(label, doc)
    doc.data = builder.build(root, ())
    if builder.problems:
        raise SpecError(builder.problems)
    return doc


class _Builder:
    def __init__(self, label: str, doc: Document):
        self.label = label
        self.doc = doc
        self.nodes = 0
        self.active: set[int] = set()
        self.problems: list[Diagnostic] = []
        self.constructor = yaml.SafeLoader("")

    def loc(self, node) -> Location:
        return Location(self.label, node.start_mark.line + 1, node.start_mark.column + 1)

    def problem(self, path, node, message, code, hint=None):
        self.problems.append(Diagnostic(path, message, code, self.loc(node), hint))

    def build(self, node, path):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            _fail(self.label, f"the document expands to more than {MAX_NODES:,} values "
                  "(an alias bomb?)", "E-YAML", mark=node.start_mark)
        if id(node) in self.active:
            _fail(self.label, "recursive alias: a value contains itself", "E-YAML",
                  mark=node.start_mark)
        self.doc.values.setdefault(path, self.loc(node))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                self.check_tag(node, path, "tag:yaml.org,2002:seq")
                return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
            self.check_tag(node, path, "tag:yaml.org,2002:map")
            return self.mapping(node, path)
        finally:
            self.active.discard(id(node))

    def mapping(self, node, path) -> dict:
        out: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problem(path, key_node, "YAML merge keys (<<) are not supported", "E-YAML",
                             hint="use `extends: base.yaml` to build on another spec")
                continue
            key = self.build(key_node, path + ("<key>",))
            if not isinstance(key, str):
                self.problem(path, key_node, f"keys must be strings, got {key!r}", "E-KEY")
                continue
            here = path + (key,)
            if key in out:
                first = self.doc.keys[here]
                self.problem(here, key_node, f"duplicate key '{key}' (first given at line "
                             f"{first.line})", "E-DUPLICATE-KEY", hint="remove one of them")
                continue
            self.doc.keys[here] = self.loc(key_node)
            self.doc.values[here] = self.loc(value_node)
            out[key] = self.build(value_node, here)
        return out

    def scalar(self, node, path):
        if node.tag not in _PLAIN_TAGS:
            self.problem(path, node, f"tag '{node.tag}' is not allowed: specs are plain data",
                         "E-TAG", hint="remove the tag; specs never construct Python objects")
            return None
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value
        return self.constructor.construct_object(node, deep=True)

    def check_tag(self, node, path, expected):
        if node.tag != expected:
            self.problem(path, node, f"tag '{node.tag}' is not allowed: specs are plain data",
                         "E-TAG", hint="remove the tag; specs never construct Python objects")


def _kind(node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"the value {node.value!r}" if isinstance(node, yaml.ScalarNode) else "a mapping"


def _yaml_error(label: str, err: yaml.YAMLError):
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    context = getattr(err, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    _fail(label, message, "E-YAML", mark=mark)


def _fail(label, message, code, mark=None, hint=None):
    loc = Location(label, mark.line + 1, mark.column + 1) if mark is not None else Location(label)
    raise SpecError([Diagnostic((), message, code, loc, hint)])
