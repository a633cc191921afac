"""load(spec): the examples a run sees, split three ways, checked, and fingerprinted."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from netspec.data.arrays import non_finite
from netspec.data.examples import ArrayExamples, FileExamples, RecordExamples, fingerprint
from netspec.data.memory import gib, machine_memory
from netspec.data.sources import SOURCES, Pool
from netspec.data.splits import split_indices
from netspec.errors import UserError

SPLITS = ("train", "validation", "test")
AUTO_MEMORY = 4 << 30  # `cache: auto` holds data in memory when it takes up to this much...
AUTO_SHARE = 8  # ...and up to this fraction (1/8) of the machine's memory
HELD_COPIES = 2  # data held in memory takes twice its size: NumPy's array, TensorFlow's tensor


@dataclass
class Dataset:
    """The splits (None when empty), with what a manifest records about them.

    `value_range` is the raw range the model's input scaling maps from, e.g. (0, 255) for
    images or (0, 16) for `digits`. `cache` is "memory" when every example is held in memory,
    "none" when they are read as batches need them.
    """

    train: object
    validation: object | None
    test: object | None
    class_names: list[str]
    value_range: tuple[float, float]
    fingerprint: str
    source: str
    cache: str
    warnings: list[str] = field(default_factory=list)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def split(self, name: str):
        return getattr(self, name)

    def sizes(self) -> dict[str, int | None]:
        return {
            name: None if self.split(name) is None else len(self.split(name)) for name in SPLITS
        }


def load(spec, cache: str | None = None) -> Dataset:
    """The examples `spec.data` describes, split, checked against `spec.input["shape"]`.

    `cache` overrides data.cache's choice ("memory" or "none"): a resumed run reads its data
    the way it started.
    """
    data = spec.data
    name = data["source"]
    pool = SOURCES[name].read(data, spec.input)
    parts = [p for p in (pool.examples, pool.test, *(pool.splits or {}).values()) if p is not None]
    for examples in parts:
        check_shape(examples, name, spec.input["shape"])
    mode = cache or choose_cache(data["cache"], parts, name)
    warnings = list(pool.warnings)
    if mode == "memory":
        pool = _in_memory(pool, warnings)
    for examples in (pool.examples, pool.test, *(pool.splits or {}).values()):
        if isinstance(examples, ArrayExamples):
            check_finite(examples.x, name)
    train, validation, test = _split(pool, data, name)
    if mode == "memory":  # each split its own array, and the pool freed
        train, validation, test = (
            None if part is None else part.materialized() for part in (train, validation, test)
        )
    if not len(train):
        raise UserError(
            f"data source '{name}' gives no examples to train on"
            + (f" (only {pool.test_origin})" if pool.test_origin else ""),
            hint="point the source at training data, or give data.split.train a count",
        )
    validation = validation if validation is not None and len(validation) else None
    test = test if test is not None and len(test) else None
    return Dataset(
        train,
        validation,
        test,
        class_names=pool.class_names,
        value_range=pool.value_range,
        fingerprint=fingerprint({"train": train, "val": validation, "test": test}),
        source=name,
        cache=mode,
        warnings=warnings,
    )


def choose_cache(setting: str, parts: list, source: str) -> str:
    """ "memory" or "none" for data.cache `setting`: auto holds the data in memory when it is
    small (AUTO_MEMORY, AUTO_SHARE, counting HELD_COPIES); memory refuses data whose held
    copies cannot fit the machine."""
    if all(isinstance(p, ArrayExamples) and p.in_memory for p in parts):
        return "memory"  # generated or read whole by the source: nothing to choose
    decoded = sum(len(p) * math.prod(p.shape) * np.dtype(p.dtype).itemsize for p in parts)
    size = HELD_COPIES * decoded
    machine = machine_memory()
    if setting == "auto":
        return "memory" if size <= min(AUTO_MEMORY, machine // AUTO_SHARE) else "none"
    if setting == "memory" and size > machine:
        raise UserError(
            f"data.cache is memory, but source '{source}' holds {gib(decoded)} decoded (held, "
            f"{gib(size)}) and this machine has {gib(machine)} of memory",
            hint="set data.cache: none (or auto) to stream the examples from disk",
        )
    return setting


def first(examples, limit: int) -> np.ndarray:
    """Up to `limit` of `examples`' images, in order, decoded into memory (raw values)."""
    if isinstance(examples, RecordExamples):
        from netspec.data.sources import tfrecord

        return tfrecord.read_all(examples, limit)[0].x
    pixels, ok = examples.read(np.arange(min(limit, len(examples))))
    return pixels[ok]


def check_shape(examples, name: str, expected: list[int]) -> None:
    given = list(examples.shape)
    if given != list(expected):
        size = "x".join(map(str, given))
        raise UserError(
            f"data source '{name}' gives {size} images (height x width x channels), "
            f"but input.shape is {list(expected)}",
            hint=f"set input.shape: {given}, or choose a source whose images are "
            f"{'x'.join(map(str, expected))}",
        )


def check_finite(x, name: str) -> None:
    """Float images must hold numbers: one NaN pixel turns every weight into NaN."""
    count, first = non_finite(x)
    if count:
        raise UserError(
            f"data source '{name}': {count} example(s) hold NaN or infinite values "
            f"(the first is example {first})",
            hint="clean the data (e.g. np.nan_to_num) or drop those examples",
        )


def _in_memory(pool: Pool, warnings: list[str]) -> Pool:
    def held(examples):
        if examples is None:
            return None
        if isinstance(examples, ArrayExamples):
            return examples.materialized()
        if isinstance(examples, FileExamples):
            arrays, skipped = examples.decoded()
            empty = sorted(set(examples.labels.tolist()) - set(arrays.labels.tolist()))
            if empty:  # every file of these classes passed the scan but failed to decode
                names = ", ".join(pool.class_names[k] for k in empty)
                skipped.append(f"no readable images for class(es) {names}")
        else:
            from netspec.data.sources import tfrecord

            arrays, skipped = tfrecord.read_all(examples)
        warnings.extend(skipped)
        return arrays

    splits = {k: held(v) for k, v in pool.splits.items()} if pool.splits else None
    return Pool(
        held(pool.examples),
        pool.class_names,
        pool.value_range,
        held(pool.test),
        pool.test_origin,
        splits,
        pool.warnings,
    )


def _split(pool: Pool, data: dict, name: str):
    if pool.splits is not None:
        return tuple(pool.splits.get(part) for part in SPLITS)
    examples = pool.examples
    train, val, test = split_indices(
        examples.labels, data["split"], data["seed"], name, pool.test_origin
    )
    own_test = pool.test
    return (
        examples.subset(train),
        examples.subset(val),
        own_test if own_test is not None else examples.subset(test),
    )
