"""Checks the array sources (idx, npz) share on arrays read from user files."""

from pathlib import Path

import numpy as np

from netspec.errors import UsageError, UserError


def require_path(data: dict, source: str, what: str, key: str = "path") -> Path:
    """The existing file or folder that `data[key]` names; `what` is "file" or "folder"."""
    value = data.get(key)
    if not value:
        raise UserError(
            f"data.{key} is required for source '{source}'",
            hint=f"set data.{key} to the {what} to read",
        )
    path = Path(value)
    if not path.exists():
        raise UsageError(f"data.{key}: {path} does not exist")
    if what == "folder" and not path.is_dir():
        raise UsageError(f"data.{key}: {path} is not a folder")
    if what == "file" and not path.is_file():
        raise UsageError(f"data.{key}: {path} is not a file")
    return path


def images(x: np.ndarray, where: str) -> np.ndarray:
    """`x` as (N, H, W, C) uint8 or float32; a 3-D array gets a channel axis. A memory-mapped
    uint8 or float32 array stays mapped; other types are converted in memory."""
    if x.ndim == 3:
        x = x[..., np.newaxis]
    if x.ndim != 4:
        raise UserError(
            f"{where}: images must be 3-D (N, H, W) or 4-D (N, H, W, C), got shape {x.shape}"
        )
    if x.dtype in (np.uint8, np.float32):
        return x
    if x.dtype.kind not in "uif":
        raise UserError(f"{where}: images must be numbers, got dtype {x.dtype}")
    return np.array(x, np.float32)  # an ndarray: astype would keep the np.memmap class


def class_ids(y: np.ndarray, where: str) -> np.ndarray:
    """`y` as a 1-D int64 array of non-negative class ids."""
    if y.ndim != 1:
        raise UserError(
            f"{where}: labels must be 1-D class ids, got shape {y.shape}",
            hint="store class ids (0, 1, 2, ...), not one-hot rows",
        )
    if not np.issubdtype(y.dtype, np.integer):
        raise UserError(f"{where}: labels must be integers, got dtype {y.dtype}")
    if y.size and y.min() < 0:
        raise UserError(f"{where}: labels must be >= 0, got {y.min()}")
    return np.asarray(y, np.int64)


def same_count(x: np.ndarray, y: np.ndarray, where: str) -> None:
    if len(x) != len(y):
        raise UserError(f"{where}: {len(x)} images but {len(y)} labels")


def same_image_size(x: np.ndarray, x_test: np.ndarray, where: str) -> None:
    if x.shape[1:] != x_test.shape[1:]:
        raise UserError(
            f"{where}: the training images are {x.shape[1:]} but the test images are "
            f"{x_test.shape[1:]}; they must be the same size"
        )


def numbered_classes(*labels: np.ndarray) -> list[str]:
    """Names "0", "1", ... up to the largest label present."""
    return [str(k) for k in range(max(int(y.max()) for y in labels) + 1)]


def raw_range(*arrays: np.ndarray) -> tuple[float, float]:
    """(0, 255) for uint8 images; otherwise the smallest and largest value present (read a
    chunk at a time: the arrays may be memory-mapped)."""
    if all(a.dtype == np.uint8 for a in arrays):
        return (0.0, 255.0)
    lows, highs = [], []
    for a in arrays:
        for chunk in _chunks(a):
            lows.append(chunk.min())
            highs.append(chunk.max())
    return (float(min(lows)), float(max(highs)))


def non_finite(x: np.ndarray) -> tuple[int, int]:
    """How many examples of `x` hold NaN or an infinity, and the first one's index (-1 when
    none); float arrays are read a chunk at a time."""
    if x.dtype.kind != "f":
        return 0, -1
    count, first, start = 0, -1, 0
    for chunk in _chunks(x):
        bad = ~np.isfinite(chunk.reshape(len(chunk), -1)).all(axis=1)
        if bad.any() and first < 0:
            first = start + int(np.argmax(bad))
        count += int(bad.sum())
        start += len(chunk)
    return count, first


def _chunks(x: np.ndarray, size: int = 64 << 20):
    """Consecutive rows of `x` of about `size` bytes each, as arrays in memory."""
    rows = max(1, size // max(1, x[:1].nbytes))
    for start in range(0, len(x), rows):
        yield np.asarray(x[start : start + rows])
