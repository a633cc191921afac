import numpy as np
import pytest

from netspec.data import synthetic
from netspec.errors import UserError


def test_shape_balance_and_range():
    x, y = synthetic.generate((9, 7, 3), classes=5, examples=500)
    assert x.shape == (500, 9, 7, 3) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [100] * 5
    assert x.min() >= 0 and x.max() > 200


def test_same_arguments_same_data():
    first, again = synthetic.generate((8, 8, 1), 3, 60), synthetic.generate((8, 8, 1), 3, 60)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))


def test_classes_are_separable():
    x, y = synthetic.generate((28, 28, 1), classes=10, examples=1000)
    flat = x.reshape(len(x), -1).astype(np.float32)
    means = np.stack([flat[:500][y[:500] == k].mean(0) for k in range(10)])
    guesses = ((flat[500:, None] - means[None]) ** 2).sum(-1).argmin(1)
    assert (guesses == y[500:]).mean() > 0.95


@pytest.mark.parametrize(("classes", "examples"), [(1, 100), (10, 5)])
def test_too_few_classes_or_examples(classes, examples):
    with pytest.raises(UserError, match="at least 2 classes"):
        synthetic.load({"classes": classes, "examples": examples}, {"shape": [8, 8, 1]})
