"""Reading .npz files (data, checkpoints, predict inputs) as plain arrays, never as pickles.

`np.load(allow_pickle=False)` refuses object arrays, but says so in the same words for a
pickle and for a file that is not an .npz at all; this tells the two apart for the message.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from netspec.errors import UserError

PICKLE_OPCODE = b"\x80"  # how a pickle of protocol 2 or later starts


def read(path: Path, what: str, hint: str | None = None) -> dict[str, np.ndarray]:
    """Every array in the .npz at `path`; `what` names the file's role in messages
    ("checkpoint", ".npz file")."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise UserError(f"{path}: not a {what} (a single .npy array)", hint=hint)
            return {key: archive[key] for key in archive.files}
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
