"""`npz`: a NumPy .npz file with x_train, y_train (and optionally x_test, y_test) or x, y.

An optional `class_names` array (strings) names the classes. Arrays saved uncompressed
(np.savez) are memory-mapped, so a file larger than memory streams; compressed ones are read.
Nothing is ever unpickled: a data file must never be able to run code.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from netspec.data.sources.base import Pool, Source, path_field
from netspec.errors import UserError

LAYOUTS = (("x_train", "y_train", "x_test", "y_test"), ("x", "y"))


def read(data: dict, input_spec: dict) -> Pool:
    from netspec.data.arrays import numbered_classes, raw_range, require_path, same_image_size
    from netspec.data.examples import ArrayExamples

    path = require_path(data, "npz", "file")
    arrays = read_arrays(path)
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
        names = _class_names(arrays, path, y) if "class_names" in arrays else numbered_classes(y)
        return Pool(ArrayExamples(x, y), names, raw_range(x), warnings=warnings)
    test = _examples(arrays, "x_test", "y_test", path)
    same_image_size(x, test[0], str(path))
    names = (
        _class_names(arrays, path, y, test[1])
        if "class_names" in arrays
        else numbered_classes(y, test[1])
    )
    return Pool(
        ArrayExamples(x, y),
        names,
        raw_range(x, test[0]),
        test=ArrayExamples(*test),
        test_origin=f"x_test/y_test in {path.name} ({len(test[1])} examples)",
        warnings=warnings,
    )


def read_arrays(path: Path) -> dict:
    from netspec import npzfile

    return npzfile.read(
        path,
        ".npz file",
        hint="save plain numeric arrays (and class_names as a string array) with np.savez",
        mapped=True,
    )


def has_test_arrays(data: dict) -> bool:
    path = Path(data["path"]) if data.get("path") else None
    if not (path and path.is_file()):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return "x_test.npy" in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def _examples(arrays: dict, x_key: str, y_key: str, path: Path):
    from netspec.data.arrays import class_ids, images, same_count

    if x_key not in arrays or y_key not in arrays:
        present, missing = (x_key, y_key) if x_key in arrays else (y_key, x_key)
        raise UserError(f"{path}: has {present} but no {missing}")
    x = images(arrays[x_key], f"{path.name}:{x_key}")
    y = class_ids(arrays[y_key], f"{path.name}:{y_key}")
    same_count(x, y, f"{path.name}:{x_key}/{y_key}")
    if not len(y):
        raise UserError(f"{path}: {x_key} holds no examples")
    return x, y


def _class_names(arrays: dict, path: Path, *labels) -> list[str]:
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


SOURCE = Source(
    "npz",
    "a NumPy .npz file with x_train, y_train[, x_test, y_test] or x, y",
    read,
    fields={"path": path_field("The .npz file, relative to the spec file.", True)},
    own_test=has_test_arrays,
    path_fields=("path",),
)
