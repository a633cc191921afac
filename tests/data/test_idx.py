import gzip

import numpy as np
import pytest

import netspec.data
from netspec.data.sources.idx import read_idx, write_idx
from netspec.errors import UsageError, UserError
from tests.data.helpers import arrays


def digits_like(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), np.uint8), np.arange(n, dtype=np.int64) % 10


def write_set(folder, prefix, n, name="{prefix}-{kind}-idx{rank}-ubyte", gz=False, seed=0):
    x, y = digits_like(n, seed)
    suffix = ".gz" if gz else ""
    write_idx(folder / (name.format(prefix=prefix, kind="images", rank=3) + suffix), x)
    write_idx(folder / (name.format(prefix=prefix, kind="labels", rank=1) + suffix), y)
    return x, y


@pytest.mark.parametrize("name", ["a-idx3-ubyte", "a-idx3-ubyte.gz"])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
        np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4),
        np.array([-3, 0, 7], dtype=np.int16),
        np.array([1.5, 2.25]),
    ],
)
def test_write_read_round_trip(tmp_path, name, array):
    path = write_idx(tmp_path / name, array)
    back = read_idx(path)
    assert back.dtype == array.dtype and np.array_equal(back, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")


def test_write_idx_header_and_narrowed_int64_labels(tmp_path):
    path = write_idx(tmp_path / "labels", np.array([0, 9, 3], dtype=np.int64))
    assert path.read_bytes() == bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 0, 9, 3])
    wide = write_idx(tmp_path / "wide", np.array([0, 70000], dtype=np.int64))
    assert read_idx(wide).dtype == np.int32
    with pytest.raises(UserError, match="IDX cannot store"):
        write_idx(tmp_path / "huge", np.array([2**40]))


@pytest.mark.parametrize("gz", [False, True])
def test_folder_with_t10k_uses_it_as_the_test_split(make_spec, tmp_path, gz):
    x, y = write_set(tmp_path, "train", 200, gz=gz)
    x_test, y_test = write_set(tmp_path, "t10k", 50, gz=gz, seed=1)
    spec = make_spec("idx", path=str(tmp_path), split={"train": 150, "validation": 50, "test": 0})
    ds = netspec.data.load(spec)
    (x_train, y_train), (x_val, _), (x_test_read, y_test_read) = map(
        arrays, (ds.train, ds.validation, ds.test)
    )
    assert x_train.shape == (150, 28, 28, 1) and x_val.shape == (50, 28, 28, 1)
    assert np.array_equal(x_test_read[..., 0], x_test) and np.array_equal(y_test_read, y_test)
    assert ds.value_range == (0.0, 255.0) and ds.class_names == [str(k) for k in range(10)]
    pool = {row.tobytes(): label for row, label in zip(x, y)}
    assert all(pool[row[..., 0].tobytes()] == label for row, label in zip(x_train, y_train))


def test_dot_spelling_without_t10k_splits_the_pool(make_spec, tmp_path):
    write_set(tmp_path, "train", 100, name="{prefix}-{kind}.idx{rank}-ubyte")
    spec = make_spec("idx", path=str(tmp_path), split={"train": 80, "validation": 10, "test": 10})
    ds = netspec.data.load(spec)
    assert [len(ds.train), len(ds.validation), len(ds.test)] == [80, 10, 10]
    assert [len(ds.train.labels), len(ds.validation.labels), len(ds.test.labels)] == [80, 10, 10]


def test_test_path_folder(make_spec, tmp_path):
    (tmp_path / "train").mkdir()
    (tmp_path / "test").mkdir()
    write_set(tmp_path / "train", "train", 100)
    x_test, _ = write_set(tmp_path / "test", "train", 30, seed=2)
    spec = make_spec(
        "idx",
        path=str(tmp_path / "train"),
        test_path=str(tmp_path / "test"),
        split={"train": 100, "validation": 0, "test": 0},
    )
    ds = netspec.data.load(spec)
    assert np.array_equal(arrays(ds.test)[0][..., 0], x_test)


def test_truncated_file_is_one_line_naming_it(make_spec, tmp_path):
    write_set(tmp_path, "train", 100)
    images = tmp_path / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:5000])
    with pytest.raises(UserError) as err:
        netspec.data.load(make_spec("idx", path=str(tmp_path)))
    assert str(images) in err.value.message and "truncated" in err.value.message
    assert "\n" not in err.value.message


def test_truncated_gzip(tmp_path):
    path = write_idx(tmp_path / "x-idx3-ubyte.gz", digits_like(50)[0])
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(UserError, match=f"{path}: corrupt gzip data"):
        read_idx(path)


def test_not_an_idx_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(gzip.compress(b"hello world"))
    with pytest.raises(UserError, match="not an IDX file"):
        read_idx(path)


def test_mismatched_counts(make_spec, tmp_path):
    write_set(tmp_path, "train", 100)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(99, np.uint8))
    with pytest.raises(UserError, match="99 labels, but train-images-idx3-ubyte has 100 images"):
        netspec.data.load(make_spec("idx", path=str(tmp_path)))


def test_missing_files(make_spec, tmp_path):
    with pytest.raises(UserError, match="no train-images-idx3-ubyte"):
        netspec.data.load(make_spec("idx", path=str(tmp_path)))
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", digits_like(10)[0])
    with pytest.raises(UserError, match="no matching train-labels-idx1-ubyte"):
        netspec.data.load(make_spec("idx", path=str(tmp_path)))
    with pytest.raises(UsageError, match="does not exist"):
        netspec.data.load(make_spec("idx", path=str(tmp_path / "nowhere")))
    with pytest.raises(UserError, match="data.path is required"):
        netspec.data.load(make_spec("idx"))
