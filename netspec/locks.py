"""Exclusive locks that the operating system releases when their process dies.

One mechanism for "is somebody working here?": a run directory being trained, an output folder
being replaced. `flock` locks belong to an open file, so a process killed with `kill -9` can
never leave one behind (a pid written in a file can: it may be reused, or live on another
host). The lock file holds the owner's pid and host, only to say who it is in messages.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path

from netspec.errors import UserError


class Busy(UserError):
    """Another process holds the lock."""


class Lock:
    def __init__(self, path: Path, fd: int, remove: bool):
        self.path, self._fd, self._remove = path, fd, remove

    def release(self) -> None:
        if self._fd is None:
            return
        if self._remove:  # while still held: nobody can have locked this file meanwhile
            self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def acquire(path: Path, what: str, remove: bool = False) -> Lock:
    """Lock `path` (created if missing) or raise Busy naming the holder; `what` says what the
    lock guards, for the message. `remove`: delete the file on release (a lock beside a user's
    folder should not outlive the work)."""
    path = Path(path)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise Busy(
                f"{what} is in use by {_holder(path)}",
                hint="wait for it to finish, or stop it first",
            ) from None
        except BaseException:
            os.close(fd)
            raise
        if _same_file(fd, path):  # else a releasing holder removed it: lock the new one
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
    return Lock(path, fd, remove)


def is_held(path: Path) -> bool:
    """Whether a live process holds the lock at `path` (False when there is no such file)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError):
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


def _holder(path: Path) -> str:
    try:
        pid, host = path.read_text().split()
    except (OSError, ValueError):
        return "another process"
    return f"process {pid} on {host}" if host != socket.gethostname() else f"process {pid}"
