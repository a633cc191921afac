"""`digits`: scikit-learn's 1,797 handwritten digits, 8x8 pixels, values 0..16. Works offline."""

from netspec.data.sources.base import Pool, Source


def read(data: dict, input_spec: dict) -> Pool:
    import numpy as np
    from sklearn.datasets import load_digits

    from netspec.data.examples import ArrayExamples

    digits = load_digits()
    x = digits.images.astype(np.uint8)[..., np.newaxis]
    y = digits.target.astype(np.int64)
    return Pool(ArrayExamples(x, y), [str(d) for d in range(10)], (0.0, 16.0))


SOURCE = Source(
    "digits",
    "scikit-learn's 1,797 8×8 digits, values 0..16 (offline)",
    read,
    shape=(8, 8, 1),
    classes=lambda data: 10,
    value_range=lambda data: (0, 16),
    pool=lambda data: 1_797,
)
