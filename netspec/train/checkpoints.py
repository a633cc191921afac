"""Checkpoints as .npz files keyed by stable names, written atomically.

Keys: `<layer>/<variable>` for the model's state (`conv1/kernel`, `bn1/moving_mean`, and
`dropout_1/seed_generator_state`, the dropout RNG), `@optimizer/<variable>` for the
optimizer's state (its step counter, which drives the learning-rate schedule, and its slots,
e.g. `@optimizer/conv1_kernel_momentum`), and `@meta`, a JSON string of what the training
loop needs to go on (completed epochs, history, early-stopping state). Layer names cannot start
with `@`, so the keys never clash. Arrays load without pickle.

A `kill -9` during a save leaves the previous file intact (see atomic.py).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from netspec.errors import UserError
from netspec.train import atomic

OPTIMIZER = "@optimizer/"
META = "@meta"


def model_state(model) -> dict[str, object]:
    """Every variable of every layer, including RNG state, by `<layer>/<variable>`.

    Not `variable.path`: Keras names seed-generator variables by a per-process counter.
    """
    state = {}
    for layer in model.layers:
        for variable in layer.variables:
            state[f"{layer.name}/{variable.name}"] = variable
    return state


def model_weights(model) -> dict[str, object]:
    """The trained weights only (no RNG state): what final.npz holds and init_from loads."""
    return {f"{layer.name}/{w.name}": w for layer in model.layers for w in layer.weights}


def optimizer_state(optimizer) -> dict[str, object]:
    """The optimizer's variables by name (`iteration`, `conv1_kernel_momentum`), without the
    optimizer's own name, which Keras numbers per process (`adam`, `adam_1`, ...)."""
    state = {OPTIMIZER + variable.name: variable for variable in optimizer.variables}
    if len(state) != len(optimizer.variables):
        raise RuntimeError(
            f"bug: optimizer variable names collide: {sorted(v.name for v in optimizer.variables)}"
        )
    return state


def save(path: Path, variables: dict[str, object], meta: dict | None = None) -> None:
    arrays = {key: variable.numpy() for key, variable in variables.items()}
    if meta is not None:
        arrays[META] = np.array(json.dumps(meta))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic.write_bytes(path, buffer.getvalue())


def load(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays by key, meta); UserError naming the file if it is missing or damaged."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise UserError(f"{path}: no such checkpoint") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise UserError(
            f"{path}: damaged checkpoint ({err})",
            hint="it was not written by netspec, or was changed afterwards",
        ) from None
    meta = json.loads(str(arrays.pop(META))) if META in arrays else {}
    return arrays, meta


def assign(variables: dict[str, object], arrays: dict[str, np.ndarray], source: Path) -> None:
    """Set each variable from the array of the same key; every key must be there, same shape."""
    missing = [key for key in variables if key not in arrays]
    if missing:
        raise UserError(
            f"{source}: checkpoint has no {', '.join(missing[:5])}"
            + (f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""),
            hint="the run's spec.yaml no longer matches its checkpoints",
        )
    for key, variable in variables.items():
        value = arrays[key]
        if tuple(value.shape) != tuple(variable.shape):
            raise UserError(
                f"{source}: {key} has shape {tuple(value.shape)} in the checkpoint "
                f"but {tuple(variable.shape)} in the model",
                hint="the run's spec.yaml no longer matches its checkpoints",
            )
        variable.assign(value)
