"""netspec.data.images: the one decode/resize function training, pack and predict share."""

import io

import numpy as np
import pytest
from PIL import Image

from netspec.data.images import NPY_MAGIC, DecodeError, decode, encode, probe

LEFT, CENTER, RIGHT = 60, 200, 120


def banded(width=40, height=20) -> np.ndarray:
    """A wide grayscale image: a LEFT band (the outer quarter), a CENTER band (the middle half)
    and a RIGHT band (the other outer quarter), so each resize mode leaves a telltale."""
    pixels = np.full((height, width), CENTER, np.uint8)
    pixels[:, : width // 4] = LEFT
    pixels[:, width - width // 4 :] = RIGHT
    return pixels


def png(pixels: np.ndarray, mode: str | None = None) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels, mode).save(out, "PNG")
    return out.getvalue()


def test_stretch_keeps_both_sides_and_changes_the_aspect():
    out = decode(png(banded()), (20, 20, 1), "stretch")
    assert out.shape == (20, 20, 1) and out.dtype == np.uint8
    assert (out == out[:1]).all()  # every row alike: only the width was squeezed
    row = out[0, :, 0].astype(int)
    assert np.abs(row[:4] - LEFT).max() <= 1  # the outer quarters are still there, halved
    assert np.abs(row[6:14] - CENTER).max() <= 1
    assert np.abs(row[16:] - RIGHT).max() <= 1


def test_crop_keeps_the_center():
    out = decode(png(banded()), (20, 20, 1), "crop")
    assert out.shape == (20, 20, 1)
    assert (out == CENTER).all()  # scaled to cover 20x20 (no scaling here), the middle cut out


def test_pad_fits_inside_with_black_borders_top_and_bottom():
    out = decode(png(banded()), (20, 20, 1), "pad")
    assert out.shape == (20, 20, 1)
    assert (out[:5] == 0).all() and (out[15:] == 0).all()  # 40x20 -> 20x10, centered
    content = out[5:15, :, 0].astype(int)
    assert (content == content[:1]).all()
    assert np.abs(content[0, :4] - LEFT).max() <= 1
    assert np.abs(content[0, 6:14] - CENTER).max() <= 1
    assert np.abs(content[0, 16:] - RIGHT).max() <= 1


@pytest.mark.parametrize("resize", ["stretch", "crop", "pad"])
@pytest.mark.parametrize("shape", [(20, 40, 1), (7, 30, 3), (33, 9, 1)])
def test_every_mode_gives_the_input_shape(resize, shape):
    out = decode(png(banded()), shape, resize)
    assert out.shape == shape and out.dtype == np.uint8


@pytest.mark.parametrize("resize", ["stretch", "crop", "pad"])
def test_an_image_of_the_input_size_is_left_as_it_is(resize):
    pixels = np.random.default_rng(0).integers(0, 256, (20, 40), np.uint8)
    assert np.array_equal(decode(png(pixels), (20, 40, 1), resize)[..., 0], pixels)


def test_rgb_to_grayscale_and_grayscale_to_rgb():
    red = np.zeros((4, 6, 3), np.uint8)
    red[..., 0] = 255
    gray = decode(png(red), (4, 6, 1))
    assert gray.shape == (4, 6, 1) and (gray == 76).all()  # ITU-R 601-2 luma: 255 * 0.299
    rgb = decode(png(np.full((4, 6), 90, np.uint8)), (4, 6, 3))
    assert rgb.shape == (4, 6, 3) and (rgb == 90).all()


def jpeg(pixels: np.ndarray, orientation: int | None = None) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation  # the EXIF Orientation tag
    Image.fromarray(pixels).save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def test_exif_orientation_is_applied():
    """Stored 40 wide x 20 high, dark left half, bright right half. Orientation 6 says "rotate
    90 degrees clockwise to display": upright it is 20 wide x 40 high, dark on top."""
    stored = np.zeros((20, 40), np.uint8)
    stored[:, 20:] = 255
    upright = decode(jpeg(stored, orientation=6), (40, 20, 1)).astype(float)[..., 0]
    assert upright[:18].mean() < 20 and upright[22:].mean() > 235
    assert abs(upright[:, :10].mean() - upright[:, 10:].mean()) < 10  # no left/right split
    # the control: the same pixels without the tag are stretched, left/right split kept
    plain = decode(jpeg(stored), (40, 20, 1)).astype(float)[..., 0]
    assert plain[:, :8].mean() < 20 and plain[:, 12:].mean() > 235


@pytest.mark.parametrize(
    "pixels",
    [
        np.random.default_rng(1).normal(size=(5, 4, 1)).astype(np.float32),
        np.random.default_rng(2).integers(0, 256, (5, 4, 4), np.uint8),
    ],
    ids=["float32", "uint8-4-channels"],
)
def test_npy_bytes_round_trip(pixels):
    data = encode(pixels)
    assert data.startswith(NPY_MAGIC)
    back = decode(data, pixels.shape)
    assert back.dtype == pixels.dtype and np.array_equal(back, pixels)


@pytest.mark.parametrize("channels", [1, 3])
def test_uint8_grayscale_and_rgb_round_trip_as_png(channels):
    pixels = np.random.default_rng(3).integers(0, 256, (6, 5, channels), np.uint8)
    data = encode(pixels)
    assert data.startswith(b"\x89PNG")
    assert np.array_equal(decode(data, pixels.shape), pixels)


def test_npy_of_another_shape_is_refused():
    with pytest.raises(DecodeError, match=r"expected \[4, 4, 1\]"):
        decode(encode(np.zeros((5, 4, 1), np.float32)), (4, 4, 1))


def truncated_png() -> bytes:
    noise = np.random.default_rng(4).integers(0, 256, (28, 28), np.uint8)
    return png(noise)[:400]  # header intact, pixel data cut short


@pytest.mark.parametrize(
    "data",
    [b"", b"this is not an image\n", b"\x89PNG\r\n\x1a\n garbage", truncated_png()],
    ids=["empty", "text", "garbage-after-png-signature", "truncated-png"],
)
def test_undecodable_bytes_raise_decode_error(data):
    with pytest.raises(DecodeError) as err:
        decode(data, (28, 28, 1))
    assert str(err.value)  # says why


def test_images_have_one_or_three_channels():
    with pytest.raises(DecodeError, match="1 or 3 channels"):
        decode(png(banded()), (20, 40, 2))


def test_probe_reads_headers_only(tmp_path):
    empty, text, good, cut = (tmp_path / n for n in ("empty.png", "a.txt", "a.png", "cut.png"))
    empty.write_bytes(b"")
    text.write_text("this is not an image\n")
    good.write_bytes(png(banded()))
    cut.write_bytes(truncated_png())
    assert probe(empty) == probe(text) == "not an image file Pillow can read"
    assert probe(good) is None
    assert probe(cut) is None  # the header is fine: only decoding finds the missing pixels
    assert probe(tmp_path / "missing.png") == "No such file or directory"
