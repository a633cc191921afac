"""Encoded image bytes -> the pixels a model takes: the one decode/resize function.

Training (image_folder files and tfrecord records, on tf.data's threads), `netspec data pack`
and `netspec predict` all call `decode`, so an exported model sees a user's photo exactly as
training did. TensorFlow-free: prediction from an ONNX file must not import it.

Anything Pillow opens (PNG, JPEG, GIF, BMP, TIFF, WebP, ...) is converted to grayscale (1
channel) or RGB (3), turned upright by its EXIF orientation, and fitted to height x width:
- `stretch`: resized to exactly that size (the aspect ratio may change);
- `crop`: scaled to cover it, keeping the aspect ratio, then the center cut out;
- `pad`: scaled to fit inside it, keeping the aspect ratio, centered on black.
Resizing is bilinear. NumPy `.npy` bytes (what `pack` writes for float or other-channel data)
hold the pixels as they are and must already have the input's shape.

Only raster formats Pillow decodes itself are opened (FORMATS): Pillow hands EPS files to
Ghostscript, a PostScript interpreter, and data must never run code.
"""

from __future__ import annotations

import io

import numpy as np

FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "PPM", "TGA", "ICO")
NPY_MAGIC = b"\x93NUMPY"
PIL_MODES = {1: "L", 3: "RGB"}


class DecodeError(Exception):
    """The bytes are not an image of a kind we can read; the message says why."""


def decode(data: bytes, shape, resize: str = "stretch") -> np.ndarray:
    """(height, width, channels) pixels: uint8 for images, the stored dtype for .npy bytes."""
    height, width, channels = shape
    if data[:6] == NPY_MAGIC:
        return _npy(data, (height, width, channels))
    if channels not in PIL_MODES:
        raise DecodeError(f"images have 1 or 3 channels; the input takes {channels}")
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            if "exif" in image.info or image.format == "TIFF":  # may hold an orientation
                image = ImageOps.exif_transpose(image)
            if image.mode != PIL_MODES[channels]:
                image = image.convert(PIL_MODES[channels])
            image = fit(image, (width, height), resize)
            pixels = np.asarray(image, dtype=np.uint8)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        raise DecodeError(str(err) or type(err).__name__) from None
    return pixels.reshape(height, width, channels)


def fit(image, size: tuple[int, int], resize: str):
    """`image` (a PIL image) fitted to `size` = (width, height) as `resize` says."""
    from PIL import Image

    if image.size == size:
        return image
    if resize == "stretch":
        return image.resize(size, Image.Resampling.BILINEAR)
    (w, h), (tw, th) = image.size, size
    scale = max(tw / w, th / h) if resize == "crop" else min(tw / w, th / h)
    scaled = (max(1, round(w * scale)), max(1, round(h * scale)))
    image = image.resize(scaled, Image.Resampling.BILINEAR)
    if resize == "crop":
        left, top = (scaled[0] - tw) // 2, (scaled[1] - th) // 2
        return image.crop((left, top, left + tw, top + th))
    canvas = Image.new(image.mode, size, 0)
    canvas.paste(image, ((tw - scaled[0]) // 2, (th - scaled[1]) // 2))
    return canvas


def encode(pixels: np.ndarray) -> bytes:
    """Lossless bytes that `decode` turns back into `pixels` (H, W, C): PNG for uint8 grayscale
    or RGB, .npy for anything else (float values, other channel counts)."""
    if pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] in PIL_MODES:
        from PIL import Image

        out = io.BytesIO()
        image = pixels[..., 0] if pixels.shape[2] == 1 else pixels
        Image.fromarray(image, PIL_MODES[pixels.shape[2]]).save(out, "PNG", compress_level=1)
        return out.getvalue()
    out = io.BytesIO()
    np.save(out, np.ascontiguousarray(pixels), allow_pickle=False)
    return out.getvalue()


def probe(path) -> str | None:
    """Why the file at `path` is not an image, from its header alone (no pixel decoding); None
    if it looks like one. Files that pass may still fail to decode (truncated pixel data)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with open(path, "rb") as f:
            if f.read(6) == NPY_MAGIC:
                return None
            f.seek(0)
            with Image.open(f, formats=FORMATS):
                return None  # Image.open parses the header only
    except UnidentifiedImageError:
        return "not an image file Pillow can read"
    except (OSError, ValueError, SyntaxError) as err:
        return getattr(err, "strerror", None) or str(err) or type(err).__name__


def _npy(data: bytes, shape: tuple[int, int, int]) -> np.ndarray:
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise DecodeError(f"corrupt .npy data ({err})") from None
    if array.ndim == 2 and shape[2] == 1:
        array = array[..., np.newaxis]
    if array.shape != shape or array.dtype.kind not in "uif":
        raise DecodeError(f".npy holds {array.dtype} {list(array.shape)}, expected {list(shape)}")
    return array if array.dtype == np.uint8 else array.astype(np.float32)
