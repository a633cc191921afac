import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netspec.data.splits import part_counts, split_indices, stratified_order
from netspec.errors import UserError

BALANCED = np.repeat(np.arange(10), 500)  # like mnist_5k: 10 classes x 500


def test_counts_split_each_class_exactly():
    train, val, test = split_indices(BALANCED, {"train": 4000, "test": 1000}, 1, "mnist_5k")
    assert (len(train), len(val), len(test)) == (4000, 0, 1000)
    assert np.bincount(BALANCED[train]).tolist() == [400] * 10
    assert np.bincount(BALANCED[test]).tolist() == [100] * 10


def test_parts_are_disjoint_and_cover_what_was_asked():
    y = np.repeat(np.arange(3), [50, 120, 30])
    parts = split_indices(y, {"train": 0.5, "validation": 0.25, "test": 0.25}, 7, "npz")
    joined = np.concatenate(parts)
    assert len(joined) == len(np.unique(joined)) == 200
    assert [len(p) for p in parts] == [100, 50, 50]


def test_fractions_round_down():
    assert part_counts({"train": 0.8, "validation": 0.1, "test": 0.1}, 1797, "digits") == (
        1437,
        179,
        179,
    )
    assert part_counts({"train": 0.7, "test": 0.3}, 10, "digits") == (7, 0, 3)


def test_counts_and_fractions_mix():
    assert part_counts({"train": 0.5, "validation": 100}, 1000, "npz") == (500, 100, 0)


def test_unequal_classes_keep_their_shares():
    y = np.repeat(np.arange(4), [600, 300, 90, 10])
    train, val, test = split_indices(y, {"train": 0.7, "validation": 0.2, "test": 0.1}, 3, "npz")
    shares = np.array([600, 300, 90, 10]) / 1000
    for part in (train, val, test):
        assert np.abs(np.bincount(y[part], minlength=4) - shares * len(part)).max() <= 1


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 200), min_size=2, max_size=12),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_prefix_is_stratified(sizes, seed):
    y = np.repeat(np.arange(len(sizes)), sizes)
    order = stratified_order(y, seed)
    assert sorted(order) == list(range(len(y)))
    running = np.cumsum(np.eye(len(sizes))[y[order]], axis=0)
    expected = np.arange(1, len(y) + 1)[:, None] * np.array(sizes) / len(y)
    assert np.abs(running - expected).max() < 2


def test_same_seed_same_split_and_other_seed_another():
    split = {"train": 4000, "validation": 500, "test": 500}
    first = split_indices(BALANCED, split, 5, "mnist_5k")
    again = split_indices(BALANCED, split, 5, "mnist_5k")
    other = split_indices(BALANCED, split, 6, "mnist_5k")
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0])


def test_same_split_in_another_process():
    code = (
        "import numpy as np; from netspec.data.splits import split_indices; "
        "y = np.repeat(np.arange(10), 500); "
        "print(split_indices(y, {'train': 4000, 'test': 1000}, 5, 'x')[1].tolist())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    here = split_indices(BALANCED, {"train": 4000, "test": 1000}, 5, "x")[1].tolist()
    assert out.stdout.strip() == str(here)


def test_too_many_examples_names_the_numbers():
    with pytest.raises(UserError) as err:
        part_counts({"train": 4000, "validation": 800, "test": 1000}, 5000, "mnist_5k")
    assert "4000 train + 800 validation + 1000 test = 5800" in err.value.message
    assert "'mnist_5k' has 5000 examples" in err.value.message


def test_fractions_over_one():
    with pytest.raises(UserError, match="add up to 1.2"):
        part_counts({"train": 0.8, "validation": 0.2, "test": 0.2}, 100, "digits")


def test_own_test_set_forbids_split_test():
    with pytest.raises(UserError) as err:
        part_counts({"train": 50000, "test": 1000}, 60000, "mnist", "the official test set")
    assert "data.split.test is 1000" in err.value.message
    assert "the official test set" in err.value.message
    assert "60000" in err.value.hint


def test_own_test_set_pool_is_divided_into_train_and_validation():
    y = np.repeat(np.arange(10), 600)
    train, val, test = split_indices(
        y, {"train": 0.9, "validation": 0.1, "test": 0}, 1, "mnist", "official"
    )
    assert (len(train), len(val), len(test)) == (5400, 600, 0)


def test_own_test_set_over_count_mentions_it():
    with pytest.raises(UserError, match="has 100 examples besides the t10k files"):
        part_counts({"train": 90, "validation": 20}, 100, "idx", "the t10k files")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (-5, "must be >= 0"),
        (1.5, "between 0 and 1"),
        (True, "a count or a fraction"),
        ("half", "a count or a fraction"),
    ],
)
def test_bad_values(value, words):
    with pytest.raises(UserError, match=words):
        part_counts({"train": 10, "validation": value}, 100, "npz")


def test_empty_training_part():
    with pytest.raises(UserError, match="no training examples"):
        part_counts({"train": 0.001, "test": 0.2}, 100, "digits")
