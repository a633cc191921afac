"""Checkpoints as .npz files keyed by stable names, written atomically.

Keys: `<layer>/<variable>` for the model's state (`conv1/kernel`, `bn1/moving_mean`, and
`dropout_1/seed_generator_state`, the dropout RNG), `@optimizer/<variable>` for the
optimizer's state (its step counter, which drives the learning-rate schedule, and its slots,
e.g. `@optimizer/conv1_kernel_momentum`), and `@meta`, a JSON string of what the training
loop needs to go on (completed epochs, history, early-stopping state; and, for a checkpoint
taken within an epoch, the steps done of it and the epoch's running sums). Layer names cannot start
with `@`, so the keys never clash.

A `kill -9` during a save leaves the previous file intact (netspec.files). Loading checks the
whole file before anything uses it: no pickle, numbers only, finite values, and a complete
`@meta` where the training loop needs one; a file that fails gets a one-line error.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from netspec import files, npzfile
from netspec.errors import UserError

OPTIMIZER = "@optimizer/"
META = "@meta"


def model_state(model) -> dict[str, object]:
    """Every variable of every layer, including RNG state, by `<layer>/<variable>` (the
    layer's full name: `stage2_1/conv_a/kernel`).

    Not `variable.path`: Keras names seed-generator variables by a per-process counter.
    """
    from netspec.compile.model import spec_layers

    return {
        f"{name}/{variable.name}": variable
        for name, layer in spec_layers(model).items()
        for variable in layer.variables
    }


def model_weights(model) -> dict[str, object]:
    """The trained weights only (no RNG state): what final.npz holds and init_from loads."""
    from netspec.compile.model import spec_layers

    return {
        f"{name}/{w.name}": w for name, layer in spec_layers(model).items() for w in layer.weights
    }


def optimizer_state(optimizer) -> dict[str, object]:
    """The optimizer's variables by name (`iteration`, `conv1_kernel_momentum`), without the
    optimizer's own name, which Keras numbers per process (`adam`, `adam_1`, ...). A loss-scale
    wrapper (mixed_float16) keeps its own variables, which share names with the wrapped
    optimizer's (`iteration`), under `loss_scale/`."""
    inner = getattr(optimizer, "inner_optimizer", None)
    if inner is not None:
        own = [v for v in optimizer.variables if not any(v is w for w in inner.variables)]
        return {
            **optimizer_state(inner),
            **{f"{OPTIMIZER}loss_scale/{variable.name}": variable for variable in own},
        }
    state = {OPTIMIZER + variable.name: variable for variable in optimizer.variables}
    if len(state) != len(optimizer.variables):
        raise RuntimeError(
            f"bug: optimizer variable names collide: {sorted(v.name for v in optimizer.variables)}"
        )
    return state


def snapshot(variables: dict[str, object]) -> dict[str, np.ndarray]:
    """The variables' values now, to be saved later (off the training thread)."""
    return {key: np.array(variable.numpy()) for key, variable in variables.items()}


def save(path: Path, variables: dict[str, object], meta: dict | None = None) -> None:
    """Write `variables` (Keras variables, or arrays from `snapshot`) and `meta`."""
    arrays = {
        key: value if isinstance(value, np.ndarray) else value.numpy()
        for key, value in variables.items()
    }
    if meta is not None:
        arrays[META] = np.array(files.dumps(meta, indent=None))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    files.write_bytes(path, buffer.getvalue())


def load(path: Path, training: bool = False) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays by key, meta), checked; UserError naming the file if it is missing or damaged.

    `training`: the checkpoint must carry the training loop's `@meta` (last.npz).
    """
    damaged = "it was not written by netspec, or was changed afterwards"
    arrays = npzfile.read(path, "checkpoint", hint=damaged)
    meta = _meta(path, arrays.pop(META, None), training, damaged)
    for key, value in arrays.items():
        if value.dtype.kind not in "biuf":
            raise UserError(f"{path}: {key} holds {value.dtype} values, not numbers", hint=damaged)
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise UserError(
                f"{path}: {key} holds NaN or infinite values",
                hint="training diverged before this was saved; train again with a "
                "lower learning rate",
            )
    return arrays, meta


def _meta(path: Path, value: np.ndarray | None, training: bool, damaged: str) -> dict:
    if value is None:
        if training:
            raise UserError(
                f"{path}: has no {META} entry (epochs completed, history)", hint=damaged
            )
        return {}
    try:
        meta = (
            json.loads(str(value.item())) if value.dtype.kind == "U" and not value.shape else None
        )
    except ValueError:
        meta = None
    if not isinstance(meta, dict):
        raise UserError(f"{path}: its {META} entry is not a JSON object", hint=damaged)
    if training:
        done, rows = meta.get("epochs_completed"), meta.get("history")
        if not (
            isinstance(done, int)
            and done >= 0
            and isinstance(rows, list)
            and len(rows) == done
            and all(isinstance(row, dict) for row in rows)
        ):
            raise UserError(
                f"{path}: its {META} entry lacks a valid epochs_completed and history", hint=damaged
            )
        step = meta.get("step", 0)
        if not (isinstance(step, int) and step >= 0):
            raise UserError(f"{path}: its {META} step is not a step count", hint=damaged)
        stop = meta.get("early_stopping")
        if stop is not None and not isinstance(stop, dict):
            raise UserError(
                f"{path}: its {META} early_stopping state is not a mapping", hint=damaged
            )
    return meta


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
