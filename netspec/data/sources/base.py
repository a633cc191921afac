"""What a data source is: its own `data.*` fields, what the spec language knows about it
without reading it, its static checks, and its reader.

Importing a source module imports neither NumPy nor TensorFlow (`netspec validate` reads the
declarations): readers import what they need when they run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from netspec.fields import REQUIRED, Field


@dataclass(frozen=True)
class Problem:
    """A static check's finding at `path` in the spec, e.g. ("data", "examples") (the spec
    layer adds file:line:col)."""

    path: tuple
    message: str
    hint: str | None = None
    severity: str = "error"


@dataclass
class Pool:
    """What a reader gives: `examples` for data.split to divide (None when the source brings
    its splits as `splits`), and the source's own test set when it has one."""

    examples: object | None  # netspec.data.examples.*Examples
    class_names: list[str]
    value_range: tuple[float, float]
    test: object | None = None
    test_origin: str | None = None  # where `test` came from, for messages
    splits: dict | None = None  # {"train": ..., "validation": ..., "test": ...} (tfrecord)
    warnings: list[str] = field(default_factory=list)


def _none(data: dict):
    return None


@dataclass(frozen=True)
class Source:
    name: str
    doc: str
    read: Callable  # (data section, input section) -> Pool
    fields: dict[str, Field] = field(default_factory=dict)
    shape: tuple | None = None  # example shape, when fixed by the source
    classes: Callable[[dict], int | None] = _none  # class count, when known statically
    value_range: Callable[[dict], tuple] = lambda data: (0, 255)  # raw, before input scaling
    pool: Callable[[dict], int | None] = _none  # examples to split, when known statically
    own_test: Callable[[dict], bool] = lambda data: False  # cheap look: no decoding
    own_splits: bool = False  # splits come with the data; data.split does not apply
    check: Callable[[dict, dict | None], Iterable[Problem]] = lambda data, input_spec: ()
    normalize: Callable[[dict], dict] = lambda data: data  # after defaults are filled
    path_fields: tuple[str, ...] = ()  # fields holding paths, relative to the spec file


RESIZE_MODES = ("stretch", "crop", "pad")  # how netspec.data.images fits an image


def resize_field(default: str | None, note: str = "") -> Field:
    return Field(
        {"enum": [*RESIZE_MODES, *([] if default else [None])]},
        "How images of another size become input.shape: `stretch` to it, `crop` (scale to "
        "cover, keep the aspect ratio, cut the center) or `pad` (scale to fit, keep the "
        "aspect ratio, black borders). Exports record it: predict fits images the same way."
        + (f" {note}" if note else ""),
        default,
    )


def path_field(doc: str, required: bool = False) -> Field:
    if required:
        return Field({"type": "string", "minLength": 1}, doc, REQUIRED)
    return Field({"type": ["string", "null"]}, doc, None)
