"""Locks: one holder at a time, none left behind by a holder that is gone."""

import os

import pytest

from netspec import locks


def test_one_holder_at_a_time_and_the_message_names_it(tmp_path):
    path = tmp_path / "x.lock"
    with locks.acquire(path, "the thing"):
        assert locks.is_held(path)
        with pytest.raises(locks.Busy, match=f"the thing is in use by process {os.getpid()}"):
            locks.acquire(path, "the thing")
    assert not locks.is_held(path)
    assert path.exists()  # a run's lock file stays; only its lock goes
    locks.acquire(path, "the thing").release()


def test_a_removable_lock_leaves_no_file(tmp_path):
    path = tmp_path / ".export.lock"
    lock = locks.acquire(path, "export", remove=True)
    lock.release()
    lock.release()  # twice is harmless
    assert not path.exists() and not locks.is_held(path)


def test_a_closed_descriptor_releases_the_lock(tmp_path):
    # What the OS does for a killed process: its descriptors close, its locks go.
    path = tmp_path / "x.lock"
    lock = locks.acquire(path, "x")
    os.close(lock._fd)
    lock._fd = None
    assert not locks.is_held(path)
