import numpy as np
import pytest

from netspec.data.sources import synthetic
from netspec.spec import SpecError
from netspec.spec import load as load_spec
from tests.helpers import write_spec


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


@pytest.mark.parametrize(
    ("classes", "examples", "words"),
    [
        (1, 100, "data.classes: must be >= 2, got 1"),
        (10, 5, "data.examples: 5 examples cannot cover 10 classes"),
    ],
)
def test_too_few_classes_or_examples(tmp_path, classes, examples, words):
    """Static spec errors now: found when the spec is loaded, before anything is generated."""
    spec = {
        "input": {"shape": [8, 8, 1]},
        "layers": [{"type": "flatten"}, {"type": "dense", "units": classes}],
        "data": {"source": "synthetic", "classes": classes, "examples": examples},
    }
    with pytest.raises(SpecError) as err:
        load_spec(write_spec(tmp_path, spec))
    assert words in err.value.message
