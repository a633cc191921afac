"""`idx`: a folder holding MNIST-style IDX files, gzipped or not.

Uncompressed files are memory-mapped (a set larger than memory streams); gzipped ones are
decompressed into memory.

The folder holds train-images-idx3-ubyte and train-labels-idx1-ubyte (or the
train-images.idx3-ubyte spelling, each optionally .gz) and, when present, the t10k-* pair,
which becomes the test split. A folder with only the t10k-* pair is a test set: it can be
evaluated on, and training on it finds no examples to train with. An IDX file is a 4-byte
magic (0, 0, type code, number of dimensions), one big-endian uint32 per dimension, then the
values, big-endian.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from netspec.data.sources.base import Pool, Source, path_field
from netspec.errors import UserError

if TYPE_CHECKING:
    import numpy as np

TYPE_CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
GZIP_MAGIC = b"\x1f\x8b"


def read(data: dict, input_spec: dict) -> Pool:
    from netspec.data.arrays import numbered_classes, raw_range, require_path, same_image_size
    from netspec.data.examples import ArrayExamples

    folder = require_path(data, "idx", "folder")
    train = read_pair(folder, "train")
    test, origin = _test_set(data, folder)
    if train is None and test is None:
        _missing(folder, "train")
    if train is None:  # a test set alone, as the official t10k pair: enough to evaluate on
        x, y = test[0][:0], test[1][:0]
        return Pool(
            ArrayExamples(x, y),
            numbered_classes(test[1]),
            raw_range(test[0]),
            test=ArrayExamples(*test),
            test_origin=origin,
        )
    x, y = train
    if test is None:
        return Pool(ArrayExamples(x, y), numbered_classes(y), raw_range(x))
    same_image_size(x, test[0], "idx")
    return Pool(
        ArrayExamples(x, y),
        numbered_classes(y, test[1]),
        raw_range(x, test[0]),
        test=ArrayExamples(*test),
        test_origin=origin,
    )


def has_test_files(data: dict) -> bool:
    path = Path(data["path"]) if data.get("path") else None
    if data.get("test_path"):
        return True
    return bool(path and path.is_dir() and any(p.name.startswith("t10k-") for p in path.iterdir()))


def _test_set(data: dict, folder: Path):
    """The test pair (images, labels) or None, and where it came from: data.test_path, else
    t10k-* files beside train-*."""
    from netspec.data.arrays import require_path

    if data.get("test_path"):
        test_folder = require_path(data, "idx", "folder", key="test_path")
        test = read_pair(test_folder, "t10k") or read_pair(test_folder, "train")
        test = test or _missing(test_folder, "t10k")
        return test, f"the IDX files in data.test_path ({len(test[1])} examples)"
    test = read_pair(folder, "t10k")
    if test is None:
        return None, None
    return test, f"the t10k-* files in data.path ({len(test[1])} examples)"


def read_pair(folder: Path, prefix: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The (images, labels) of one prefix ("train" or "t10k"), or None when neither file exists."""
    images_path = find(folder, prefix, "images", 3)
    labels_path = find(folder, prefix, "labels", 1)
    if images_path is None and labels_path is None:
        return None
    if images_path is None or labels_path is None:
        present, kind, rank = (
            (labels_path, "images", 3) if images_path is None else (images_path, "labels", 1)
        )
        raise UserError(
            f"idx: {present} has no matching {prefix}-{kind}-idx{rank}-ubyte[.gz] in {folder}"
        )
    from netspec.data.arrays import class_ids, images

    x = images(read_idx(images_path), str(images_path))
    y = class_ids(read_idx(labels_path), str(labels_path))
    if len(x) != len(y):
        raise UserError(
            f"{labels_path}: {len(y)} labels, but {images_path.name} has {len(x)} images"
        )
    if not len(y):
        raise UserError(f"{images_path}: holds no images")
    return x, y


def find(folder: Path, prefix: str, kind: str, rank: int) -> Path | None:
    for stem in (f"{prefix}-{kind}-idx{rank}-ubyte", f"{prefix}-{kind}.idx{rank}-ubyte"):
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                return folder / name
    return None


def read_idx(path: Path) -> np.ndarray:
    """The array stored in an IDX file: memory-mapped when the file is not gzipped and holds
    bytes (as MNIST's images do), else read into memory in native byte order."""
    import numpy as np

    with open(path, "rb") as f:
        head = f.read(4 + 4 * 255)
    if head[:2] != GZIP_MAGIC and head[2:3] == b"\x08":
        dims, header = _header(head, path.stat().st_size, path)
        return np.memmap(path, np.uint8, "r", header, dims)
    raw = path.read_bytes()
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise UserError(f"{path}: corrupt gzip data ({err})") from err
    dims, header = _header(raw[: 4 + 4 * 255], len(raw), path)
    dtype = np.dtype(TYPE_CODES[raw[2]])
    return np.frombuffer(raw, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def _header(raw: bytes, size: int, path: Path) -> tuple[tuple, int]:
    """(dimensions, header length) of IDX data that starts with `raw` and is `size` bytes long,
    checked against each other."""
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in TYPE_CODES or raw[3] == 0:
        raise UserError(
            f"{path}: not an IDX file (starts with {raw[:4].hex() or 'nothing'}, "
            "expected 0000 then a type code and a dimension count)"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if min(len(raw), size) < header:
        raise UserError(f"{path}: truncated inside its header ({min(len(raw), size)} bytes)")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected = math.prod(dims) * int(TYPE_CODES[raw[2]][-1])
    if size - header != expected:
        state = "truncated" if size - header < expected else "longer than its header says"
        raise UserError(
            f"{path}: {state}: dimensions {list(dims)} need {expected} bytes of data, "
            f"the file holds {size - header}"
        )
    return dims, header


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write `array` as an IDX file, gzipped when `path` ends in .gz.

    Integer arrays of a type IDX lacks (int64 labels, say) are stored in the smallest IDX
    integer type that holds their values.
    """
    path = Path(path)
    import numpy as np

    array = np.asarray(array)
    dtype = _idx_dtype(array)
    code = next(code for code, t in TYPE_CODES.items() if np.dtype(t) == dtype)
    body = struct.pack(f">BBBB{array.ndim}I", 0, 0, code, array.ndim, *array.shape)
    body += array.astype(dtype).tobytes()
    path.write_bytes(gzip.compress(body, mtime=0) if path.suffix == ".gz" else body)
    return path


def _idx_dtype(array: np.ndarray) -> np.dtype:
    import numpy as np

    big_endian = array.dtype.newbyteorder(">")
    if big_endian in map(np.dtype, TYPE_CODES.values()):
        return big_endian
    if array.dtype.kind in "iu":
        lo, hi = (int(array.min()), int(array.max())) if array.size else (0, 0)
        for dtype in (np.dtype(">u1"), np.dtype(">i1"), np.dtype(">i2"), np.dtype(">i4")):
            info = np.iinfo(dtype)
            if info.min <= lo and hi <= info.max:
                return dtype
    raise UserError(f"write_idx: IDX cannot store {array.dtype} values like these")


def _missing(folder: Path, prefix: str) -> NoReturn:
    found = ", ".join(sorted(p.name for p in folder.iterdir())[:8]) or "nothing"
    raise UserError(
        f"idx: no {prefix}-images-idx3-ubyte[.gz] / {prefix}-labels-idx1-ubyte[.gz] in {folder} "
        f"(found: {found})",
        hint="point data.path at the folder holding the MNIST IDX files",
    )


SOURCE = Source(
    "idx",
    "a folder of MNIST-format IDX files (train-images-idx3-ubyte[.gz], ...)",
    read,
    fields={
        "path": path_field("Folder holding the IDX files, relative to the spec file.", True),
        "test_path": path_field(
            "A separate folder of test IDX files (t10k-* or train-*), relative to the spec file."
        ),
    },
    own_test=has_test_files,
    path_fields=("path", "test_path"),
)
