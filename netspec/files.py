"""Writes that a crash or `kill -9` never leaves half done, and JSON that every tool can read.

Each write goes to a temporary file in the same folder, is flushed to disk, gets the mode a
plain `open` would give it (0666 less the umask, not mkstemp's 0600) and then replaces the
target with `os.replace` (atomic on POSIX): readers see the old file or the new one, never a
mix. A failed write removes its temporary file, so a full disk gets its space back.

JSON is strict (RFC 8259): NaN and infinities, which Python would write as bare `NaN`, are
written as `null`.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from functools import cache
from pathlib import Path


def write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise _naming(err, path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), 0o666 & ~umask())
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise _naming(err, path) from None
        raise


def _naming(err: OSError, path: Path) -> OSError:
    """`err` naming the file the caller wanted to write, not our temporary file (or none)."""
    return type(err)(err.errno, err.strerror, str(path)) if err.errno else err


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, value) -> None:
    write_text(path, dumps(value) + "\n")


def dumps(value, indent: int | None = 2) -> str:
    """`value` as strict JSON: non-finite floats become null."""
    return json.dumps(finite(value), indent=indent, allow_nan=False)


def finite(value):
    """`value` with every NaN or infinite float (numpy's included) replaced by None."""
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def cache_root() -> Path:
    """Where netspec keeps downloads and crash logs: $NETSPEC_CACHE, else ~/.cache/netspec."""
    return Path(os.environ.get("NETSPEC_CACHE") or Path.home() / ".cache" / "netspec")


@cache
def umask() -> int:
    """The process's umask (reading it means setting it; done once, before any thread writes)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
