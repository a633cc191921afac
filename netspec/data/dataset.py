"""The data a run sees: raw arrays split three ways, and what a manifest records about them."""

import hashlib
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Dataset:
    """Raw (unscaled) examples; `x_*` is (N, H, W, C) float32 or uint8, `y_*` int64 class ids.

    A split with no examples is None. `value_range` is the raw range the model's input scaling
    maps from, e.g. (0, 255) for MNIST-like images or (0, 16) for `digits`.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    class_names: list[str]
    value_range: tuple[float, float]
    fingerprint: str
    source: str
    warnings: list[str] = field(default_factory=list)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def fingerprint(arrays: dict[str, np.ndarray | None]) -> str:
    """sha256 over each array's name, dtype, shape and bytes, in the order given.

    Only the values count (not memory layout or the process), so a manifest can record exactly
    which examples a run saw and two runs can be compared by this one string.
    """
    digest = hashlib.sha256()
    for name, array in arrays.items():
        if array is None:
            digest.update(f"{name}:none;".encode())
            continue
        array = np.ascontiguousarray(array)
        digest.update(f"{name}:{array.dtype.str}:{array.shape};".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()
