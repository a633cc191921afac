"""What every data source returns, and the checks they share on arrays read from user files."""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from netspec.errors import UsageError, UserError


@dataclass
class SourceData:
    """A source's examples before splitting.

    `x`, `y` is the pool that `split` divides. `test` is the source's own test set (MNIST's
    official one, t10k-* files, `test_path`, x_test/y_test); when present it is the test split
    and `test_origin` says where it came from, for error messages.
    """

    x: np.ndarray
    y: np.ndarray
    class_names: list[str]
    value_range: tuple[float, float]
    test: tuple[np.ndarray, np.ndarray] | None = None
    test_origin: str | None = None
    warnings: list[str] = field(default_factory=list)


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
    """`x` as (N, H, W, C) uint8 or float32; a 3-D array gets a channel axis."""
    if x.ndim == 3:
        x = x[..., np.newaxis]
    if x.ndim != 4:
        raise UserError(
            f"{where}: images must be 3-D (N, H, W) or 4-D (N, H, W, C), got shape {x.shape}"
        )
    if x.dtype == np.uint8:
        return x
    if x.dtype.kind not in "uif":
        raise UserError(f"{where}: images must be numbers, got dtype {x.dtype}")
    return x.astype(np.float32)


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
    return y.astype(np.int64)


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
    """(0, 255) for uint8 images; otherwise the smallest and largest value present."""
    if all(a.dtype == np.uint8 for a in arrays):
        return (0.0, 255.0)
    return (float(min(a.min() for a in arrays)), float(max(a.max() for a in arrays)))
