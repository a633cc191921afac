"""Render a notMNIST-like image folder (letters A-J) so letter specs run offline.

Each image is one letter drawn with Pillow's built-in font at a random size, offset, rotation
and stroke width, with uneven ink and background noise. Same arguments, same files.
"""

from pathlib import Path

import numpy as np

from netspec import outputs

LETTERS = "ABCDEFGHIJ"
SCALE = (0.55, 0.95)  # glyph size as a fraction of the image
SHIFT = 0.12  # largest offset of the glyph's center, as a fraction of the image
ROTATION = 20.0  # degrees either way
NOISE = 8.0  # standard deviation of the background noise, in 0..255 pixel units


def write_letters(
    out_dir: str | Path, per_class: int = 200, size: int = 28, seed: int = 0, corrupt: int = 0
) -> Path:
    """Write `out_dir`/A/00000.png ... `out_dir`/J/... and return `out_dir`.

    `out_dir` must be new, empty, or written by this function before; it is replaced whole,
    once every image is written (netspec.outputs).

    `corrupt` extra files (empty, truncated, or not an image at all) are spread over the class
    folders, to exercise how a loader copes with broken files.
    """
    out = Path(out_dir)
    rng = np.random.default_rng(seed)
    fonts: dict[int, object] = {}
    with outputs.replace_dir(
        out, "letters", legacy=outputs.Legacy(frozenset(LETTERS), frozenset(LETTERS))
    ) as staging:
        for letter in LETTERS:
            (staging / letter).mkdir()
            for k in range(per_class):
                path = staging / letter / f"{k:05d}.png"
                try:
                    render(letter, size, rng, fonts).save(path)
                except OSError as err:  # a failed write (a full disk) names no file
                    if not err.errno or err.filename:
                        raise
                    raise OSError(err.errno, err.strerror, str(path)) from None
        for k in range(corrupt):
            _write_corrupt(staging / LETTERS[k % len(LETTERS)] / f"corrupt_{k:03d}.png", k)
    return out


def render(letter: str, size: int, rng: np.random.Generator, fonts: dict):
    from PIL import Image, ImageDraw, ImageFont

    font_size = max(4, round(size * rng.uniform(*SCALE)))
    if font_size not in fonts:
        fonts[font_size] = ImageFont.load_default(size=font_size)
    canvas = Image.new("L", (size, size), 0)
    center = size / 2 + rng.uniform(-SHIFT, SHIFT, 2) * size
    ImageDraw.Draw(canvas).text(
        tuple(center),
        letter,
        fill=255,
        font=fonts[font_size],
        anchor="mm",
        stroke_width=int(rng.integers(0, 2)),
        stroke_fill=255,
    )
    canvas = canvas.rotate(rng.uniform(-ROTATION, ROTATION), resample=Image.Resampling.BILINEAR)
    pixels = np.asarray(canvas, dtype=np.float32)
    pixels = pixels * rng.uniform(0.6, 1.0, pixels.shape) + rng.normal(0, NOISE, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _write_corrupt(path: Path, k: int) -> None:
    from PIL import Image

    kind = k % 3
    if kind == 0:
        path.write_bytes(b"")
    elif kind == 1:
        noise = np.random.default_rng(k).integers(0, 256, (28, 28), dtype=np.uint8)
        Image.fromarray(noise).save(path)
        path.write_bytes(path.read_bytes()[:400])  # header intact, pixel data cut short
    else:
        path.write_bytes(b"this is not an image\n")
