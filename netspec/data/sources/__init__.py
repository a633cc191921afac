"""The data sources netspec knows, by name. To add one: write its module (netspec.data.sources.
base.Source: fields, static facts and checks, reader), list it here, test it."""

from netspec.data.sources import (
    digits,
    idx,
    image_folder,
    mnist,
    mnist_5k,
    npz,
    synthetic,
    tfrecord,
)
from netspec.data.sources.base import Pool, Problem, Source

SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        mnist_5k.SOURCE,
        digits.SOURCE,
        mnist.SOURCE,
        idx.SOURCE,
        image_folder.SOURCE,
        npz.SOURCE,
        tfrecord.SOURCE,
        synthetic.SOURCE,
    )
}
DEFAULT = "mnist_5k"  # offline, real digits

__all__ = ["DEFAULT", "SOURCES", "Pool", "Problem", "Source"]
