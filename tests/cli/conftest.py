"""Fixtures of the other suites that the CLI hardening tests use (imported, not copied):
`reference_run` (a small trained run) and `exported` (a small export of both formats)."""

import shutil

import pytest

from tests.export.conftest import exported, small_spec  # noqa: F401
from tests.train.conftest import reference_run  # noqa: F401


@pytest.fixture
def run_copy(reference_run, tmp_path):  # noqa: F811 - the fixture imported above
    """A copy of the reference run, for tests that damage a run or might: the shared one is
    read by other tests as it is."""
    return shutil.copytree(reference_run, tmp_path / "run")
