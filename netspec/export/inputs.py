"""Read `netspec predict` inputs into raw batches shaped like the model's input.

The kind is told by content, not by name: PNG/JPEG (or anything Pillow opens) is one image,
decoded and fitted to the input exactly as training decodes its images (netspec.data.images,
with the `resize` mode the export recorded); a zip is an `.npz`
(key `x`, else its first array); a gzip or a file starting with two zero bytes is IDX.
Image pixels (0..255) are mapped onto the input's raw range (`scale.from`, e.g. 0..16 for
`digits`); arrays are taken to hold raw values already.
"""

from pathlib import Path

import numpy as np

from netspec import npzfile
from netspec.errors import UsageError, UserError


def read_input(
    path: Path, shape: list[int], raw_range: tuple[float, float] | None, resize: str = "stretch"
) -> np.ndarray:
    """(N, H, W, C) float32 raw values from one file; N is 1 for an image."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    head = path.read_bytes()[:4]
    if head[:2] == b"PK":
        return _fit(_read_npz(path), shape, path)
    if head[:2] in (b"\x1f\x8b", b"\0\0"):
        from netspec.data.sources.idx import read_idx

        return _fit(np.asarray(read_idx(path)), shape, path)
    return _read_image(path, shape, raw_range, resize)[None]


def _read_npz(path: Path) -> np.ndarray:
    arrays = npzfile.read(path, ".npz file")
    if not arrays:
        raise UserError(f"{path}: the .npz holds no arrays")
    return arrays["x" if "x" in arrays else next(iter(arrays))]


def _fit(array: np.ndarray, shape: list[int], path: Path) -> np.ndarray:
    """Accept one example or a batch, with or without a channel axis of 1, of finite numbers."""
    if array.dtype.kind not in "biuf":
        raise UserError(
            f"{path}: holds {array.dtype} values, not numbers", hint="give an array of pixel values"
        )
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise UserError(f"{path}: holds NaN or infinite values")
    shape = tuple(shape)
    for candidate in (array, array[..., None]):
        if candidate.shape == shape:
            candidate = candidate[None]
        if candidate.shape[1:] == shape and len(candidate):
            return candidate.astype(np.float32)
        if shape[-1] != 1:
            break
    raise UserError(
        f"{path}: holds an array of shape {list(array.shape)}, which does not fit "
        f"the model input {list(shape)}",
        hint="give (N, height, width, channels) or one (height, width, channels)",
    )


def _read_image(path: Path, shape: list[int], raw_range, resize: str) -> np.ndarray:
    from netspec.data import images

    if shape[2] not in images.PIL_MODES:
        raise UserError(
            f"{path}: images can feed 1- or 3-channel inputs; the model takes {shape[2]} channels",
            hint="give an .npz or IDX file",
        )
    try:
        pixels = images.decode(path.read_bytes(), shape, resize).astype(np.float32)
    except images.DecodeError as err:
        raise UserError(f"{path}: not a readable image, .npz or IDX file ({err})") from None
    if raw_range is None:
        return pixels
    low, high = raw_range
    return pixels * np.float32((high - low) / 255) + np.float32(low)
