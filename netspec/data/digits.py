"""`digits`: scikit-learn's 1,797 handwritten digits, 8x8 pixels, values 0..16. Works offline."""

import numpy as np

from netspec.data.source import SourceData


def load(data: dict, input_spec: dict) -> SourceData:
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = digits.images.astype(np.uint8)[..., np.newaxis]
    y = digits.target.astype(np.int64)
    return SourceData(x, y, class_names=[str(d) for d in range(10)], value_range=(0.0, 16.0))
