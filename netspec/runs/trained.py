"""A completed run's spec and model with its trained weights (evaluate, export, init_from)."""

from __future__ import annotations

from netspec.errors import UserError
from netspec.runs import checkpoints
from netspec.runs.directory import Run
from netspec.runs.manifest import COMPLETED


def check_trained(run: Run) -> None:
    """UserError unless the run completed and its trained weights are there (no TensorFlow)."""
    status = run.manifest().get("status")
    if status != COMPLETED:
        raise UserError(
            f"run {run.path} has no trained weights yet (status: {status})",
            hint=f"finish it: netspec train --resume {run.path}",
        )
    if not run.final_weights.is_file():
        raise UserError(
            f"run {run.path} completed, but {run.final_weights} is missing",
            hint="its checkpoints were moved or deleted; restore them, or train "
            f"the spec again: netspec train {run.spec_file}",
        )


def load_trained(run: Run, precision: str | None = None):
    """(spec, model) of a completed run: its spec.yaml and the weights in final.npz.

    `precision`: what the model computes in; None: as it trained (train.precision). The
    weights are float32 either way.
    """
    check_trained(run)
    spec = run.spec()
    arrays, _ = checkpoints.load(run.final_weights)
    import tensorflow as tf

    from netspec.compile import build_model

    with tf.distribute.get_strategy().scope():
        model = build_model(spec, precision)
    checkpoints.assign(checkpoints.model_weights(model), arrays, run.final_weights)
    return spec, model
