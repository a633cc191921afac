"""Reading .npz files (data, checkpoints, predict inputs) as plain arrays, never as pickles.

Arrays stored uncompressed (np.savez) can be memory-mapped instead of read: the data source
`npz` streams files larger than memory that way.

`np.load(allow_pickle=False)` refuses object arrays, but says so in the same words for a
pickle and for a file that is not an .npz at all; this tells the two apart for the message.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import numpy as np

from netspec.errors import UserError

PICKLE_OPCODE = b"\x80"  # how a pickle of protocol 2 or later starts


def read(
    path: Path, what: str, hint: str | None = None, mapped: bool = False
) -> dict[str, np.ndarray]:
    """Every array in the .npz at `path`; `what` names the file's role in messages
    ("checkpoint", ".npz file"). With `mapped`, uncompressed arrays are read-only np.memmaps."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise UserError(f"{path}: not a {what} (a single .npy array)", hint=hint)
            arrays = {}
            for key in archive.files:
                view = _memmap(path, archive.zip.getinfo(f"{key}.npy")) if mapped else None
                arrays[key] = archive[key] if view is None else view
            return arrays
    except FileNotFoundError:
        raise UserError(f"{path}: no such {what}") from None
    except ValueError as err:
        if "allow_pickle" in str(err) and _pickled(path, err):
            raise UserError(
                f"{path}: holds pickled Python objects; netspec never unpickles a {what}",
                hint=hint or "save plain numeric arrays with np.savez",
            ) from None
        raise UserError(f"{path}: not a readable {what} ({err})", hint=hint) from None
    except (OSError, EOFError, zipfile.BadZipFile) as err:
        raise UserError(f"{path}: not a readable {what} ({err})", hint=hint) from None


def _pickled(path: Path, err: ValueError) -> bool:
    if "Object arrays" in str(err):  # an .npz with an object array inside
        return True
    with open(path, "rb") as f:
        return f.read(1) == PICKLE_OPCODE


def _memmap(path: Path, member: zipfile.ZipInfo) -> np.ndarray | None:
    """The member's array mapped from the file, or None when it is compressed or holds no
    plain numbers (np.load then reads it, and refuses objects)."""
    if member.compress_type != zipfile.ZIP_STORED:
        return None
    with open(path, "rb") as f:
        f.seek(member.header_offset)
        local = f.read(30)  # the zip local file header; name and extra field lengths at 26
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        f.seek(member.header_offset + 30 + name_length + extra_length)
        version = np.lib.format.read_magic(f)
        read_header = {
            (1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0,
        }.get(version)
        if read_header is None:
            return None
        shape, fortran, dtype = read_header(f)
        offset = f.tell()
    if dtype.hasobject or 0 in shape:
        return None
    order = "F" if fortran else "C"
    return np.memmap(path, dtype, "r", offset, shape, order)
