import numpy as np
import pytest
from PIL import Image

from netspec.data.sources.idx import write_idx
from netspec.errors import UsageError, UserError
from netspec.export.inputs import read_input

SHAPE = [12, 12, 1]


def test_png_is_one_example_in_the_raw_range(tmp_path):
    pixels = np.arange(144, dtype=np.uint8).reshape(12, 12)
    Image.fromarray(pixels).save(tmp_path / "a.png")
    x = read_input(tmp_path / "a.png", SHAPE, (0, 255))
    assert x.shape == (1, 12, 12, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(x[0, :, :, 0], pixels)
    # digits-like sources take 0..16: image pixels are mapped onto that range
    np.testing.assert_allclose(
        read_input(tmp_path / "a.png", SHAPE, (0, 16))[0, :, :, 0],
        pixels.astype(np.float64) * 16 / 255,
        rtol=1e-6,
    )


def test_rgb_jpeg_is_converted_and_resized(tmp_path):
    Image.new("RGB", (40, 30), (200, 100, 50)).save(tmp_path / "b.jpg")
    x = read_input(tmp_path / "b.jpg", SHAPE, (0, 255))
    assert x.shape == (1, 12, 12, 1)
    assert abs(float(x.mean()) - 124) < 3  # luminance of (200, 100, 50)
    assert read_input(tmp_path / "b.jpg", [12, 12, 3], (0, 255)).shape == (1, 12, 12, 3)


@pytest.mark.parametrize("stored", [(5, 12, 12, 1), (5, 12, 12), (12, 12)])
def test_npz_batches_with_or_without_channel_axis(tmp_path, stored):
    array = np.random.default_rng(0).integers(0, 255, stored).astype(np.uint8)
    np.savez(tmp_path / "x.npz", other=np.zeros(3), x=array)
    x = read_input(tmp_path / "x.npz", SHAPE, (0, 255))
    assert x.shape == (5 if len(stored) > 2 else 1, 12, 12, 1)
    np.testing.assert_array_equal(x.reshape(array.shape), array)


def test_npz_without_x_uses_its_first_array(tmp_path):
    np.savez(tmp_path / "y.npz", images=np.ones((2, 12, 12, 1)))
    assert read_input(tmp_path / "y.npz", SHAPE, None).shape == (2, 12, 12, 1)


@pytest.mark.parametrize("name", ["t10k-images-idx3-ubyte", "images.idx.gz"])
def test_idx_files_plain_or_gzipped(tmp_path, name):
    array = np.random.default_rng(1).integers(0, 255, (3, 12, 12)).astype(np.uint8)
    write_idx(tmp_path / name, array)
    np.testing.assert_array_equal(read_input(tmp_path / name, SHAPE, (0, 255))[..., 0], array)


def test_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        read_input(tmp_path / "nope.png", SHAPE, None)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x89PNG\r\n\x1a\n truncated", "not a readable image"),
        (b"PK\x03\x04 not really a zip", "not a readable .npz"),
        (b"\0\0\x08\x03\0\0\0\x02", "truncated"),
        (b"plain text", "not a readable image"),
    ],
)
def test_corrupt_files_are_one_line_user_errors(tmp_path, content, message):
    (tmp_path / "bad").write_bytes(content)
    with pytest.raises(UserError, match=message) as info:
        read_input(tmp_path / "bad", SHAPE, None)
    assert "\n" not in info.value.message


def test_array_of_the_wrong_shape_says_what_fits(tmp_path):
    np.savez(tmp_path / "w.npz", x=np.zeros((2, 28, 28)))
    with pytest.raises(UserError, match=r"shape \[2, 28, 28\].*model input \[12, 12, 1\]"):
        read_input(tmp_path / "w.npz", SHAPE, None)
