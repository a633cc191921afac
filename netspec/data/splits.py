"""Seeded, class-stratified train/validation/test splits.

`data.split` gives each part as a count (int) or a fraction of the pool (float in [0, 1];
rounded down). The pool is ordered once so that every prefix holds each class in proportion,
then cut into consecutive parts: the parts are stratified, disjoint, and the same for the same
seed in any process.
"""

import math

import numpy as np

from netspec.errors import UserError

PARTS = ("train", "validation", "test")


def split_indices(
    y: np.ndarray, split: dict, seed: int, source: str, own_test: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices into `y` for the train, validation and test parts.

    `own_test` describes the source's own test set when it has one (e.g. "mnist's official
    test set (10000 examples)"): then the pool is only divided into train and validation.
    """
    counts = part_counts(split, len(y), source, own_test)
    order = stratified_order(y, seed)
    ends = np.cumsum(counts)
    return order[: ends[0]], order[ends[0] : ends[1]], order[ends[1] : ends[2]]


def part_counts(
    split: dict, pool_size: int, source: str, own_test: str | None = None
) -> tuple[int, int, int]:
    """How many examples each part gets; UserError when the request does not fit the pool."""
    values = {part: _checked(part, split.get(part) or 0) for part in PARTS}
    if own_test is not None and values["test"]:
        raise UserError(
            f"data.split.test is {values['test']}, but source '{source}' has its own test set, "
            f"{own_test}, which is the test split",
            hint=f"remove data.split.test; data.split.train and data.split.validation divide "
            f"the other {pool_size} examples",
        )
    fractions = {part: v for part, v in values.items() if isinstance(v, float)}
    if sum(fractions.values()) > 1 + 1e-9:
        terms = " + ".join(f"{part} {v:g}" for part, v in fractions.items())
        raise UserError(
            f"data.split fractions add up to {sum(fractions.values()):g} ({terms}); "
            "they must add up to at most 1"
        )
    counts = tuple(
        math.floor(v * pool_size + 1e-9) if isinstance(v, float) else v for v in values.values()
    )
    if sum(counts) > pool_size:
        terms = " + ".join(f"{n} {part}" for n, part in zip(counts, PARTS) if n)
        pool = f"{pool_size} examples" + (f" besides {own_test}" if own_test else "")
        raise UserError(
            f"data.split asks for {terms} = {sum(counts)} examples, but source '{source}' has "
            f"{pool}",
            hint="lower the counts, or give fractions such as {train: 0.8, validation: 0.1}",
        )
    if counts[0] == 0:
        raise UserError(
            f"data.split.train gives no training examples (train: {values['train']} of "
            f"{pool_size})",
            hint="give data.split.train a count or a fraction > 0",
        )
    return counts


def stratified_order(y: np.ndarray, seed: int) -> np.ndarray:
    """A seeded permutation of `range(len(y))` whose every prefix is stratified by class.

    Each class is shuffled and its k-th example gets the key (k + 0.5) / class size; sorting by
    key interleaves the classes so that any prefix of length n holds about n * share of each
    class (exactly, when the classes are equally large and n is a multiple of their number).
    Ties are broken at random.
    """
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(len(y))
    by_class = shuffled[np.argsort(y[shuffled], kind="stable")]
    _, starts, sizes = np.unique(y[by_class], return_index=True, return_counts=True)
    rank_in_class = np.arange(len(y)) - np.repeat(starts, sizes)
    keys = (rank_in_class + 0.5) / np.repeat(sizes, sizes)
    return by_class[np.lexsort((rng.random(len(y)), keys))]


def _checked(part: str, value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UserError(
            f"data.split.{part} must be a count or a fraction, got {value!r}",
            hint="e.g. split: {train: 4000, test: 1000} or split: {train: 0.8, validation: 0.2}",
        )
    if isinstance(value, float) and not 0 <= value <= 1:
        raise UserError(
            f"data.split.{part} is {value:g}, but a fraction must be between 0 and 1",
            hint="give a fraction of the pool (0.2) or a count of examples (2000)",
        )
    if value < 0:
        raise UserError(f"data.split.{part} must be >= 0, got {value}")
    return value
