"""What the data tests share: splits as plain arrays, and netspec 0.1's fingerprint."""

from __future__ import annotations

import hashlib

import numpy as np


def arrays(examples) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(x, labels) of a split, read whole into memory; (None, None) for an absent split."""
    if examples is None:
        return None, None
    return np.asarray(examples.materialized().x), examples.labels


def old_fingerprint(arrays: dict[str, np.ndarray | None]) -> str:
    """netspec 0.1's netspec.data.dataset.fingerprint, verbatim: run manifests written then
    record it, so the new chunked fingerprint must give the same string for the same arrays."""
    digest = hashlib.sha256()
    for name, array in arrays.items():
        if array is None:
            digest.update(f"{name}:none;".encode())
            continue
        array = np.ascontiguousarray(array)
        digest.update(f"{name}:{array.dtype.str}:{array.shape};".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def old_fingerprint_of(ds) -> str:
    """old_fingerprint over a Dataset's splits, keyed as netspec 0.1 keyed them."""
    out = {}
    for name, split in (("train", ds.train), ("val", ds.validation), ("test", ds.test)):
        x, y = arrays(split)
        out[f"x_{name}"], out[f"y_{name}"] = x, y
    return old_fingerprint(out)
