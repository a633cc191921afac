import subprocess
import sys

import numpy as np
import pytest

import netspec.data
from netspec.data.examples import ArrayExamples
from netspec.data.sources import SOURCES
from netspec.errors import UserError
from netspec.spec import SpecError
from netspec.spec import load as load_spec
from tests.data.conftest import resolved_data
from tests.data.helpers import arrays, old_fingerprint_of
from tests.helpers import write_spec

SMALL_SPEC = {
    "input": {"shape": [8, 8, 1]},
    "layers": [{"type": "flatten"}, {"type": "dense", "units": 4}],
}


def test_importing_netspec_data_imports_no_heavy_library():
    code = (
        "import sys, netspec.data; "
        "print(sorted({'tensorflow', 'keras', 'sklearn', 'PIL', 'mlxtend'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_importing_the_source_declarations_imports_no_numpy():
    """`netspec validate` reads the sources' declarations without NumPy or TensorFlow."""
    code = (
        "import sys, netspec.data, netspec.data.sources; "
        "print(sorted({'numpy', 'tensorflow', 'PIL'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_registry_names_every_source():
    assert set(SOURCES) == {
        "mnist",
        "mnist_5k",
        "digits",
        "idx",
        "image_folder",
        "npz",
        "synthetic",
        "tfrecord",
    }
    assert all(name == source.name for name, source in SOURCES.items())


def test_unknown_source_suggests_the_closest(tmp_path):
    """An unknown source is a spec error now (the schema lists the sources), found before
    anything is read."""
    spec = write_spec(tmp_path, SMALL_SPEC, data={"source": "mnist5k"})
    with pytest.raises(SpecError) as err:
        load_spec(spec)
    assert "data.source" in err.value.message and "got 'mnist5k'" in err.value.message
    assert [d.hint for d in err.value.diagnostics] == ["did you mean 'mnist_5k'?"]


@pytest.mark.parametrize(
    ("source", "given"),
    [
        ("synthetic", {"classes": 4, "examples": 50}),
        ("digits", {"split": {"train": 0.5, "validation": 0.5}}),
        ("image_folder", {"path": "/nowhere/letters", "per_class": 3}),
        ("idx", {"path": "/nowhere/mnist", "cache": "none", "seed": 7}),
    ],
)
def test_the_stand_in_resolves_data_like_the_spec_language(tmp_path, source, given):
    """tests/data/conftest.py's stand-in spec cannot drift from what netspec.spec resolves."""
    units = 4 if source == "synthetic" else 10
    layers = [{"type": "flatten"}, {"type": "dense", "units": units}]
    data = {"source": source, **given}
    spec = load_spec(write_spec(tmp_path, SMALL_SPEC, layers=layers, data=data))
    assert resolved_data(source, train_seed=spec.train["seed"], **given) == spec.data


def test_shape_mismatch_says_what_each_side_has(make_spec):
    with pytest.raises(UserError) as err:
        netspec.data.load(make_spec("digits", shape=(28, 28, 1)))
    assert "'digits' gives 8x8x1 images" in err.value.message
    assert "input.shape is [28, 28, 1]" in err.value.message
    assert "[8, 8, 1]" in err.value.hint


def test_synthetic_load_splits_and_fingerprints(make_spec):
    spec = make_spec("synthetic", shape=(12, 12, 3), classes=4, examples=400)
    ds = netspec.data.load(spec)
    (x_train, y_train), (x_val, _), (x_test, _) = map(arrays, (ds.train, ds.validation, ds.test))
    assert x_train.shape == (320, 12, 12, 3) and x_val.shape == (40, 12, 12, 3)
    assert x_test.shape == (40, 12, 12, 3)
    assert ds.sizes() == {"train": 320, "validation": 40, "test": 40}
    assert y_train.dtype == np.int64 and x_train.dtype == np.uint8
    assert ds.class_names == ["0", "1", "2", "3"] and ds.num_classes == 4
    assert ds.value_range == (0.0, 255.0) and ds.source == "synthetic"
    assert ds.cache == "memory" and isinstance(ds.train, ArrayExamples)
    assert ds.split("validation") is ds.validation
    assert ds.fingerprint == old_fingerprint_of(ds)  # what netspec 0.1 recorded


@pytest.mark.parametrize("shape", [(784,), (6, 7)])
def test_synthetic_fills_inputs_that_are_not_images(make_spec, shape):
    """A flat input (an MLP's) or a 2-D one gets as many values, learnable by class."""
    ds = netspec.data.load(make_spec("synthetic", shape=shape, classes=3, examples=60))
    x, y = arrays(ds.train)
    assert x.shape[1:] == shape and x.dtype == np.uint8
    means = [x[y == k].reshape(np.sum(y == k), -1).mean(axis=0) for k in range(3)]
    assert np.abs(means[0] - means[1]).max() > 20  # the classes differ


def test_load_is_deterministic_and_the_seed_resplits(make_spec):
    first = netspec.data.load(make_spec("synthetic", seed=3))
    again = netspec.data.load(make_spec("synthetic", seed=3))
    other = netspec.data.load(make_spec("synthetic", seed=4))
    assert first.fingerprint == again.fingerprint
    assert np.array_equal(arrays(first.validation)[0], arrays(again.validation)[0])
    assert other.fingerprint != first.fingerprint


def test_empty_parts_are_none(make_spec):
    ds = netspec.data.load(make_spec("synthetic", split={"train": 300, "validation": 0, "test": 0}))
    assert ds.validation is None and ds.test is None
    assert len(ds.train) == 300 and len(ds.train.labels) == 300
    assert ds.sizes() == {"train": 300, "validation": None, "test": None}
