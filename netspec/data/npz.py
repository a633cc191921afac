"""`npz`: a NumPy .npz file with x_train, y_train (and optionally x_test, y_test) or x, y.

An optional `class_names` array (strings) names the classes. Files are loaded with
allow_pickle=False: a data file must never be able to run code.
"""

from pathlib import Path

import numpy as np

from netspec import npzfile
from netspec.data.source import (
    SourceData,
    class_ids,
    images,
    numbered_classes,
    raw_range,
    require_path,
    same_count,
    same_image_size,
)
from netspec.errors import UserError

LAYOUTS = (("x_train", "y_train", "x_test", "y_test"), ("x", "y"))


def load(data: dict, input_spec: dict) -> SourceData:
    path = require_path(data, "npz", "file")
    arrays = read(path)
    layout = next((keys for keys in LAYOUTS if {keys[0], keys[1]} <= arrays.keys()), None)
    if layout is None:
        raise UserError(
            f"{path}: expected arrays x_train, y_train (optionally x_test, y_test) or x, y; "
            f"found {', '.join(sorted(arrays)) or 'none'}"
        )
    x, y = _examples(arrays, layout[0], layout[1], path)
    ignored = sorted(arrays.keys() - set(layout) - {"class_names"})
    warnings = [f"{path.name}: ignored arrays {', '.join(ignored)}"] if ignored else []
    if layout[0] == "x" or ("x_test" not in arrays and "y_test" not in arrays):
        names = _class_names(arrays, path, y)
        return SourceData(x, y, names, raw_range(x), warnings=warnings)
    test = _examples(arrays, "x_test", "y_test", path)
    same_image_size(x, test[0], str(path))
    return SourceData(
        x,
        y,
        _class_names(arrays, path, y, test[1]),
        raw_range(x, test[0]),
        test=test,
        test_origin=f"x_test/y_test in {path.name} ({len(test[1])} examples)",
        warnings=warnings,
    )


def read(path: Path) -> dict[str, np.ndarray]:
    return npzfile.read(
        path,
        ".npz file",
        hint="save plain numeric arrays (and class_names as a string array) with np.savez",
    )


def _examples(arrays: dict, x_key: str, y_key: str, path: Path) -> tuple[np.ndarray, np.ndarray]:
    if x_key not in arrays or y_key not in arrays:
        present, missing = (x_key, y_key) if x_key in arrays else (y_key, x_key)
        raise UserError(f"{path}: has {present} but no {missing}")
    x = images(arrays[x_key], f"{path.name}:{x_key}")
    y = class_ids(arrays[y_key], f"{path.name}:{y_key}")
    same_count(x, y, f"{path.name}:{x_key}/{y_key}")
    if not len(y):
        raise UserError(f"{path}: {x_key} holds no examples")
    return x, y


def _class_names(arrays: dict, path: Path, *labels: np.ndarray) -> list[str]:
    if "class_names" not in arrays:
        return numbered_classes(*labels)
    names = arrays["class_names"]
    if names.ndim != 1 or names.dtype.kind not in "US":
        raise UserError(f"{path}: class_names must be a 1-D array of strings")
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in names.tolist()]
    largest = max(int(y.max()) for y in labels)
    if largest >= len(names):
        raise UserError(
            f"{path}: label {largest} has no name; class_names has {len(names)} entries"
        )
    return names
