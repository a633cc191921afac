import pytest

from netspec.train import train
from tests.train import helpers


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory):
    """An uninterrupted run of helpers.TINY, trained in this (the pytest) process."""
    folder = tmp_path_factory.mktemp("reference")
    return train(helpers.tiny_spec(folder), out=folder / "run", quiet=True)
