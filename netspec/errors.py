"""Errors that are the user's to fix: the CLI prints them in one line, never as a traceback."""

from __future__ import annotations

import errno
import os
import re

OS_HINTS = {
    errno.ENOSPC: "free some space on that disk, or write somewhere else",
    errno.EDQUOT: "your disk quota is used up; free some space, or write somewhere else",
    errno.EACCES: "you may not write there; choose another folder or fix its permissions",
    errno.EPERM: "you may not write there; choose another folder or fix its permissions",
    errno.EROFS: "that file system is read-only; choose another folder",
    errno.ENOTDIR: "a part of that path is a file, not a folder",
    errno.ENOENT: "a folder on that path does not exist; create it first",
}


class UserError(Exception):
    """A problem with the user's input (spec, data, run directory, option).

    `exit_code` is 1 for invalid input and 2 for usage problems (missing file, bad option).
    """

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(UserError):
    exit_code = 2


def from_os_error(err: OSError) -> UserError:
    """An OS error (no space, no permission, a file where a folder should be) as a UserError
    that names the path and the reason."""
    where = f"{err.filename}: " if err.filename else ""
    also = f" (and {err.filename2})" if getattr(err, "filename2", None) else ""
    reason = err.strerror or str(err)
    return UserError(f"{where}{reason}{also}", hint=OS_HINTS.get(err.errno))


def os_error_in(err: Exception, path) -> OSError | None:
    """The OS error inside a library's own exception (TensorFlow reports a full disk as a
    ResourceExhaustedError whose message ends in the C library's reason), as an OSError naming
    `path`; None when the message names no reason we have a hint for."""
    for code in OS_HINTS:
        if os.strerror(code) in str(err):
            return OSError(code, os.strerror(code), str(path))
    return None


def one_line(err: BaseException) -> str:
    """What went wrong, in one line: a UserError's message, an OS error's path and reason, else
    the exception's type and the first line of its message."""
    if isinstance(err, UserError):
        return err.message
    if isinstance(err, OSError) and err.strerror:
        return from_os_error(err).message
    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {first}" if first else type(err).__name__


def tf_message(err) -> str:
    """A TensorFlow error's own words, without the function and op names it is wrapped in
    ("{{function_node ...}} corrupted record at 21400 [Op:...]"). From a tf.function the
    message is "Graph execution error:", an indented stack, then those words: the last line
    that is not indented."""
    lines = str(getattr(err, "message", err)).strip().splitlines() or [""]
    if lines[0].startswith("Graph execution error"):
        lines = [line for line in lines[1:] if line.strip() and not line[0].isspace()] or lines
        lines = lines[-1:]
    return re.sub(r"\{\{[^}]*\}\}\s*", "", lines[0]).split(" [Op:")[0].strip()
