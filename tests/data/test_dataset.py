import subprocess
import sys

import numpy as np

from netspec.data.examples import ArrayExamples, fingerprint

X = np.arange(24, dtype=np.uint8).reshape(2, 3, 4, 1)
Y = np.array([0, 1])
SPLITS = {"train": ArrayExamples(X, Y)}


def test_fingerprint_is_the_same_in_another_process():
    code = (
        "import numpy as np; from netspec.data.examples import ArrayExamples, fingerprint; "
        "print(fingerprint({'train': ArrayExamples("
        "np.arange(24, dtype=np.uint8).reshape(2, 3, 4, 1), np.array([0, 1]))}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == fingerprint(SPLITS)


def test_fingerprint_sees_values_shapes_dtypes_labels_and_missing_parts():
    base = fingerprint(SPLITS)
    changed = X.copy()
    changed[1, 2, 3, 0] = 0
    variants = [
        {"train": ArrayExamples(changed, Y)},
        {"train": ArrayExamples(X.reshape(2, 4, 3, 1), Y)},
        {"train": ArrayExamples(X.astype(np.float32), Y)},
        {"train": ArrayExamples(X, Y[::-1].copy())},
        {**SPLITS, "val": None},
    ]
    prints = {fingerprint(v) for v in variants}
    assert len(prints | {base}) == len(variants) + 1


def test_fingerprint_ignores_memory_layout():
    fortran = {"train": ArrayExamples(np.asfortranarray(X), Y)}
    assert fingerprint(fortran) == fingerprint(SPLITS)


def test_fingerprint_of_a_subset_is_that_of_its_rows():
    """A split chosen by index hashes as the array of the rows it holds."""
    pool = ArrayExamples(np.arange(5 * 24, dtype=np.uint8).reshape(5, 3, 4, 2), np.arange(5))
    rows = np.array([3, 0, 4])
    picked = {"train": ArrayExamples(pool.x[rows].copy(), pool.labels[rows])}
    assert fingerprint({"train": pool.subset(rows)}) == fingerprint(picked)
