import subprocess
import sys

import numpy as np
import pytest

import netspec.data
from netspec.data.dataset import fingerprint
from netspec.errors import UserError


def test_importing_netspec_data_imports_no_heavy_library():
    code = (
        "import sys, netspec.data; "
        "print(sorted({'tensorflow', 'keras', 'sklearn', 'PIL', 'mlxtend'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_registry_names_every_source():
    assert set(netspec.data.SOURCES) == {
        "mnist",
        "mnist_5k",
        "digits",
        "idx",
        "image_folder",
        "npz",
        "synthetic",
    }


def test_unknown_source_suggests_the_closest(make_spec):
    with pytest.raises(UserError) as err:
        netspec.data.load(make_spec("mnist5k"))
    assert "unknown source 'mnist5k'" in err.value.message
    assert "mnist_5k" in err.value.hint


def test_shape_mismatch_says_what_each_side_has(make_spec):
    with pytest.raises(UserError) as err:
        netspec.data.load(make_spec("digits", shape=(28, 28, 1)))
    assert "'digits' gives 8x8x1 images" in err.value.message
    assert "input.shape is [28, 28, 1]" in err.value.message
    assert "[8, 8, 1]" in err.value.hint


def test_synthetic_load_splits_and_fingerprints(make_spec):
    spec = make_spec("synthetic", shape=(12, 12, 3), classes=4, examples=400)
    ds = netspec.data.load(spec)
    assert ds.x_train.shape == (320, 12, 12, 3) and ds.x_val.shape == (40, 12, 12, 3)
    assert ds.x_test.shape == (40, 12, 12, 3)
    assert ds.y_train.dtype == np.int64 and ds.x_train.dtype == np.uint8
    assert ds.class_names == ["0", "1", "2", "3"] and ds.num_classes == 4
    assert ds.value_range == (0.0, 255.0) and ds.source == "synthetic"
    assert ds.fingerprint == fingerprint(
        {
            "x_train": ds.x_train,
            "y_train": ds.y_train,
            "x_val": ds.x_val,
            "y_val": ds.y_val,
            "x_test": ds.x_test,
            "y_test": ds.y_test,
        }
    )


def test_load_is_deterministic_and_the_seed_resplits(make_spec):
    first = netspec.data.load(make_spec("synthetic", seed=3))
    again = netspec.data.load(make_spec("synthetic", seed=3))
    other = netspec.data.load(make_spec("synthetic", seed=4))
    assert first.fingerprint == again.fingerprint
    assert np.array_equal(first.x_val, again.x_val)
    assert other.fingerprint != first.fingerprint


def test_empty_parts_are_none(make_spec):
    ds = netspec.data.load(make_spec("synthetic", split={"train": 300, "validation": 0, "test": 0}))
    assert ds.x_val is None and ds.y_val is None and ds.x_test is None and ds.y_test is None
    assert len(ds.y_train) == 300
