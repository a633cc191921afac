"""Safe YAML loading that remembers where every key and value came from.

Only plain data is accepted: strings, numbers, booleans, null, mappings and sequences. Tags such
as `!!python/object/apply` are reported, never constructed. Alias expansion and nesting are
bounded, so a "billion laughs" document or `[[[[...` is an error instead of a crash.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from netspec.spec.diagnostics import Diagnostic, Location, SpecError

MAX_BYTES = 1_000_000
MAX_NODES = 100_000
MAX_DEPTH = 32  # levels of nesting; a spec needs about 6

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",  # kept as its text: specs have no dates
}


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Reads `1e-3` as a number, as YAML 1.2 does (PyYAML's YAML 1.1 wants `1.0e-3`)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"),
)


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
        _fail(
            label,
            f"not UTF-8 text (invalid byte 0x{raw[err.start]:02x} at offset {err.start})",
            "E-ENCODING",
            hint="save the spec as UTF-8",
        )


def load(text: str, label: str) -> Document:
    """Parse `text` (named `label` in messages) into a Document whose root is a mapping."""
    # Characters YAML forbids (control characters; in --set values, undecodable bytes) are
    # found here: libyaml raises UnicodeEncodeError on the latter, and places them in bytes.
    bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if bad:
        at = bad.start()
        line, col = text.count("\n", 0, at), at - text.rfind("\n", 0, at) - 1
        _fail(
            label,
            f"invalid YAML: character U+{ord(bad.group()):04X} is not allowed",
            "E-YAML",
            mark=yaml.Mark(label, at, line, col, None, None),
        )
    try:
        _check_depth(text, label)
        root = yaml.compose(text, Loader=_Loader)
    except yaml.composer.ComposerError as err:
        if "expected a single document" in str(err):
            _fail(
                label,
                "the file holds several YAML documents; a spec is one document",
                "E-YAML",
                mark=err.problem_mark,
            )
        _yaml_error(label, err)
    except yaml.YAMLError as err:
        _yaml_error(label, err)
    if root is None:
        _fail(label, "the spec is empty", "E-EMPTY", hint="run `netspec init` for a template")
    if not isinstance(root, yaml.MappingNode):
        _fail(
            label,
            f"the top level must be a mapping of sections, got {_kind(root)}",
            "E-ROOT",
            mark=root.start_mark,
            hint="start with `input:` and `layers:`",
        )
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
            _fail(
                self.label,
                f"the document expands to more than {MAX_NODES:,} values (an alias bomb?)",
                "E-YAML",
                mark=node.start_mark,
            )
        if len(path) > MAX_DEPTH:  # through aliases: each one can add a level
            _fail(
                self.label,
                f"values are nested more than {MAX_DEPTH} levels deep",
                "E-YAML",
                mark=node.start_mark,
            )
        if id(node) in self.active:
            _fail(
                self.label,
                "recursive alias: a value contains itself",
                "E-YAML",
                mark=node.start_mark,
            )
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
                self.problem(
                    path,
                    key_node,
                    "YAML merge keys (<<) are not supported",
                    "E-YAML",
                    hint="use `extends: base.yaml` to build on another spec",
                )
                continue
            key = self.build(key_node, path + ("<key>",))
            if not isinstance(key, str):
                self.problem(path, key_node, f"keys must be strings, got {key!r}", "E-KEY")
                continue
            here = path + (key,)
            if key in out:
                first = self.doc.keys[here]
                self.problem(
                    here,
                    key_node,
                    f"duplicate key '{key}' (first given at line {first.line})",
                    "E-DUPLICATE-KEY",
                    hint="remove one of them",
                )
                continue
            self.doc.keys[here] = self.loc(key_node)
            self.doc.values[here] = self.loc(value_node)
            out[key] = self.build(value_node, here)
        return out

    def scalar(self, node, path):
        if node.tag not in _PLAIN_TAGS:
            self.tag_problem(node, path)
            return None
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value
        value = self.constructor.construct_object(node, deep=True)
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(
                path, node, f"{node.value} is not allowed: numbers must be finite", "E-NUMBER"
            )
            return None
        return value

    def check_tag(self, node, path, expected):
        if node.tag != expected:
            self.tag_problem(node, path)

    def tag_problem(self, node, path):
        self.problem(
            path,
            node,
            f"tag '{node.tag}' is not allowed: specs are plain data",
            "E-TAG",
            hint="remove the tag; specs never construct Python objects",
        )


def _check_depth(text: str, label: str) -> None:
    """Refuse deep nesting before composing: libyaml's composer recurses in C, and a few
    kilobytes of `[[[[...` would crash the process."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    _fail(
                        label,
                        f"values are nested more than {MAX_DEPTH} levels deep",
                        "E-YAML",
                        mark=event.start_mark,
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.scanner.ScannerError as err:
        # PyYAML >= 6.0.3 stops at its own depth limit while scanning ahead of the events.
        if err.problem != "exceeded maximum nesting depth":
            raise
        _fail(
            label,
            f"values are nested more than {MAX_DEPTH} levels deep",
            "E-YAML",
            mark=err.problem_mark,
        )


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
