import numpy as np
import pytest

import netspec.data
from netspec.errors import UsageError, UserError
from tests.data.helpers import arrays

RNG = np.random.default_rng(0)
X = RNG.integers(0, 256, (120, 10, 10), np.uint8)
Y = np.arange(120) % 3


def load(make_spec, path, **data):
    split = data.pop("split", {"train": 0.75, "validation": 0.25, "test": 0})
    spec = make_spec("npz", shape=(10, 10, 1), path=str(path), split=split, **data)
    return netspec.data.load(spec)


def test_train_and_test_arrays(make_spec, tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x_train=X[:100], y_train=Y[:100], x_test=X[100:], y_test=Y[100:])
    ds = load(make_spec, path)
    (x_train, _), (x_val, _), (x_test, y_test) = map(arrays, (ds.train, ds.validation, ds.test))
    assert x_train.shape == (75, 10, 10, 1) and x_val.shape == (25, 10, 10, 1)
    assert np.array_equal(x_test[..., 0], X[100:]) and y_test.dtype == np.int64
    assert ds.class_names == ["0", "1", "2"] and ds.warnings == []


def test_x_y_with_class_names_and_float_values(make_spec, tmp_path):
    path = tmp_path / "d.npz"
    x = (X / 255).astype(np.float64)
    np.savez(path, x=x, y=Y, class_names=np.array(["cat", "dog", "eel"]), notes=np.zeros(2))
    ds = load(make_spec, path, split={"train": 0.5, "validation": 0.25, "test": 0.25})
    assert ds.class_names == ["cat", "dog", "eel"]
    x_train, x_test = arrays(ds.train)[0], arrays(ds.test)[0]
    assert x_train.dtype == np.float32 and x_test.shape == (30, 10, 10, 1)
    assert ds.value_range == (0.0, 1.0)
    assert ds.warnings == ["d.npz: ignored arrays notes"]


def test_pickled_objects_are_never_loaded(make_spec, tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, x=X, y=np.array([object()] * 120, dtype=object))
    with pytest.raises(UserError, match="pickled Python objects"):
        load(make_spec, path)


@pytest.mark.parametrize(
    ("arrays", "words"),
    [
        ({"images": X, "labels": Y}, "expected arrays x_train, y_train"),
        ({"x_train": X, "y_train": Y, "x_test": X}, "has x_test but no y_test"),
        ({"x": X, "y": Y[:50]}, "120 images but 50 labels"),
        ({"x": X, "y": np.eye(3)[Y]}, "labels must be 1-D class ids"),
        ({"x": X, "y": Y - 1}, "labels must be >= 0"),
        ({"x": X, "y": Y, "class_names": np.array(["a", "b"])}, "label 2 has no name"),
        ({"x": X[:, 0, 0], "y": Y}, "images must be 3-D"),
    ],
)
def test_bad_contents(make_spec, tmp_path, arrays, words):
    path = tmp_path / "d.npz"
    np.savez(path, **arrays)
    with pytest.raises(UserError, match=words):
        load(make_spec, path)


def test_not_an_npz_file(make_spec, tmp_path):
    path = tmp_path / "d.npz"
    path.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(UserError, match="not a readable .npz file"):
        load(make_spec, path)


def test_path_must_be_an_existing_file(make_spec, tmp_path):
    with pytest.raises(UsageError, match="is not a file"):
        load(make_spec, tmp_path)
    with pytest.raises(UsageError, match="does not exist"):
        load(make_spec, tmp_path / "missing.npz")
